"""Fillers and repetitions in a timed transcript, English and Mandarin, with context rules.

Lists come from the project's domain reference (shared/REFERENCE.md, "Fillers"). The
context rules are **our proposal**: they keep words that are usually meaningful
(这个产品, "I would like", 这就是) from counting, at the price of missing some real fillers.
Whisper drops many fillers before we see them, so every count here is a lower bound.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from livelab import spoken_length

#: A unit of timed text: a recognised word, or a whole segment when it has no word times.
Unit = tuple[float, float, str, bool]  # start, end, text, last unit of its segment

WORD_RE = re.compile(r"[A-Za-z0-9']+(?:-[A-Za-z0-9']+)*")
HANZI_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_EN_BREAK = re.compile(r"[,.;:!?…—–]|\s-\s")
_EN_STOP = re.compile(r"[.!?]")

# Filled pauses: always fillers.
EN_FILLED_PAUSES = frozenset("um umm uh uhh uhm er erm ah ahh hmm hm mm".split())
# Discourse fillers that are rarely meant literally in a pitch: always counted.
EN_ALWAYS = frozenset("basically literally actually".split())
# Fillers only when set off by a pause or punctuation ("like, you know, ..."), because
# "I would like", "you know the price", "I mean it" are ordinary speech.
EN_SET_OFF = ("you know", "i mean", "like")
# Clause-initial or tag words, fillers only when set off on both sides ("So, ...", ", right?").
EN_SET_OFF_BOTH = frozenset("so well right okay".split())
#: English hedges, counted apart in details (they are a style issue, not a filler).
EN_HEDGES = ("maybe", "i think", "i guess", "sort of", "kind of")

#: Mandarin fillers, each with the rule that decides it. In the rule strings ``|`` is a
#: clause boundary: punctuation, a segment end, or a silence of at least ``pause_s``.
_START = r"(?<![^|])"  # at the start of a clause
_END = r"(?![^|])"  # at the end of a clause
_FILLED = "嗯呃额啊"
ZH_RULES: tuple[tuple[str, str], ...] = (
    ("嗯 / 呃", r"嗯+|呃+"),
    # 额 is also the 额 of 金额 / 余额 / 名额 / 额度 / 额外: not when it makes such a word.
    ("额", r"(?<![金余名份限超总差数面税定巨全销])额+(?![度外头定满])"),
    # Interjections count at a clause start; at the end 啊 / 呀 are sentence particles.
    ("哎 / 诶 / 欸 / 唉 / 哦 / 噢 / 啊 / 呀", _START + r"[哎诶欸唉哦噢啊呀]+"),
    # 这个 / 那个 are determiners before a noun (这个产品); fillers before a pause, another
    # filler, or themselves (这个这个).
    ("这个 / 那个", rf"(这个|那个)(?:{_END}|(?=\1|[{_FILLED}]|就是|然后))"),
    # 就是 is "is exactly" after 这 / 也 / 不 …; a filler at a clause start, before a
    # pause, or as 就是说 (not 也就是说, "that is to say").
    ("就是", rf"(?<!也)就是(?=说)|{_START}就是(?!这样|那样|说)"
             rf"|(?<![这那也不还只正都就可要但])就是{_END}"),
    # 然后 ("then") is ordinary; a filler when it trails off or runs into another filler.
    ("然后", rf"然后(?:{_END}|(?=然后|[{_FILLED}]|那个|这个|就是))"),
    ("对吧", r"对吧" + _END),
)


@dataclass(frozen=True, slots=True)
class Filler:
    """One filler occurrence: where it was said and what it was."""

    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True, slots=True)
class Repeat:
    """An immediately repeated word or phrase ("the the", "这个这个")."""

    start_s: float
    phrase: str


def count_units(units: Sequence[Unit], language: str) -> int:
    """Words (English) or the characters said (Mandarin, digits read out) in ``units``:
    see :func:`livelab.spoken_length`."""
    return sum(spoken_length(u[2], language) for u in units)


def find_fillers(units: Sequence[Unit], language: str, pause_s: float = 0.3) -> list[Filler]:
    if language == "zh":
        return _zh_fillers(units, pause_s)
    return _en_fillers(units, pause_s)


@dataclass(slots=True)
class _Token:
    text: str  # lower-case word
    start: float
    end: float
    break_before: bool
    break_after: bool
    sentence_end: bool = False


def _en_tokens(units: Sequence[Unit], pause_s: float) -> list[_Token]:
    tokens: list[_Token] = []
    prev_end: float | None = None
    for start, end, text, last_of_segment in units:
        gap_before = prev_end is None or start - prev_end >= pause_s
        matches = list(WORD_RE.finditer(text))
        for i, m in enumerate(matches):
            before = text[matches[i - 1].end() if i else 0 : m.start()]
            after = text[m.end() : matches[i + 1].start() if i + 1 < len(matches) else len(text)]
            brk_before = bool(_EN_BREAK.search(before)) or (i == 0 and gap_before)
            if tokens:
                if brk_before:
                    tokens[-1].break_after = True
                brk_before = brk_before or tokens[-1].break_after
            tokens.append(_Token(m.group().lower(), start, end, brk_before or not tokens,
                                 bool(_EN_BREAK.search(after)), bool(_EN_STOP.search(after))))
        if tokens and last_of_segment:
            tokens[-1].break_after = True
        prev_end = end
    if tokens:
        tokens[-1].break_after = True
    return tokens


def _en_fillers(units: Sequence[Unit], pause_s: float) -> list[Filler]:
    tokens = _en_tokens(units, pause_s)
    found: list[Filler] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        hit = 0
        if tok.text in EN_FILLED_PAUSES or tok.text in EN_ALWAYS:
            hit = 1
        elif tok.text in EN_SET_OFF_BOTH and tok.break_before and tok.break_after:
            hit = 1
        else:
            for phrase in EN_SET_OFF:
                words = phrase.split()
                span = tokens[i : i + len(words)]
                set_off = bool(span) and (span[0].break_before or span[-1].break_after)
                if [t.text for t in span] == words and set_off:
                    hit = len(words)
                    break
        if hit:
            span = tokens[i : i + hit]
            found.append(Filler(span[0].start, span[-1].end, " ".join(t.text for t in span)))
            i += hit
        else:
            i += 1
    return found


def _zh_stream(units: Sequence[Unit], pause_s: float) -> tuple[str, list[tuple[float, float]]]:
    """Hanzi with ``|`` at clause boundaries, and the time of every character."""
    chars: list[str] = []
    times: list[tuple[float, float]] = []
    prev_end: float | None = None

    def boundary(t: float) -> None:
        if chars and chars[-1] != "|":
            chars.append("|")
            times.append((t, t))

    for start, end, text, last_of_segment in units:
        if prev_end is not None and start - prev_end >= pause_s:
            boundary(start)
        hanzi = HANZI_RE.findall(text)
        step = (end - start) / max(1, len(hanzi))
        k = 0
        for ch in text:
            if HANZI_RE.fullmatch(ch):
                chars.append(ch)
                times.append((start + k * step, start + (k + 1) * step))
                k += 1
            elif not ch.isspace():  # punctuation, Latin words and digits break a clause
                boundary(start + k * step)
        if last_of_segment:
            boundary(end)
        prev_end = end
    return "".join(chars), times


def _zh_fillers(units: Sequence[Unit], pause_s: float) -> list[Filler]:
    stream, times = _zh_stream(units, pause_s)
    taken = [False] * len(stream)
    found: list[Filler] = []
    for _label, rule in ZH_RULES:
        for m in re.finditer(rule, stream):
            if any(taken[m.start() : m.end()]):
                continue
            taken[m.start() : m.end()] = [True] * (m.end() - m.start())
            found.append(Filler(times[m.start()][0], times[m.end() - 1][1], m.group()))
    found.sort(key=lambda f: f.start_s)
    return found


def find_repeats(units: Sequence[Unit], language: str, max_len: int = 4) -> list[Repeat]:
    """Immediate repetitions of a word or short phrase, a sign of restarting a sentence.

    Mandarin reduplication is grammar (看看, 谢谢, 慢慢), so a Mandarin repeat needs at least
    two characters per copy; English ignores "had had" and "that that". Filled pauses
    repeated ("um um") are fillers, not repeats.
    """
    if language == "zh":
        stream, times = _zh_stream(units, 1e9)
        seq = [(ch, s, False) for ch, (s, _e) in zip(stream, times, strict=True) if ch != "|"]
        min_len = 2
    else:
        # "... with us today. Today I have ..." is two sentences, not a restart.
        seq = [(t.text, t.start, t.sentence_end) for t in _en_tokens(units, 1e9)
               if t.text not in EN_FILLED_PAUSES]
        min_len = 1
    items = [s[0] for s in seq]
    repeats: list[Repeat] = []
    i = 0
    while i < len(items):
        for n in range(max_len, min_len - 1, -1):
            a, b = items[i : i + n], items[i + n : i + 2 * n]
            if len(a) == n and a == b and not seq[i + n - 1][2] and not (
                n == 1 and a[0] in ("had", "that")
            ):
                # "that that" / "had had" are grammatical; a copy of one repeated character
                # (看看看看) is reduplication, not a restart.
                if language == "zh" and len(set(a)) == 1:
                    continue
                joiner = "" if language == "zh" else " "
                repeats.append(Repeat(seq[i][1], joiner.join(a)))
                i += 2 * n - 1
                break
        i += 1
    return repeats


def find_hedges(units: Sequence[Unit]) -> int:
    """English hedges ("maybe", "I think", …): reported in details, not scored."""
    words = [t.text for t in _en_tokens(units, 1e9)]
    count = 0
    for phrase in EN_HEDGES:
        p = phrase.split()
        count += sum(words[i : i + len(p)] == p for i in range(len(words)))
    return count
