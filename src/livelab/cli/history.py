"""``livelab history``: every anchor's attempts, or one anchor's trend per criterion."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from livelab.reports.history import ENV_HISTORY_DB

if TYPE_CHECKING:
    from livelab.reports.history import Attempt


@click.command("history")
@click.argument("anchor", required=False)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="History database (default: history.sqlite3 in the user data folder, "
    f"or ${ENV_HISTORY_DB}).",
)
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1), help="Attempts.")
def history_command(anchor: str | None, db: Path | None, limit: int) -> None:
    """Show recorded attempts: every anchor, or ANCHOR's attempts and trend per criterion."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from livelab.api.errors import LivelabError, Problem
    from livelab.reports.history import History, change_text
    from livelab.reports.text import sparkline

    store = History(db)
    if db is not None and not db.exists():
        raise LivelabError([Problem(db, "no such history database")])
    console = Console(highlight=False)
    if anchor is None:
        attempts = store.attempts(limit=100_000)
        if not attempts:
            console.print(f"No attempts recorded yet in {store.path}.")
            return
        table = Table(
            "anchor",
            "team",
            "attempts",
            "latest",
            "score",
            "trend",
            title="Anchors",
            title_justify="left",
        )
        by_anchor: dict[str, list[Attempt]] = {}
        for a in attempts:
            by_anchor.setdefault(a.anchor, []).append(a)
        for name in sorted(by_anchor):
            mine = by_anchor[name][::-1]  # oldest first
            last = mine[-1]
            table.add_row(
                escape(name) or "(no anchor)",
                escape(last.team),
                str(len(mine)),
                last.recorded_at.replace("T", " ")[:16],
                f"{last.total:g}/{last.max_total:g}",
                sparkline([a.total for a in mine], max(a.max_total for a in mine)),
            )
        console.print(table)
        return

    attempts = store.attempts(anchor=anchor, limit=limit)
    if not attempts:
        known = ", ".join(repr(a) for a in store.anchors()) or "none yet"
        raise LivelabError(
            [Problem(store.path, f"no attempts recorded for anchor {anchor!r} (anchors: {known})")]
        )
    oldest_first = attempts[::-1]
    table = Table(
        "#",
        "when",
        "kind",
        "session",
        "rubric",
        "score",
        "scorable",
        title=f"Attempts of {escape(anchor)}",
        title_justify="left",
    )
    for i, a in enumerate(oldest_first, 1):
        table.add_row(
            str(i),
            a.recorded_at.replace("T", " ")[:16],
            a.kind,
            escape(a.title),
            escape(a.rubric_id),
            f"{a.total:g}/{a.max_total:g}",
            f"{a.scorable_fraction:.0%}",
        )
    console.print(table)
    trend = Table(
        "criterion",
        "first",
        "latest",
        "change",
        "trend",
        title="Trend per criterion (oldest → newest)",
        title_justify="left",
    )
    trend.add_row(
        "total",
        f"{oldest_first[0].total:g}",
        f"{oldest_first[-1].total:g}",
        change_text(oldest_first[0].total, oldest_first[-1].total),
        sparkline([a.total for a in oldest_first], max(a.max_total for a in oldest_first)),
    )
    ids: list[str] = []
    for a in oldest_first:
        ids.extend(c for c in a.criteria if c not in ids)
    for cid in ids:
        values = [a.criteria.get(cid) for a in oldest_first if cid in a.criteria]
        trend.add_row(
            escape(cid),
            "—" if values[0] is None else f"{values[0]:g}",
            "—" if values[-1] is None else f"{values[-1]:g}",
            change_text(values[0], values[-1]),
            sparkline(values),
        )
    console.print(trend)
