"""The footer, in the interface language: key descriptions are English msgids (marked with
``N_`` where the bindings are declared) translated when the footer is drawn."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer

from livelab.i18n import N_, _

#: Textual's own key descriptions that livelab's screens show.
TEXTUAL_WORDS = (N_("palette"),)


class LivelabFooter(Footer):
    def compose(self) -> ComposeResult:
        for widget in super().compose():
            description = getattr(widget, "description", None)  # a key (FooterKey), not a label
            if isinstance(description, str) and description:
                widget.description = _(description)  # type: ignore[attr-defined]
            yield widget
