"""livelab_ops: operations exports in Excel (.xlsx), read as the CSV exports are."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from livelab import LivelabError
from livelab.i18n import for_session, problem_text
from livelab.inputs.session import Session
from livelab_ops import OpsAnalyzer, read_ops
from tests.conftest import REPO, TEST_DATA

DATA = TEST_DATA / "ops"


def _douyin_rows() -> list[list[str]]:
    with open(DATA / "douyin_zh.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def _douyin_workbook(path: Path, *, title_rows: int = 0, second_sheet: str = "") -> Path:
    """The Douyin export of tests/data as a dashboard writes it to Excel: clock times as
    time cells, plain counts as numbers, the rest ("1.2万", "¥12,345.60") as text."""
    rows = _douyin_rows()
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "分钟数据"
    for _ in range(title_rows):
        sheet.append([])
    sheet.append(rows[0])
    for row in rows[1:]:
        h, m, s = map(int, row[0].split(":"))
        cells: list[object] = [dt.time(h, m, s)]
        for cell in row[1:]:
            cells.append(int(cell) if cell.isdigit() else cell)
        sheet.append(cells)
    if second_sheet:
        book.create_sheet(second_sheet).append(["日期", "GMV"])
    book.save(path)
    return path


def _with_saved_values(path: Path, values: dict[str, str]) -> None:
    """Give formula cells the value Excel saves beside them (``<v>``): openpyxl writes the
    formula only, as a file nobody opened in Excel has it."""
    with zipfile.ZipFile(path) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    xml = parts["xl/worksheets/sheet1.xml"].decode()
    for ref, value in values.items():
        xml, n = re.subn(rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)(<v\s*/>|<v></v>)?',
                         rf"\1\2<v>{value}</v>", xml)
        assert n == 1, ref
    parts["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)


def _problems(path: Path, sheet: str = "") -> list[str]:
    with pytest.raises(LivelabError) as caught:
        read_ops(path, sheet=sheet)
    return [str(p) for p in caught.value.problems]


def test_an_xlsx_export_reads_exactly_as_its_csv(tmp_path: Path) -> None:
    book = _douyin_workbook(tmp_path / "ops.xlsx", title_rows=2, second_sheet="概览")
    table = read_ops(book)
    csv_table = read_ops(DATA / "douyin_zh.csv")
    assert table.format == csv_table.format == "douyin_zh"
    assert table.encoding == "xlsx" and table.time_kind == csv_table.time_kind == "clock"
    np.testing.assert_array_equal(table.t, csv_table.t)
    assert set(table.columns) == set(csv_table.columns)
    for name, values in csv_table.columns.items():
        np.testing.assert_array_equal(table.columns[name], values, err_msg=name)
    assert table.columns["gmv"].tolist() == [12345.6, 12000.0, 8888.0]
    # rows are numbered as Excel shows them: two empty rows, then the header on row 3
    assert table.row_numbers.tolist() == [4, 5, 6]


def test_a_totals_row_of_formulas_uses_the_values_excel_saved(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["时间", "成交订单数", "成交金额"])
    sheet.append(["00:00", 2, "¥74.97"])
    sheet.append(["01:00", 3, "1.2万"])
    sheet.append(["合计", "=SUM(B2:B3)", "=SUM(C2:C3)"])
    path = tmp_path / "ops.xlsx"
    book.save(path)
    # Never opened in Excel: the formulas have no value, and the cells are named.
    assert _problems(path) == [
        f"{path}: sheet 'Sheet', cell B4 (column '成交订单数' (orders)): holds a formula "
        "('=SUM(B2:B3)') with no saved value; open the file in Excel or WPS and save it "
        "again, or paste the values",
        f"{path}: sheet 'Sheet', cell C4 (column '成交金额' (gmv)): holds a formula "
        "('=SUM(C2:C3)') with no saved value; open the file in Excel or WPS and save it "
        "again, or paste the values",
    ]
    _with_saved_values(path, {"B4": "5", "C4": "12074.97"})
    table = read_ops(path)
    assert table.totals == {"orders": 5.0, "gmv": 12074.97}
    assert table.columns["gmv"].tolist() == [74.97, 12000.0]
    assert table.totals_row == 4


def test_a_named_sheet_and_the_sheets_listed_when_the_first_is_not_the_export(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ops.xlsx"
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    first.title = "概览"
    first.append(["日期", "GMV"])
    first.append(["2024-05-01", 100])
    minutes = book.create_sheet("分钟数据")
    minutes.append(["t", "orders"])
    minutes.append([0, 1])
    minutes.append([60, 2])
    book.save(path)
    problems = _problems(path)
    assert problems[0].startswith(f"{path}: sheet '概览', row 1: no time column")
    assert problems[1] == (f"{path}: read the first sheet, '概览'; the workbook also has "
                           "'分钟数据': name the one to read with ops_sheet = \"…\" in "
                           "session.toml")
    assert read_ops(path, sheet="分钟数据").columns["orders"].tolist() == [1.0, 2.0]
    assert _problems(path, "分钟") == [
        f"{path}: ops_sheet: has no sheet '分钟'; its sheets are '概览', '分钟数据'"]


def test_merged_header_cells_are_refused_by_range(tmp_path: Path) -> None:
    path = tmp_path / "ops.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["直播数据 2024-05-01"])  # a title above the table may be merged
    sheet.merge_cells("A1:C1")
    sheet.append(["时间", "流量", None])
    sheet.merge_cells("B2:C2")
    sheet.append(["00:00", 1, 2])
    book.save(path)
    # the header is row 1 here (the title): the merge in it is named first
    assert _problems(path) == [
        f"{path}: sheet 'Sheet': cells A1:C1 are merged; unmerge them so that every column "
        "has its own header and every row its own values",
        f"{path}: sheet 'Sheet': cells B2:C2 are merged; unmerge them so that every column "
        "has its own header and every row its own values",
    ]


def test_bad_cells_name_the_sheet_and_the_cell(tmp_path: Path) -> None:
    path = _douyin_workbook(tmp_path / "ops.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet is not None
    sheet["B3"] = "很多"
    sheet["A4"] = dt.time(20, 0, 30)  # earlier than the row above
    book.save(path)
    problems = _problems(path)
    assert problems == [
        f"{path}: sheet '分钟数据', cell B3 (column '在线人数' (online)): '很多' is not a number",
        f"{path}: sheet '分钟数据', cell A4 (column '时间' (t)): '20:00:30' is earlier than "
        "row 3 ('20:01:00'); times must increase row by row",
    ]
    with pytest.raises(LivelabError) as caught:
        read_ops(path)
    with for_session("zh"):
        said = problem_text(caught.value.problems[0])
    said = said.replace(str(path), "")
    assert "工作表" in said and "B3" in said and "很多" in said and "sheet" not in said


def test_password_protected_and_damaged_workbooks(tmp_path: Path) -> None:
    # tests/data/ops/encrypted.xlsx: a real encrypted workbook (ECMA-376 agile encryption,
    # password "livelab"), written by openpyxl and encrypted with msoffcrypto-tool 6.1
    encrypted = DATA / "encrypted.xlsx"
    assert _problems(encrypted) == [
        f"{encrypted}: is password-protected; open it, remove the password (Excel: File → "
        "Info → Protect Workbook; WPS: 文件 → 文档加密) and save it as .xlsx again"]
    damaged = tmp_path / "ops.xlsx"
    good = _douyin_workbook(tmp_path / "good.xlsx").read_bytes()
    damaged.write_bytes(good[: len(good) // 2])  # a download cut short
    [problem] = _problems(damaged)
    assert problem.startswith(f"{damaged}: cannot be read as an Excel workbook: ")


def test_a_session_names_its_sheet_and_the_core_reads_it(tmp_path: Path) -> None:
    from livelab.engine.pipeline import analyze_session
    from livelab.inputs.session import load_session

    recording = REPO / "sample_sessions" / "demo_en" / "pitch.mp4"
    path = tmp_path / "session"
    path.mkdir()
    shutil.copy(recording, path / "pitch.mp4")
    book = openpyxl.Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "说明"
    cover.append(["本表由后台导出"])
    minutes = book.create_sheet("分钟数据")
    with open(DATA / "canonical.csv", encoding="utf-8", newline="") as f:
        for row in csv.reader(f):
            minutes.append(row)
    book.save(path / "ops.xlsx")
    (path / "session.toml").write_text(
        'title = "t"\nrecording = "pitch.mp4"\nops = "ops.xlsx"\nops_sheet = "分钟数据"\n'
        'student_id = "2024001"\nclass = "电商2401"\n', encoding="utf-8")
    session = load_session(path)
    assert (session.ops_sheet, session.student_id, session.class_name) == (
        "分钟数据", "2024001", "电商2401")
    assert session.metadata()["student_id"] == "2024001"
    run = analyze_session(session, [OpsAnalyzer()]).runs["ops"]
    assert run.status == "ran" and run.findings is not None
    csv_session = Session(root=tmp_path, title="t",
                          files={"recording": recording, "ops": DATA / "canonical.csv"})
    expected = analyze_session(csv_session, [OpsAnalyzer()]).runs["ops"].findings
    assert expected is not None
    assert run.findings.metrics == expected.metrics
    assert run.findings.metrics["ops.acu"] == (100 * 60 + 200 * 60) / 120


def test_a_workbook_is_told_by_its_content_and_an_ignored_formula_is_no_error(
    tmp_path: Path,
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["时间", "成交订单数", "转化率"])  # 转化率: a helper column livelab ignores
    sheet.append(["00:00", 2, "=B2/10"])
    sheet.append(["01:00", 3, "=B3/10"])
    named_csv = tmp_path / "ops.csv"  # an Excel file a teacher saved under a .csv name
    book.save(named_csv)
    table = read_ops(named_csv)
    assert table.encoding == "xlsx" and table.columns["orders"].tolist() == [2.0, 3.0]
    assert table.ignored_columns == ("转化率",)
