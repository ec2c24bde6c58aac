"""The class gradebook (CSV that Excel opens safely) and results.jsonl, from graded sessions."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livelab.engine.cache import write_atomic
from livelab.scoring.scorecard import Entry, GradeError, Scorecard, SessionInfo

GRADEBOOK = "gradebook.csv"
RESULTS = "results.jsonl"
# A spreadsheet treats a cell starting with one of these as a formula (or, for tab and
# CR, may shift it into one): an anchor named "=HYPERLINK(...)" must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # so Excel reads the file as UTF-8 and shows Chinese names
BASE_COLUMNS = (
    "n", "path", "title", "anchor", "team", "total", "max_total", "percent", "scorable_fraction",
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
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralise(h) for h in (*BASE_COLUMNS, *criteria, "status", "error")])
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
        ]
        writer.writerow([neutralise(cell) for cell in row])
    return BOM + buffer.getvalue()


def results_jsonl(graded: Sequence[Graded]) -> str:
    """One JSON document per line, in batch order: each session's scorecard, or its
    failed grade (schema ``livelab.grade-error/1``)."""
    return "".join(json.dumps(g.entry.to_dict(), ensure_ascii=False) + "\n" for g in graded)


def write_gradebook(directory: Path, graded: Sequence[Graded]) -> None:
    """Write gradebook.csv and results.jsonl atomically (never half a file)."""
    write_atomic(directory / GRADEBOOK, gradebook_csv(graded))
    write_atomic(directory / RESULTS, results_jsonl(graded))


def read_gradebook(path: Path) -> list[dict[str, str]]:
    """The gradebook's rows as dicts (BOM and all), for tests and tools."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))
