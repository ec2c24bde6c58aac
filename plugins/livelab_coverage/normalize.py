"""Text normalisation that keeps every character's place in the original transcript.

Speech recognisers write the same words many ways: "$19.99", "19.99", "nineteen
ninety-nine"; "19块9", "十九块九", "19.9元"; "ＡＱＵＡ", "這個". Product phrasings and
transcripts go through the same steps so they meet in one canonical form, and each
canonical character remembers which original characters it came from, so a match can
be quoted and timed in the words the anchor actually said.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from livelab import to_simplified as simplified

# A character's origin: the half-open range of original characters it came from.
Span = tuple[int, int]

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True, slots=True)
class MappedText:
    """Normalised text; ``origin[i]`` is the original character range of ``text[i]``."""

    text: str
    origin: tuple[Span, ...]

    @classmethod
    def of(cls, text: str) -> MappedText:
        return cls(text, tuple((i, i + 1) for i in range(len(text))))

    def sub(self, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]) -> MappedText:
        """Like ``re.sub``; each replacement character inherits the whole match's origin."""
        parts: list[str] = []
        origin: list[Span] = []
        last = 0
        for m in pattern.finditer(self.text):
            new = repl(m)
            if new == m.group(0):
                continue
            parts.append(self.text[last : m.start()])
            origin.extend(self.origin[last : m.start()])
            if new:
                span = (
                    _union(self.origin[m.start() : m.end()])
                    if m.end() > m.start()
                    else (self.origin[m.start() - 1] if m.start() else (0, 0))
                )
                parts.append(new)
                origin.extend([span] * len(new))
            last = m.end()
        if not parts:
            return self
        parts.append(self.text[last:])
        origin.extend(self.origin[last:])
        return MappedText("".join(parts), tuple(origin))

    def map_chars(self, fn: Callable[[str], str]) -> MappedText:
        """Replace each character by ``fn(char)`` (which may be longer or empty)."""
        parts: list[str] = []
        origin: list[Span] = []
        for ch, span in zip(self.text, self.origin, strict=True):
            new = fn(ch)
            parts.append(new)
            origin.extend([span] * len(new))
        return MappedText("".join(parts), tuple(origin))


def _union(spans: tuple[Span, ...]) -> Span:
    return (min(s[0] for s in spans), max(s[1] for s in spans))


# --- width, script and case ---------------------------------------------------------


def _fold_char(ch: str) -> str:
    # NFKC turns full-width "１９．９" and "ＡＱＵＡ" into ASCII and "㎖" into "ml".
    return unicodedata.normalize("NFKC", ch).lower()


def to_simplified(text: MappedText) -> MappedText:
    """Traditional → Simplified Chinese (:func:`livelab.to_simplified`), keeping character
    origins (it never changes the length)."""
    if not CJK.search(text.text):
        return text
    return MappedText(simplified(text.text), text.origin)


# --- English numbers ----------------------------------------------------------------

_UNITS = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_UNITS["oh"] = 0
_TENS = {
    w: 10 * (i + 2)
    for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_NUMBER_WORD = "|".join(sorted((*_UNITS, *_TENS, *_SCALES), key=len, reverse=True))
_NUMBER_RUN = re.compile(
    rf"\b(?:a\s+(?=(?:hundred|thousand)\b))?(?:{_NUMBER_WORD})(?:(?:\s+|-)(?:and\s+)?(?:{_NUMBER_WORD}))*\b"
)


def _groups(words: list[str]) -> list[list[str]]:
    """Split a run of number words where a new number must start ("nineteen | ninety nine")."""
    groups: list[list[str]] = []
    prev = ""
    for w in words:
        starts_new = bool(groups) and (
            (w in _UNITS and (prev in _UNITS or (prev in _TENS and _UNITS[w] >= 10) or w == "oh"))
            or (w in _TENS and (prev in _UNITS or prev in _TENS))
        )
        if not groups or starts_new:
            groups.append([w])
        else:
            groups[-1].append(w)
        prev = w
    return groups


def _value(words: list[str]) -> int:
    total = current = 0
    for w in words:
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = max(current, 1) * 100
        else:
            total += max(current, 1) * _SCALES[w]
            current = 0
    return total + current


def _english_number(m: re.Match[str]) -> str:
    words = [w for w in re.split(r"[\s-]+", m.group(0)) if w not in ("and", "a")]
    if not words:
        return m.group(0)
    groups = _groups(words)
    values = [_value(g) for g in groups]
    # "nineteen ninety-nine", "seven fifty": said like a year, written as one digit string;
    # prices are then compared digit by digit (see ``price_digits``).
    if (
        len(values) > 1
        and 0 < values[0] < 100
        and all(10 <= v < 100 or g == ["oh"] for v, g in zip(values[1:], groups[1:], strict=True))
    ):
        return str(values[0]) + "".join(f"{v:02d}" if v >= 10 else str(v) for v in values[1:])
    if len(values) > 1 and all(
        len(g) == 1 and g[0] in _UNITS and v < 10 for g, v in zip(groups, values, strict=True)
    ):
        return "".join(str(v) for v in values)  # "seven five zero" read digit by digit
    return " ".join(str(v) for v in values)


_DOLLARS_CENTS = re.compile(r"\b(\d+)\s+dollars?\s+(?:and\s+)?(\d{1,2})\s+cents?\b")
_CURRENCY = re.compile(r"[$€£¥￥]\s*(?=\d)|\b(?:usd|rmb)\b")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")  # 1,299元 too
_PERCENT = re.compile(r"\s*%")
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)")
_EN_SYNONYMS = {
    "milliliters": "ml",
    "millilitres": "ml",
    "milliliter": "ml",
    "millilitre": "ml",
    "mls": "ml",
    "hours": "hours",
    "hour": "hours",
    "hrs": "hours",
    "hr": "hours",
    "h": "hours",
    "ounces": "oz",
    "ounce": "oz",
    "per": "percent",
    "pct": "percent",
    "okay": "ok",
}
_EN_WORD = re.compile(r"[a-z]+")
# Anything that is not a letter, digit, CJK or a decimal point between digits.
_EN_PUNCT = re.compile(r"(?:(?<!\d)\.|\.(?!\d)|[^\w.%\u3400-\u9fff])+")


def normalize_english(text: MappedText) -> MappedText:
    text = text.map_chars(_fold_char)
    text = text.sub(_THOUSANDS, lambda m: "")
    text = text.sub(_CURRENCY, lambda m: "")
    text = text.sub(_PERCENT, lambda m: " percent ")
    text = text.sub(re.compile(r"[‘’']"), lambda m: "")
    text = text.sub(_EN_PUNCT, lambda m: " ")
    text = text.sub(_DIGIT_LETTER, lambda m: " ")
    text = text.sub(re.compile(r"_+"), lambda m: " ")
    text = text.sub(_NUMBER_RUN, _english_number)
    text = text.sub(_DOLLARS_CENTS, lambda m: f"{m.group(1)}.{int(m.group(2)):02d}")
    text = text.sub(re.compile(r"\b(\d+(?:\.\d+)?)\s+dollars?\b"), lambda m: m.group(1))
    text = text.sub(_EN_WORD, lambda m: _EN_SYNONYMS.get(m.group(0), m.group(0)))
    return text


# --- Chinese numbers ----------------------------------------------------------------

_ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "幺": 1,
}
_ZH_SCALES = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
_ZH_NUM = "零〇一二两三四五六七八九十百千万亿幺"  # 幺: "one" read out digit by digit
_ZH_RUN = re.compile(rf"[{_ZH_NUM}]+(?:点[{_ZH_NUM}]+)?")
_ZH_PERCENT = re.compile(rf"百分之([{_ZH_NUM}]+|\d+(?:\.\d+)?)")
# Words whose 一/万 are not quantities; converting them would only make evidence odd.
# (万一 "in case", but not the 万一 of 一万一千 / 两万一.)
_ZH_NOT_NUMBERS = re.compile(
    r"(?<![零〇一二两三四五六七八九十百千])万一|一起|一样|一定|一直|一下|统一|唯一|万能|一些|一般|一切"
)


def _zh_integer(chars: str) -> int | None:
    """The value of a run of Chinese numerals, colloquial shortenings included: a digit
    right after 百 / 千 / 万 / 亿 is the next place down, so 一百五 is 150, 两万五 25 000
    and 三千八 3 800, while 一百零五 is 105."""
    if all(c in _ZH_DIGITS for c in chars):
        return int("".join(str(_ZH_DIGITS[c]) for c in chars))  # 二零二五, 九九
    total = section = number = 0
    before = 0  # the scale of the character before the current digit (0: not a scale)
    for c in chars:
        if c in _ZH_DIGITS:
            number = _ZH_DIGITS[c]
            continue
        scale = _ZH_SCALES[c]
        if scale >= 10_000:
            total += (section + number) * scale
            section = number = 0
        else:
            section += (number or 1) * scale
            number = 0
        before = scale
    if number and chars[-1] not in "零〇" and chars[-2:-1] in tuple(_ZH_SCALES):
        if before >= 100:
            number *= before // 10  # 一百五: the last 五 means 五十
    return total + section + number


def _zh_number(m: re.Match[str]) -> str:
    run = m.group(0)
    # 七十九一盒: two numbers side by side ("79" "1"), not 七十九一; 一百零五 is one number.
    for i in range(1, len(run)):
        if (run[i - 1] in _ZH_DIGITS and run[i - 1] not in "零〇" and run[i] in _ZH_DIGITS
                and any(c in _ZH_SCALES for c in run[:i]) and "点" not in run[:i]):
            head, tail = _ZH_RUN.fullmatch(run[:i]), _ZH_RUN.fullmatch(run[i:])
            if head and tail:
                return f"{_zh_number(head)} {_zh_number(tail)}"
    whole, _, frac = run.partition("点")
    if not frac and len(whole) > 1 and whole[0] in "零〇" and all(c in _ZH_DIGITS for c in whole):
        return "".join(str(_ZH_DIGITS[c]) for c in whole)  # 一块零五: the 05 of 1.05
    value = _zh_integer(whole)
    if value is None:
        return m.group(0)
    if frac:
        if not all(c in _ZH_DIGITS for c in frac):
            return m.group(0)
        return f"{value}.{''.join(str(_ZH_DIGITS[c]) for c in frac)}"
    return str(value)


def _protect(m: re.Match[str]) -> str:
    # Private-use stand-ins survive number conversion and are swapped back afterwards.
    return "".join(chr(0xE000 + _ZH_NUM.index(c)) if c in _ZH_NUM else c for c in m.group(0))


def _unprotect(m: re.Match[str]) -> str:
    return "".join(_ZH_NUM[ord(c) - 0xE000] for c in m.group(0))


def _zh_percent(m: re.Match[str]) -> str:
    amount = m.group(1)
    if not amount[0].isdigit():
        amount = _zh_number(_ZH_RUN.fullmatch(amount))  # type: ignore[arg-type]
    return f"{amount}%"


_ZH_MONEY = re.compile(r"(\d+)(?:\.(\d+))?\s*(?:块钱|块|元)(?:(\d)(?:毛|角)?(?:(\d)分?)?)?")
# Three or more single digits joined by hyphens are one number said digit by digit
# ("3-1-6" for 316); two are a range ("5-9人", "3-5天") and stay apart.
_DIGITS_SPELLED = re.compile(r"(?<![\d-])\d(?:-\d){2,}(?![\d-])")
_ZH_SYNONYMS = re.compile(r"毫升|ml|塊")


def _zh_money(m: re.Match[str]) -> str:
    whole, frac, dimes, cents = m.groups()
    if frac is not None:
        return f"{whole}.{frac}元"
    if dimes is None:
        return f"{whole}元"
    return f"{whole}.{dimes}{cents or ''}元"


def normalize_chinese(text: MappedText) -> MappedText:
    text = text.map_chars(_fold_char)
    text = to_simplified(text)
    text = text.sub(_ZH_NOT_NUMBERS, _protect)
    text = text.sub(_ZH_PERCENT, _zh_percent)
    text = text.sub(_ZH_RUN, _zh_number)
    text = text.sub(re.compile("[\ue000-\ue012]+"), _unprotect)
    text = text.sub(_THOUSANDS, lambda m: "")
    text = text.sub(_DIGITS_SPELLED, lambda m: m.group(0).replace("-", ""))  # 3-1-6 → 316
    text = text.sub(_CURRENCY, lambda m: "")
    text = text.sub(_ZH_MONEY, _zh_money)
    text = text.sub(_ZH_SYNONYMS, lambda m: "毫升")
    return text


def normalize(text: str | MappedText, language: str) -> MappedText:
    """Canonical form of ``text`` for matching. Mandarin text may contain English words
    (brand names, "BPA"); those are folded the English way too."""
    mapped = text if isinstance(text, MappedText) else MappedText.of(text)
    if language == "zh":
        mapped = normalize_chinese(mapped)
        # Latin words inside Mandarin speech: case, punctuation, number words.
        return normalize_english(mapped)
    mapped = to_simplified(mapped)
    return normalize_english(mapped)


# --- tokens -------------------------------------------------------------------------

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+|[\u3400-\u9fff]|%")


@dataclass(frozen=True, slots=True)
class Token:
    """One unit of normalised text: an English word, a number, or one Chinese character."""

    text: str
    origin: Span  # original character range


def tokens(mapped: MappedText) -> list[Token]:
    out: list[Token] = []
    for m in _TOKEN.finditer(mapped.text):
        out.append(Token(m.group(0), _union(mapped.origin[m.start() : m.end()])))
    return out


def number_value(token: str) -> float | None:
    return float(token) if re.fullmatch(r"\d+(?:\.\d+)?", token) else None


def price_digits(value: float) -> set[str]:
    """Digit strings a spoken price may be written as: 19.99 → {"1999"}; 20.0 → {"20", "2000"}."""
    cents = f"{value:.2f}"
    whole, frac = cents.split(".")
    forms = {whole + frac}
    if frac == "00":
        forms.add(whole)
    elif frac.endswith("0"):
        forms.add(whole + frac[0])  # 19.9 元 said "十九块九"
    return forms
