"""The class gradebook (CSV that Excel opens safely) and results.jsonl, from graded sessions."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livelab.engine.cache import write_atomic

GRADEBOOK = "gradebook.csv"
RESULTS = "results.jsonl"
ERROR_SCHEMA = "livelab.grade-error/1"
# A spreadsheet treats a cell starting with one of these as a formula (or, for tab and
# CR, may shift it into one): an anchor named "=HYPERLINK(...)" must stay text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # so Excel reads the file as UTF-8 and shows Chinese names
BASE_COLUMNS = ("n", "path", "title", "anchor", "team", "total", "max_total", "scorable_fraction")


@dataclass(frozen=True, slots=True)
class Graded:
    """One session of a batch: its scorecard, or why it could not be graded."""

    n: int  # position in the batch, from 1
    path: str
    scorecard: Mapping[str, Any] | None = None
    error: str = ""
    meta: Mapping[str, str] = field(default_factory=dict)  # title/anchor/team when known

    @property
    def ok(self) -> bool:
        return self.scorecard is not None


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
        for c in (g.scorecard or {}).get("criteria", []):
            if c["id"] not in criteria:
                criteria.append(c["id"])
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralise(h) for h in (*BASE_COLUMNS, *criteria, "status", "error")])
    for g in graded:
        sc = g.scorecard or {}
        session = sc.get("session") or g.meta
        points = {c["id"]: c.get("points") for c in sc.get("criteria", [])}
        row = [
            str(g.n),
            g.path,
            str(session.get("title", "")),
            str(session.get("anchor", "")),
            str(session.get("team", "")),
            _number(sc.get("total")) if g.ok else "",
            _number(sc.get("max_total")) if g.ok else "",
            _number(sc.get("scorable_fraction")) if g.ok else "",
            *(_number(points.get(cid)) for cid in criteria),
            "ok" if g.ok else "error",
            " ".join(g.error.split()),  # one line per row, whatever the message held
        ]
        writer.writerow([neutralise(cell) for cell in row])
    return BOM + buffer.getvalue()


def entry_of(g: Graded) -> dict[str, Any]:
    """The session's scorecard, or an error record naming the session and the reason."""
    if g.ok:
        return dict(g.scorecard or {})
    return {
        "schema": ERROR_SCHEMA,
        "session": {"path": g.path, **g.meta},
        "status": "error",
        "error": g.error,
    }


def results_jsonl(graded: Sequence[Graded]) -> str:
    """One JSON document per line, in batch order: :func:`entry_of` each session."""
    return "".join(json.dumps(entry_of(g), ensure_ascii=False) + "\n" for g in graded)


def write_gradebook(directory: Path, graded: Sequence[Graded]) -> None:
    """Write gradebook.csv and results.jsonl atomically (never half a file)."""
    write_atomic(directory / GRADEBOOK, gradebook_csv(graded))
    write_atomic(directory / RESULTS, results_jsonl(graded))


def read_gradebook(path: Path) -> list[dict[str, str]]:
    """The gradebook's rows as dicts (BOM and all), for tests and tools."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))
