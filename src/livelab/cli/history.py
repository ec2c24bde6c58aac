"""``livelab history``: every anchor's attempts, or one anchor's trend per criterion."""

from __future__ import annotations

import json
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
@click.option(
    "--rubric",
    "-r",
    metavar="ID",
    help="Show the trend under this rubric (default: the one ANCHOR was scored with last).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='Print {"attempts": [...]}: one entry per recording and rubric, newest first.',
)
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1), help="Attempts.")
def history_command(
    anchor: str | None, db: Path | None, rubric: str | None, as_json: bool, limit: int
) -> None:
    """Show recorded attempts: every anchor, or ANCHOR's attempts and trend per criterion.
    ANCHOR is a name or a student ID (session.toml's student_id): a student's attempts are
    kept together by their ID when the sessions give one.

    An attempt is one recording, recognised by its content: analysing it again (from any
    path) or re-scoring it updates that attempt. A trend compares attempts scored with the
    same rubric.
    """
    from rich.console import Console
    from rich.markup import escape as markup_escape
    from rich.table import Table

    from livelab.api.transcript import printable

    def escape(text: str) -> str:  # names from the database: no markup, no control sequences
        return markup_escape(printable(text))

    from livelab.api.errors import LivelabError, Problem
    from livelab.i18n import _, date_text, pick_title
    from livelab.reports.history import History, change_text, trend_rubric
    from livelab.reports.text import sparkline

    store = History(db)
    if db is not None and not db.exists():
        raise LivelabError([Problem(db, _("no such history database"))])
    attempts = []
    if anchor is not None:  # a student ID first: it names one student whatever the spelling
        attempts = store.attempts(student_id=anchor, limit=limit)
    if not attempts:
        attempts = store.attempts(anchor=anchor, limit=100_000 if anchor is None else limit)
    if anchor is not None and not attempts:
        known = ", ".join(repr(a) for a in store.anchors()) or _("none yet")
        raise LivelabError([Problem(store.path, _(
            "no attempts recorded for anchor {anchor} (anchors: {known})"
        ).format(anchor=repr(anchor), known=known))])
    if as_json:
        chosen = [a for a in attempts if rubric is None or a.rubric_id == rubric]
        click.echo(json.dumps({"attempts": [a.to_json() for a in chosen]}, ensure_ascii=False,
                              indent=2))  # fmt: skip
        return
    console = Console(highlight=False)
    if anchor is None:
        if not attempts:
            console.print(_("No attempts recorded yet in {path}.").format(path=store.path))
            return
        by_student: dict[tuple[str, str], list[Attempt]] = {}
        for a in attempts:
            by_student.setdefault(a.student, []).append(a)
        names = {key: mine[0].anchor for key, mine in by_student.items()}  # the latest name
        with_ids = any(kind == "id" for kind, _id in by_student)
        table = Table(title=_("Anchors"), title_justify="left")
        # names are what a teacher looks for: they get the room, the rubric wraps
        table.add_column(_("anchor"), min_width=min(30, max(map(len, names.values()))),
                         no_wrap=True)
        if with_ids:
            table.add_column(_("student ID"), no_wrap=True)
        for header in (_("team"), _("attempts"), _("rubric"), _("latest score"), _("trend")):
            table.add_column(header, overflow="fold")
        for key in sorted(by_student, key=lambda k: (names[k], k)):
            mine = by_student[key]
            under = trend_rubric(mine)
            scored = [a for a in mine if a.rubric_id == under][::-1]  # oldest first
            last = scored[-1]
            table.add_row(
                escape(names[key]) or _("(no anchor)"),
                *([escape(mine[0].student_id)] if with_ids else []),
                escape(last.team),
                str(len({a.recording_sha256 or a.session_path for a in mine})),
                escape(under or ""),
                _score(last),
                sparkline([a.total for a in scored], max(a.max_total for a in scored)),
            )
        console.print(table)
        return

    under = rubric or trend_rubric(attempts)
    oldest_first = [a for a in attempts if a.rubric_id == under][::-1]
    if not oldest_first:
        used = ", ".join(sorted({repr(a.rubric_id) for a in attempts}))
        raise LivelabError([Problem(store.path, _(
            "{anchor} has no attempt scored with {rubric} ({used})"
        ).format(anchor=repr(anchor), rubric=repr(under), used=used))])
    table = Table(
        "#", _("recorded"), _("session"), _("score"), _("scorable"), _("last scored"),
        title=_("Attempts of {anchor} · rubric {rubric}").format(
            anchor=escape(anchor), rubric=escape(under or "")),
        title_justify="left",
    )  # fmt: skip
    for i, a in enumerate(oldest_first, 1):
        table.add_row(
            str(i),
            date_text(a.recorded_at),
            escape(a.title),
            _score(a),
            f"{a.scorable_fraction:.0%}",
            f"{date_text(a.scored_at)} ({a.kind})",
        )
    console.print(table)
    others = sorted({a.rubric_id for a in attempts} - {under})
    if others:
        console.print("[dim]" + _("also scored with: {rubrics} (--rubric)").format(
            rubrics=escape(", ".join(others))) + "[/dim]")
    if len(oldest_first) < 2:
        console.print(_("One attempt so far: record another take to see a trend."))
        return
    trend = Table(
        _("criterion"), _("first"), _("latest"), _("change"), _("trend"),
        title=_("Trend per criterion (oldest → newest)"), title_justify="left",
    )  # fmt: skip
    trend.add_row(
        _("Total"),
        f"{oldest_first[0].total:g}",
        f"{oldest_first[-1].total:g}",
        change_text(oldest_first[0].total, oldest_first[-1].total),
        sparkline([a.total for a in oldest_first], max(a.max_total for a in oldest_first)),
    )
    ids: list[str] = []
    for a in oldest_first:
        ids.extend(c for c in a.criteria if c not in ids)
    latest = oldest_first[-1]
    for cid in ids:
        values = [a.criteria.get(cid) for a in oldest_first if cid in a.criteria]
        trend.add_row(
            escape(pick_title(latest.title_of(cid))),
            "—" if values[0] is None else f"{values[0]:g}",
            "—" if values[-1] is None else f"{values[-1]:g}",
            change_text(values[0], values[-1]),
            sparkline(values),
        )
    console.print(trend)


def _score(a: Attempt) -> str:
    percent = "" if a.percent is None else f" ({a.percent:.0f}%)"
    return f"{a.total:g}/{a.max_total:g}{percent}"
