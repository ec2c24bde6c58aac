"""The transcript, time-stamped, with fillers, selling points, CTAs and compliance marked."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from livelab.tui.data import transcript_lines
from livelab.tui.widgets.transcript import TranscriptView, legend


class TranscriptScreen(Screen[None]):
    """Opened at ``seconds`` (from a finding) or at the start."""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, scorecard: dict[str, Any], seconds: float | None = None) -> None:
        super().__init__()
        self.scorecard = scorecard
        self.seconds = seconds

    def compose(self) -> ComposeResult:
        transcript = self.scorecard.get("transcript") or {}
        yield Header()
        yield Static(legend(), id="legend")
        yield TranscriptView(transcript_lines(self.scorecard), id="transcript")
        model = transcript.get("model")
        yield Static(
            f"Recognised by {model}; fillers are a lower bound (recognisers drop many)."
            if model
            else "Fillers are a lower bound (recognisers drop many).",
            classes="hint",
        )
        yield Footer()

    def on_mount(self) -> None:
        view = self.query_one(TranscriptView)
        view.focus()
        if self.seconds is not None:
            # after layout, so the jumped-to line can scroll to the top
            self.call_after_refresh(view.jump_to, self.seconds)
