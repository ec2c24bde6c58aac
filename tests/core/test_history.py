"""The history database: recording attempts, concurrent writers, `livelab history`."""

from __future__ import annotations

import hashlib
import json
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


def scorecard(
    anchor: str, total: float, pace: float | None, path: str = "/s/1", take: str = "",
    rubric: str = "anchor-basics-en", student_id: str = "",
) -> Scorecard:
    """A scored session; ``take`` names its recording (its content hash, in livelab)."""
    sha = hashlib.sha256((take or f"{anchor}{total}{pace}").encode()).hexdigest()
    who = {"student_id": student_id, "class": "电商2401"} if student_id else {}
    return read_scorecard(
        {
            "schema": SCHEMA,
            "session": {"path": path, "title": f"{anchor}'s pitch", "anchor": anchor, "team": "T",
                        "recording_sha256": sha, **who},
            "rubric": {"id": rubric, "sha256": "ab" * 32},
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
    first = history.record(scorecard("王小明", 60.0, None, take="a"), "analyze")
    second = history.record(scorecard("王小明", 75.5, 8.0, take="b"), "grade")
    history.record(scorecard("Bob", 50.0, 5.0, path="/s/2"), "grade")
    attempts = history.attempts(anchor="王小明")
    assert {a.id for a in attempts} == {second, first}
    assert [a.total for a in attempts] == [75.5, 60.0]  # newest recording first
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


def test_an_attempt_is_a_recording_analysed_again_or_rescored_it_is_updated(db):
    history = History()
    first = history.record(scorecard("Alice", 60.0, 5.0, path="/c/alice", take="t1"))
    again = history.record(scorecard("Alice", 61.0, 5.5, path="/elsewhere", take="t1"), "grade")
    assert again == first  # the same recording, from another path: the same attempt
    other = history.record(scorecard("Alice", 70.0, 7.0, "/elsewhere", take="t1", rubric="contest"))
    (a, b) = sorted(history.attempts(anchor="Alice"), key=lambda a: a.rubric_id)
    assert (a.rubric_id, a.total, a.kind, a.session_path) == ("anchor-basics-en", 61.0, "grade",
                                                              "/elsewhere")  # fmt: skip
    assert (b.rubric_id, b.total, b.id) == ("contest", 70.0, other)
    assert a.recording_sha256 == b.recording_sha256 == hashlib.sha256(b"t1").hexdigest()
    history.record(scorecard("Alice", 80.0, 9.0, take="t2"))
    mine = history.attempts(anchor="Alice", rubric_id="anchor-basics-en")
    assert [x.total for x in mine] == [80.0, 61.0]  # two recordings under that rubric


_WRITER = """
import sys
from livelab.reports.history import History
from livelab.scoring.scorecard import SCHEMA, read_scorecard
h = History()
for i in range(25):
    h.record(read_scorecard({"schema": SCHEMA,
                             "session": {"anchor": f"w{sys.argv[1]}",
                                         "path": f"/p/{sys.argv[1]}/{i}"},
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
        assert conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0] == 100
    assert History().anchors() == ["w0", "w1", "w2", "w3"]
    assert sorted(a.total for a in History().attempts(anchor="w2")) == [float(i) for i in range(25)]


def test_history_command_shows_attempts_and_trend(db):
    h = History()
    h.record(scorecard("Alice", 99.0, 10.0, rubric="contest"), "grade")  # not in the trend
    h.record(scorecard("Alice", 55.0, 2.0), "analyze")
    h.record(scorecard("Alice", 80.0, 9.0), "grade")
    h.record(scorecard("[bold]Mallory[/bold]", 10.0, 1.0), "grade")
    result = CliRunner().invoke(cli, ["history", "Alice", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "Attempts of Alice · rubric anchor-basics-en" in result.output
    assert "55/100" in result.output and "80/100" in result.output
    assert "99/100" not in result.output and "also scored with: contest" in result.output
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


def test_one_recording_is_one_attempt_however_it_is_named_or_rescored(
    tmp_path,
    db,
    monkeypatch,
    analysed_sample,  # noqa: F811
):
    """`class`, `./class/`, its absolute path, a cached re-run, `-q` and another rubric:
    one attempt of one recording, with one result per rubric; `--json` lists them."""
    klass = tmp_path / "class"
    shutil.copytree(analysed_sample, klass)  # with its cache: each run only re-scores
    monkeypatch.chdir(tmp_path)
    for spelling in ("class", "./class/", str(klass)):
        done = CliRunner().invoke(cli, ["analyze", spelling, "-q"])
        assert done.exit_code == 0, done.output
    other = "standard-internet-marketer-live"
    rescored = CliRunner().invoke(cli, ["analyze", "class", "-q", "--rubric", other])
    assert rescored.exit_code == 0, rescored.output
    listed = CliRunner().invoke(cli, ["history", "Demo Student", "--json", "--db", str(db)])
    assert listed.exit_code == 0, listed.output
    attempts = json.loads(listed.output)["attempts"]
    assert sorted(a["rubric"] for a in attempts) == ["anchor-basics-en", other]
    sha = hashlib.sha256((klass / "pitch.mp4").read_bytes()).hexdigest()
    assert {a["recording_sha256"] for a in attempts} == {sha}
    for a in attempts:
        assert {"recording_sha256", "anchor", "rubric", "total", "percent", "recorded_at"} <= set(a)
        assert a["anchor"] == "Demo Student" and 0 < a["percent"] <= 100
    basics = next(a for a in attempts if a["rubric"] == "anchor-basics-en")
    assert basics["criteria"]["speaking-rate"]["title"] == "Speaking pace"
    # a second take (another recording) makes the trend, under the same rubric only
    take2 = tmp_path / "take2"
    shutil.copytree(klass, take2)
    with (take2 / "pitch.mp4").open("ab") as f:
        f.write(b"\0" * 16)  # other bytes: another recording
    assert CliRunner().invoke(cli, ["analyze", str(take2), "-q"]).exit_code == 0
    shown = CliRunner().invoke(cli, ["history", "Demo Student", "--db", str(db)])
    assert "Attempts of Demo Student · rubric anchor-basics-en" in shown.output
    assert "Trend per criterion" in shown.output and "Speaking pace" in shown.output


def test_an_old_history_database_is_read_into_attempts(db):
    """A database from before attempts were recordings: its rows become attempts (by
    session path, newest scoring wins) and the old table is kept as it was."""
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TABLE attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, recorded_at TEXT, "
            "kind TEXT, session_path TEXT, title TEXT, anchor TEXT, team TEXT, rubric_id TEXT, "
            "rubric_sha256 TEXT, total REAL, max_total REAL, scorable_fraction REAL, "
            "criteria TEXT)"
        )
        for i, total in enumerate((50.0, 60.0, 70.0)):
            conn.execute(
                "INSERT INTO attempts (recorded_at, kind, session_path, title, anchor, team, "
                "rubric_id, rubric_sha256, total, max_total, scorable_fraction, criteria) "
                "VALUES (?, 'analyze', ?, 't', 'Alice', 'T', 'anchor-basics-en', 'x', ?, 100, "
                "1, '{\"c\": 1}')",
                (f"2026-11-0{i + 1}T10:00:00+00:00", "/a" if i < 2 else "/b", total),
            )
    attempts = History().attempts(anchor="Alice")
    assert sorted((a.session_path, a.total) for a in attempts) == [("/a", 60.0), ("/b", 70.0)]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == 3


def test_a_student_id_keeps_a_students_attempts_together_however_the_name_is_typed(db):
    h = History()
    h.record(scorecard("王小明", 55.0, 2.0, student_id="2024001"), "grade")
    h.record(scorecard("王 小明", 80.0, 9.0, student_id="2024001"), "grade")  # typed otherwise
    h.record(scorecard("王小明", 40.0, 1.0), "analyze")  # another 王小明, with no ID
    mine = h.attempts(student_id="2024001")
    assert sorted(a.total for a in mine) == [55.0, 80.0]
    assert {a.class_name for a in mine} == {"电商2401"}
    assert mine[0].to_json()["student_id"] == "2024001"
    shown = CliRunner().invoke(cli, ["history", "2024001", "--db", str(db)])
    assert shown.exit_code == 0, shown.output
    assert "55/100" in shown.output and "80/100" in shown.output and "40/100" not in shown.output
    everyone = CliRunner().invoke(cli, ["history", "--db", str(db)])
    rows = [line for line in everyone.output.splitlines() if "王" in line]
    assert len(rows) == 2  # the student with the ID (two attempts), and the other 王小明
    assert any("2024001" in r for r in rows) and not all("2024001" in r for r in rows)


def test_a_database_from_before_student_ids_gains_the_columns(db):
    with sqlite3.connect(db) as conn:  # the takes table as it was made before student IDs
        conn.execute(
            "CREATE TABLE takes (take TEXT PRIMARY KEY, recording_sha256 TEXT NOT NULL, "
            "first_seen TEXT NOT NULL, recorded_at TEXT NOT NULL, session_path TEXT NOT NULL, "
            "title TEXT NOT NULL, anchor TEXT NOT NULL, team TEXT NOT NULL)")
        conn.execute("INSERT INTO takes VALUES ('t1', 's', '2026-11-01', '2026-11-01', '/a', "
                     "'t', 'Alice', 'T')")
    h = History()
    h.record(scorecard("Alice", 70.0, 5.0, student_id="2024009"), "grade")
    assert [a.student_id for a in h.attempts(anchor="Alice")] == ["2024009"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT student_id FROM takes WHERE take = 't1'").fetchone() == ("",)
