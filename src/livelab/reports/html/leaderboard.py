"""The leaderboard as a standalone HTML page (``templates/leaderboard.html.j2``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from livelab.reports.html.pages import render

if TYPE_CHECKING:
    from livelab.reports.leaderboard import Board


def render_leaderboard(boards: Sequence[Board]) -> str:
    """One page of every board: its teams, then its runs (every user string escaped)."""
    from livelab.i18n import current
    from livelab.reports.html.pages import html_lang
    from livelab.reports.leaderboard import sparkline, trend_text

    return render("leaderboard.html.j2", lang=html_lang(current()), stylesheet="leaderboard.css",
                  boards=boards, sparkline=sparkline, trend=trend_text)
