"""The livelab practice app: a thin App that holds the shared state and pushes Home
(or, for ``livelab record``, the live room)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import App
from textual.binding import Binding

from livelab.i18n import N_, _
from livelab.tui.messages import OpenSession

if TYPE_CHECKING:
    from livelab.scoring.scorecard import Scorecard


class LivelabApp(App[None]):
    """State shared by the screens: the folder, the rubric, the history, the plugins."""

    CSS_PATH = "app.tcss"
    TITLE = "livelab"
    SUB_TITLE = N_("practice lab")
    BINDINGS = [
        Binding("question_mark", "help", N_("Help"), key_display="?"),
        Binding("ctrl+q", "quit", N_("Quit"), priority=True),
    ]

    def __init__(
        self,
        folder: Path | None = None,
        rubric: str | None = None,
        history: Any | None = None,
        scorecard: Scorecard | None = None,
        plugins_dirs: Iterable[Path] = (),
        record: Any | None = None,
    ) -> None:
        """``record``: a ``livelab.record.recorder.Recorder`` to run in the live room, which is then
        the first screen; its result ends up in ``take_result`` (or ``take_error``)."""
        super().__init__()
        self.folder = (folder or Path.cwd()).resolve()
        self.rubric = rubric
        self.history = history
        self.initial_scorecard = scorecard
        self.plugins_dirs = tuple(plugins_dirs)
        self.recorder = record
        self.take_result: Any | None = None
        self.take_error: str | None = None

    def on_mount(self) -> None:
        from livelab.tui.settings import start_language

        start_language()
        self.sub_title = _(self.SUB_TITLE)
        if self.recorder is not None:
            from livelab.tui.screens.live import LiveRoomScreen

            self.push_screen(LiveRoomScreen(self.recorder))
            return
        from livelab.tui.screens.home import HomeScreen

        self.push_screen(HomeScreen())
        if self.initial_scorecard is not None:
            from livelab.tui.screens.scorecard import ScorecardScreen

            self.push_screen(ScorecardScreen(self.initial_scorecard))

    # --- history: optional, never fatal -------------------------------------------------

    def attempts(self, anchor: str | None = None) -> list[Any]:
        if self.history is None:
            return []
        try:
            return list(self.history.attempts(anchor=anchor))
        except Exception as exc:  # a broken history database must not take the app down
            self.notify(_("Could not read the history: {error}").format(error=exc),
                        severity="warning")  # fmt: skip
            return []

    def record_attempt(self, scorecard: Scorecard) -> None:
        if self.history is None:
            return
        try:
            self.history.record(scorecard, kind="analyze")
        except Exception as exc:  # the scorecard is still shown; only the log entry is lost
            self.notify(_("Could not record this attempt: {error}").format(error=exc),
                        severity="warning")  # fmt: skip

    # --- actions every screen shares ----------------------------------------------------

    @on(OpenSession)
    def _open_session(self, message: OpenSession) -> None:
        from livelab.tui.screens.analyse import AnalyseScreen

        self.push_screen(AnalyseScreen(message.path, self.rubric))

    async def action_quit(self) -> None:
        """Ctrl+Q: while a take is recording, stop it and quit once it is saved."""
        from livelab.tui.screens.live import LiveRoomScreen

        for screen in self.screen_stack:
            if isinstance(screen, LiveRoomScreen) and screen.recording:
                screen.action_quit_room()
                return
        self.exit()

    def action_help(self) -> None:
        from livelab.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_pick_rubric(self) -> None:
        from livelab.tui.dialogs.rubric_picker import RubricPicker

        def picked(name: str | None) -> None:
            if name is not None:
                self.rubric = name
                self.notify(_("Rubric for the next analysis: {name}").format(name=name))
                refresh = getattr(self.screen, "refresh_lists", None)
                if refresh is not None:
                    refresh()

        self.push_screen(RubricPicker(self.rubric), picked)

    def action_switch_language(self) -> None:
        """English ⇄ 简体中文, remembered for the next run (Home's ``L``: nothing is running
        there, so Home is simply drawn again in the other language)."""
        from livelab.tui.screens.home import HomeScreen
        from livelab.tui.settings import switch_language

        try:
            switch_language()
        except OSError as exc:  # the language still changes; only remembering it failed
            self.notify(_("Could not save the setting: {error}").format(error=exc),
                        severity="warning")  # fmt: skip
        self.sub_title = _(self.SUB_TITLE)
        if isinstance(self.screen, HomeScreen):
            self.switch_screen(HomeScreen())
