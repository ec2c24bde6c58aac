"""The leaderboard as a standalone HTML page (every user string escaped)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from livelab.reports.leaderboard import Board


def render_leaderboard(boards: Sequence[Board]) -> str:
    """A standalone page (every user string escaped)."""
    from livelab.reports.leaderboard import sparkline, trend_text

    e = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>livelab leaderboard</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse;"
        "margin-bottom:2em}td,th{padding:.3em .7em;border-bottom:1px solid #ddd;text-align:left}"
        ".n{text-align:right}.spark{font-family:monospace}</style></head><body>",
    ]
    for b in boards:
        parts.append(f"<h1>Leaderboard · {e(b.rubric_id)}</h1>")
        if b.tie_breaks:
            parts.append(f"<p>Ties broken by: {e(', '.join(b.tie_breaks))}</p>")
        parts.append(
            "<h2>Teams</h2><table><tr><th>#</th><th>team</th><th class=n>score</th>"
            "<th class=n>runs</th><th>trend</th></tr>"
        )
        for rank, t in b.teams:
            parts.append(
                f"<tr><td>{rank}</td><td>{e(t.team)}</td><td class=n>{t.score:g} / "
                f"{t.max_total:g}</td><td class=n>{len(t.runs)}</td><td><span class=spark>"
                f"{sparkline(t.trend, t.max_total)}</span> {e(trend_text(t.trend))}</td></tr>"
            )
        parts.append(
            "</table><h2>Runs</h2><table><tr><th>#</th><th>team</th><th>anchor</th>"
            "<th>title</th><th>when</th><th class=n>total</th><th>note</th></tr>"
        )
        for rank, r, why in b.runs:
            parts.append(
                f"<tr><td>{rank}</td><td>{e(r.team)}</td><td>{e(r.anchor)}</td>"
                f"<td>{e(r.title)}</td><td>{e(r.when)}</td><td class=n>{r.total:g} / "
                f"{r.max_total:g}</td><td>{e(why)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>\n")
    return "".join(parts)
