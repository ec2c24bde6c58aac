"""Score bars and the session summary line shown above a scorecard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from livelab.i18n import _, pick_title
from livelab.inputs.session import language_line, session_warnings
from livelab.reports.text import percent_text
from livelab.tui.data import score_text

if TYPE_CHECKING:
    from livelab.scoring.scorecard import CriterionResult, Scorecard

OUTCOME_STYLE = {
    "pass": "green",
    "partial": "yellow",
    "fail": "red",
    "unscored": "dim",
}


def score_bar(criterion: CriterionResult, width: int = 10) -> Text:
    """``█████░░░░░`` coloured by outcome; unscored criteria show a dim ``unscored``."""
    if not criterion.scored or criterion.fraction is None:
        label = _("unscored")
        return Text(label + " " * max(0, width - cell_len(label)), style="dim italic")
    full = int(round(criterion.fraction * width))
    style = OUTCOME_STYLE.get(criterion.outcome, "")
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

    def __init__(self, scorecard: Scorecard, **kwargs: Any) -> None:
        super().__init__(self.render_summary(scorecard), **kwargs)

    @staticmethod
    def render_summary(scorecard: Scorecard) -> Text:
        session = scorecard.session
        rubric = scorecard.rubric
        text = Text()
        text.append(session.title or _("untitled"), style="bold")
        who = " · ".join(x for x in (session.anchor, session.team) if x)
        if who:
            text.append(f"  {who}", style="dim")
        text.append("\n")
        text.append(score_text(scorecard.total, scorecard.max_total), style="bold cyan")
        text.append(" " + _("points"))
        if worth := percent_text(scorecard):
            text.append(f" · {worth}", style="yellow" if scorecard.scorable_fraction < 1 else "")
        if rubric:
            text.append(f"  · {pick_title(rubric.title) or rubric.id}", style="dim")
        for warning in session_warnings(session.to_dict()):  # a partial or interrupted take
            text.append(f"\n{warning}", style="bold yellow")
        if said := language_line(session.to_dict()):
            text.append(f"\n{said[0]}", style="bold yellow" if said[1] else "dim")
        return text

    def show(self, scorecard: Scorecard) -> None:
        self.update(self.render_summary(scorecard))
