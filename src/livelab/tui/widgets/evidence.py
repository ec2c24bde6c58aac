"""The evidence behind one criterion: time-stamped findings; Enter jumps to the transcript."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from livelab.api.analysis import Evidence
from livelab.i18n import _, say
from livelab.reports.text import span_text
from livelab.tui.messages import JumpToTime


class EvidenceList(OptionList):
    """Findings for the selected criterion; untimed ones ("never said …") show ``—``."""

    DEFAULT_CSS = """
    EvidenceList {
        height: 1fr;
        border: round $panel;
        border-title-color: $text-muted;
    }
    EvidenceList:focus {
        border: round $accent;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._items: list[Evidence] = []
        self.border_title = _("Evidence")

    def show(self, feedback: str, items: Sequence[Evidence]) -> None:
        self._items = list(items)
        self.clear_options()
        options: list[Option] = [Option(Text(feedback, style="italic"), disabled=True)]
        if not items:
            options.append(
                Option(Text(_("no time-stamped evidence for this one"), "dim"), disabled=True)
            )
        for i, e in enumerate(self._items):
            grid = Table.grid(padding=(0, 1))
            grid.add_column(width=11, no_wrap=True, style="cyan")
            grid.add_column(ratio=1)
            grid.add_row(span_text(e.start_s, e.end_s), Text(say(e.message)))
            options.append(Option(grid, id=f"evidence-{i}"))
        self.add_options(options)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = int(str(event.option.id).removeprefix("evidence-"))
        start = self._items[index].start_s
        if start is None:
            self.notify(_("This finding has no time: it is about the whole session."))
        else:
            self.post_message(JumpToTime(float(start)))
