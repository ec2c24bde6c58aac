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


@dataclass(frozen=True, slots=True)
class JudgeScore:
    """One judge's score for one criterion of one session, as entered and as a fraction."""

    judge: str
    session: str
    criterion: str
    score: float
    fraction: float
    row: int  # line in the CSV, for messages

    def entry(self, source: str) -> JudgeEntry:
        """As the scorecard records it, with the sheet it came from."""
        return JudgeEntry(
            self.judge, self.criterion, self.score, round(self.fraction, 6), self.session, source
        )


def template_csv(rubric: Rubric, judges: Sequence[str], sessions: Sequence[str]) -> str:
    """The judges' sheet: one row per judge × session, one column per judged criterion."""
    judged = rubric.judged
    if not judged:
        raise LivelabError(
            [Problem(rubric.path, "has no judged criteria (add `judged: true` to a criterion)")]
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


def read_judges_csv(path: Path, rubric: Rubric) -> list[JudgeScore]:
    """Parse and validate a filled-in judges' CSV; every problem names row and column."""
    text = _decode(path)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    problems: list[Problem] = []

    def bad(row: int, column: str, message: str) -> None:
        where = f"row {row}, column {column!r}" if column else f"row {row}"
        problems.append(Problem(path, message, where))

    if not rows or not any(cell.strip() for cell in rows[0]):
        raise LivelabError([Problem(path, "is empty: expected a header row (judge, session, …)")])
    judged = {c.id: c for c in rubric.judged}
    all_ids = {c.id for c in rubric.criteria}
    columns: dict[int, str] = {}  # column index → judge/session/criterion id
    for i, raw in enumerate(rows[0]):
        cell = _unneutralise(raw.strip())
        match = _HEADER.match(cell)
        if not match:
            if cell:
                bad(1, raw, "is not a column this sheet understands")
            continue
        name = match.group(1)
        if name.lower() in (JUDGE_COLUMN, SESSION_COLUMN, *NOTE_COLUMNS):
            name = name.lower()
        elif name in all_ids and name not in judged:
            bad(1, raw, f"criterion {name!r} is scored by the machine, not judges, in {rubric.id}")
            continue
        elif name not in judged:
            known = ", ".join(judged) or "none"
            bad(1, raw, f"unknown criterion {name!r} (judged criteria in {rubric.id}: {known})")
            continue
        if name in columns.values():
            bad(1, raw, f"column {name!r} appears twice")
            continue
        columns[i] = name
    present = set(columns.values())
    if JUDGE_COLUMN not in present:
        problems.append(Problem(path, "missing column 'judge'", "row 1"))
    for cid in judged:
        if cid not in present:
            problems.append(Problem(path, f"missing column for judged criterion {cid!r}", "row 1"))
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
                bad(n, JUDGE_COLUMN, "is empty: whose scores are these?")
            continue  # a blank row, or a judge who has not filled in yet
        if (judge, session) in seen:
            bad(
                n,
                JUDGE_COLUMN,
                f"{judge!r} already scored this session on row {seen[judge, session]}",
            )
            continue
        seen[judge, session] = n
        for cid, cell in entered.items():
            value = _number(cell)
            if value is None:
                bad(n, cid, f"{cell!r} is not a number (cells are read as text, never as formulas)")
            elif not 0 <= value <= top[cid]:
                bad(n, cid, f"{value:g} is out of range: scores run from 0 to {top[cid]:g}")
            else:
                scores.append(JudgeScore(judge, session, cid, value, value / top[cid], n))
    if problems:
        raise LivelabError(problems)
    return scores


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LivelabError([Problem(path, f"cannot be read: {exc.strerror or exc}")]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on a Chinese Windows saves "CSV" in the local code page.
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise LivelabError([Problem(path, "is neither UTF-8 nor GB18030 text")]) from None


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
    names = {session_key(session), session.title, session.path}
    mine = [s for s in scores if not s.session or s.session in names]
    if scores and not mine:
        found = ", ".join(sorted({s.session for s in scores}))
        raise LivelabError(
            [
                Problem(
                    path,
                    f"no row is for session {session_key(session)!r} (sessions in the file: "
                    f"{found}); put the session's folder name in the session column",
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
    scorecard.notes.append(f"judges' scores from {source}: {', '.join(judges) or 'none'}")
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
        raise LivelabError([Problem(where, "was scored without a rubric; pass --rubric")])
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
                f"its rubric {info.id!r} ({info.path}) is missing or has changed "
                "since it was scored; pass --rubric NAME|FILE to re-score with the current one",
            )
        ]
    )
