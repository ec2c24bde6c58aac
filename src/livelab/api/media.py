"""What a frame analyzer is told about the video track it is fed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """The video track as it will be analysed (``width``/``height`` after downscaling)."""

    path: Path
    source_width: int
    source_height: int
    width: int
    height: int
    fps: float
    duration_s: float
    codec: str
    sample_fps: float
