"""The scorecard: criteria with score bars, values and feedback, what to fix first, evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from livelab.builtin.reporters import format_value
from livelab.i18n import N_, _, error_text, pick_title, say
from livelab.tui.data import points_text
from livelab.tui.messages import JumpToTime
from livelab.tui.widgets.evidence import EvidenceList
from livelab.tui.widgets.footer import LivelabFooter
from livelab.tui.widgets.score import SessionSummary, score_bar

if TYPE_CHECKING:
    from livelab.scoring.scorecard import Scorecard
    from livelab.tui.app import LivelabApp


def fix_first_text(scorecard: Scorecard) -> Text:
    items = scorecard.fix_first_criteria()
    text = Text(_("Fix these first:") + " ", style="bold")
    if not items:
        return text.append(_("nothing — every measured criterion got full marks."), style="green")
    for i, c in enumerate(items):
        if i:
            text.append(" · ")
        text.append(f"{i + 1}. {pick_title(c.title)}")
        text.append(f" (−{c.points_lost:.1f})", style="red")
    return text


class ScorecardScreen(Screen[None]):
    """Move through the criteria; their evidence shows below. Enter on a finding jumps
    to that moment in the transcript."""

    BINDINGS = [
        Binding("t", "transcript", N_("Transcript")),
        Binding("l", "timelines", N_("Timelines")),
        Binding("p", "progress", N_("Progress")),
        Binding("r", "pick_rubric", N_("Rubric")),
        Binding("escape", "back", N_("Back")),
    ]

    app: LivelabApp

    def __init__(self, scorecard: Scorecard) -> None:
        super().__init__()
        self.scorecard = scorecard

    def compose(self) -> ComposeResult:
        yield Header()
        yield SessionSummary(self.scorecard)
        yield Static(fix_first_text(self.scorecard), id="fix-first")
        with Vertical(id="scorecard-body"):
            yield DataTable(id="criteria", cursor_type="row")
            yield EvidenceList(id="evidence")
        yield LivelabFooter()

    def on_mount(self) -> None:
        self._fill()
        self.query_one("#criteria", DataTable).focus()

    def on_resize(self) -> None:
        self._fill()

    def _widths(self) -> tuple[int, int, int]:
        """The title, points and measured columns' widths: the score, points and measured
        values are shown whole, and a long (bilingual) title is cut to what is left."""
        criteria = self.scorecard.criteria
        points = max([cell_len(_("Points")), *(cell_len(points_text(c)) for c in criteria)])
        shown = [format_value(c.value, c.unit) for c in criteria]
        values = max([cell_len(_("Measured")), *map(cell_len, shown)])
        # one cell of padding either side of each of the 4 columns; 2 for the scroll bar
        title = self.app.size.width - (10 + points + values) - 4 * 2 - 2
        return max(12, title), points, values

    def _fill(self) -> None:
        table = self.query_one("#criteria", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        width, points, values = self._widths()
        table.add_column(_("Criterion"), key="title", width=width)
        table.add_column(_("Score"), key="bar", width=10)
        table.add_column(_("Points"), key="points", width=points)
        table.add_column(_("Measured"), key="value", width=values)
        first = set(self.scorecard.fix_first)
        for c in self.scorecard.criteria:
            mark = " ★" if c.id in first else ""
            title = Text(pick_title(c.title))
            title.truncate(width - cell_len(mark), overflow="ellipsis")
            if mark:
                title.append(mark, style="bold red")
            table.add_row(
                title,
                score_bar(c),
                Text(points_text(c), justify="right"),
                format_value(c.value, c.unit),
                key=c.id,
            )
        if not self.scorecard.criteria:
            self.query_one(EvidenceList).show(_("This scorecard has no rubric criteria."), [])
        elif row:
            table.move_cursor(row=min(row, table.row_count - 1))

    @on(DataTable.RowHighlighted, "#criteria")
    def _show_evidence(self, event: DataTable.RowHighlighted) -> None:
        criterion = self.scorecard.criterion(str(event.row_key.value))
        if criterion is None:
            return
        feedback = criterion.feedback
        if not criterion.scored and criterion.reason:
            feedback = _("Unscored: {reason}. {feedback}").format(
                reason=say(criterion.reason), feedback=feedback).strip()  # fmt: skip
        if criterion.adjusted and criterion.review:
            machine = (criterion.review.get("machine") or {}).get("points")
            was = _("unscored") if machine is None else f"{machine:.1f}/{criterion.weight:g}"
            feedback = _("adjusted by the instructor (machine: {was})").format(was=was) + (
                f"\n{feedback}" if feedback else "")
        if criterion.review_comment:
            feedback += "\n" + _("Instructor: {comment}").format(comment=criterion.review_comment)
        evidence = self.query_one(EvidenceList)
        heading = _("Evidence")
        evidence.border_title = f"{heading} · {pick_title(criterion.title)}"
        evidence.show(feedback, self.scorecard.evidence_for(criterion.metric))

    @on(DataTable.RowSelected, "#criteria")
    def _enter_evidence(self) -> None:
        evidence = self.query_one(EvidenceList)
        evidence.focus()
        if evidence.option_count > 1:
            evidence.highlighted = 1

    @on(JumpToTime)
    def _jump(self, message: JumpToTime) -> None:
        self.action_transcript(message.seconds)

    def action_transcript(self, seconds: float | None = None) -> None:
        if self.scorecard.transcript is None:
            self.notify(_("No transcript: this session was analysed without speech recognition."))
            return
        from livelab.tui.screens.transcript import TranscriptScreen

        self.app.push_screen(TranscriptScreen(self.scorecard, seconds))

    def action_timelines(self) -> None:
        from livelab.tui.screens.timelines import TimelinesScreen

        self.app.push_screen(TimelinesScreen(self.scorecard))

    def action_progress(self) -> None:
        from livelab.tui.screens.progress import ProgressScreen

        anchor = self.scorecard.session.anchor
        self.app.push_screen(ProgressScreen(anchor))

    def action_pick_rubric(self) -> None:
        def picked(rubric: str | None) -> None:
            if rubric is not None:
                self.rescore(rubric)

        from livelab.tui.dialogs.rubric_picker import RubricPicker

        current = self.scorecard.rubric.id if self.scorecard.rubric else None
        self.app.push_screen(RubricPicker(current), picked)

    def rescore(self, rubric_ref: str) -> None:
        """Score the same measurements against another rubric: instant, no re-analysis."""
        from livelab.api.errors import LivelabError
        from livelab.scoring.rubric import find_rubric, load_rubric
        from livelab.tui.data import rescore

        language = self.scorecard.session.language or "en"
        try:
            rubric = load_rubric(find_rubric(rubric_ref, language))
        except LivelabError as exc:
            self.notify(error_text(exc), title=_("Rubric not loaded"), severity="error")
            return
        self.scorecard = rescore(self.scorecard, rubric)
        self.app.rubric = rubric_ref
        self.query_one(SessionSummary).show(self.scorecard)
        self.query_one("#fix-first", Static).update(fix_first_text(self.scorecard))
        self._fill()
        self.notify(_("Re-scored with {rubric}.").format(rubric=pick_title(rubric.title)))

    def action_back(self) -> None:
        evidence = self.query_one(EvidenceList)
        if evidence.has_focus:  # out of the evidence first, then off the screen
            self.query_one("#criteria", DataTable).focus()
            return
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
