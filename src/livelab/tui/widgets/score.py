"""Score bars and the session summary line shown above a scorecard."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual.widgets import Static

from livelab.inputs.session import language_line
from livelab.tui.data import score_text

OUTCOME_STYLE = {
    "pass": "green",
    "partial": "yellow",
    "fail": "red",
    "unscored": "dim",
}


def score_bar(criterion: Mapping[str, Any], width: int = 10) -> Text:
    """``█████░░░░░`` coloured by outcome; unscored criteria show a dim ``unscored``."""
    if criterion.get("status") != "scored" or criterion.get("fraction") is None:
        return Text("unscored".ljust(width), style="dim italic")
    full = int(round(float(criterion["fraction"]) * width))
    style = OUTCOME_STYLE.get(str(criterion.get("outcome")), "")
    return Text.assemble(("█" * full, style), ("░" * (width - full), "dim"))


class SessionSummary(Static):
    """Title, anchor, rubric and total of one scorecard, two lines."""

    DEFAULT_CSS = """
    SessionSummary {
        height: auto;
        padding: 0 1;
        background: $boost;
    }
    """

    def __init__(self, scorecard: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(self.render_summary(scorecard), **kwargs)

    @staticmethod
    def render_summary(scorecard: Mapping[str, Any]) -> Text:
        session = scorecard["session"]
        rubric = scorecard.get("rubric") or {}
        text = Text()
        text.append(str(session.get("title") or "untitled"), style="bold")
        who = " · ".join(str(session[k]) for k in ("anchor", "team") if session.get(k))
        if who:
            text.append(f"  {who}", style="dim")
        text.append("\n")
        text.append(
            score_text(scorecard.get("total"), scorecard.get("max_total")), style="bold cyan"
        )
        text.append(" points")
        fraction = scorecard.get("scorable_fraction")
        if fraction is not None and fraction < 1:
            text.append(f" ({fraction:.0%} of the rubric measured)", style="yellow")
        if rubric:
            text.append(f"  · {rubric.get('title') or rubric.get('id')}", style="dim")
        if said := language_line(session):
            text.append(f"\n{said[0]}", style="bold yellow" if said[1] else "dim")
        return text

    def show(self, scorecard: Mapping[str, Any]) -> None:
        self.update(self.render_summary(scorecard))
