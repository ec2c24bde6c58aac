"""Human judges' scores: a CSV template for judged criteria, and merging it into a scorecard."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from livelab.api.errors import LivelabError, Problem
from livelab.i18n import M, _
from livelab.reports.gradebook import BOM, FORMULA_STARTS, neutralise
from livelab.scoring.rubric import Rubric
from livelab.scoring.scorecard import JudgeEntry, Scorecard, SessionInfo, apply_rubric

JUDGE_COLUMN = "judge"
SESSION_COLUMN = "session"
#: Free-text columns a judge may add; never read as scores.
NOTE_COLUMNS = ("notes", "note", "comment", "comments")
_HEADER = re.compile(r"^\s*([^\s(\[]+)")  # "product-intro (0-8)" → "product-intro"


def _unneutralise(cell: str) -> str:
    """Undo :func:`neutralise` so a name round-trips through the template."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def session_key(session: SessionInfo) -> str:
    """How a judges' CSV names a session: its folder name (or the bare recording's name)."""
    path = Path(session.path)
    if path.name == "session.toml":
        return path.parent.name
    return path.name or session.title


def session_names(session: SessionInfo) -> set[str]:
    """The names a judges' row may give a session: its folder name, title or path."""
    return {n for n in (session_key(session), session.title, session.path) if n}


@dataclass(frozen=True, slots=True)
class JudgeScore:
    """One judge's score for one criterion of one session, as entered and as a fraction."""

    judge: str
    session: str
    criterion: str
    score: float
    fraction: float
    row: int  # line in the CSV, for messages
    note: str = ""  # the judge's notes on this session (the row's notes column)

    def entry(self, source: str) -> JudgeEntry:
        """As the scorecard records it, with the sheet it came from."""
        return JudgeEntry(
            self.judge, self.criterion, self.score, round(self.fraction, 6), self.session, source,
            self.note,
        )


def template_csv(rubric: Rubric, judges: Sequence[str], sessions: Sequence[str]) -> str:
    """The judges' sheet: one row per judge × session, one column per judged criterion."""
    judged = rubric.judged
    if not judged:
        raise LivelabError(
            [Problem(rubric.path, _("has no judged criteria (add `judged: true` to a criterion)"))]
        )
    scale = rubric.judging.scale
    header = [JUDGE_COLUMN, SESSION_COLUMN]
    for c in judged:
        top = f"{c.weight:g}" if scale == "points" else "1"
        header.append(f"{c.id} (0-{top})")
    header.append("notes")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralise(h) for h in header])
    for session in sessions or [""]:
        for judge in judges:
            writer.writerow([neutralise(judge), neutralise(session), *[""] * len(judged), ""])
    return BOM + buffer.getvalue()


def template_xlsx(rubric: Rubric, judges: Sequence[str], sessions: Sequence[str]) -> bytes:
    """The judges' sheet as an Excel workbook: the same columns as :func:`template_csv`,
    a frozen header, and each score cell validated by Excel (a number from 0 to the
    criterion's top), so a typo is caught while the judge types."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    rows = list(csv.reader(io.StringIO(template_csv(rubric, judges, sessions).removeprefix(BOM))))
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "judges"
    for values in rows:
        sheet.append([_unneutralise(v) for v in values])
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # names stay text: "=Wang" is never a formula
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "C2"
    last = max(2, len(rows))
    for i, c in enumerate(rubric.judged, start=3):
        top = c.weight if rubric.judging.scale == "points" else 1.0
        check = DataValidation(type="decimal", operator="between", formula1="0",
                               formula2=f"{top:g}", allow_blank=True, showErrorMessage=True,
                               errorTitle=c.id, error=_("a score from 0 to {top}").format(
                                   top=f"{top:g}"))
        letter = get_column_letter(i)
        check.add(f"{letter}2:{letter}{max(last, 200)}")
        sheet.add_data_validation(check)
        sheet.column_dimensions[letter].width = max(12, len(rows[0][i - 1]) + 2)
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 20
    sheet.column_dimensions[get_column_letter(len(rows[0]))].width = 40
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_rows(path: Path) -> list[list[str]]:
    """A judges' sheet's rows as text: CSV (UTF-8 or GB18030), or an Excel workbook's
    first sheet (the values Excel saved)."""
    try:
        with open(path, "rb") as raw:
            head = raw.read(4)
    except OSError as exc:
        raise LivelabError([Problem(path, _("cannot be read: {why}").format(
            why=exc.strerror or exc))]) from None
    if head != b"PK\x03\x04":
        return list(csv.reader(io.StringIO(_decode(path), newline="")))
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    with open(path, "rb") as handle:  # by the file, not its name: a workbook named .csv
        try:
            book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError,
                TypeError) as exc:
            raise LivelabError([Problem(path, _("cannot be read as an Excel workbook: {why}")
                                        .format(why=exc))]) from None
        try:
            sheet = book.worksheets[0]
            return [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        finally:
            book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) else str(value)
    return str(value)


def read_judges_csv(path: Path, rubric: Rubric) -> list[JudgeScore]:
    """Parse and validate a filled-in judges' sheet (CSV or .xlsx); every problem names row
    and column."""
    rows = _sheet_rows(path)
    problems: list[Problem] = []

    def bad(row: int, column: str, message: str) -> None:
        where = (_("row {n}, column {column}").format(n=row, column=repr(column)) if column
                 else _("row {n}").format(n=row))  # fmt: skip
        problems.append(Problem(path, message, where))

    if not rows or not any(cell.strip() for cell in rows[0]):
        raise LivelabError([Problem(path, _("is empty: expected a header row (judge, session, "
                                            "…)"))])
    judged = {c.id: c for c in rubric.judged}
    all_ids = {c.id for c in rubric.criteria}
    columns: dict[int, str] = {}  # column index → judge/session/criterion id
    for i, raw in enumerate(rows[0]):
        cell = _unneutralise(raw.strip())
        match = _HEADER.match(cell)
        if not match:
            if cell:
                bad(1, raw, _("is not a column this sheet understands"))
            continue
        name = match.group(1)
        if name.lower() in (JUDGE_COLUMN, SESSION_COLUMN, *NOTE_COLUMNS):
            name = name.lower()
        elif name in all_ids and name not in judged:
            bad(1, raw, _("criterion {name} is scored by the machine, not judges, in {rubric}")
                .format(name=repr(name), rubric=rubric.id))
            continue
        elif name not in judged:
            known = ", ".join(judged) or _("none")
            bad(1, raw, _("unknown criterion {name} (judged criteria in {rubric}: {known})")
                .format(name=repr(name), rubric=rubric.id, known=known))
            continue
        if name in columns.values():
            bad(1, raw, _("column {name} appears twice").format(name=repr(name)))
            continue
        columns[i] = name
    present = set(columns.values())
    if JUDGE_COLUMN not in present:
        problems.append(Problem(path, _("missing column 'judge'"), _("row {n}").format(n=1)))
    for cid in judged:
        if cid not in present:
            problems.append(Problem(path, _("missing column for judged criterion {id}").format(
                id=repr(cid)), _("row {n}").format(n=1)))
    if problems:
        raise LivelabError(problems)

    top = {
        cid: (c.weight if rubric.judging.scale == "points" else 1.0) for cid, c in judged.items()
    }
    scores: list[JudgeScore] = []
    seen: dict[tuple[str, str], int] = {}
    for n, raw_row in enumerate(rows[1:], start=2):
        cells = {name: (raw_row[i] if i < len(raw_row) else "") for i, name in columns.items()}
        entered = {k: v.strip() for k, v in cells.items() if k in judged and v.strip() != ""}
        judge = _unneutralise(cells.get(JUDGE_COLUMN, "").strip())
        session = _unneutralise(cells.get(SESSION_COLUMN, "").strip())
        if not judge:
            if entered:
                bad(n, JUDGE_COLUMN, _("is empty: whose scores are these?"))
            continue  # a blank row, or a judge who has not filled in yet
        if (judge, session) in seen:
            bad(
                n,
                JUDGE_COLUMN,
                _("{judge} already scored this session on row {n}").format(
                    judge=repr(judge), n=seen[judge, session]),
            )
            continue
        seen[judge, session] = n
        note = " ".join(" ".join(_unneutralise(cells[k].strip()) for k in NOTE_COLUMNS
                                 if cells.get(k, "").strip()).split())
        for cid, cell in entered.items():
            value = _number(cell)
            if value is None:
                bad(n, cid, _("{cell} is not a number (cells are read as text, never as "
                              "formulas)").format(cell=repr(cell)))
            elif not 0 <= value <= top[cid]:
                bad(n, cid, _("{value} is out of range: scores run from 0 to {top}").format(
                    value=f"{value:g}", top=f"{top[cid]:g}"))
            else:
                scores.append(JudgeScore(judge, session, cid, value, value / top[cid], n, note))
    if problems:
        raise LivelabError(problems)
    return scores


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LivelabError([Problem(path, _("cannot be read: {why}").format(
            why=exc.strerror or exc))]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on a Chinese Windows saves "CSV" in the local code page.
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise LivelabError([Problem(path, _("is neither UTF-8 nor GB18030 text"))]) from None


def _number(cell: str) -> float | None:
    try:
        value = float(cell)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def scores_for(
    scores: Sequence[JudgeScore], session: SessionInfo, path: Path
) -> list[JudgeScore]:
    """The rows that belong to this scorecard's session (blank session = any session)."""
    names = session_names(session)
    mine = [s for s in scores if not s.session or s.session in names]
    if scores and not mine:
        found = ", ".join(sorted({s.session for s in scores}))
        raise LivelabError(
            [
                Problem(
                    path,
                    _("no row is for session {session} (sessions in the file: {found}); put the "
                      "session's folder name in the session column").format(
                        session=repr(session_key(session)), found=found),
                )
            ]
        )
    return mine


def merge_judges(
    scorecard: Scorecard, rubric: Rubric, scores: Sequence[JudgeScore], source: str
) -> Scorecard:
    """Add judges' scores (replacing earlier ones by the same judge for the same criterion)
    and re-score the scorecard against ``rubric``."""
    new = {(s.judge, s.criterion) for s in scores}
    kept = [e for e in scorecard.judges if (e.judge, e.criterion) not in new]
    apply_rubric(scorecard, rubric, kept + [s.entry(source) for s in scores])
    judges = sorted({s.judge for s in scores})
    scorecard.notes.append(M("judges_from", "judges' scores from {source}: {judges}",
                             source=source, judges=", ".join(judges) or "—"))
    return scorecard


def rubric_of(
    scorecard: Scorecard,
    override: str | None,
    where: Path,
    plugins_dirs: Sequence[Path] = (),
) -> Rubric:
    """The rubric to (re-)score with: ``override``, else the one the scorecard names,
    provided its file has not changed since (same sha256)."""
    from livelab.engine.plugins import load_plugins, metric_specs
    from livelab.scoring.rubric import builtin_rubrics, find_rubric, load_rubric

    load_plugins(plugins_dirs)
    if override:
        return load_rubric(find_rubric(override), known_metrics=metric_specs())
    info = scorecard.rubric
    if info is None:
        raise LivelabError([Problem(where, _("was scored without a rubric; pass --rubric"))])
    candidates = [Path(info.path)]
    if info.id in builtin_rubrics():
        candidates.append(builtin_rubrics()[info.id])
    for candidate in candidates:
        if candidate.is_file():
            rubric = load_rubric(candidate, known_metrics=metric_specs())
            if rubric.sha256 == info.sha256:
                return rubric
    raise LivelabError(
        [
            Problem(
                where,
                _("its rubric {id} ({path}) is missing or has changed since it was scored; pass "
                  "--rubric NAME|FILE to re-score with the current one").format(
                    id=repr(info.id), path=info.path),
            )
        ]
    )
