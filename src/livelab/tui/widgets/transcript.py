"""The time-stamped transcript with fillers, selling points, CTAs and compliance terms marked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table
from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from livelab.api.analysis import clock
from livelab.tui.data import HIGHLIGHT_LABELS, HIGHLIGHT_ORDER, Line, line_at

#: Backgrounds readable on dark and light themes alike.
HIGHLIGHT_STYLE = {
    "filler": "black on #e5c07b",
    "selling": "black on #98c379",
    "mention": "black on #61afef",
    "cta": "black on #c678dd",
    "compliance": "bold white on #be5046",
}


def legend() -> Text:
    text = Text()
    for kind in HIGHLIGHT_ORDER:
        text.append(f" {HIGHLIGHT_LABELS[kind]} ", style=HIGHLIGHT_STYLE[kind])
        text.append(" ")
    return text


def line_text(line: Line) -> Text:
    """The line as recognised, its words highlighted where they occur in the text (the
    recogniser's own spacing is kept: "BPA-free", "$29.99", and Mandarin without spaces)."""
    text = Text()
    source = line.text.strip()
    cursor = 0
    for word in line.words:
        token = word.text.strip()
        at = source.find(token, cursor) if token else -1
        if at < 0:
            continue  # a word the text does not spell the same way stays unmarked
        text.append(source[cursor:at])
        text.append(token, style=HIGHLIGHT_STYLE.get(word.kind or "", ""))
        cursor = at + len(token)
    text.append(source[cursor:])
    return text


class TranscriptView(OptionList):
    """One option per spoken line, ``mm:ss`` then the words, wrapped with a hanging indent."""

    DEFAULT_CSS = """
    TranscriptView {
        height: 1fr;
        border: none;
    }
    """

    def __init__(self, lines: Sequence[Line], **kwargs: Any) -> None:
        options = []
        for line in lines:
            grid = Table.grid(padding=(0, 1))
            grid.add_column(width=5, no_wrap=True, style="cyan")
            grid.add_column(ratio=1)
            grid.add_row(clock(line.start), line_text(line))
            options.append(Option(grid))
        super().__init__(*options, **kwargs)
        self.lines = list(lines)

    def jump_to(self, seconds: float) -> None:
        if self.lines:
            self.highlighted = line_at(self.lines, seconds)
            self.scroll_to_highlight(top=True)
