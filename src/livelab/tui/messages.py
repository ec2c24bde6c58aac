"""Every custom Message the livelab TUI posts, in one place."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from livelab.scoring.scorecard import Scorecard


class StageProgress(Message):
    """The analysis worker reached ``fraction`` (None = unknown) of ``stage``."""

    def __init__(self, stage: str, fraction: float | None, text: str) -> None:
        super().__init__()
        self.stage = stage
        self.fraction = fraction
        self.text = text


class AnalysisFinished(Message):
    """The worker produced a scorecard (``cancelled``: the student stopped waiting for it)."""

    def __init__(self, scorecard: Scorecard, cancelled: bool) -> None:
        super().__init__()
        self.scorecard = scorecard
        self.cancelled = cancelled


class AnalysisFailed(Message):
    """The worker stopped with a user error (bad session, rubric) or a crash."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class OpenSession(Message):
    """Analyse the session at ``path`` (with the app's current rubric) and show its scorecard."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path


class JumpToTime(Message):
    """Show the transcript at ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds


class LiveRoomUpdated(Message):
    """The recorder sent live-room updates; the screen collects them from its buffer.

    It carries nothing: updates pile up in a locked buffer on the recording thread and one
    of these is in flight at a time, so a burst of updates costs the UI one refresh."""


class TakeFinished(Message):
    """``Recorder.run()`` returned: the take is saved (``result.status`` says how it ended)."""

    def __init__(self, result: Any) -> None:
        super().__init__()
        self.result = result


class TakeFailed(Message):
    """``Recorder.run()`` raised: ``error`` is the message to show (names the file and problem)."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error
