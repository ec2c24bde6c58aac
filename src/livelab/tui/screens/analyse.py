"""Analyse one session with live progress per stage, in a worker thread; Escape cancels."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Header, Static
from textual.worker import get_current_worker

from livelab.i18n import N_, _, error_text
from livelab.tui.messages import AnalysisFailed, AnalysisFinished, StageProgress
from livelab.tui.widgets.footer import LivelabFooter
from livelab.tui.widgets.stage import StageRow

if TYPE_CHECKING:
    from livelab.tui.app import LivelabApp

STAGES = ("audio", "transcribe", "video", "analyzers")
#: The pipeline announces when a stage starts but not always when it ends: a stage is
#: over once a stage that needs its output starts.
DONE_WHEN_STARTED = {"transcribe": ("audio",), "analyzers": ("audio", "transcribe", "video")}


class AnalyseScreen(Screen[None]):
    """Runs ``livelab.engine.runner.score_session`` off the UI thread, then shows the scorecard."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    app: LivelabApp

    def __init__(self, session: Path, rubric: str | None) -> None:
        super().__init__()
        self.session = session
        self.rubric = rubric
        self.cancelled = False
        self.failed = False

    def compose(self) -> ComposeResult:
        yield Header()
        rubric = self.rubric or _("the default rubric")
        yield Static(
            _("Analysing {session} with {rubric}…").format(
                session=f"[b]{escape(self.session.name)}[/b]", rubric=escape(rubric)),
            classes="section",
        )  # fmt: skip
        for stage in STAGES:
            yield StageRow(stage, id=f"stage-{stage}")
        yield Static(
            _("The first analysis of a recording takes a while (speech recognition); "
              "later ones reuse the cache."),
            id="analyse-status",
            classes="hint",
        )
        yield LivelabFooter()

    def on_mount(self) -> None:
        self.run_analysis()

    @work(thread=True, exclusive=True, group="analysis")
    def run_analysis(self) -> None:
        from livelab.api.errors import LivelabError
        from livelab.engine.runner import Job, score_session

        worker = get_current_worker()

        def progress(stage: str, fraction: float | None, text: str) -> None:
            if not worker.is_cancelled:
                self.post_message(StageProgress(stage, fraction, text))

        try:
            scorecard = score_session(
                Job(self.session, self.rubric), progress, self.app.plugins_dirs
            )
        except LivelabError as exc:
            self.post_message(AnalysisFailed(error_text(exc)))
            return
        except Exception as exc:  # shown on screen; a crash must not leave a frozen screen
            self.post_message(AnalysisFailed(f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(AnalysisFinished(scorecard, worker.is_cancelled or self.cancelled))

    @on(StageProgress)
    def _progress(self, message: StageProgress) -> None:
        for earlier in DONE_WHEN_STARTED.get(message.stage, ()):
            row = self.query_one(f"#stage-{earlier}", StageRow)
            if not row.has_class("-done"):
                row.finish(_("done") if row.started else _("not needed (or cached)"))
        rows = self.query(f"#stage-{message.stage}")
        if rows:
            rows.first(StageRow).advance(message.fraction, message.text)

    @on(AnalysisFinished)
    def _finished(self, message: AnalysisFinished) -> None:
        if message.cancelled or self.cancelled:
            return  # the student already left; the result is ignored, as promised
        self.app.record_attempt(message.scorecard)
        from livelab.tui.screens.scorecard import ScorecardScreen

        self.app.switch_screen(ScorecardScreen(message.scorecard))

    @on(AnalysisFailed)
    def _failed(self, message: AnalysisFailed) -> None:
        self.failed = True
        status = self.query_one("#analyse-status", Static)
        failed = _("Could not analyse:")
        status.update(
            f"[b red]{failed}[/] {escape(message.error)}\n\n" + _("Escape to go back.")
        )
        status.add_class("error")

    def action_cancel(self) -> None:
        if not self.failed:
            self.cancelled = True
            self.workers.cancel_group(self, "analysis")
            # A worker thread cannot be stopped mid-transcription: it finishes in the
            # background and its result is dropped.
            self.notify(
                _("Analysis cancelled. Speech recognition may finish in the background; "
                  "its result will be ignored."),
                title=_("Cancelled"),
            )
        self.app.pop_screen()
