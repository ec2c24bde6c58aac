"""Errors a user can fix: each names the file and what is wrong, and prints as one line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from livelab.api.messages import Message


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one input: ``file: key: message``. The message may be a
    :class:`Message` (a plugin's ``M(kind, template, **params)``), which the views say in
    the reader's language; ``str(problem)`` is English."""

    file: Path | str
    message: str | Message
    key: str | Message = ""

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else f"{self.file}"
        return f"{where}: {self.message}"


class LivelabError(Exception):
    """A problem with the user's input or usage (exit code 2), not a bug. At most
    :attr:`MAX_PROBLEMS` are kept, then one saying how many more there were: a file with
    10 000 broken cards gets a readable error, not 2.7 MB of one."""

    MAX_PROBLEMS = 20

    def __init__(self, problems: Sequence[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("livelab", problems)]
        problems = list(problems)
        if len(problems) > self.MAX_PROBLEMS + 1:  # (+1: an error made from a capped one)
            more = len(problems) - self.MAX_PROBLEMS
            rest = {str(p.file) for p in problems[self.MAX_PROBLEMS :]}
            problems = problems[: self.MAX_PROBLEMS] + [
                Problem(
                    rest.pop() if len(rest) == 1 else "livelab",
                    f"… and {more} more problem{'s' if more > 1 else ''} (fix these first)",
                )
            ]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in self.problems))


class SessionError(LivelabError):
    """A session folder or manifest is invalid."""


class MediaError(LivelabError):
    """A recording cannot be read."""


class RubricError(LivelabError):
    """A rubric file is invalid."""


class PluginError(LivelabError):
    """A plugin could not be loaded or misbehaved."""
