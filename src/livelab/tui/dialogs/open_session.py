"""Open a session by path: returns the path, or None when the student backs out."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from livelab.i18n import N_, _


def check_session_path(text: str, base: Path) -> tuple[Path | None, str]:
    """The session at ``text`` (relative to ``base``) or why it cannot be one."""
    from livelab.inputs.session import MEDIA_SUFFIXES

    if not text.strip():
        return None, _("Type the path of a session folder or a recording.")
    path = Path(text.strip()).expanduser()
    if not path.is_absolute():
        path = base / path
    if path.is_dir():
        if (path / "session.toml").is_file() or any(
            p.suffix.lower() in MEDIA_SUFFIXES for p in path.iterdir()
        ):
            return path, ""
        return None, _("{path} has no session.toml and no recording.").format(path=path)
    if path.is_file():
        if path.name == "session.toml":
            return path.parent, ""
        if path.suffix.lower() in MEDIA_SUFFIXES:
            return path, ""
        return None, _("{name} is not a recording ({suffixes}).").format(
            name=path.name, suffixes=", ".join(sorted(MEDIA_SUFFIXES)))  # fmt: skip
    return None, _("{path} does not exist.").format(path=path)


class OpenSessionDialog(ModalScreen[Path | None]):
    """A path field; Enter checks it and closes with the session path, Escape with None."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, base: Path) -> None:
        super().__init__()
        self.base = base

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(_("Open a session"), classes="dialog-title")
            yield Static(_("A session folder (with session.toml) or a recording:"), classes="hint")
            yield Input(placeholder=_("path/to/session"), id="path")
            yield Static("", id="path-error", classes="error", markup=False)
            yield Static(_("Enter open · Escape cancel"), classes="hint")

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
