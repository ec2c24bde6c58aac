"""Open a session by path: returns the path, or None when the student backs out."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


def check_session_path(text: str, base: Path) -> tuple[Path | None, str]:
    """The session at ``text`` (relative to ``base``) or why it cannot be one."""
    from livelab.inputs.session import MEDIA_SUFFIXES

    if not text.strip():
        return None, "Type the path of a session folder or a recording."
    path = Path(text.strip()).expanduser()
    if not path.is_absolute():
        path = base / path
    if path.is_dir():
        if (path / "session.toml").is_file() or any(
            p.suffix.lower() in MEDIA_SUFFIXES for p in path.iterdir()
        ):
            return path, ""
        return None, f"{path} has no session.toml and no recording."
    if path.is_file():
        if path.name == "session.toml":
            return path.parent, ""
        if path.suffix.lower() in MEDIA_SUFFIXES:
            return path, ""
        return None, f"{path.name} is not a recording ({', '.join(sorted(MEDIA_SUFFIXES))})."
    return None, f"{path} does not exist."


class OpenSessionDialog(ModalScreen[Path | None]):
    """A path field; Enter checks it and closes with the session path, Escape with None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, base: Path) -> None:
        super().__init__()
        self.base = base

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label("Open a session", classes="dialog-title")
            yield Static("A session folder (with session.toml) or a recording:", classes="hint")
            yield Input(placeholder="path/to/session", id="path")
            yield Static("", id="path-error", classes="error")
            yield Static("Enter open · Escape cancel", classes="hint")

    def on_mount(self) -> None:
        path_input = self.query_one(Input)
        if self.app.is_headless:
            path_input.cursor_blink = False  # snapshots must not depend on blink timing
        path_input.focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        path, problem = check_session_path(event.value, self.base)
        if path is None:
            self.query_one("#path-error", Static).update(problem)
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
