"""The leaderboard as a standalone HTML page (``templates/leaderboard.html.j2``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from livelab.reports.html.pages import render

if TYPE_CHECKING:
    from livelab.reports.leaderboard import Board


def render_leaderboard(boards: Sequence[Board], base: Path | None = None) -> str:
    """One page of every board: its teams, then its runs with their sections and a link to
    each run's report, relative to ``base`` (the page's folder; every user string escaped)."""
    from livelab.i18n import current
    from livelab.reports.html.pages import html_lang
    from livelab.reports.leaderboard import run_note, sparkline, trend_text

    def link(report: str) -> str:
        if not report:
            return ""
        if base is None:
            return Path(report).resolve().as_uri()
        return Path(os.path.relpath(Path(report).resolve(), base.resolve())).as_posix()

    def points(run: object, section: str) -> str:
        found = next(((p, m) for name, p, m in getattr(run, "sections", ()) if name == section),
                     None)
        return "" if found is None else f"{found[0]:g} / {found[1]:g}"

    return render("leaderboard.html.j2", lang=html_lang(current()), stylesheet="leaderboard.css",
                  boards=boards, sparkline=sparkline, trend=trend_text, link=link,
                  section_points=points, note=run_note)
