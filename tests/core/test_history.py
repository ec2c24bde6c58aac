"""The history database: recording attempts, concurrent writers, `livelab history`."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from livelab.cli import cli
from livelab.reports.history import Attempt, History, default_db_path
from livelab.reports.text import sparkline
from livelab.scoring.scorecard import SCHEMA, Scorecard, read_scorecard
from tests.core.test_batch import analysed_sample  # noqa: F401  (the pre-analysed sample fixture)


def scorecard(anchor: str, total: float, pace: float | None, path: str = "/s/1") -> Scorecard:
    return read_scorecard(
        {
            "schema": SCHEMA,
            "session": {"path": path, "title": f"{anchor}'s pitch", "anchor": anchor, "team": "T"},
            "rubric": {"id": "anchor-basics-en", "sha256": "ab" * 32},
            "total": total,
            "max_total": 100.0,
            "scorable_fraction": 1.0 if pace is not None else 0.9,
            "criteria": [
                {"id": "speaking-rate", "weight": 10, "points": pace},
                {"id": "dead-air", "weight": 10, "points": 10.0},
            ],
        }
    )


@pytest.fixture
def db(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "history.sqlite3"
    monkeypatch.setenv("LIVELAB_HISTORY_DB", str(path))
    return path


def test_record_and_query_newest_first(db):
    assert default_db_path() == db
    history = History()
    first = history.record(scorecard("王小明", 60.0, None), "analyze")
    second = history.record(scorecard("王小明", 75.5, 8.0), "grade")
    history.record(scorecard("Bob", 50.0, 5.0, path="/s/2"), "grade")
    attempts = history.attempts(anchor="王小明")
    assert [a.id for a in attempts] == [second, first]
    latest = attempts[0]
    assert isinstance(latest, Attempt)
    assert (latest.kind, latest.total, latest.max_total, latest.rubric_id) == (
        "grade",
        75.5,
        100.0,
        "anchor-basics-en",
    )
    assert attempts[1].criteria == {"speaking-rate": None, "dead-air": 10.0}
    assert [a.anchor for a in history.attempts(session_path="/s/2")] == ["Bob"]
    assert history.anchors() == ["Bob", "王小明"]
    assert len(history.attempts(limit=1)) == 1
    with pytest.raises(ValueError, match="kind"):
        history.record(scorecard("x", 1, 1), "bogus")


_WRITER = """
import sys
from livelab.reports.history import History
from livelab.scoring.scorecard import SCHEMA, read_scorecard
h = History()
for i in range(25):
    h.record(read_scorecard({"schema": SCHEMA,
                             "session": {"anchor": f"w{sys.argv[1]}", "path": f"/p/{i}"},
                             "total": float(i), "max_total": 100.0,
                             "criteria": [{"id": "c", "weight": 25, "points": i}]}),
             "grade")
"""


def test_concurrent_writers_never_lose_or_corrupt(db):
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(n)], stderr=subprocess.PIPE)
        for n in range(4)
    ]
    for w in writers:
        _out, err = w.communicate(timeout=60)
        assert w.returncode == 0, err.decode()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 100
    assert History().anchors() == ["w0", "w1", "w2", "w3"]
    assert sorted(a.total for a in History().attempts(anchor="w2")) == [float(i) for i in range(25)]


def test_history_command_shows_attempts_and_trend(db):
    h = History()
    h.record(scorecard("Alice", 55.0, 2.0), "analyze")
    h.record(scorecard("Alice", 80.0, 9.0), "grade")
    h.record(scorecard("[bold]Mallory[/bold]", 10.0, 1.0), "grade")
    result = CliRunner().invoke(cli, ["history", "Alice", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "Attempts of Alice" in result.output
    assert "55/100" in result.output and "80/100" in result.output
    trend = result.output[result.output.index("Trend") :]
    assert "speaking-rate" in trend and "+7" in trend and "+25" in trend
    everyone = CliRunner().invoke(cli, ["history", "--db", str(db)])
    assert everyone.exit_code == 0 and "[bold]Mallory[/bold]" in everyone.output
    missing = CliRunner().invoke(cli, ["history", "Nobody", "--db", str(db)])
    assert missing.exit_code == 2 and "'Alice'" in missing.output


def test_sparkline():
    assert sparkline([0.0, 5.0, 10.0], 10.0) == "▁▅█"
    assert sparkline([None, 10.0]) == "·█"


def test_analyze_records_an_attempt_and_survives_an_unwritable_db(
    tmp_path,
    db,
    analysed_sample,  # noqa: F811
):
    session = tmp_path / "session"
    shutil.copytree(analysed_sample, session)  # with its .livelab cache: re-scoring only
    ok = CliRunner().invoke(cli, ["analyze", str(session), "-q"])
    assert ok.exit_code == 0, ok.output
    (attempt,) = History().attempts()
    assert attempt.kind == "analyze" and attempt.anchor == "Demo Student"
    assert attempt.session_path == str(session / "session.toml")
    not_a_folder = tmp_path / "plain-file"
    not_a_folder.write_text("")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not an SQLite database" * 100)
    for db_path in (not_a_folder / "history.sqlite3", garbage):
        warned = CliRunner().invoke(cli, ["analyze", str(session), "-q", "--db", str(db_path)])
        assert warned.exit_code == 0, warned.output
        assert "warning: could not record this attempt" in warned.output
    assert garbage.read_bytes().startswith(b"this is not")  # never overwritten
