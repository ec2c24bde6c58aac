"""The gradebook files: gradebook.xlsx, class_stats.csv and the identity columns of the CSV."""

from __future__ import annotations

import copy
import csv
import io
import json

import numpy as np
import openpyxl
import pytest

from livelab import i18n
from livelab.reports.gradebook import (
    BOM,
    Graded,
    class_statistics,
    class_stats_csv,
    gradebook_csv,
    gradebook_xlsx,
)
from livelab.scoring.scorecard import GradeError, read_scorecard
from tests.conftest import TEST_DATA

GOLDEN = TEST_DATA / "golden" / "demo_zh.scorecard.json"
EVIL = '=HYPERLINK("http://evil.example","click me")'
#: The speaking-rate points of five students; the fifth recording was cut short.
RATES = [2.0, 5.5, 7.0, 10.0, 1.0]


def _class() -> list[Graded]:
    data = json.loads(GOLDEN.read_text(encoding="utf-8"))
    graded = []
    for n, points in enumerate(RATES, start=1):
        d = copy.deepcopy(data)
        d["session"].update(anchor=f"学生{n}", student_id=f"20240{n:02d}", **{"class": "电商2401"})
        rate = next(c for c in d["criteria"] if c["id"] == "speaking-rate")
        d["total"] += points - rate["points"]
        rate["points"], rate["fraction"] = points, points / rate["weight"]
        if n == 5:
            d["session"]["partial"] = "the recording ends at 01:10 of 04:00 (truncated file)"
        graded.append(Graded(n, f"/class/s{n}", read_scorecard(d)))
    graded[1].entry.session.anchor = EVIL  # type: ignore[union-attr]
    graded.append(Graded(6, "/class/broken.mp4",
                         GradeError("/class/broken.mp4", "file is empty", {"title": "broken",
                                                                           "student_id": "x7"})))
    return graded


def test_class_statistics_are_the_quartiles_of_the_points_and_leave_out_partial_ones() -> None:
    graded = _class()
    rate = next(s for s in class_statistics(graded) if s.id == "speaking-rate")
    counted = RATES[:4]  # the partial recording is not in the class's statistics
    assert rate.points == tuple(counted) and rate.unscored == 0
    q1, median, q3 = rate.quartiles() or (0, 0, 0)
    assert (q1, median, q3) == pytest.approx(tuple(np.percentile(counted, [25, 50, 75])))
    assert rate.row()["mean"] == pytest.approx(np.mean(counted))
    with_partial = next(s for s in class_statistics(graded, include_partial=True)
                        if s.id == "speaking-rate")
    assert with_partial.points == tuple(RATES)

    rows = list(csv.DictReader(io.StringIO(class_stats_csv(graded).removeprefix(BOM))))
    by_id = {r["criterion"]: r for r in rows}
    assert by_id["speaking-rate"]["rubric"] == "anchor-basics-zh"
    assert float(by_id["speaking-rate"]["q3"]) == pytest.approx(np.percentile(counted, 75))
    totals = [g.scorecard.total for g in graded[:4] if g.scorecard]
    assert float(by_id["total"]["median"]) == pytest.approx(np.median(totals), abs=1e-4)
    assert by_id["total"]["scored"] == "4"
    # a criterion nobody could score has empty cells, not zeros
    data = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for c in data["criteria"]:
        if c["id"] == "fillers":
            c.update(status="unscored", points=None, fraction=None, reason="no transcript")
    fillers = next(s for s in class_statistics([Graded(1, "p", read_scorecard(data))])
                   if s.id == "fillers")
    assert fillers.row()["mean"] is None and fillers.row()["unscored"] == 1


def test_the_csv_keeps_its_columns_and_adds_the_students_identity_at_the_end() -> None:
    rows = list(csv.reader(io.StringIO(gradebook_csv(_class()).removeprefix(BOM))))
    header = rows[0]
    assert header[:9] == ["n", "path", "title", "anchor", "team", "total", "max_total",
                          "percent", "scorable_fraction"]
    assert header[-7:] == ["status", "error", "student_id", "class", "adjusted", "penalty",
                           "judges"]
    assert [r[-5] for r in rows[1:]] == ["2024001", "2024002", "2024003", "2024004", "2024005",
                                         "x7"]
    assert rows[1][-4] == "电商2401" and rows[6][-4] == ""
    assert {r[-3] for r in rows[1:]} == {""}  # no review adjusted anything
    assert {r[-2] for r in rows[1:]} == {""}  # a practice rubric times no round


def test_the_workbook_holds_the_gradebook_and_the_statistics_in_the_readers_language() -> None:
    graded = _class()
    i18n.activate("zh", "--lang")
    book = openpyxl.load_workbook(io.BytesIO(gradebook_xlsx(graded)))
    grades, stats, _items = book.worksheets
    assert (grades.title, stats.title) == ("成绩册", "班级统计")
    assert grades.freeze_panes == "C2"
    header = [c.value for c in grades[1]]
    assert header[:8] == ["学号", "姓名", "班级", "团队", "标题", "总分", "满分", "百分比"]
    rows = list(grades.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == ["2024001", "2024002", "2024003", "2024004", "2024005", "x7"]
    column = header.index("语速 (10)")  # the criterion's Chinese title and its points
    assert [r[column] for r in rows[:5]] == RATES and rows[5][column] is None
    assert rows[0][5] == pytest.approx(graded[0].scorecard.total, abs=0.01)  # type: ignore[union-attr]
    # a hostile name stays text: no formula in the workbook
    evil = grades.cell(row=3, column=2)
    assert evil.value == EVIL and evil.data_type == "s"
    assert not [c for r in grades.iter_rows() for c in r if c.data_type == "f"]
    feedback = rows[0][header.index("反馈")]
    assert feedback and all(":" in line for line in feedback.splitlines())
    status = header.index("状态")
    assert [r[status] for r in rows] == ["正常", "正常", "正常", "正常", "录像不完整", "错误"]
    assert rows[4][header.index("错误")].startswith("the recording ends")
    stats_rows = {r[1]: r for r in stats.iter_rows(min_row=2, values_only=True)}
    assert stats_rows["语速"][3] == 4  # scored: the partial recording is left out
    assert stats_rows["总分"][2] == 100


def test_the_students_id_and_class_are_on_every_view() -> None:
    from rich.console import Console

    from livelab.builtin.reporters import print_scorecard
    from livelab.reports.html import render_class_summary, render_report

    graded = _class()
    sc = graded[0].scorecard
    assert sc is not None
    i18n.activate("en", "--lang")  # a Mandarin session's report is Chinese unless told
    console = Console(record=True, width=80)
    print_scorecard(sc, console)
    assert "student ID 2024001 · class 电商2401" in console.export_text()
    page = render_report(sc.to_dict())
    assert "Student ID" in page and "2024001" in page and "电商2401" in page
    summary = render_class_summary([g.entry.to_dict() for g in graded])
    for n in range(1, 6):
        assert f"Student ID 20240{n:02d}" in summary
    assert "Student ID x7" in summary  # the session that could not be graded, too
    i18n.activate("zh", "--lang")
    console = Console(record=True, width=80)
    print_scorecard(sc, console)
    assert "学号 2024001 · 班级 电商2401" in console.export_text()
    assert "学号" in render_report(sc.to_dict())


def test_what_the_class_missed_and_said_most_is_counted_by_session_and_in_all() -> None:
    from livelab.reports.gradebook import class_items, class_items_csv

    graded = _class()
    said = [["最", "第一", "最"], ["最"], [], ["第一"], ["最", "最"]]  # the fifth is partial
    missed = [["轻便"], ["轻便", "保温"], ["轻便"], [], ["保温"]]
    for g, terms, points in zip(graded, said, missed, strict=False):
        assert g.scorecard is not None
        g.scorecard.metrics["coverage.compliance_flags"].counted = terms
        g.scorecard.metrics["coverage.selling_points_ratio"].missed = points
    rows = {(r.metric, r.item): r for r in class_items(graded)}
    most = rows["coverage.compliance_flags", "最"]
    assert (most.kind, most.sessions, most.times, most.of) == ("counted", 2, 3, 4)
    assert rows["coverage.compliance_flags", "第一"].sessions == 2
    light = rows["coverage.selling_points_ratio", "轻便"]
    assert (light.kind, light.sessions, light.times) == ("missed", 3, 3)
    assert rows["coverage.selling_points_ratio", "保温"].sessions == 1  # partial left out
    ordered = [r.item for r in class_items(graded) if r.metric == "coverage.selling_points_ratio"]
    assert ordered == ["轻便", "保温"]  # missed by most sessions first
    text = class_items_csv(graded).removeprefix(BOM)
    assert text.splitlines()[0] == "metric,title,kind,item,sessions,times,of"
    i18n.activate("zh", "--lang")
    sheet = openpyxl.load_workbook(io.BytesIO(gradebook_xlsx(graded))).worksheets[2]
    assert sheet.title == "最常遗漏与最常说的"
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert ("遗漏", "轻便", 3, 3, 4) in [r[1:] for r in values]
