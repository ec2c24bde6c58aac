"""Errors a user can fix: each names the file and what is wrong, and prints as one line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one input: ``file: key: message``."""

    file: Path | str
    message: str
    key: str = ""

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else f"{self.file}"
        return f"{where}: {self.message}"


class LivelabError(Exception):
    """A problem with the user's input or usage (exit code 2), not a bug."""

    def __init__(self, problems: Sequence[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("livelab", problems)]
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SessionError(LivelabError):
    """A session folder or manifest is invalid."""


class MediaError(LivelabError):
    """A recording cannot be read."""


class RubricError(LivelabError):
    """A rubric file is invalid."""


class PluginError(LivelabError):
    """A plugin could not be loaded or misbehaved."""
