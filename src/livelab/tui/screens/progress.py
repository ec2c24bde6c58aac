"""Progress: one anchor's attempts from history — the total and each criterion over time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, Static

from livelab.i18n import N_, _, pick_title
from livelab.reports.history import trend_rubric
from livelab.reports.text import sparkline
from livelab.tui.data import score_text, when_text
from livelab.tui.widgets.footer import LivelabFooter

if TYPE_CHECKING:
    from livelab.tui.app import LivelabApp


def _change(first: float | None, last: float | None) -> Text:
    if first is None or last is None:
        return Text("—", style="dim")
    delta = last - first
    style = "green" if delta > 1e-9 else "red" if delta < -1e-9 else "dim"
    return Text(f"{delta:+.1f}", style=style, justify="right")


class ProgressScreen(Screen[None]):
    """Oldest attempt on the left of every trend, newest on the right."""

    BINDINGS = [Binding("escape", "app.pop_screen", N_("Back"))]

    app: LivelabApp

    def __init__(self, anchor: str) -> None:
        super().__init__()
        # not ``anchor``: that name is Widget.anchor(), which Textual calls
        self.anchor_name = anchor

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="progress-summary", classes="section")
        yield DataTable(id="trend", cursor_type="row", zebra_stripes=True)
        yield Label(_("Attempts"), id="attempts-title", classes="section")
        yield DataTable(id="attempts", cursor_type="row", zebra_stripes=True)
        yield LivelabFooter()

    def on_mount(self) -> None:
        mine = self.app.attempts(anchor=self.anchor_name)
        # One rubric's attempts: totals under different rubrics do not compare.
        under = trend_rubric(mine, self.app.rubric)
        others = sorted({a.rubric_id for a in mine} - {under})
        attempts = [a for a in reversed(mine) if a.rubric_id == under]  # oldest first
        summary = self.query_one("#progress-summary", Static)
        trend = self.query_one("#trend", DataTable)
        table = self.query_one("#attempts", DataTable)
        if not attempts:
            who = self.anchor_name or _("this anchor")
            summary.update(
                _("No attempts by {anchor} in the history yet.").format(anchor=who)
                if self.app.history is not None
                else _("no history yet (history is not available in this install)")
            )
            trend.display = table.display = False
            return
        totals = [
            a.percent if a.percent is not None else (a.total / a.max_total * 100 if a.max_total
                                                      else None)
            for a in attempts
        ]  # fmt: skip
        summary.update(
            Text.assemble(
                (self.anchor_name or _("(no anchor)"), "bold"),
                " · ",
                (_("{count} attempt") if len(attempts) == 1 else _("{count} attempts")).format(
                    count=len(attempts)
                ),
                " · ",
                _("total"),
                " ",
                (sparkline(totals, relative=True, gap=" "), "cyan"),
                f"  {score_text(attempts[0].total, attempts[0].max_total)} → ",
                (score_text(attempts[-1].total, attempts[-1].max_total), "bold"),
            )
        )
        trend.add_columns(_("Criterion"), _("Trend"), _("First"), _("Last"), _("Change"))
        trend.add_row(
            Text(_("Total (%)"), style="bold"),
            Text(sparkline(totals, relative=True, gap=" "), style="cyan"),
            f"{totals[0]:.0f}" if totals[0] is not None else "—",
            f"{totals[-1]:.0f}" if totals[-1] is not None else "—",
            _change(totals[0], totals[-1]),
        )
        for cid in _criterion_ids(attempts):
            points = [a.criteria.get(cid) for a in attempts]
            seen = [p for p in points if p is not None]
            trend.add_row(
                pick_title(attempts[-1].title_of(cid)),
                Text(sparkline(points, relative=True, gap=" "), style="cyan"),
                f"{seen[0]:.1f}" if seen else "—",
                f"{seen[-1]:.1f}" if seen else "—",
                _change(seen[0] if seen else None, seen[-1] if seen else None),
            )
        table.add_columns(_("Recorded"), _("Session"), _("Score"), _("Last scored"))
        for a in reversed(attempts):  # newest on top, as people read a log
            table.add_row(
                when_text(a.recorded_at),
                a.title,
                score_text(a.total, a.max_total),
                when_text(a.scored_at) if a.scored_at else "—",
            )
        also = ""
        if others:
            also = _(" (also scored with {rubrics})").format(rubrics=", ".join(others))
        heading = _("Attempts")
        self.query_one("#attempts-title", Label).update(f"{heading} · {under}{also}")


def _criterion_ids(attempts: list[Any]) -> list[str]:
    """Every criterion id across attempts, in first-seen order."""
    ids: dict[str, None] = {}
    for a in attempts:
        ids.update(dict.fromkeys(a.criteria))
    return list(ids)
