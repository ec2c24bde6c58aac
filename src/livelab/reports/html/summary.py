"""The class summary: what ``templates/summary.html.j2`` shows for one grading run.

The class summary takes the scorecards of one grading run. A session that could not be graded
is an *error entry* instead of a scorecard: ``{"session": {"path": ..., "anchor"?: ...,
"team"?: ..., "title"?: ...}, "error": "reason"}``; it becomes a red roster row and is left out
of every statistic.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from livelab.i18n import _, current, pick_title, said
from livelab.reports.html import charts
from livelab.reports.html.pages import get, html_lang, render


def is_error_entry(entry: Any) -> bool:
    """An ungradable session in a batch: ``{"session": {"path": ...}, "error": "reason"}``."""
    if isinstance(entry, Mapping):
        return "error" in entry and not entry.get("criteria")
    return getattr(entry, "error", None) is not None and not get(entry, "criteria")


@dataclass(frozen=True, slots=True)
class Outlier:
    index: int  # position in the scorecards given
    share: float  # total / max_total
    why: str


def find_outliers(shares: Sequence[tuple[int, float]]) -> list[Outlier]:
    """Totals more than 1.5 IQR outside the quartiles (4+ sessions), or |z| > 2 (5+ sessions)."""
    values = [v for _, v in shares]
    out: list[Outlier] = []
    if len(values) < 4:
        return out
    q1, _median, q3 = charts.quartiles(values)
    iqr = q3 - q1
    mean = statistics.fmean(values)
    sd = statistics.pstdev(values)
    for i, v in shares:
        if v < q1 - 1.5 * iqr:
            out.append(Outlier(i, v, _("far below the class (under Q1 − 1.5 IQR = {percent:.0f}%)")
                               .format(percent=(q1 - 1.5 * iqr) * 100)))
        elif v > q3 + 1.5 * iqr:
            out.append(Outlier(i, v, _("far above the class (over Q3 + 1.5 IQR = {percent:.0f}%)")
                               .format(percent=(q3 + 1.5 * iqr) * 100)))
        elif len(values) >= 5 and sd > 0 and abs(v - mean) / sd > 2:
            z = (v - mean) / sd
            words = (_("above the class mean by {z:.1f} standard deviations") if z > 0
                     else _("below the class mean by {z:.1f} standard deviations"))
            out.append(Outlier(i, v, words.format(z=abs(z))))
    return out


@dataclass(frozen=True, slots=True)
class CriterionStats:
    id: str
    title: str
    weight: float
    fractions: list[tuple[int, float, str]]  # (scorecard index, fraction, outcome)
    unscored: int

    @property
    def mean(self) -> float:
        return statistics.fmean(f for _, f, _ in self.fractions) if self.fractions else math.nan

    def count(self, outcome: str) -> int:
        return sum(o == outcome for _, _, o in self.fractions)


def _criterion_stats(graded: Sequence[tuple[int, Any]]) -> list[CriterionStats]:
    order: dict[str, tuple[str, float]] = {}
    values: dict[str, list[tuple[int, float, str]]] = {}
    unscored: dict[str, int] = {}
    for i, sc in graded:
        for c in get(sc, "criteria", []):
            cid = str(get(c, "id"))
            order.setdefault(cid, (str(get(c, "title", "")), float(get(c, "weight", 0.0))))
            if get(c, "status") == "scored":
                values.setdefault(cid, []).append(
                    (i, float(get(c, "fraction", 0.0)), str(get(c, "outcome") or "partial")))
            else:
                unscored[cid] = unscored.get(cid, 0) + 1
    return [
        CriterionStats(cid, title, weight, values.get(cid, []), unscored.get(cid, 0))
        for cid, (title, weight) in order.items()
    ]


def _share(sc: Any) -> float:
    top = float(get(sc, "max_total", 0.0))
    return float(get(sc, "total", 0.0)) / top if top else 0.0


def session_of(entry: Any) -> Any:
    """Who and what an entry is about: a scorecard's ``session``; a typed failed grade
    carries ``path``, ``title``, ``anchor`` and ``team`` itself."""
    return get(entry, "session") or entry


def _who(entry: Any, index: int) -> str:
    session = session_of(entry)
    name = get(session, "anchor") or get(session, "title")
    if not name and get(session, "path"):
        path = str(get(session, "path"))
        name = Path(path).parent.name or path
    return str(name or _("session {number}").format(number=index + 1))


@dataclass(frozen=True, slots=True)
class Cell:
    """One criterion of one session in the roster: ``outcome`` styles it, ``text`` fills it."""

    outcome: str
    text: str
    why: str = ""


@dataclass(frozen=True, slots=True)
class RosterRow:
    number: int
    name: str
    link: str | None
    team: str
    error: str | None = None  # "path: reason" of an error entry
    title: str = ""
    outlier: bool = False
    total: float = 0.0
    max_total: float = 0.0
    cells: Sequence[Cell] = ()
    status: str = ""
    student_id: str = ""


def render_class_summary(
    scorecards: Sequence[Any],
    links: Sequence[str | None] | None = None,
    include_partial: bool = False,
) -> str:
    """The class summary page: roster, score distributions, weakest criteria, outliers.

    ``scorecards`` may contain error entries (see :func:`is_error_entry`). ``links``, when
    given, holds one relative URL per entry (its HTML report) or ``None``. Sessions only
    part of whose recording could be analysed are in the roster but not in the class
    statistics, unless ``include_partial``.
    """
    return render("summary.html.j2", **summary_context(scorecards, links, include_partial))


def _is_partial(entry: Any) -> bool:
    return bool(get(session_of(entry), "partial", ""))


def summary_context(
    scorecards: Sequence[Any],
    links: Sequence[str | None] | None = None,
    include_partial: bool = False,
) -> dict[str, Any]:
    entries = list(scorecards)
    names = {i: _who(e, i) for i, e in enumerate(entries)}
    graded = [
        (i, e)
        for i, e in enumerate(entries)
        if not is_error_entry(e) and (include_partial or not _is_partial(e))
    ]
    errors = [i for i, e in enumerate(entries) if is_error_entry(e)]
    partial = [i for i, e in enumerate(entries) if not is_error_entry(e) and _is_partial(e)]
    stats = _criterion_stats(graded)
    shares = [(i, _share(e)) for i, e in graded if get(e, "criteria")]
    outliers = find_outliers(shares)
    rubrics = sorted({
        pick_title(str(get(get(e, "rubric"), "title") or get(get(e, "rubric"), "id") or ""))
        for _, e in graded
    } - {""})
    langs = {str(get(session_of(e), "language") or "") for _, e in graded} - {""}
    del langs  # the page speaks the teacher's language; each name keeps its own
    lang = html_lang(current())
    values = [v for _, v in shares]
    cards = [
        (_("Sessions graded"), f"{len(graded) + (0 if include_partial else len(partial))}"),
        (_("Could not be graded"), f"{len(errors)}"),
        *(
            [(_("Partial recordings") if include_partial
              else _("Partial recordings (not in the statistics)"), f"{len(partial)}")]
            if partial else []
        ),
        (_("Mean total"), f"{statistics.fmean(values) * 100:.0f}%" if values else "—"),
        (_("Median total"), f"{statistics.median(values) * 100:.0f}%" if values else "—"),
    ]
    distributions: list[tuple[CriterionStats, Markup]] = [
        (s, charts.strip_plot(s.fractions, names)) for s in stats
    ]
    return {
        "lang": lang,
        "rubrics": rubrics,
        "cards": cards,
        "weakest": sorted((s for s in stats if s.fractions), key=lambda s: s.mean)[:3],
        "outliers": [(names[o.index], o) for o in outliers],
        "too_few": len(values) < 4,
        "graded": bool(graded),
        "histogram": charts.histogram(shares, names),
        "distributions": distributions,
        "columns": stats,
        "rows": _roster(entries, names, stats, {o.index for o in outliers}, links),
    }


def _roster(
    entries: Sequence[Any],
    names: Mapping[int, str],
    stats: Sequence[CriterionStats],
    outliers: set[int],
    links: Sequence[str | None] | None,
) -> list[RosterRow]:
    rows = []
    for i, e in enumerate(entries):
        session = session_of(e)
        link = links[i] if links is not None and i < len(links) else None
        team = str(get(session, "team", ""))
        student_id = str(get(session, "student_id", "") or "")
        if is_error_entry(e):
            error = f"{get(session, 'path', '')}: {get(e, 'error', '')}"
            rows.append(RosterRow(i + 1, names[i], link, team, error=error,
                                  student_id=student_id))
            continue
        by_id = {get(c, "id"): c for c in get(e, "criteria", [])}
        cells = []
        for s in stats:
            c = by_id.get(s.id)
            if c is None:
                cells.append(Cell("unscored", "n/a"))
            elif get(c, "status") != "scored":
                cells.append(Cell("unscored", "–", said(c, "reason", "reason_message")))
            else:
                text = charts.num(round(float(get(c, "points", 0.0)), 1))
                review = get(c, "review") or {}
                if review.get("adjusted"):  # the instructor's score: marked, the machine's kept
                    machine = (review.get("machine") or {}).get("points")
                    was = (_("unscored") if machine is None
                           else charts.num(round(float(machine), 1)))  # fmt: skip
                    cells.append(Cell(str(get(c, "outcome", "")), f"{text}✎", _(
                        "adjusted by the instructor; machine: {points}").format(points=was)))
                    continue
                cells.append(Cell(str(get(c, "outcome", "")), text))
        share = float(get(e, "scorable_fraction", 0.0))
        rows.append(RosterRow(
            i + 1, names[i], link, team,
            title=str(get(session, "title", "")),  # the student's own words
            outlier=i in outliers,
            total=round(float(get(e, "total", 0.0)), 1),
            max_total=float(get(e, "max_total", 0.0)),
            cells=cells,
            student_id=student_id,
            status=(
                _("partial: {why}").format(why=get(session, "partial", ""))
                if get(session, "partial", "")
                else _("ok") if share >= 1
                else _("{percent:.0f}% scorable").format(percent=share * 100)
            ),
        ))
    return rows
