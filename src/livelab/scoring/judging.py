"""Human judges' scores: a CSV template for judged criteria, and merging it into a scorecard."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from livelab.api.errors import LivelabError, Problem
from livelab.reports.gradebook import BOM, FORMULA_STARTS, neutralise

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


def session_key(session: Mapping[str, Any]) -> str:
    """How a judges' CSV names a session: its folder name (or the bare recording's name)."""
    path = Path(str(session.get("path") or ""))
    if path.name == "session.toml":
        return path.parent.name
    return path.name or str(session.get("title", ""))


@dataclass(frozen=True, slots=True)
class JudgeScore:
    """One judge's score for one criterion of one session, as entered and as a fraction."""

    judge: str
    session: str
    criterion: str
    score: float
    fraction: float
    row: int  # line in the CSV, for messages

    def to_dict(self, source: str) -> dict[str, Any]:
        return {
            "judge": self.judge,
            "criterion": self.criterion,
            "score": self.score,
            "fraction": round(self.fraction, 6),
            "session": self.session,
            "source": source,
        }


def template_csv(rubric: Any, judges: Sequence[str], sessions: Sequence[str]) -> str:
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


def read_judges_csv(path: Path, rubric: Any) -> list[JudgeScore]:
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
    scores: Sequence[JudgeScore], session: Mapping[str, Any], path: Path
) -> list[JudgeScore]:
    """The rows that belong to this scorecard's session (blank session = any session)."""
    names = {session_key(session), str(session.get("title", "")), str(session.get("path", ""))}
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
    scorecard: dict[str, Any], rubric: Any, scores: Sequence[JudgeScore], source: str
) -> dict[str, Any]:
    """Add judges' scores (replacing earlier ones by the same judge for the same criterion)
    and re-score the scorecard against ``rubric``."""
    from livelab.scoring.scorecard import apply_rubric

    new = {(s.judge, s.criterion) for s in scores}
    kept = [e for e in scorecard.get("judges") or [] if (e["judge"], e["criterion"]) not in new]
    entries = kept + [s.to_dict(source) for s in scores]
    apply_rubric(scorecard, rubric, entries)
    judges = sorted({s.judge for s in scores})
    note = f"judges' scores from {source}: {', '.join(judges) or 'none'}"
    scorecard["notes"] = [*scorecard.get("notes", []), note]
    return scorecard


def rubric_of(
    scorecard: Mapping[str, Any],
    override: str | None,
    where: Path,
    plugins_dirs: Sequence[Path] = (),
) -> Any:
    """The rubric to (re-)score with: ``override``, else the one the scorecard names,
    provided its file has not changed since (same sha256)."""
    from livelab.engine.plugins import load_plugins, metric_specs
    from livelab.scoring.rubric import builtin_rubrics, find_rubric, load_rubric

    load_plugins(plugins_dirs)
    if override:
        return load_rubric(find_rubric(override), known_metrics=metric_specs())
    info = scorecard.get("rubric") or {}
    if not info:
        raise LivelabError([Problem(where, "was scored without a rubric; pass --rubric")])
    candidates = [Path(info.get("path", ""))]
    if info.get("id") in builtin_rubrics():
        candidates.append(builtin_rubrics()[info["id"]])
    for candidate in candidates:
        if candidate.is_file():
            rubric = load_rubric(candidate, known_metrics=metric_specs())
            if rubric.sha256 == info.get("sha256"):
                return rubric
    raise LivelabError(
        [
            Problem(
                where,
                f"its rubric {info.get('id')!r} ({info.get('path')}) is missing or has changed "
                "since it was scored; pass --rubric NAME|FILE to re-score with the current one",
            )
        ]
    )


def read_scorecard(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LivelabError([Problem(path, f"cannot be read: {exc.strerror or exc}")]) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LivelabError([Problem(path, f"is not a JSON scorecard: {exc}")]) from None
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith(
        "livelab.scorecard/"
    ):
        raise LivelabError(
            [Problem(path, "is not a livelab scorecard (no livelab.scoring.scorecard schema)")]
        )
    return data


# --- the command -----------------------------------------------------------------------


@click.group("judge")
def judge_command() -> None:
    """Human judges' scores: write a CSV sheet, then merge it into a scorecard.

    Judged criteria are those with `judged: true` in the rubric. Judges enter points
    from 0 to the criterion's weight (or a 0–1 fraction when the rubric says
    `judging: {scale: fraction}`); empty cells mean "not scored".
    """


@judge_command.command("template")
@click.argument("rubric")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the CSV here (default: standard output).",
)
@click.option(
    "--judges",
    "judges_opt",
    default="3",
    show_default=True,
    metavar="N|NAMES",
    help="How many judges, or their names separated by commas.",
)
@click.option(
    "--session",
    "sessions",
    multiple=True,
    metavar="FOLDER|SCORECARD",
    help="A session folder or scorecard JSON to make rows for (repeatable; default: one "
    "blank session that matches whichever scorecard you merge into).",
)
@click.pass_obj
def judge_template(
    obj: dict[str, Any] | None,
    rubric: str,
    output: Path | None,
    judges_opt: str,
    sessions: tuple[str, ...],
) -> None:
    """Write a judges' CSV for RUBRIC's judged criteria: one row per judge × session."""
    from livelab.engine.cache import write_atomic
    from livelab.engine.plugins import load_plugins, metric_specs
    from livelab.scoring.rubric import find_rubric, load_rubric

    load_plugins((obj or {}).get("plugins_dirs", ()))
    loaded = load_rubric(find_rubric(rubric), known_metrics=metric_specs())
    if judges_opt.strip().isdigit():
        count = int(judges_opt)
        if not 1 <= count <= 50:
            raise LivelabError("--judges must be from 1 to 50")
        judges = [f"judge-{i}" for i in range(1, count + 1)]
    else:
        judges = [j.strip() for j in judges_opt.split(",") if j.strip()]
    names = []
    for s in sessions:
        path = Path(s)
        if path.suffix == ".json" and path.is_file():
            names.append(session_key(read_scorecard(path)["session"]))
        else:
            names.append(path.name if path.name != "session.toml" else path.parent.name)
    text = template_csv(loaded, judges, names)
    if output is None:
        click.echo(text.removeprefix(BOM), nl=False)
    else:
        write_atomic(output, text)
        click.echo(
            f"{output}: {len(judges)} judge(s) × {max(1, len(names))} session(s), "
            f"{len(loaded.judged)} judged criteria ({loaded.judging.scale})",
            err=True,
        )


@judge_command.command("merge")
@click.argument("scorecard", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("sheets", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the merged scorecard (default: SCORECARD with .judged.json).",
)
@click.option(
    "--rubric",
    "-r",
    metavar="NAME|FILE",
    help="Re-score with this rubric (default: the scorecard's own, if unchanged).",
)
@click.pass_obj
def judge_merge(
    obj: dict[str, Any] | None,
    scorecard: Path,
    sheets: tuple[Path, ...],
    output: Path | None,
    rubric: str | None,
) -> None:
    """Merge judges' CSV SHEETS into SCORECARD and re-score: trimmed mean across judges,
    blended with the machine score by the rubric's `judging` settings."""
    from livelab.scoring.scorecard import write_scorecard

    doc = read_scorecard(scorecard)
    loaded = rubric_of(doc, rubric, scorecard, (obj or {}).get("plugins_dirs", ()))
    before = doc.get("total")
    for sheet in sheets:
        scores = scores_for(read_judges_csv(sheet, loaded), doc["session"], sheet)
        merge_judges(doc, loaded, scores, sheet.name)
    out = output or scorecard.with_name(scorecard.name.removesuffix(".json") + ".judged.json")
    write_scorecard(doc, out)
    for c in doc["criteria"]:
        if c.get("judged"):
            j = c.get("judging")
            if j is None:
                click.echo(f"  {c['id']}: no judge scored it")
                continue
            dropped = f"; dropped {', '.join(j['dropped'])}" if j["dropped"] else ""
            points = "–" if c["points"] is None else f"{c['points']:g}"
            click.echo(
                f"  {c['id']}: {j['judges']} judge(s), mean {j['fraction'] * 100:.0f}%"
                f"{dropped} → {points}/{c['weight']:g}"
            )
    click.echo(f"total {before:g} → {doc['total']:g} / {doc['max_total']:g}; written to {out}")
