"""The session an analyzer is given: what the manifest says and where its files are.

Loading and validating a session folder is the core's job (:mod:`livelab.inputs.session`);
this is only the validated result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Session:
    """A validated session. ``files`` maps manifest keys to paths confined to ``root``."""

    root: Path
    title: str
    language: str = "en"
    anchor: str = ""
    team: str = ""
    #: The student's ID (学号) and class (班级) as the school writes them; ``""`` when unset.
    student_id: str = ""
    class_name: str = ""
    roles: dict[str, str] = field(default_factory=dict)
    recorded_at: str = ""
    files: dict[str, Path] = field(default_factory=dict)
    manifest: Path | None = None
    #: The ``[take]`` table a recorded session carries (status, reason, seed, …), else empty.
    take: dict[str, Any] = field(default_factory=dict)
    #: ``stated`` (session.toml names it), ``default`` (not yet settled: the core detects
    #: it before analysing) or ``detected``.
    language_source: str = "default"
    #: The sheet of an Excel ops export to read (``ops_sheet``); ``""``: the first.
    ops_sheet: str = ""
    #: What language detection heard: language, probability, top, warning (else empty).
    detection: dict[str, Any] = field(default_factory=dict)

    @property
    def media(self) -> Path:
        """The file audio comes from: the separate ``audio`` track, else the recording."""
        return self.files.get("audio") or self.files["recording"]

    @property
    def cache_dir(self) -> Path:
        if self.manifest is not None:
            return self.root / ".livelab"
        return self.root / ".livelab" / self.files["recording"].name

    def metadata(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "anchor": self.anchor,
            "team": self.team,
            **({"student_id": self.student_id} if self.student_id else {}),
            **({"class": self.class_name} if self.class_name else {}),
            "roles": dict(self.roles),
            "language": self.language,
            "language_source": self.language_source,
            **({"language_detection": dict(self.detection)} if self.detection else {}),
            "recorded_at": self.recorded_at,
            "path": str((self.manifest or self.files["recording"]).resolve()),
            "files": {k: p.name for k, p in self.files.items()},
            **({"take": dict(self.take)} if self.take else {}),
        }
