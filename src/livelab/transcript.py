"""A timed transcript: segments of words with start/end times, as every plugin reads it."""

from __future__ import annotations

import json
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
            from livelab.analysis import clock

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
        )
