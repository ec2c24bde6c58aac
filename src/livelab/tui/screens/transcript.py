"""The transcript, time-stamped, with the spans the analyzers declared marked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Static

from livelab.i18n import N_, _
from livelab.tui.data import highlight_kinds, transcript_lines
from livelab.tui.widgets.footer import LivelabFooter
from livelab.tui.widgets.transcript import TranscriptView, highlight_styles, legend

if TYPE_CHECKING:
    from livelab.scoring.scorecard import Scorecard


class TranscriptScreen(Screen[None]):
    """Opened at ``seconds`` (from a finding) or at the start."""

    BINDINGS = [Binding("escape", "app.pop_screen", N_("Back"))]

    def __init__(self, scorecard: Scorecard, seconds: float | None = None) -> None:
        super().__init__()
        self.scorecard = scorecard
        self.seconds = seconds

    def compose(self) -> ComposeResult:
        transcript = self.scorecard.transcript
        styles = highlight_styles([k for k, _ in highlight_kinds(self.scorecard)])
        yield Header()
        yield Static(legend(self.scorecard), id="legend")
        yield TranscriptView(transcript_lines(self.scorecard), styles, id="transcript")
        model = transcript.model if transcript else ""
        yield Static(
            _("Recognised by {model}; fillers are a lower bound (recognisers drop many).").format(
                model=model)
            if model
            else _("Fillers are a lower bound (recognisers drop many)."),
            classes="hint",
        )
        yield LivelabFooter()

    def on_mount(self) -> None:
        view = self.query_one(TranscriptView)
        view.focus()
        if self.seconds is not None:
            # after layout, so the jumped-to line can scroll to the top
            self.call_after_refresh(view.jump_to, self.seconds)
