"""Read one sheet of an Excel workbook (``.xlsx``) as the rows of an operations export.

Dashboards and teachers' own sheets export ``.xlsx``; this turns one sheet into the same
rows of text cells a CSV gives, so every check of :mod:`livelab_ops.table` applies to both.
openpyxl reads the workbook in read-only mode (streaming, a few MB for a day of rows), twice:
once for the values Excel saved, once to find the cells that hold a formula, so a formula
with no saved value is named instead of read as blank.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import iterparse

from livelab import LivelabError, Message, Messages, Problem

M = Messages("livelab_ops")

ZIP_MAGIC = b"PK\x03\x04"
#: An OLE2 compound file: an Excel 97–2003 ``.xls``, or an encrypted ``.xlsx``.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: Workbooks larger than this are refused: a day of per-second rows is about 7 MiB.
MAX_XLSX_BYTES = 64 * 2**20
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def kind_of(path: Path) -> str:
    """``xlsx``, ``ole`` (a legacy or encrypted Office file) or ``text``, by content."""
    try:
        with open(path, "rb") as raw:
            head = raw.read(8)
    except OSError:
        return "text"  # the text reader names the error
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head == OLE_MAGIC:
        return "ole"
    return "text"


def refuse_ole(path: Path) -> LivelabError:
    """What is wrong with an OLE2 file: encrypted (a password) or an old ``.xls``."""
    try:
        data = path.read_bytes()[: 1 << 20]
    except OSError:
        data = b""
    if "EncryptionInfo".encode("utf-16-le") in data:
        message = M("xlsx_encrypted", "is password-protected; open it, remove the password "
                    "(Excel: File → Info → Protect Workbook; WPS: 文件 → 文档加密) and save it "
                    "as .xlsx again")
    else:
        message = M("xls_legacy", "is an Excel 97–2003 workbook (.xls); save it as .xlsx or "
                    "CSV (UTF-8)")
    return LivelabError([Problem(path, message)])


class Sheet:
    """One worksheet's rows as text cells, with the sheet's name for every location."""

    def __init__(self, path: Path, sheet: str = "") -> None:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException

        self.path = path
        try:
            size = path.stat().st_size
            if size > MAX_XLSX_BYTES:
                raise LivelabError([Problem(path, M(
                    "xlsx_too_big", "is {size} MiB; an Excel export may be at most {most} MiB",
                    size=f"{size / 2**20:,.0f}", most=MAX_XLSX_BYTES // 2**20))])
            # by an open file, not the name: openpyxl refuses a workbook named ops.csv
            self._files = [open(path, "rb"), open(path, "rb")]  # noqa: SIM115 - closed in close()
            self._values = openpyxl.load_workbook(self._files[0], read_only=True, data_only=True)
            self._formulas = openpyxl.load_workbook(self._files[1], read_only=True,
                                                    data_only=False)
        except LivelabError:
            raise
        except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError,
                TypeError) as exc:  # openpyxl raises these for a damaged workbook
            for handle in getattr(self, "_files", []):
                handle.close()
            raise LivelabError([Problem(path, M(
                "xlsx_unreadable", "cannot be read as an Excel workbook: {error}",
                error=str(exc) or type(exc).__name__))]) from exc
        self.names = tuple(self._values.sheetnames)
        if sheet and sheet not in self.names:
            self.close()
            raise LivelabError([Problem(path, M(
                "no_such_sheet", "has no sheet {sheet}; its sheets are {sheets}",
                sheet=repr(sheet), sheets=", ".join(map(repr, self.names))), "ops_sheet")])
        if not self.names:  # pragma: no cover - openpyxl refuses a workbook without sheets
            raise LivelabError([Problem(path, M("no_sheets", "has no sheets"))])
        self.name = sheet or self.names[0]
        self.named = bool(sheet)

    def close(self) -> None:
        self._values.close()
        self._formulas.close()
        for handle in self._files:
            handle.close()

    def merged_ranges(self) -> list[str]:
        """The sheet's merged cell ranges (``A1:C1``), read from the sheet's XML."""
        worksheet = self._values[self.name]
        part = getattr(worksheet, "_worksheet_path", None)
        if part is None:  # pragma: no cover - a future openpyxl without the attribute
            return []
        ranges: list[str] = []
        with zipfile.ZipFile(self.path) as archive, archive.open(part) as source:
            for _event, element in iterparse(source):
                if element.tag == f"{_MAIN_NS}mergeCell" and element.get("ref"):
                    ranges.append(str(element.get("ref")))
                elif element.tag == f"{_MAIN_NS}c":
                    element.clear()
        return ranges

    def rows(self) -> Generator[tuple[int, list[str], list[tuple[int, str]]]]:
        """``(row number, cells as text, [(column, formula)] of the cells holding a formula
        with no saved value)`` for every row, numbered as Excel shows them."""
        values = self._values[self.name].iter_rows()
        formulas = self._formulas[self.name].iter_rows()
        try:
            yield from self._rows(values, formulas)
        finally:  # each holds the sheet's XML open until closed
            values.close()
            formulas.close()

    @staticmethod
    def _rows(
        values: Iterator[Any], formulas: Iterator[Any]
    ) -> Iterator[tuple[int, list[str], list[tuple[int, str]]]]:
        for value_row, formula_row in zip(values, formulas, strict=False):
            cells = [c for c in value_row if getattr(c, "column", None) is not None]
            if not cells:
                continue
            number = int(cells[0].row)
            width = max(int(c.column) for c in cells)
            text = [""] * width
            for cell in cells:
                text[int(cell.column) - 1] = cell_text(cell.value)
            unsaved = []
            for cell in formula_row:
                if getattr(cell, "data_type", "") != "f" or getattr(cell, "column", None) is None:
                    continue
                column = int(cell.column) - 1
                if column >= width:
                    text.extend([""] * (column + 1 - width))
                    width = column + 1
                if not text[column]:
                    unsaved.append((column, str(cell.value)))
            yield number, text, unsaved


def cell_text(value: Any) -> str:
    """A cell's value as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.time | dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
        return str(int(seconds)) if seconds.is_integer() else repr(seconds)
    return str(value)


def column_letter(index: int) -> str:
    """``0`` → ``A``, ``26`` → ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def at_cell(sheet: str, row: int, column_index: int, column: str = "") -> Message:
    """Where in a workbook: ``sheet '分钟数据', cell B3 (column '在线人数')``."""
    if column_index < 0:
        return M("at_sheet_row", "sheet {sheet}, row {row}", sheet=repr(sheet), row=row)
    cell = f"{column_letter(column_index)}{row}"
    if column:
        return M("at_sheet_cell_column", "sheet {sheet}, cell {cell} (column {column})",
                 sheet=repr(sheet), cell=cell, column=column)
    return M("at_sheet_cell", "sheet {sheet}, cell {cell}", sheet=repr(sheet), cell=cell)


__all__ = ["MAX_XLSX_BYTES", "Sheet", "at_cell", "cell_text", "column_letter", "kind_of",
           "refuse_ole"]
