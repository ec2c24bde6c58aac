"""Grades for Moodle and Canvas, and one feedback file per student."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from livelab.cli import cli
from livelab.reports.gradebook import results_jsonl
from livelab.reports.lms import choose, lms_csv, write_feedback
from livelab.scoring.scorecard import read_entry, read_results
from tests.core.test_gradebook import EVIL, _class


def _results(tmp_path: Path) -> Path:
    graded = _class()
    path = tmp_path / "results.jsonl"
    path.write_text(results_jsonl(graded), encoding="utf-8")
    return path


def test_students_are_chosen_by_id_and_every_session_left_out_is_named(tmp_path: Path) -> None:
    entries = read_results(_results(tmp_path))
    export = choose(entries)
    assert [sc.session.student_id for sc in export.students] == [
        "2024001", "2024002", "2024003", "2024004"]
    assert len(export.warnings) == 2
    assert "line 5 (" in export.warnings[0] and "a partial recording" in export.warnings[0]
    assert export.warnings[1] == ("line 6 (/class/broken.mp4): not graded (file is empty); "
                                  "not exported")
    assert len(choose(entries, include_partial=True).students) == 5
    # the same student twice: the later recording wins, and the other is named
    again = json.loads(json.dumps(entries[0][1].to_dict()))  # type: ignore[union-attr]
    again["session"]["recorded_at"] = "2099-01-01T10:00:00"
    again["total"] = 12.5
    twice = choose([*entries[:4], (9, read_entry(again))])
    first = next(sc for sc in twice.students if sc.session.student_id == "2024001")
    assert first.total == 12.5
    assert ("student 2024001 has several sessions: exported line 9 (the latest recording), "
            "not line 1") in twice.warnings


def test_moodle_and_canvas_layouts(tmp_path: Path) -> None:
    export = choose(read_results(_results(tmp_path)))
    moodle = list(csv.reader(io.StringIO(lms_csv(export, "moodle", "Live selling 1"))))
    assert moodle[0] == ["ID number", "Full name", "Live selling 1", "Live selling 1 (feedback)"]
    assert [r[0] for r in moodle[1:]] == ["2024001", "2024002", "2024003", "2024004"]
    assert float(moodle[1][2]) == round(export.students[0].total, 2)
    assert moodle[2][1] == "'" + EVIL  # a hostile name stays text
    assert moodle[1][3]  # the feedback
    canvas = list(csv.reader(io.StringIO(lms_csv(export, "canvas", "Live selling 1"))))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                         "Live selling 1"]
    assert canvas[1] == ["Points Possible", "", "", "", "", "100"]
    assert canvas[2][:5] == ["学生1", "", "2024001", "", "电商2401"]
    assert not lms_csv(export, "canvas", "x").startswith("\ufeff")


def test_feedback_files_speak_each_students_language_and_never_collide(tmp_path: Path) -> None:
    export = choose(read_results(_results(tmp_path)))
    export.students[1].session.student_id = "2024/001"  # reads "2024-001" once made safe
    export.students[2].session.student_id = "2024 001"
    written = write_feedback(export, tmp_path / "feedback")
    assert [p.name for p in written] == ["2024001.txt", "2024-001.txt", "2024-001~2.txt",
                                         "2024004.txt"]
    text = written[0].read_text(encoding="utf-8")
    assert text.startswith("学生1 · 2024001 · 电商2401\n")
    assert "总分" in text and "语速" in text  # a Mandarin session's file is Chinese


def test_the_export_command(tmp_path: Path) -> None:
    results = _results(tmp_path)
    done = CliRunner().invoke(cli, ["export", str(tmp_path), "--lms", "moodle",
                                    "--feedback", str(tmp_path / "fb")])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "moodle.csv").is_file() and len(list((tmp_path / "fb").iterdir())) == 4
    assert "not exported" in done.output  # the warnings name what was left out
    empty = tmp_path / "empty.jsonl"
    empty.write_text(results.read_text(encoding="utf-8").splitlines()[-1] + "\n", "utf-8")
    done = CliRunner().invoke(cli, ["export", str(empty), "--lms", "canvas"])
    assert done.exit_code == 2 and "no graded session with a student_id" in done.output
