"""The history database: every attempt (a recording) and its scores, so an anchor can see
their trend."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from livelab.api.errors import LivelabError, Problem

if TYPE_CHECKING:
    from livelab.scoring.scorecard import Scorecard, SessionInfo

#: Overrides where the history database lives (tests point it at a temporary file).
ENV_HISTORY_DB = "LIVELAB_HISTORY_DB"
KINDS = ("analyze", "grade")
# Parallel workers and two grade runs may write at once: wait for the lock this long
# instead of failing with "database is locked".
BUSY_TIMEOUT_S = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS takes (
    take TEXT PRIMARY KEY,
    recording_sha256 TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    session_path TEXT NOT NULL,
    title TEXT NOT NULL,
    anchor TEXT NOT NULL,
    team TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS takes_anchor ON takes (anchor);
CREATE TABLE IF NOT EXISTS scores (
    take TEXT NOT NULL,
    rubric_id TEXT NOT NULL,
    rubric_sha256 TEXT NOT NULL,
    scored_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    total REAL NOT NULL,
    max_total REAL NOT NULL,
    scorable_fraction REAL NOT NULL,
    percent REAL,
    criteria TEXT NOT NULL,
    titles TEXT NOT NULL,
    PRIMARY KEY (take, rubric_id)
);
"""
#: Columns added to ``takes`` since the table was made: ``ALTER TABLE`` adds them to an
#: older database when it is opened.
_ADDED_COLUMNS = (("student_id", "TEXT NOT NULL DEFAULT ''"), ("class", "TEXT NOT NULL DEFAULT ''"))
# Before attempts were recordings: one row per analysis (kept as it was, read once).
_OLD_TABLE = "attempts"


def default_db_path() -> Path:
    """``$LIVELAB_HISTORY_DB``, else ``history.sqlite3`` in the user data directory."""
    override = os.environ.get(ENV_HISTORY_DB)
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_data_dir("livelab")) / "history.sqlite3"


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt — one recording, identified by its content — scored with one rubric.

    Analysing the same recording again, from any path, or re-scoring it, updates its
    results instead of adding an attempt. ``recorded_at`` is when the take was recorded
    (the session says so), else when livelab first saw it; ``scored_at`` is the latest
    scoring with this rubric.
    """

    id: int
    recorded_at: str
    kind: str  # "analyze" | "grade": how it was last scored
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
    recording_sha256: str = ""
    percent: float | None = None
    scored_at: str = ""
    titles: dict[str, str] = field(default_factory=dict)  # criterion id → title
    student_id: str = ""
    class_name: str = ""

    @property
    def student(self) -> tuple[str, str]:
        """Whose attempt it is: ``("id", student ID)`` when the session gave one, else
        ``("anchor", name)``; a student's attempts stay together when the name is typed
        differently."""
        return ("id", self.student_id) if self.student_id else ("anchor", self.anchor)

    def title_of(self, criterion: str) -> str:
        return self.titles.get(criterion) or criterion

    def to_json(self) -> dict[str, object]:
        return {
            "recording_sha256": self.recording_sha256,
            "anchor": self.anchor,
            "student_id": self.student_id,
            "class": self.class_name,
            "team": self.team,
            "title": self.title,
            "session_path": self.session_path,
            "recorded_at": self.recorded_at,
            "rubric": self.rubric_id,
            "rubric_sha256": self.rubric_sha256,
            "total": self.total,
            "max_total": self.max_total,
            "percent": self.percent,
            "scorable_fraction": self.scorable_fraction,
            "scored_at": self.scored_at,
            "kind": self.kind,
            "criteria": {
                cid: {"title": self.title_of(cid), "points": points}
                for cid, points in self.criteria.items()
            },
        }


class History:
    """The attempts database (SQLite in WAL mode, one short connection per call, so any
    number of processes can record at once without corrupting it)."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path is not None else default_db_path()

    def _connect(self) -> sqlite3.Connection:
        """A connection, or a :class:`LivelabError` naming the file when it cannot be one
        (not a database, corrupt, unreadable, read-only and never made)."""
        try:
            return self._open()
        except (sqlite3.DatabaseError, OSError) as exc:
            raise LivelabError([Problem(
                self.path, f"cannot be used as the history database ({exc}); move it "
                "away or give another with --db or LIVELAB_HISTORY_DB")]) from None  # fmt: skip

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit unless a transaction is opened; each statement is atomic.
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at checkpoint, never corrupt
            conn.executescript(_SCHEMA)
            _add_columns(conn)
            _migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def record(self, scorecard: Scorecard, kind: str = "analyze") -> int:
        """Store ``scorecard`` as its recording's attempt under its rubric (replacing an
        earlier scoring of the same recording with the same rubric); returns its id."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        session, rubric = scorecard.session, scorecard.rubric
        sha = session.recording_sha256 or _recording_sha256(session)
        take = sha or f"path:{session.path}"
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        criteria = {c.id: c.points for c in scorecard.criteria}
        titles = {c.id: c.title for c in scorecard.criteria if c.title}
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "INSERT INTO takes (take, recording_sha256, first_seen, recorded_at, "
                    "session_path, title, anchor, team, student_id, class) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (take) DO UPDATE SET session_path = excluded.session_path, "
                    "title = excluded.title, anchor = excluded.anchor, team = excluded.team, "
                    "student_id = excluded.student_id, class = excluded.class",
                    (take, sha, now, session.recorded_at or now, session.path, session.title,
                     session.anchor, session.team, session.student_id, session.class_name),
                )  # fmt: skip
                conn.execute(
                    "INSERT INTO scores (take, rubric_id, rubric_sha256, scored_at, kind, total, "
                    "max_total, scorable_fraction, percent, criteria, titles) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (take, rubric_id) DO UPDATE SET "
                    "rubric_sha256 = excluded.rubric_sha256, scored_at = excluded.scored_at, "
                    "kind = excluded.kind, total = excluded.total, max_total = excluded.max_total, "
                    "scorable_fraction = excluded.scorable_fraction, percent = excluded.percent, "
                    "criteria = excluded.criteria, titles = excluded.titles",
                    (take, rubric.id if rubric else "", rubric.sha256 if rubric else "", now,
                     kind, scorecard.total, scorecard.max_total, scorecard.scorable_fraction,
                     scorecard.percent, json.dumps(criteria, ensure_ascii=False),
                     json.dumps(titles, ensure_ascii=False)),
                )  # fmt: skip
                rowid = int(conn.execute(
                    "SELECT rowid FROM scores WHERE take = ? AND rubric_id = ?",
                    (take, rubric.id if rubric else ""),
                ).fetchone()[0])  # fmt: skip
                conn.execute("COMMIT")
            except BaseException:  # Ctrl-C included: undo, then let it through unchanged
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
        return rowid

    def attempts(
        self,
        anchor: str | None = None,
        session_path: str | None = None,
        limit: int = 200,
        rubric_id: str | None = None,
        student_id: str | None = None,
    ) -> list[Attempt]:
        """Attempts (one per recording and rubric), newest recording first, optionally of
        one anchor, one student ID, one session path and/or one rubric."""
        where, args = [], []
        for column, value in (("t.anchor", anchor), ("t.session_path", session_path),
                              ("s.rubric_id", rubric_id),
                              ("t.student_id", student_id)):  # fmt: skip
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = (
            "SELECT s.rowid, t.recorded_at, s.kind, t.session_path, t.title, t.anchor, t.team, "
            "s.rubric_id, s.rubric_sha256, s.total, s.max_total, s.scorable_fraction, "
            "s.criteria, t.recording_sha256, s.percent, s.scored_at, s.titles, t.student_id, "
            "t.class "
            "FROM scores s JOIN takes t ON t.take = s.take"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += (" ORDER BY t.recorded_at DESC, t.first_seen DESC, t.rowid DESC, "
                "s.scored_at DESC LIMIT ?")
        with closing(self._connect()) as conn:
            rows = conn.execute(sql, (*args, int(limit))).fetchall()
        return [
            Attempt(
                id=r[0], recorded_at=r[1], kind=r[2], session_path=r[3], title=r[4],
                anchor=r[5], team=r[6], rubric_id=r[7], rubric_sha256=r[8], total=r[9],
                max_total=r[10], scorable_fraction=r[11], criteria=json.loads(r[12]),
                recording_sha256=r[13], percent=r[14], scored_at=r[15], titles=json.loads(r[16]),
                student_id=r[17], class_name=r[18],
            )  # fmt: skip
            for r in rows
        ]

    def anchors(self) -> list[str]:
        """Every anchor with at least one attempt, alphabetically."""
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT DISTINCT anchor FROM takes ORDER BY anchor").fetchall()
        return [r[0] for r in rows]


def trend_rubric(attempts: Iterable[Attempt], preferred: str | None = None) -> str | None:
    """The rubric a trend is shown under (totals under different rubrics do not compare):
    ``preferred`` (an id, or a rubric file named after its id) when some attempt was scored
    with it, else the one scored with last."""
    attempts = list(attempts)
    wanted = Path(preferred).stem if preferred else None
    if wanted and any(a.rubric_id == wanted for a in attempts):
        return wanted
    found = max(attempts, key=lambda a: (a.scored_at, a.id), default=None)
    return None if found is None else found.rubric_id


def _recording_sha256(session: SessionInfo) -> str:
    """For a scorecard written before it recorded the recording's hash: the hash of the
    recording still at its path, else "" (the attempt is then keyed by its path)."""
    from livelab.engine.cache import file_sha256

    if not session.path:
        return ""
    where = Path(session.path)
    name = session.files.get("recording")
    media = where.parent / name if where.name == "session.toml" and name else where
    try:
        return file_sha256(media)
    except OSError:
        return ""


def _add_columns(conn: sqlite3.Connection) -> None:
    have = {row[1] for row in conn.execute("PRAGMA table_info(takes)")}
    for name, kind in _ADDED_COLUMNS:
        if name not in have:
            with contextlib.suppress(sqlite3.OperationalError):  # another process just did
                conn.execute(f"ALTER TABLE takes ADD COLUMN {name} {kind}")
    conn.execute("CREATE INDEX IF NOT EXISTS takes_student ON takes (student_id)")


def _migrate(conn: sqlite3.Connection) -> None:
    """Once: the old one-row-per-analysis table becomes attempts (by session path, since it
    holds no hashes: the latest scoring of a path per rubric). The old table is kept."""
    old = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_OLD_TABLE,)
    ).fetchone()
    if not old or conn.execute("SELECT 1 FROM takes LIMIT 1").fetchone():
        return
    rows = conn.execute(
        "SELECT recorded_at, kind, session_path, title, anchor, team, rubric_id, rubric_sha256, "
        f"total, max_total, scorable_fraction, criteria FROM {_OLD_TABLE} ORDER BY id"
    ).fetchall()
    if not rows:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for r in rows:
            take = f"path:{r[2]}"
            conn.execute(
                "INSERT INTO takes (take, recording_sha256, first_seen, recorded_at, "
                "session_path, title, anchor, team) VALUES (?, '', ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (take) DO UPDATE "
                "SET title = excluded.title, anchor = excluded.anchor, team = excluded.team",
                (take, r[0], r[0], r[2], r[3], r[4], r[5]),
            )
            conn.execute(
                "INSERT OR REPLACE INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, '{}')",
                (take, r[6], r[7], r[0], r[1], r[8], r[9], r[10], r[11]),
            )
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise


def record_quietly(scorecard: Scorecard, kind: str, db: Path | None = None) -> str:
    """Record an attempt; returns a warning instead of raising when the database cannot be
    written (read-only home, full disk): history must never fail an analysis."""
    try:
        History(db).record(scorecard, kind)
    except LivelabError as exc:
        return f"warning: could not record this attempt: {exc}"
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
