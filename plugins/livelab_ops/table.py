"""Read an operations export (CSV) into a validated per-row table, whatever its headers.

The importer streams the file with the stdlib ``csv`` module and keeps one numpy array per
column, so a 50 MB export costs a few bytes per cell, not a Python object per cell.
Every problem names the file, the row (as a spreadsheet shows it: the header is row 1)
and the column; a row is never dropped, merged or filled in.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import functools
import hashlib
import heapq
import re
import unicodedata
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from livelab import LivelabError, Message, Messages, OpsFormat, Problem
from livelab_ops import workbook

M = Messages("livelab_ops")

#: livelab's canonical columns; all optional but ``t``.
CANONICAL_COLUMNS = (
    "t", "online", "entries", "exits", "views", "likes", "comments", "shares", "new_followers",
    "product_impressions", "product_clicks", "orders", "buyers", "gmv",
    # the traffic side: the room shown in feeds, entries by source, what the ads cost
    "exposures", "natural_entries", "paid_entries", "ad_spend",
    "product",
)
NUMERIC_COLUMNS = CANONICAL_COLUMNS[1:-1]
#: A row whose time cell says this holds the export's own totals, not a moment.
TOTAL_LABELS = frozenset({"total", "totals", "sum", "合计", "总计", "汇总"})
#: Stop listing after this many problems: the first few show what is wrong with the file.
MAX_PROBLEMS = 20
#: Larger files are refused before reading: real exports are a few MiB at most.
MAX_OPS_BYTES = 256 * 2**20
FORMATS_DIR = Path(__file__).with_name("formats")

_PLAIN = re.compile(r"\+?(?:\d+(?:\.\d*)?|\.\d+)")
_GROUPED = re.compile(r"\+?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_SECONDS = re.compile(r"\d+(?:\.\d+)?")
_COLON = re.compile(r"(\d+):(\d{1,2})(?::(\d{1,2}))?(\.\d+)?")
_DATETIME = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?"
)
_UNIT_SUFFIX = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]$")
_CURRENCY_PREFIX = ("¥", "$", "rmb", "cny")  # after NFKC, ￥ is ¥
_CURRENCY_SUFFIX = ("元", "rmb", "cny")
_MULTIPLIERS = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}


@dataclass(frozen=True, slots=True)
class OpsTable:
    """A validated operations table: one entry per data row, in file order.

    ``t`` is seconds: offsets from the recording start as written, or — for clock times —
    seconds after the first row. ``columns`` holds the numeric canonical columns present.
    """

    path: Path
    format: str
    encoding: str
    t: np.ndarray
    columns: Mapping[str, np.ndarray]
    row_numbers: np.ndarray
    headers: Mapping[str, str]  # canonical column → header as written in the file
    time_kind: str  # "offset" or "clock"
    time_first: str  # the first row's time cell, as written
    product_codes: np.ndarray | None = None  # index into product_names per row; -1: none
    product_names: tuple[str, ...] = ()
    totals: Mapping[str, float] = field(default_factory=dict)
    totals_row: int | None = None
    ignored_columns: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.t)

    def before(self, end_s: float) -> OpsTable:
        """The rows that start before ``end_s`` (the recording's end). A totals row is
        dropped with the rows it counted, since it no longer adds up to what is kept."""
        keep = self.t < end_s
        if keep.all():
            return self
        return dataclasses.replace(
            self,
            t=_frozen_copy(self.t[keep]),
            columns={k: _frozen_copy(v[keep]) for k, v in self.columns.items()},
            row_numbers=_frozen_copy(self.row_numbers[keep]),
            product_codes=None if self.product_codes is None else self.product_codes[keep],
            totals={},
            totals_row=None,
        )

    @property
    def products(self) -> tuple[str | None, ...] | None:
        """The ``product`` cell of each row (``None`` when blank); ``None`` without the column."""
        if self.product_codes is None:
            return None
        return tuple(self.product_names[c] if c >= 0 else None for c in self.product_codes)


# ---------------------------------------------------------------- formats


def load_format_file(path: Path) -> OpsFormat:
    """A YAML mapping file (``columns: {canonical: [headers…]}``) as an :class:`OpsFormat`."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LivelabError([Problem(path, M("bad_format_file", "cannot be read as YAML: {error}",
                                            error=str(exc)))]) from exc
    problems: list[Problem] = []
    if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
        raise LivelabError([Problem(path, M("no_columns",
                                            "needs a 'columns' table (canonical: [headers])"))])
    mapping: dict[str, str] = {}
    for canonical, headers in data["columns"].items():
        if canonical not in CANONICAL_COLUMNS:
            problems.append(Problem(path, M("unknown_canonical", "unknown canonical column {name}",
                                            name=repr(canonical)), "columns"))
            continue
        if isinstance(headers, str):
            headers = [headers]
        if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
            problems.append(
                Problem(path, M("headers_not_list", "must be a list of header strings"),
                        f"columns.{canonical}")
            )
            continue
        for header in headers:
            mapping[header] = canonical
    if "t" not in mapping.values():
        problems.append(Problem(path, M("no_time_mapping", "maps no header to the time column 't'"),
                                "columns"))
    if problems:
        raise LivelabError(problems)
    return OpsFormat(str(data.get("name") or path.stem), str(data.get("description", "")), mapping)


def builtin_formats() -> list[OpsFormat]:
    """The formats shipped in ``formats/*.yaml``; livelab's own CSV first."""
    return list(_builtin_formats())


@functools.cache
def _builtin_formats() -> tuple[OpsFormat, ...]:
    files = sorted(FORMATS_DIR.glob("*.yaml"), key=lambda p: (p.stem != "livelab", p.stem))
    return tuple(load_format_file(p) for p in files)


def _header_key(header: str) -> str:
    return "".join(unicodedata.normalize("NFKC", header).split()).casefold().lstrip("\ufeff")


def match_format(
    path: Path, headers: Sequence[str], formats: Iterable[OpsFormat], where: Message | None = None
) -> tuple[OpsFormat, dict[int, str]]:
    """The format whose mapping recognises the most headers (and a time column).

    Returns the format and column index → canonical column. A header is matched as
    written, then without a trailing bracketed unit (``成交金额（元）`` → ``成交金额``).
    """
    formats = list(formats)
    where = where or _row(1)
    keys = [_header_key(h) for h in headers]
    best: tuple[int, OpsFormat, dict[int, str]] | None = None
    for fmt in formats:
        lookup = {_header_key(k): v for k, v in fmt.columns.items()}
        matched: dict[int, str] = {}
        for i, key in enumerate(keys):
            canonical = lookup.get(key) or lookup.get(_UNIT_SUFFIX.sub("", key))
            if canonical:
                matched[i] = canonical
        if "t" in matched.values() and (best is None or len(matched) > best[0]):
            best = (len(matched), fmt, matched)
    if best is None:
        times = sorted({h for f in formats for h, c in f.columns.items() if c == "t"})
        raise LivelabError([Problem(
            path,
            M("no_time_column", "no time column: none of the headers {headers} is one of "
              "{times} (formats: {formats})", headers=_show_list(headers),
              times=_show_list(times), formats=", ".join(f.name for f in formats)),
            where,
        )])
    _, fmt, matched = best
    seen: dict[str, int] = {}
    for i, canonical in matched.items():
        if canonical in seen:
            raise LivelabError([Problem(
                path,
                M("same_column_twice", "columns '{first}' and '{second}' both mean '{name}'; "
                  "keep one", first=headers[seen[canonical]], second=headers[i], name=canonical),
                where,
            )])
        seen[canonical] = i
    return fmt, matched


# ---------------------------------------------------------------- cells


def parse_number(cell: str) -> float | Message:
    """A count or amount as a float, or what is wrong with it (a message).

    Accepts currency symbols (¥ ￥ $ 元), thousands separators (12,345), 万 (×10,000)
    and 亿 (×100,000,000). Formula-looking text (=…, @…) is data: it is not a number.
    """
    if cell.isascii() and cell.isdigit():  # the common case, fast
        return float(cell)
    text = unicodedata.normalize("NFKC", cell).strip()
    if not text:
        return M("blank_number", "is blank (write 0 if nothing happened)")
    body = text.casefold()
    for _ in range(2):  # symbols may wrap 万: ¥1.2万, 1.2万元
        for prefix in _CURRENCY_PREFIX:
            if body.startswith(prefix):
                body = body[len(prefix):].strip()
        for suffix in _CURRENCY_SUFFIX:
            if body.endswith(suffix):
                body = body[: -len(suffix)].strip()
    multiplier = Decimal(1)
    if body[-1:] in _MULTIPLIERS:
        multiplier = _MULTIPLIERS[body[-1]]
        body = body[:-1].strip()
    negative = body.startswith(("-", "\u2212"))
    if negative:
        body = body[1:].strip()
    if "," in body:
        if not _GROUPED.fullmatch(body):
            return M("bad_thousands", "{cell} is not a number (commas may only separate "
                     "thousands: 12,345)", cell=_show(cell))
        body = body.replace(",", "")
    if not _PLAIN.fullmatch(body):
        return _not_a_number(cell)
    if negative and Decimal(body) != 0:
        return M("negative_amount", "{cell} is negative; counts and amounts cannot be below 0",
                 cell=_show(cell))
    try:
        return float(Decimal(body) * multiplier)
    except InvalidOperation:  # pragma: no cover - the regexes admit only decimals
        return _not_a_number(cell)


def _not_a_number(cell: str) -> Message:
    return M("not_a_number", "{cell} is not a number", cell=_show(cell))


def parse_time(cell: str) -> tuple[str, float] | Message:
    """``(form, seconds)`` for one time cell, or what is wrong with it.

    Forms: ``seconds`` (``90``), ``mm:ss`` (``01:30``), ``h:mm:ss`` (``1:01:30``) — all
    seconds of the day for the last one — and ``datetime`` (seconds since 0001-01-01).
    """
    if cell.isascii() and cell.isdigit():  # the common case, fast
        return "seconds", float(cell)
    text = unicodedata.normalize("NFKC", cell).strip()
    if not text:
        return M("blank_time", "is blank; every row needs a time")
    if _SECONDS.fullmatch(text):
        return "seconds", float(text)
    match = _COLON.fullmatch(text)
    if match:
        a, b, c, frac = match.groups()
        fraction = float(frac) if frac else 0.0
        if c is None:
            if int(b) >= 60:
                return M("bad_seconds", "{cell} is not a time (seconds must be below 60)",
                         cell=_show(cell))
            return "mm:ss", int(a) * 60 + int(b) + fraction
        if int(b) >= 60 or int(c) >= 60:
            return M("bad_minutes", "{cell} is not a time (minutes and seconds must be below 60)",
                     cell=_show(cell))
        return "h:mm:ss", int(a) * 3600 + int(b) * 60 + int(c) + fraction
    match = _DATETIME.fullmatch(text)
    if match:
        y, mo, d, h, mi, s, frac = match.groups()
        try:
            moment = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
        except ValueError:
            return M("bad_datetime", "{cell} is not a valid date and time", cell=_show(cell))
        since = moment - dt.datetime(1, 1, 1)
        return "datetime", since.total_seconds() + (float(frac) if frac else 0.0)
    if text.startswith(("-", "\u2212")):
        return M("negative_time", "{cell} is negative; a time is an offset from the start or a "
                 "clock time", cell=_show(cell))
    return M("not_a_time", "{cell} is not a time (use seconds, mm:ss, h:mm:ss, or a clock time "
             "like 20:00:00 or 2024-05-01 20:00:00)", cell=_show(cell))


# ---------------------------------------------------------------- reading


def read_ops(
    path: Path | str, formats: Iterable[OpsFormat] | None = None, sheet: str = ""
) -> OpsTable:
    """Import one operations export, CSV or Excel (``.xlsx``, told by its content); raise
    :class:`LivelabError` naming every problem.

    ``formats``: the formats to recognise its headers by; by default this plugin's own
    (analyzers pass :attr:`livelab.Signals.ops_formats`, every format the plugins offer).
    ``sheet``: the workbook's sheet to read (by default the first); ignored for CSV.

    The time column is read as a whole, decided by its first row: a date and time, or an
    ``h:mm:ss`` at or after 1:00:00, is a clock time and counts from the first row
    (a clock that goes back by more than 12 hours has passed midnight); anything else
    (seconds, ``mm:ss``, ``h:mm:ss`` below an hour) is an offset from the recording start.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise LivelabError([Problem(path, _unreadable(exc))]) from exc
    if size > MAX_OPS_BYTES:
        raise LivelabError([Problem(path, M(
            "too_big", "is {size} MiB; an operations export may be at most {most} MiB (a day "
            "of per-second rows is about 20 MiB)", size=f"{size / 2**20:,.0f}",
            most=MAX_OPS_BYTES // 2**20))])
    formats = builtin_formats() if formats is None else list(formats)
    # ops, ops_speech and ops_products read the same file in one run: import it once.
    # The key is the content (a timestamp may not change between two quick edits).
    key = (str(path.resolve()), _digest(path), sheet,
           tuple((f.name, tuple(sorted(f.columns.items()))) for f in formats))
    if _last_read and _last_read[0] == key:
        return _last_read[1]
    kind = workbook.kind_of(path)
    if kind == "ole":
        raise workbook.refuse_ole(path)
    if kind == "xlsx":
        table = _read_workbook(path, formats, sheet)
        _last_read[:] = [key, table]
        return table
    for encoding in ("utf-8-sig", "gb18030"):  # Chinese dashboards often export GBK
        try:
            table = _read(path, formats, encoding)
        except UnicodeDecodeError:
            continue
        _last_read[:] = [key, table]
        return table
    raise LivelabError([Problem(path, M("not_text", "is neither UTF-8 nor GB18030 text"))])


_last_read: list = []  # [key, OpsTable] of the last file read


def _digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    try:
        with open(path, "rb") as raw:
            while chunk := raw.read(1 << 20):
                digest.update(chunk)
    except OSError as exc:
        raise LivelabError([Problem(path, _unreadable(exc))]) from exc
    return digest.hexdigest()


def _unreadable(exc: OSError) -> Message:
    return M("unreadable", "cannot be read: {error}", error=exc.strerror or str(exc))


def _row(n: int, column: str = "") -> Message:
    """Where in the file: ``row 3``, ``row 3, column 'gmv'``."""
    if column:
        return M("at_cell", "row {row}, column {column}", row=n, column=column)
    return M("at_row", "row {row}", row=n)


#: One row of an export: its number as a spreadsheet shows it, its cells as text, and the
#: cells holding a formula with no saved value (column index, formula), for a workbook.
Record = tuple[int, list[str], Sequence[tuple[int, str]]]


def _records(path: Path, encoding: str) -> Iterator[Record]:
    with open(path, encoding=encoding, newline="") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        first = sample.splitlines()[0] if sample else ""
        delimiter = "\t" if first.count("\t") > first.count(",") else ","
        try:
            for number, cells in enumerate(csv.reader(handle, delimiter=delimiter), start=1):
                yield number, cells, ()
        except csv.Error as exc:
            raise LivelabError([Problem(path, M("bad_csv", "is not valid CSV: {error}",
                                                error=str(exc)))]) from exc


class _Problems:
    """The first :data:`MAX_PROBLEMS` problems in file order (row, then column), and a count."""

    def __init__(self, path: Path, sheet: str = "") -> None:
        self.path = path
        self.sheet = sheet  # a workbook's sheet: locations name it and the cell
        self.heap: list[tuple[int, int, int, Problem]] = []  # (-row, -column, -seen, problem)
        self.seen = 0

    def add(self, row: int, column_index: int, column: str, message: Message) -> None:
        # Numeric cells are checked a chunk of rows at a time, after the rows' times, so
        # problems arrive out of order: keep the earliest ones, whatever the order.
        self.seen += 1
        where = (workbook.at_cell(self.sheet, row, column_index, column) if self.sheet
                 else _row(row, column))
        item = (-row, -column_index, -self.seen, Problem(self.path, message, where))
        if len(self.heap) < MAX_PROBLEMS:
            heapq.heappush(self.heap, item)
        elif item > self.heap[0]:
            heapq.heapreplace(self.heap, item)

    def raise_if_any(self) -> None:
        if self.heap:
            problems = [item[3] for item in sorted(self.heap, reverse=True)]
            if self.seen > len(problems):
                more = self.seen - len(problems)
                problems.append(Problem(self.path, M("more_problems", "… and {n} more problems",
                                                     n=more)))
            raise LivelabError(problems)


# Rows are parsed a chunk at a time: a column of plain numbers is checked by one regex
# and converted by one ``map(float)``, ten times faster than a cell at a time.
_CHUNK_ROWS = 2_000
_PLAIN_COLUMN = re.compile(r"\d+(?:\.\d+)?(?:\n\d+(?:\.\d+)?)*")


def _read(path: Path, formats: list[OpsFormat], encoding: str) -> OpsTable:
    # Decode the whole file once first so a non-UTF-8 file switches encoding before any
    # row is read; incremental decoding keeps memory flat.
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as raw:
            while chunk := raw.read(1 << 20):
                if b"\x00" in chunk:  # csv would read a NUL-filled file as one huge line
                    raise LivelabError([Problem(path, M("nul_bytes",
                                                        "contains NUL bytes: not a text export"))])
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except OSError as exc:
        raise LivelabError([Problem(path, _unreadable(exc))]) from exc

    return _build(path, _records(path, encoding), formats, encoding)


def _read_workbook(path: Path, formats: list[OpsFormat], sheet_name: str) -> OpsTable:
    sheet = workbook.Sheet(path, sheet_name)
    try:
        rows = sheet.rows()
        merged = sheet.merged_ranges()

        def checked() -> Iterator[Record]:
            # A sheet's rows run to its widest cell: trailing blanks are not cells, so rows
            # are cut to their last value and padded to the header's width.
            width = 0
            for number, cells, unsaved in rows:
                while cells and not cells[-1].strip():
                    cells.pop()
                if not width and cells:
                    width = len(cells)
                    _refuse_merged(path, sheet.name, merged, number)
                yield number, cells + [""] * (width - len(cells)), unsaved

        others = [n for n in sheet.names if n != sheet.name]
        hint = None
        if others and not sheet.named:
            hint = M("other_sheets", "read the first sheet, {sheet}; the workbook also has "
                     "{others}: name the one to read with ops_sheet = \"…\" in session.toml",
                     sheet=repr(sheet.name), others=", ".join(map(repr, others)))
        return _build(path, checked(), formats, "xlsx", sheet.name, hint)
    finally:
        rows.close()
        sheet.close()


def _refuse_merged(path: Path, sheet: str, merged: Sequence[str], header_row: int) -> None:
    """Merged cells in the header or the data: the columns or rows they span have no value
    of their own, so the sheet cannot be read as a table."""
    problems = []
    for ref in merged:
        last = ref.split(":")[-1]
        if int("".join(ch for ch in last if ch.isdigit()) or 0) >= header_row:
            problems.append(Problem(path, M(
                "merged_cells", "cells {cells} are merged; unmerge them so that every column "
                "has its own header and every row its own values", cells=ref),
                M("at_sheet", "sheet {sheet}", sheet=repr(sheet))))
    if problems:
        raise LivelabError(problems)


def _build(
    path: Path,
    records: Iterator[Record],
    formats: list[OpsFormat],
    encoding: str,
    sheet: str = "",
    hint: Message | None = None,
) -> OpsTable:
    """The table from an export's rows, CSV or one sheet of a workbook; ``hint`` joins the
    error when no header row is recognised (a workbook's other sheets)."""
    header: list[str] | None = None
    header_row = 1
    for number, cells, _unsaved in records:
        if any(c.strip() for c in cells):
            header_row, header = number, cells
            break
    if header is None:
        raise LivelabError(
            [Problem(path, M("empty", "is empty; expected a header row with a time column 't'"))]
        )
    where = (workbook.at_cell(sheet, header_row, -1) if sheet else _row(header_row))
    try:
        fmt, matched = match_format(path, header, formats, where)
    except LivelabError as exc:
        if hint is None:
            raise
        raise LivelabError([*exc.problems, Problem(path, hint)]) from exc
    names = {canonical: header[i].strip() for i, canonical in matched.items()}
    ignored = tuple(
        h.strip() or f"(unnamed column {i + 1})" for i, h in enumerate(header) if i not in matched
    )
    t_index = next(i for i, c in matched.items() if c == "t")
    numeric = [(i, c) for i, c in matched.items() if c in NUMERIC_COLUMNS]
    product_index = next((i for i, c in matched.items() if c == "product"), None)

    def label(canonical: str) -> str:
        return _label(names, canonical)

    problems = _Problems(path, sheet)
    times = array("d")
    rows = array("q")
    values = {c: array("d") for _, c in numeric}
    product_codes = array("q")
    product_names: dict[str, int] = {}
    totals: dict[str, float] = {}
    totals_row: int | None = None
    kind = ""  # "offset" or "clock", decided by the first row
    first_form, first_cell = "", ""
    origin = 0.0
    day = 0.0
    previous: tuple[int, float, str] | None = None  # row, seconds, cell
    width = len(header)
    pending: list[list[str]] = []  # records whose numeric cells are not parsed yet
    pending_rows: list[int] = []

    def flush() -> None:
        by_column = list(zip(*pending, strict=False)) if pending else []
        for i, canonical in numeric:
            cells = by_column[i] if by_column else ()
            if _PLAIN_COLUMN.fullmatch("\n".join(cells)):
                try:
                    values[canonical].extend(array("d", map(float, cells)))
                    continue
                except ValueError:  # a quoted cell holding a line break; check cell by cell
                    pass
            for row_number, cell in zip(pending_rows, cells, strict=True):
                value = parse_number(cell)
                if isinstance(value, Message):
                    problems.add(row_number, i, label(canonical), value)
                    value = 0.0  # never returned: any problem fails the import
                values[canonical].append(value)
        pending.clear()
        pending_rows.clear()

    for row, record, unsaved in records:
        if not "".join(record).strip():
            continue  # an empty line is not a row
        unsaved = [(i, f) for i, f in unsaved if i in matched]  # an ignored column: no matter
        if unsaved:
            for index, formula in unsaved:
                column = next((label(c) for i, c in matched.items() if i == index), "")
                problems.add(row, index, column, M(
                    "formula_unsaved", "holds a formula ({formula}) with no saved value; open "
                    "the file in Excel or WPS and save it again, or paste the values",
                    formula=_show(formula)))
            continue
        if len(record) != width and (len(record) < width or "".join(record[width:]).strip()):
            problems.add(row, -1, "", M("wrong_width", "has {cells} cells but the header has "
                                        "{width}", cells=len(record), width=width))
            continue
        if totals_row is not None:
            problems.add(row, -1, "", M("after_totals", "comes after the totals row (row "
                                        "{totals}); totals must be the last row",
                                        totals=totals_row))
            continue
        t_cell = record[t_index]
        if t_cell.strip().casefold() in TOTAL_LABELS:
            totals_row = row
            for i, canonical in numeric:
                if record[i].strip():
                    parsed = parse_number(record[i])
                    if isinstance(parsed, Message):
                        problems.add(row, i, label(canonical), parsed)
                    else:
                        totals[canonical] = parsed
            continue
        parsed_time = parse_time(t_cell)
        seconds = 0.0
        if isinstance(parsed_time, Message):
            problems.add(row, t_index, label("t"), parsed_time)
        else:
            form, stamp = parsed_time
            if not kind:
                first_form, first_cell = form, t_cell.strip()
                clock = form == "datetime" or (form == "h:mm:ss" and stamp >= 3600)
                kind = "clock" if clock else "offset"
                origin = stamp if clock else 0.0
            if kind == "offset" and form == "datetime":
                problems.add(row, t_index, label("t"), M(
                    "offset_then_clock", "{cell} is a date and time, but the first row's "
                    "{first} is an offset", cell=_show(t_cell), first=_show(first_cell)))
            elif kind == "clock" and form != first_form:
                problems.add(row, t_index, label("t"), M(
                    "not_clock", "{cell} is not a clock time like the first row's {first}",
                    cell=_show(t_cell), first=_show(first_cell)))
            else:
                if kind == "clock" and form == "h:mm:ss" and previous is not None:
                    if stamp + day - origin < previous[1] - 12 * 3600:
                        day += 24 * 3600  # the clock passed midnight
                seconds = stamp + day - origin
                if previous is not None and seconds <= previous[1]:
                    said = dict(cell=_show(t_cell), row=previous[0], before=_show(previous[2]))
                    problems.add(row, t_index, label("t"), M(
                        "time_repeats", "{cell} repeats the time of row {row} ({before}); "
                        "times must increase row by row", **said) if seconds == previous[1]
                        else M("time_earlier", "{cell} is earlier than row {row} ({before}); "
                               "times must increase row by row", **said))
                previous = (row, seconds, t_cell)
        if product_index is not None:
            text = record[product_index].strip()
            product_codes.append(product_names.setdefault(text, len(product_names)) if text else -1)
        times.append(seconds)
        rows.append(row)
        pending.append(record)
        pending_rows.append(row)
        if len(pending) >= _CHUNK_ROWS:
            flush()
    flush()
    problems.raise_if_any()
    if not times:
        raise LivelabError([Problem(path, M("no_rows", "has a header but no data rows"),
                                    _row(2))])
    # frombuffer shares the arrays' memory instead of copying every column; the table is
    # shared between analyzers, so its arrays are read-only.
    return OpsTable(
        path=path,
        format=fmt.name,
        encoding=encoding.replace("-sig", ""),
        t=_frozen(times, np.float64),
        columns={c: _frozen(v, np.float64) for c, v in values.items()},
        row_numbers=_frozen(rows, np.int64),
        headers=names,
        time_kind=kind,
        time_first=first_cell,
        product_codes=_frozen(product_codes, np.int64) if product_index is not None else None,
        product_names=tuple(product_names),
        totals=totals,
        totals_row=totals_row,
        ignored_columns=ignored,
    )


# ---------------------------------------------------------------- helpers


def _frozen_copy(values: np.ndarray) -> np.ndarray:
    out = np.array(values)
    out.flags.writeable = False
    return out


def _frozen(values: array, dtype: type) -> np.ndarray:
    out: np.ndarray = np.frombuffer(values, dtype=dtype)
    out.flags.writeable = False
    return out


def _label(names: Mapping[str, str], canonical: str) -> str:
    written = names.get(canonical, canonical)
    return f"'{written}'" if written == canonical else f"'{written}' ({canonical})"


def _show(cell: str) -> str:
    cell = cell.strip()
    return repr(cell if len(cell) <= 40 else cell[:37] + "…")


def _show_list(items: Sequence[str]) -> str:
    shown = [repr(h) for h in items[:12]]
    if len(items) > 12:
        shown.append("…")
    return ", ".join(shown) if shown else "(none)"


__all__ = [
    "CANONICAL_COLUMNS",
    "NUMERIC_COLUMNS",
    "OpsTable",
    "builtin_formats",
    "load_format_file",
    "match_format",
    "parse_number",
    "parse_time",
    "read_ops",
]
