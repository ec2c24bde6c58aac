"""The history database: every analysis and grading run, so an anchor can see their trend."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from livelab.scoring.scorecard import Scorecard

#: Overrides where the history database lives (tests point it at a temporary file).
ENV_HISTORY_DB = "LIVELAB_HISTORY_DB"
KINDS = ("analyze", "grade")
# Parallel workers and two grade runs may write at once: wait for the lock this long
# instead of failing with "database is locked".
BUSY_TIMEOUT_S = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    session_path TEXT NOT NULL,
    title TEXT NOT NULL,
    anchor TEXT NOT NULL,
    team TEXT NOT NULL,
    rubric_id TEXT NOT NULL,
    rubric_sha256 TEXT NOT NULL,
    total REAL NOT NULL,
    max_total REAL NOT NULL,
    scorable_fraction REAL NOT NULL,
    criteria TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_anchor ON attempts (anchor, id);
CREATE INDEX IF NOT EXISTS attempts_session ON attempts (session_path, id);
"""


def default_db_path() -> Path:
    """``$LIVELAB_HISTORY_DB``, else ``history.sqlite3`` in the user data directory."""
    override = os.environ.get(ENV_HISTORY_DB)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("livelab")) / "history.sqlite3"


@dataclass(frozen=True, slots=True)
class Attempt:
    """One recorded analysis or grading of one session."""

    id: int
    recorded_at: str
    kind: str  # "analyze" | "grade"
    session_path: str
    title: str
    anchor: str
    team: str
    rubric_id: str
    rubric_sha256: str
    total: float
    max_total: float
    scorable_fraction: float
    criteria: dict[str, float | None]  # criterion id → points (None = unscored)


class History:
    """The attempts database (SQLite in WAL mode, one short connection per call, so any
    number of processes can record at once without corrupting it)."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path is not None else default_db_path()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: each statement is its own transaction; an INSERT is atomic.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at checkpoint, never corrupt
            conn.executescript(_SCHEMA)
        except BaseException:
            conn.close()
            raise
        return conn

    def record(self, scorecard: Scorecard, kind: str = "analyze") -> int:
        """Store one attempt from a scorecard; returns its id."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        session, rubric = scorecard.session, scorecard.rubric
        criteria = {c.id: c.points for c in scorecard.criteria}
        row = (
            dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            kind,
            session.path,
            session.title,
            session.anchor,
            session.team,
            rubric.id if rubric else "",
            rubric.sha256 if rubric else "",
            scorecard.total,
            scorecard.max_total,
            scorecard.scorable_fraction,
            json.dumps(criteria, ensure_ascii=False),
        )
        with closing(self._connect()) as conn:
            cursor = conn.execute(
                "INSERT INTO attempts (recorded_at, kind, session_path, title, anchor, team, "
                "rubric_id, rubric_sha256, total, max_total, scorable_fraction, criteria) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cursor.lastrowid or 0)

    def attempts(
        self, anchor: str | None = None, session_path: str | None = None, limit: int = 200
    ) -> list[Attempt]:
        """Attempts, newest first, optionally of one anchor and/or one session."""
        where, args = [], []
        if anchor is not None:
            where.append("anchor = ?")
            args.append(anchor)
        if session_path is not None:
            where.append("session_path = ?")
            args.append(session_path)
        sql = "SELECT * FROM attempts"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        with closing(self._connect()) as conn:
            rows = conn.execute(sql, (*args, int(limit))).fetchall()
        return [
            Attempt(
                id=r[0],
                recorded_at=r[1],
                kind=r[2],
                session_path=r[3],
                title=r[4],
                anchor=r[5],
                team=r[6],
                rubric_id=r[7],
                rubric_sha256=r[8],
                total=r[9],
                max_total=r[10],
                scorable_fraction=r[11],
                criteria=json.loads(r[12]),
            )
            for r in rows
        ]

    def anchors(self) -> list[str]:
        """Every anchor with at least one attempt, alphabetically."""
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT DISTINCT anchor FROM attempts ORDER BY anchor").fetchall()
        return [r[0] for r in rows]


def record_quietly(scorecard: Scorecard, kind: str, db: Path | None = None) -> str:
    """Record an attempt; returns a warning instead of raising when the database cannot be
    written (read-only home, full disk): history must never fail an analysis."""
    try:
        History(db).record(scorecard, kind)
    except (sqlite3.Error, OSError) as exc:
        return f"warning: could not record this attempt in {History(db).path}: {exc}"
    return ""


def change_text(first: float | None, last: float | None) -> str:
    """``+5``, ``-2.5`` or ``=``: how a score changed from the first attempt to the last."""
    if first is None or last is None:
        return ""
    change = last - first
    if abs(change) < 1e-9:
        return "="
    return f"{change:+g}"
