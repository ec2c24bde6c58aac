"""The time-stamped transcript with the spans the analyzers declared marked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from livelab.api.analysis import clock
from livelab.tui.data import Line, highlight_kinds, line_at

if TYPE_CHECKING:
    from livelab.scoring.scorecard import Scorecard

#: Backgrounds readable on dark and light themes alike, for the highlight kinds the
#: built-in analyzers declare; other kinds take the spare styles in turn.
HIGHLIGHT_STYLE = {
    "filler": "black on #e5c07b",
    "point": "black on #98c379",
    "mention": "black on #61afef",
    "cta": "black on #c678dd",
    "flag": "bold white on #be5046",
}
SPARE_STYLES = ("black on #56b6c2", "black on #d19a66", "black on #abb2bf", "white on #4b5263")


def highlight_styles(kinds: Sequence[str]) -> dict[str, str]:
    """A style per kind: its own, else the next spare one."""
    spare = iter(SPARE_STYLES * (1 + len(kinds) // len(SPARE_STYLES)))
    return {k: HIGHLIGHT_STYLE.get(k) or next(spare) for k in kinds}


def legend(scorecard: Scorecard) -> Text:
    kinds = highlight_kinds(scorecard)
    styles = highlight_styles([k for k, _ in kinds])
    text = Text()
    for kind, label in kinds:
        text.append(f" {label} ", style=styles[kind])
        text.append(" ")
    return text


def line_text(line: Line, styles: Mapping[str, str] = HIGHLIGHT_STYLE) -> Text:
    """The line as recognised, its words highlighted where they occur in the text (the
    recogniser's own spacing is kept: "BPA-free", "$29.99", and Mandarin without spaces)."""
    text = Text()
    source = line.text.strip()
    cursor = 0
    for word, kind in zip(line.words, line.kinds, strict=True):
        token = word.text.strip()
        at = source.find(token, cursor) if token else -1
        if at < 0:
            continue  # a word the text does not spell the same way stays unmarked
        text.append(source[cursor:at])
        text.append(token, style=styles.get(kind or "", ""))
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

    def __init__(
        self, lines: Sequence[Line], styles: Mapping[str, str] = HIGHLIGHT_STYLE, **kwargs: Any
    ) -> None:
        options = []
        for line in lines:
            grid = Table.grid(padding=(0, 1))
            grid.add_column(width=5, no_wrap=True, style="cyan")
            grid.add_column(ratio=1)
            grid.add_row(clock(line.start), line_text(line, styles))
            options.append(Option(grid))
        super().__init__(*options, **kwargs)
        self.lines = list(lines)

    def jump_to(self, seconds: float) -> None:
        if self.lines:
            self.highlighted = line_at(self.lines, seconds)
            self.scroll_to_highlight(top=True)
