"""Pick a rubric: returns a built-in rubric name, or None when the student backs out."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from livelab.i18n import N_, _, pick_title


def rubric_options(current: str | None) -> list[Option]:
    from livelab.api.errors import LivelabError
    from livelab.scoring.rubric import builtin_rubrics, load_rubric

    options = []
    for name, path in builtin_rubrics().items():
        try:
            rubric = load_rubric(path)
            detail = _("{language} · {count} criteria · {points:g} pts").format(
                language=rubric.language, count=len(rubric.criteria), points=rubric.max_total
            )
            title = pick_title(rubric.title)
        except LivelabError as exc:  # a broken pack is listed, not fatal
            title, detail = name, _("cannot load: {error}").format(error=exc)
        mark = "● " if name == current else "  "
        options.append(
            Option(
                Text.assemble(mark, (title, "bold"), "\n  ", (f"{name} · {detail}", "dim")), id=name
            )
        )
    return options


class RubricPicker(ModalScreen[str | None]):
    """The built-in rubric packs; Enter picks one."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, current: str | None = None) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(_("Pick a rubric"), classes="dialog-title")
            yield OptionList(*rubric_options(self.current), id="rubrics")
            yield Static(_("Enter pick · Escape cancel"), classes="hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        if self.current:
            try:
                options.highlighted = options.get_option_index(self.current)
            except OptionDoesNotExist:  # the current rubric is a file, not a built-in
                options.highlighted = 0

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
