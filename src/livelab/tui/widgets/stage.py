"""One analysis stage (audio, transcribe, video, analyzers) with its progress bar."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

from livelab.i18n import N_, _

#: The analysis stages as the screen names them.
STAGE_NAMES = {
    "audio": N_("audio"),
    "transcribe": N_("transcribe"),
    "video": N_("video"),
    "analyzers": N_("analyzers"),
}


class StageRow(Horizontal):
    """``transcribe  [██████░░░░]  transcribing 00:42 of 01:30``."""

    DEFAULT_CSS = """
    StageRow {
        height: 1;
        margin: 0 1;
    }
    StageRow > .stage-name {
        width: 12;
    }
    StageRow > ProgressBar {
        width: auto;
    }
    StageRow Bar {
        width: 20;
    }
    StageRow > .stage-text {
        width: 1fr;
        margin-left: 1;
        color: $text-muted;
    }
    StageRow.-done > .stage-name {
        color: $success;
    }
    """

    def __init__(self, stage: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stage = stage
        self.started = False

    def compose(self) -> ComposeResult:
        yield Label(_(STAGE_NAMES.get(self.stage, self.stage)), classes="stage-name")
        yield ProgressBar(total=1.0, show_eta=False, show_percentage=True)
        yield Label(_("waiting"), classes="stage-text")

    def finish(self, text: str) -> None:
        """Done (or, never started: not needed for this session)."""
        self.query_one(ProgressBar).update(total=1.0, progress=1.0)
        self.add_class("-done")
        self.query_one(".stage-text", Label).update(text)

    def advance(self, fraction: float | None, text: str) -> None:
        self.started = True
        bar = self.query_one(ProgressBar)
        if fraction is None:
            bar.update(total=None)  # unknown length: the bar pulses
        else:
            bar.update(total=1.0, progress=fraction)
            self.set_class(fraction >= 1.0, "-done")
        self.query_one(".stage-text", Label).update(text)
