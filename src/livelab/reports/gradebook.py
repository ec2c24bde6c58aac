"""The class gradebook (CSV that Excel opens safely, and an Excel workbook), the class's
statistics per criterion, and results.jsonl, from graded sessions."""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livelab.engine.cache import write_atomic
from livelab.i18n import _, declared, pick_title
from livelab.scoring.scorecard import Entry, GradeError, Scorecard, SessionInfo

GRADEBOOK = "gradebook.csv"
GRADEBOOK_XLSX = "gradebook.xlsx"
CLASS_STATS = "class_stats.csv"
CLASS_ITEMS = "class_items.csv"
RESULTS = "results.jsonl"
# A spreadsheet treats a cell starting with one of these as a formula (or, for tab and
# CR, may shift it into one): an anchor named "=HYPERLINK(...)" must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # so Excel reads the file as UTF-8 and shows Chinese names
BASE_COLUMNS = (
    "n", "path", "title", "anchor", "team", "total", "max_total", "percent", "scorable_fraction",
)  # fmt: skip
#: Appended after ``status`` and ``error``, so that the columns a spreadsheet already
#: refers to keep their places. ``adjusted``: the criteria the instructor's review set;
#: ``penalty``: a timed round's penalty, already off ``total`` (which is the criteria's
#: points minus it); ``judges``: who scored the judged criteria. Then ``section:<name>``,
#: each section's points.
IDENTITY_COLUMNS = ("student_id", "class", "adjusted", "penalty", "judges")
STATS_COLUMNS = (
    "rubric", "criterion", "title", "weight", "scored", "unscored", "mean", "median", "q1", "q3",
    "min", "max", "mean_fraction",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Graded:
    """One session of a batch, at position ``n`` (from 1): its scorecard, or why it
    could not be graded."""

    n: int
    path: str
    entry: Entry

    @property
    def ok(self) -> bool:
        return isinstance(self.entry, Scorecard)

    @property
    def scorecard(self) -> Scorecard | None:
        return self.entry if isinstance(self.entry, Scorecard) else None

    @property
    def error(self) -> str:
        return self.entry.error if isinstance(self.entry, GradeError) else ""


def neutralise(cell: str) -> str:
    """Prefix ' to a cell a spreadsheet would run as a formula (numbers such as -1 stay
    numbers). Every CSV livelab writes for spreadsheets goes through this."""
    if cell.startswith(FORMULA_STARTS) and not _is_plain_number(cell):
        return "'" + cell
    return cell


def _is_plain_number(cell: str) -> bool:
    try:
        return math.isfinite(float(cell)) and cell.strip() == cell
    except ValueError:
        return False


def _number(value: Any) -> str:
    if value is None:
        return ""
    return f"{float(value):g}"


def gradebook_csv(graded: Sequence[Graded]) -> str:
    """One row per session: who, total, each criterion's points (empty = unscored), status."""
    criteria: list[str] = []
    for g in graded:
        for c in g.scorecard.criteria if g.scorecard else ():
            if c.id not in criteria:
                criteria.append(c.id)
    sections = _sections_of(graded)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralise(h) for h in (*BASE_COLUMNS, *criteria, "status", "error",
                                             *IDENTITY_COLUMNS,
                                             *(f"section:{x}" for x in sections))])
    for g in graded:
        sc = g.scorecard
        entry = g.entry
        who: SessionInfo | GradeError = entry.session if isinstance(entry, Scorecard) else entry
        points = {c.id: c.points for c in sc.criteria} if sc is not None else {}
        row = [
            str(g.n),
            g.path,
            who.title,
            who.anchor,
            who.team,
            _number(sc.total) if sc else "",
            _number(sc.max_total) if sc else "",
            _number(sc.percent) if sc else "",
            _number(sc.scorable_fraction) if sc else "",
            *(_number(points.get(cid)) for cid in criteria),
            "error" if not g.ok else "partial" if g.entry.partial else "ok",
            # one line per row, whatever the message held; a partial session says why
            " ".join((g.error or (sc.session.partial if sc else "")).split()),
            who.student_id,
            who.class_name,
            " ".join(c.id for c in sc.criteria if c.adjusted) if sc else "",
            _number(_penalty(sc)) if sc else "",
            " ".join(_judges(sc)) if sc else "",
            *((_number(sc.sections[x].points) if sc and x in sc.sections else "")
              for x in sections),
        ]
        writer.writerow([neutralise(cell) for cell in row])
    return BOM + buffer.getvalue()


def _sections_of(graded: Sequence[Graded]) -> list[str]:
    names: list[str] = []
    for g in graded:
        names.extend(x for x in (g.scorecard.sections if g.scorecard else {}) if x not in names)
    return names


def _penalty(sc: Scorecard) -> float | None:
    """A timed round's penalty; ``None`` when the rubric times no round."""
    return sc.round.penalty if sc.round is not None else None


def _judges(sc: Scorecard) -> list[str]:
    return sorted({j.judge for j in sc.judges})


def _criteria_of(graded: Sequence[Graded]) -> list[tuple[str, str, float]]:
    """(id, title, weight) of every criterion in the batch, in first-seen order."""
    seen: dict[str, tuple[str, str, float]] = {}
    for g in graded:
        for c in g.scorecard.criteria if g.scorecard else ():
            seen.setdefault(c.id, (c.id, c.title, c.weight))
    return list(seen.values())


def _counted(graded: Sequence[Graded], include_partial: bool) -> list[Scorecard]:
    """The scorecards the class statistics count: partial recordings only when asked,
    as in summary.html."""
    return [g.scorecard for g in graded
            if g.scorecard is not None and (include_partial or not g.scorecard.session.partial)]


@dataclass(frozen=True, slots=True)
class CriterionSummary:
    """One criterion across the class: its points' spread over the sessions that scored it."""

    rubric: str
    id: str
    title: str
    weight: float
    points: tuple[float, ...]
    fractions: tuple[float, ...]
    unscored: int

    def quartiles(self) -> tuple[float, float, float] | None:
        """(Q1, median, Q3) of the points, inclusive method; ``None`` when none scored."""
        if not self.points:
            return None
        if len(self.points) == 1:
            return (self.points[0],) * 3
        q1, q2, q3 = statistics.quantiles(self.points, n=4, method="inclusive")
        return q1, q2, q3

    def row(self) -> dict[str, Any]:
        """The ``class_stats.csv`` row: ``None`` where nothing was scored."""
        q = self.quartiles()
        return {
            "rubric": self.rubric,
            "criterion": self.id,
            "title": self.title,
            "weight": self.weight,
            "scored": len(self.points),
            "unscored": self.unscored,
            "mean": statistics.fmean(self.points) if self.points else None,
            "median": q[1] if q else None,
            "q1": q[0] if q else None,
            "q3": q[2] if q else None,
            "min": min(self.points) if self.points else None,
            "max": max(self.points) if self.points else None,
            "mean_fraction": statistics.fmean(self.fractions) if self.fractions else None,
        }


def class_statistics(graded: Sequence[Graded], include_partial: bool = False
                     ) -> list[CriterionSummary]:
    """Each criterion's points across the class, rubric by rubric (a criterion of one
    rubric is not pooled with another's of the same name), then the rubric's ``total``."""
    cards = _counted(graded, include_partial)
    by_rubric: dict[str, list[Scorecard]] = {}
    for sc in cards:
        by_rubric.setdefault(sc.rubric.id if sc.rubric else "", []).append(sc)
    out = []
    for rubric, group in by_rubric.items():
        order: dict[str, tuple[str, float]] = {}
        for sc in group:
            for c in sc.criteria:
                order.setdefault(c.id, (c.title, c.weight))
        for cid, (title, weight) in order.items():
            results = [c for sc in group for c in sc.criteria if c.id == cid]
            scored = [c for c in results if c.scored and c.points is not None]
            out.append(CriterionSummary(
                rubric, cid, title, weight, tuple(float(c.points or 0.0) for c in scored),
                tuple(float(c.fraction or 0.0) for c in scored), len(results) - len(scored)))
        totals = [sc for sc in group if sc.criteria]
        top = max((sc.max_total for sc in totals), default=0.0)
        out.append(CriterionSummary(
            rubric, "total", "total", top, tuple(sc.total for sc in totals),
            tuple(sc.total / sc.max_total for sc in totals if sc.max_total), 0))
    return out


#: ``class_items.csv``: per metric, what the class missed (``missed``: selling points never
#: said) or said (``counted``: banned terms, fillers) most, in how many sessions and how
#: many times in all, of ``of`` sessions counted.
ITEM_COLUMNS = ("metric", "title", "kind", "item", "sessions", "times", "of")


@dataclass(frozen=True, slots=True)
class ItemCount:
    """One thing a metric named across the class: a selling point missed, a term said."""

    metric: str
    title: str
    kind: str  # "missed" | "counted"
    item: str
    sessions: int
    times: int
    of: int
    analyzer: str = ""


def class_items(graded: Sequence[Graded], include_partial: bool = False) -> list[ItemCount]:
    """What the class missed most and said most, metric by metric: each item with the
    number of sessions it was in and how often in all (most sessions first)."""
    cards = _counted(graded, include_partial)
    sessions: dict[tuple[str, str, str], int] = {}
    times: dict[tuple[str, str, str], int] = {}
    info: dict[str, tuple[str, str]] = {}
    for sc in cards:
        for name, m in sc.metrics.items():
            info.setdefault(name, (m.title, m.analyzer))
            for kind, items in (("missed", m.missed), ("counted", m.counted)):
                for item in items:
                    key = (name, kind, item)
                    times[key] = times.get(key, 0) + 1
                for item in set(items):
                    key = (name, kind, item)
                    sessions[key] = sessions.get(key, 0) + 1
    rows = [ItemCount(name, info[name][0], kind, item, n, times[name, kind, item], len(cards),
                      info[name][1])
            for (name, kind, item), n in sessions.items()]
    return sorted(rows, key=lambda r: (r.metric, r.kind, -r.sessions, -r.times, r.item))


def class_items_csv(graded: Sequence[Graded], include_partial: bool = False) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ITEM_COLUMNS)
    for r in class_items(graded, include_partial):
        writer.writerow([neutralise(str(v)) for v in (r.metric, r.title, r.kind, r.item,
                                                      r.sessions, r.times, r.of)])
    return BOM + buffer.getvalue()


def class_stats_csv(graded: Sequence[Graded], include_partial: bool = False) -> str:
    """``class_stats.csv``: one row per criterion (and one for the total)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(STATS_COLUMNS)
    for summary in class_statistics(graded, include_partial):
        row = summary.row()
        writer.writerow([neutralise(v if isinstance(v, str) else _number(v))
                         for v in (row[k] for k in STATS_COLUMNS)])
    return BOM + buffer.getvalue()


def feedback_text(scorecard: Scorecard) -> str:
    """The instructor's comments first (the review's, then each criterion's), then what to
    work on first, one line per criterion: "Selling points: say all five"."""
    lines = []
    if scorecard.review is not None and scorecard.review.comment:
        lines.append(scorecard.review.comment)
    for c in scorecard.criteria:
        if c.review_comment:
            lines.append(f"{pick_title(c.title)}: {c.review_comment}")
    for c in scorecard.fix_first_criteria():
        title = pick_title(c.title)
        lines.append(f"{title}: {c.feedback}" if c.feedback else title)
    return "\n".join(lines)


def gradebook_xlsx(graded: Sequence[Graded], include_partial: bool = False) -> bytes:
    """``gradebook.xlsx``: the gradebook with headers in the reader's language, a frozen
    header row, numbers as numbers, a feedback column, and a second sheet of the class's
    statistics. Every text cell is stored as text: a name like ``=HYPERLINK(…)`` is never
    a formula."""
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font

    criteria = _criteria_of(graded)
    sections = _sections_of(graded)
    contest = any(g.scorecard is not None and (g.scorecard.round or g.scorecard.judges)
                  for g in graded)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = _("Gradebook")[:31]
    header = [_("Student ID"), _("Name"), _("Class"), _("Team"), _("Title"), _("Total"),
              _("Out of"), _("Percent"), _("Scorable"),
              *(f"{pick_title(title)} ({_number(weight)})" for _, title, weight in criteria),
              _("Feedback"), _("Status"), _("Error"), _("Session"),
              *([_("Round penalty"), _("Judges")] if contest else []),
              *(_("Section {name}").format(name=x) for x in sections)]
    _append(sheet, header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for g in graded:
        sc, entry = g.scorecard, g.entry
        who: SessionInfo | GradeError = entry.session if isinstance(entry, Scorecard) else entry
        points = {c.id: c.points for c in sc.criteria} if sc is not None else {}
        status = (_("error") if sc is None else
                  _("partial recording") if sc.session.partial else
                  _("partly scored") if _unscored_why(sc) else _("ok"))  # fmt: skip
        _append(sheet, [
            who.student_id, who.anchor, who.class_name, who.team, who.title,
            _round(sc.total) if sc else None, _round(sc.max_total) if sc else None,
            _round(sc.percent) if sc else None,
            _round(sc.scorable_fraction * 100) if sc else None,
            *(_round(points.get(cid)) for cid, _t, _w in criteria),
            feedback_text(sc) if sc else "", status,
            " ".join((g.error or (sc.session.partial if sc else "") or
                      (_unscored_why(sc) if sc else "")).split()), g.path,
            *([_round(_penalty(sc)) if sc else None, ", ".join(_judges(sc)) if sc else ""]
              if contest else []),
            *((_round(sc.sections[x].points) if sc and x in sc.sections else None)
              for x in sections),
        ])
    # an adjusted score says so on its cell: purple, with the machine's points in a note
    for row_number, g in enumerate(graded, start=2):
        for column, (cid, _t, _w) in enumerate(criteria, start=10):
            c = g.scorecard.criterion(cid) if g.scorecard else None
            if c is None or not c.adjusted or not c.review:
                continue
            machine = (c.review.get("machine") or {}).get("points")
            cell = sheet.cell(row=row_number, column=column)
            cell.font = Font(color="8E44AD", bold=True)
            was = _("unscored") if machine is None else f"{machine:g}/{c.weight:g}"
            note = _("adjusted by the instructor; machine: {points}").format(points=was)
            cell.comment = Comment(note + (f"\n{c.review_comment}" if c.review_comment else ""),
                                   "livelab")
    feedback_column = 10 + len(criteria)
    for cells in sheet.iter_rows(min_row=2, min_col=feedback_column, max_col=feedback_column):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "C2"  # the header row and who it is stay in view
    _widths(sheet, [14, 14, 10, 12, 24, 8, 8, 9, 9, *([12] * len(criteria)), 48, 9, 30, 30,
                    *([10, 16] if contest else []), *([10] * len(sections))])

    stats = book.create_sheet(_("Class statistics")[:31])
    _append(stats, [_("Rubric"), _("Criterion"), _("Points"), _("Scored"), _("Unscored"), _("Mean"),
                    _("Median"), _("Lower quartile"), _("Upper quartile"), _("Lowest"),
                    _("Highest"), _("Mean share of points")])
    for cell in stats[1]:
        cell.font = Font(bold=True)
    for summary in class_statistics(graded, include_partial):
        row = summary.row()
        title = _("Total") if summary.id == "total" else pick_title(summary.title)
        _append(stats, [summary.rubric, title, _round(summary.weight), row["scored"],
                        row["unscored"],
                        *(_round(row[k]) for k in ("mean", "median", "q1", "q3", "min", "max")),
                        _round(row["mean_fraction"] * 100 if row["mean_fraction"] is not None
                               else None)])
    stats.freeze_panes = "C2"
    _widths(stats, [22, 28, *([11] * 10)])

    items = book.create_sheet(_("Missed and said most")[:31])
    _append(items, [_("Measure"), _("Kind"), _("Item"), _("Sessions"), _("Times"), _("Of")])
    for cell in items[1]:
        cell.font = Font(bold=True)
    kinds = {"missed": _("missed"), "counted": _("said")}
    by = next((g.scorecard for g in graded if g.scorecard is not None), None)  # its catalogs
    for r in class_items(graded, include_partial):
        title = pick_title(r.title) or r.metric
        if by is not None and r.analyzer:
            title = declared(by, r.analyzer, title)
        _append(items, [title, kinds[r.kind], r.item, r.sessions, r.times, r.of])
    items.freeze_panes = "A2"
    _widths(items, [28, 10, 36, 10, 10, 10])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _unscored_why(sc: Scorecard) -> str:
    """Why criteria are unscored, when the machine could not score them (judges' criteria
    waiting for the judges are not an error)."""
    from livelab.i18n import say

    reasons: list[str] = []
    for c in sc.criteria:
        if not c.scored and not c.judged and c.reason:
            text = f"{pick_title(c.title)}: {say(c.reason)}"
            if text not in reasons:
                reasons.append(text)
    return "; ".join(reasons)


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _append(sheet: Any, values: Sequence[Any]) -> None:
    """One row; text stays text (openpyxl would store "=…" as a formula)."""
    sheet.append([None if v == "" else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def _widths(sheet: Any, widths: Sequence[float]) -> None:
    from openpyxl.utils import get_column_letter

    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width


def results_jsonl(graded: Sequence[Graded]) -> str:
    """One JSON document per line, in batch order: each session's scorecard, or its
    failed grade (schema ``livelab.grade-error/1``)."""
    return "".join(json.dumps(g.entry.to_dict(), ensure_ascii=False) + "\n" for g in graded)


def write_gradebook(directory: Path, graded: Sequence[Graded], include_partial: bool = False
                    ) -> None:
    """Write gradebook.csv, gradebook.xlsx, class_stats.csv, class_items.csv and
    results.jsonl, each atomically (never half a file)."""
    write_atomic(directory / GRADEBOOK, gradebook_csv(graded))
    write_atomic(directory / GRADEBOOK_XLSX, gradebook_xlsx(graded, include_partial))
    write_atomic(directory / CLASS_STATS, class_stats_csv(graded, include_partial))
    write_atomic(directory / CLASS_ITEMS, class_items_csv(graded, include_partial))
    write_atomic(directory / RESULTS, results_jsonl(graded))


def read_gradebook(path: Path) -> list[dict[str, str]]:
    """The gradebook's rows as dicts (BOM and all), for tests and tools."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))
