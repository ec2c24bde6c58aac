"""Home: the sessions in a folder and the recent ones from history, each with its last score."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label, Static

from livelab.i18n import N_, _
from livelab.tui.data import (
    find_sessions,
    latest_by_session,
    score_text,
    session_key,
    when_text,
)
from livelab.tui.messages import OpenSession
from livelab.tui.widgets.footer import LivelabFooter

if TYPE_CHECKING:
    from livelab.tui.app import LivelabApp


class HomeScreen(Screen[None]):
    """Pick a session to analyse: Enter on a row, or ``o`` to type a path."""

    BINDINGS = [
        Binding("o", "open_path", N_("Open path")),
        Binding("r", "pick_rubric", N_("Rubric")),
        Binding("p", "progress", N_("Progress")),
        Binding("L", "app.switch_language", N_("中文/English"), key_display="L"),
        Binding("f5", "refresh", N_("Refresh"), show=False),
    ]

    app: LivelabApp

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="rubric-line")
        yield Label(id="sessions-title", classes="section")
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Label(_("Recent attempts"), classes="section")
        yield DataTable(id="recent", cursor_type="row", zebra_stripes=True)
        yield Static(id="no-history", classes="hint")
        yield LivelabFooter()

    def on_mount(self) -> None:
        sessions = self.query_one("#sessions", DataTable)
        sessions.add_columns(_("Session"), _("Title"), _("Last score"))
        recent = self.query_one("#recent", DataTable)
        recent.add_columns(_("When"), _("Title"), _("Anchor"), _("Score"))
        self.refresh_lists()

    def on_screen_resume(self) -> None:
        self.refresh_lists()  # a new attempt may have been recorded meanwhile

    def action_refresh(self) -> None:
        self.refresh_lists()

    def refresh_lists(self) -> None:
        app = self.app
        rubric = app.rubric or _("the session language's default")
        self.query_one("#rubric-line", Static).update(
            _("Rubric: {rubric}   (r to change)").format(rubric=rubric)
        )
        attempts = app.attempts()
        latest = latest_by_session(attempts, app.rubric)
        entries = find_sessions(app.folder)
        self.query_one("#sessions-title", Label).update(
            _("Sessions in {folder}/ ({count})").format(
                folder=app.folder.name or app.folder, count=len(entries))  # fmt: skip
        )
        table = self.query_one("#sessions", DataTable)
        table.clear()
        for entry in entries:
            last = latest.get(session_key(entry.path))
            score = score_text(last.total, last.max_total) if last else "—"
            name = "." if entry.path == app.folder else entry.path.name
            table.add_row(name, entry.title, score, key=str(entry.path))
        if not entries:
            table.add_row(
                _("(none)"), _("no session folders or recordings here — o to open a path"), "",
                key="",
            )
        recent = self.query_one("#recent", DataTable)
        recent.clear()
        seen: set[str] = set()
        for attempt in attempts:  # one row per recording, scored as the sessions list shows
            key = session_key(attempt.session_path)
            if key in seen:
                continue
            seen.add(key)
            attempt = latest.get(key, attempt)
            when = when_text(attempt.recorded_at)
            recent.add_row(
                when,
                attempt.title,
                attempt.anchor,
                score_text(attempt.total, attempt.max_total),
                key=f"{len(seen)}:{attempt.session_path}",
            )
            if len(seen) >= 20:
                break
        hint = self.query_one("#no-history", Static)
        if app.history is None:
            hint.update(_("no history yet (history is not available in this install)"))
        elif not attempts:
            hint.update(_("no history yet: analyse a session and it appears here"))
        else:
            hint.update("")
        recent.display = bool(attempts)
        hint.display = not attempts

    @on(DataTable.RowSelected, "#sessions")
    def _open_listed(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.post_message(OpenSession(Path(event.row_key.value)))

    @on(DataTable.RowSelected, "#recent")
    def _open_recent(self, event: DataTable.RowSelected) -> None:
        path = Path(str(event.row_key.value).split(":", 1)[1])
        if path.name == "session.toml":
            path = path.parent
        if not path.exists():
            self.notify(_("{path} no longer exists").format(path=path), severity="error")
            return
        self.post_message(OpenSession(path))

    def action_open_path(self) -> None:
        from livelab.tui.dialogs.open_session import OpenSessionDialog

        def opened(path: Path | None) -> None:
            if path is not None:
                self.post_message(OpenSession(path))

        self.app.push_screen(OpenSessionDialog(self.app.folder), opened)

    def action_pick_rubric(self) -> None:
        self.app.action_pick_rubric()

    def action_progress(self) -> None:
        """Progress for the anchor of the highlighted recent attempt (or the only anchor)."""
        anchor = self._selected_anchor()
        if anchor is None:
            self.notify(_("No attempts in the history yet: analyse a session first."))
            return
        from livelab.tui.screens.progress import ProgressScreen

        self.app.push_screen(ProgressScreen(anchor))

    def _selected_anchor(self) -> str | None:
        """The anchor of the highlighted row: a recent attempt's, or the highlighted
        session's (from its attempts, else its session.toml); else the latest attempt's."""
        attempts: list[Any] = self.app.attempts()
        recent = self.query_one("#recent", DataTable)
        if recent.has_focus and recent.row_count:
            return str(recent.get_row_at(recent.cursor_row)[2])
        sessions = self.query_one("#sessions", DataTable)
        if sessions.row_count:
            path = sessions.coordinate_to_cell_key(Coordinate(sessions.cursor_row, 0)).row_key.value
            if path:
                known = latest_by_session(attempts, self.app.rubric).get(session_key(Path(path)))
                if known is not None:
                    return str(known.anchor)
                try:
                    from livelab.inputs.session import load_session

                    return load_session(Path(path), probe_media=False).anchor
                except Exception:  # an unreadable session has no anchor to show
                    return None
        return str(attempts[0].anchor) if attempts else None
