"""A timed transcript: segments of words with start/end times, as every plugin reads it."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def _stamp(seconds: float, sep: str) -> str:
    """``hh:mm:ss,mmm`` (SRT) or ``hh:mm:ss.mmm`` (WebVTT)."""
    ms = max(0, int(round(seconds * 1000)))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


@dataclass(frozen=True, slots=True)
class Word:
    start: float
    end: float
    text: str
    probability: float = 1.0


@dataclass(frozen=True, slots=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()


@dataclass(frozen=True, slots=True)
class Transcript:
    language: str
    model: str
    duration_s: float
    segments: tuple[Segment, ...]
    #: Where the recogniser's voice detector heard a voice, as (start, end) seconds; empty
    #: when the backend does not say. Unlike word times it ignores music and noise.
    voice: tuple[tuple[float, float], ...] = ()

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def text(self) -> str:
        joiner = "" if self.language == "zh" else " "
        return joiner.join(s.text.strip() for s in self.segments).strip()

    def render(self, fmt: str) -> str:
        """The transcript as ``txt`` (timed lines), ``srt`` or ``vtt`` subtitles, or ``json``."""
        if fmt == "json":
            return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"
        if fmt == "txt":
            from livelab.api.analysis import clock

            return "".join(f"[{clock(s.start)}] {s.text}\n" for s in self.segments)
        sep = "," if fmt == "srt" else "."
        cues = []
        for i, s in enumerate(self.segments, 1):
            timing = f"{_stamp(s.start, sep)} --> {_stamp(s.end, sep)}"
            cues.append(f"{i}\n{timing}\n{s.text}\n" if fmt == "srt" else f"{timing}\n{s.text}\n")
        body = "\n".join(cues)
        return body if fmt == "srt" else f"WEBVTT\n\n{body}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "model": self.model,
            "duration_s": self.duration_s,
            "segments": [
                {
                    "start": s.start,
                    "end": s.end,
                    "text": s.text,
                    "words": [[w.start, w.end, w.text, w.probability] for w in s.words],
                }
                for s in self.segments
            ],
            **({"voice": [list(v) for v in self.voice]} if self.voice else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transcript:
        return cls(
            language=data["language"],
            model=data["model"],
            duration_s=float(data["duration_s"]),
            segments=tuple(
                Segment(
                    float(s["start"]),
                    float(s["end"]),
                    s["text"],
                    tuple(Word(float(a), float(b), t, float(p)) for a, b, t, p in s["words"]),
                )
                for s in data["segments"]
            ),
            voice=tuple((float(a), float(b)) for a, b in data.get("voice") or ()),
        )


# --- how much was said ----------------------------------------------------------------

_HANZI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_EN_WORD = re.compile(r"[A-Za-z0-9']+(?:-[A-Za-z0-9']+)*")
# In Mandarin text: a number as the recogniser wrote it (12, 19.9, 1,299, 50%, 2026年), or
# a Latin word said inside Mandarin ("nice", "OK").
_ZH_SPOKEN = re.compile(
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<pct>\s*[%％])?(?P<year>(?<=\d)\s*年)?"
    r"|(?P<latin>[A-Za-z]+(?:'[A-Za-z]+)?)"
)
_ZH_DIGIT = "零一二三四五六七八九"


def _zh_group(n: int, leading: bool) -> str:
    """0 < n < 10000 in Chinese: 1234 → 一千二百三十四; 12 → 十二 at the start of a number."""
    out: list[str] = []
    zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // value % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        if not (unit == "十" and digit == 1 and leading and not out):
            out.append(_ZH_DIGIT[digit])
        out.append(unit)
    return "".join(out)


def read_zh_number(digits: str, *, year: bool = False) -> str:
    """How a number written in digits is said in Mandarin: ``12`` → 十二, ``19.9`` →
    十九点九, ``1,299`` → 一千二百九十九, ``10005`` → 一万零五. Years (``year=True``),
    numbers with a leading zero and numbers of ten digits or more are read digit by digit
    (二零二六, 零五, phone numbers)."""
    digits = digits.replace(",", "")
    whole, _, frac = digits.partition(".")
    tail = ("点" + "".join(_ZH_DIGIT[int(c)] for c in frac)) if frac else ""
    if year or (len(whole) > 1 and whole[0] == "0") or len(whole) >= 10:
        return "".join(_ZH_DIGIT[int(c)] for c in whole) + tail
    n = int(whole)
    if n == 0:
        return "零" + tail
    parts: list[str] = []
    for scale, unit in ((10**8, "亿"), (10**4, "万"), (1, "")):
        group = n // scale % 10**4
        if group:
            if parts and group < 1000 and not parts[-1].endswith("零"):
                parts.append("零")  # 一万零五, 一亿零五十万
            parts.append(_zh_group(group, leading=not parts) + unit)
        elif parts and not parts[-1].endswith("零") and n % scale:
            parts.append("零")
    return "".join(parts).rstrip("零") + tail


def spoken_length(text: str, language: str) -> int:
    """How much of ``text`` is said: English words (the project's word rule), or for
    Mandarin the characters a speaker says. Hanzi count one each; a number the recogniser
    wrote in digits counts as it is read (12 → 十二 = 2, 19.9 → 十九点九 = 4, 2026年 →
    二零二六年 = 5, 50% → 百分之五十 = 5); a Latin word inside Mandarin ("nice", "OK")
    counts as one."""
    if language != "zh":
        return len(_EN_WORD.findall(text))
    count = len(_HANZI.findall(text))
    for m in _ZH_SPOKEN.finditer(text):
        if m.group("latin"):
            count += 1
            continue
        spoken = read_zh_number(m.group("num"), year=bool(m.group("year")) and
                                len(m.group("num")) == 4)
        count += len(spoken) + (3 if m.group("pct") else 0)  # 百分之
    return count


# --- Simplified Chinese ---------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# 著 is "written / notable" in these words, the particle 着 elsewhere (Taiwan style 带著).
_ZHE = re.compile(r"(?<![显土昭卓编原名巨专论遗译合拙遐])著(?![名作称述录者书])")
_FULL = {",": "，", "?": "？", "!": "！", ":": "：", ";": "；", ".": "。"}
# ASCII punctuation right after a hanzi (a decimal point before a digit stays).
_HALF_PUNCT = re.compile(r"(?<=[\u3400-\u9fff])[,?!:;.](?!\d)")


@functools.lru_cache(maxsize=1)
def _t2s() -> Any:  # opencc ships no type hints
    import opencc  # only Chinese text pays for loading its dictionaries

    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=8192)
def _traditional(ch: str) -> bool:
    return _t2s().convert(ch) != ch


def to_simplified(text: str) -> str:
    """``text`` in Simplified Chinese, character for character (the length never changes,
    so word times and quotes stay with their characters).

    OpenCC ``t2s`` converts in context (phrase rules), but only characters that are
    Traditional are changed: run over Simplified text it would turn some into others
    (万一坏了 → 万一坯了). Then the Taiwan-style particle 著 becomes 着 (带著 → 带着; 著名,
    显著 stay) and ASCII punctuation after a hanzi becomes full-width (，。？！：；)."""
    if not _CJK.search(text):
        return text
    if any(_traditional(ch) for ch in text):
        phrase = _t2s().convert(text)
        if len(phrase) != len(text):
            phrase = "".join(_t2s().convert(ch) for ch in text)
        text = "".join(new if _traditional(old) else old
                       for old, new in zip(text, phrase, strict=True))
    text = _ZHE.sub("着", text)
    return _HALF_PUNCT.sub(lambda m: _FULL[m.group(0)], text)


# ESC-introduced sequences (CSI, OSC, …) and every other C0/C1 control but tab and newline.
_CONTROL = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[PX^_][^\x1b]*(?:\x1b\\)?|.?)"
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]",
    re.DOTALL,
)


def printable(text: str) -> str:
    """``text`` without terminal control sequences: a session title, product name or chat
    line is user data, and ``ESC ] 2 ;`` would retitle the terminal (``ESC ] 52`` write the
    clipboard). Tabs and newlines are kept; everything a reader sees is kept."""
    return _CONTROL.sub("", text) if text else text
