"""``livelab judge``: the judges' CSV sheet, and merging it into a scorecard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from livelab.api.errors import LivelabError
from livelab.reports.gradebook import BOM


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
    help="Write the sheet here: .csv, or .xlsx for Excel with checked score cells "
    "(default: CSV on standard output).",
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
    help="A session folder, scorecard JSON or a class's results.jsonl to make rows for "
    "(repeatable; default: one blank session that matches whichever scorecard you merge "
    "into).",
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
    from livelab.i18n import _
    from livelab.scoring.judging import session_key, template_csv, template_xlsx
    from livelab.scoring.rubric import find_rubric, load_rubric
    from livelab.scoring.scorecard import read_scorecard

    load_plugins((obj or {}).get("plugins_dirs", ()))
    loaded = load_rubric(find_rubric(rubric), known_metrics=metric_specs())
    if judges_opt.strip().isdigit():
        count = int(judges_opt)
        if not 1 <= count <= 50:
            raise LivelabError(_("--judges must be from 1 to 50"))
        judges = [f"judge-{i}" for i in range(1, count + 1)]
    else:
        judges = [j.strip() for j in judges_opt.split(",") if j.strip()]
    names = []
    for s in sessions:
        path = Path(s)
        if path.suffix == ".jsonl" and path.is_file():  # a class: one row per graded session
            from livelab.scoring.scorecard import Scorecard, read_results

            names += [session_key(e.session) for _n, e in read_results(path)
                      if isinstance(e, Scorecard)]
        elif path.suffix == ".json" and path.is_file():
            names.append(session_key(read_scorecard(path).session))
        else:
            names.append(path.name if path.name != "session.toml" else path.parent.name)
    text = template_csv(loaded, judges, names)
    if output is None:
        click.echo(text.removeprefix(BOM), nl=False)
    else:
        # .xlsx: a workbook whose score cells Excel checks as the judge types
        write_atomic(output, template_xlsx(loaded, judges, names)
                     if output.suffix.lower() == ".xlsx" else text)
        click.echo(
            _("{path}: {judges} judge(s) × {sessions} session(s), {criteria} judged criteria "
              "({scale})").format(path=output, judges=len(judges), sessions=max(1, len(names)),
                                  criteria=len(loaded.judged), scale=loaded.judging.scale),
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
    blended with the machine score by the rubric's `judging` settings. SCORECARD may be a
    whole class's results.jsonl: each session takes the rows that name it."""
    from livelab.i18n import _
    from livelab.scoring.judging import merge_judges, read_judges_csv, rubric_of, scores_for
    from livelab.scoring.scorecard import read_scorecard, write_scorecard

    if scorecard.suffix == ".jsonl":
        _merge_class(obj, scorecard, sheets, output, rubric)
        return
    doc = read_scorecard(scorecard)
    loaded = rubric_of(doc, rubric, scorecard, (obj or {}).get("plugins_dirs", ()))
    before = doc.total
    for sheet in sheets:
        scores = scores_for(read_judges_csv(sheet, loaded), doc.session, sheet)
        merge_judges(doc, loaded, scores, sheet.name)
    out = output or scorecard.with_name(scorecard.name.removesuffix(".json") + ".judged.json")
    write_scorecard(doc, out)
    for c in doc.criteria:
        if c.judged:
            j = c.judging
            if j is None:
                click.echo("  " + _("{id}: no judge scored it").format(id=c.id))
                continue
            dropped = (_("; dropped {judges}").format(judges=", ".join(j.dropped))
                       if j.dropped else "")  # fmt: skip
            points = "–" if c.points is None else f"{c.points:g}"
            click.echo("  " + _("{id}: {n} judge(s), mean {percent}%{dropped} → {points}/{weight}")
                       .format(id=c.id, n=j.judges, percent=f"{j.fraction * 100:.0f}",
                               dropped=dropped, points=points, weight=f"{c.weight:g}"))
    click.echo(_("total {before} → {total} / {max}; written to {path}").format(
        before=f"{before:g}", total=f"{doc.total:g}", max=f"{doc.max_total:g}", path=out))


def _merge_class(
    obj: dict[str, Any] | None,
    results: Path,
    sheets: tuple[Path, ...],
    output: Path | None,
    rubric: str | None,
) -> None:
    """``judge merge`` for a class: every scored session of ``results`` takes the sheets'
    rows that name it; sessions no row names are kept as they were, and named."""
    from livelab.api.errors import Problem
    from livelab.cli.common import note_line
    from livelab.engine.cache import write_atomic
    from livelab.i18n import _
    from livelab.scoring.judging import merge_judges, read_judges_csv, rubric_of, session_key
    from livelab.scoring.scorecard import Scorecard, read_results

    entries = read_results(results)
    scored = [(n, e) for n, e in entries if isinstance(e, Scorecard) and e.rubric is not None]
    if not scored:
        raise LivelabError([Problem(results, _("holds no scorecard scored with a rubric"))])
    loaded = rubric_of(scored[0][1], rubric, results, (obj or {}).get("plugins_dirs", ()))
    rows = [(sheet, read_judges_csv(sheet, loaded)) for sheet in sheets]
    for sheet, scores in rows:
        blank = [s for s in scores if not s.session]
        if blank:
            raise LivelabError([Problem(sheet, _(
                "row {n}: the session column is empty; a class's sheet names each row's "
                "session (its folder name)").format(n=blank[0].row))])
    used: set[tuple[str, int]] = set()
    merged = 0
    for n, doc in scored:
        if doc.rubric is None or doc.rubric.id != loaded.id:
            click.echo(note_line(_("line {n}: scored with {rubric}, not {wanted}; left as it "
                                   "was").format(n=n, rubric=doc.rubric.id if doc.rubric else "",
                                                  wanted=loaded.id)), err=True)
            continue
        # the folder name or path, not the title: two students may both call theirs "rehearsal 1"
        names = {session_key(doc.session), doc.session.path} - {""}
        took = False
        for sheet, scores in rows:
            mine = [s for s in scores if s.session in names]
            if mine:
                merge_judges(doc, loaded, mine, sheet.name)
                used.update((sheet.name, s.row) for s in mine)
                took = True
        if took:
            merged += 1
        else:
            click.echo(note_line(_("line {n} ({session}): no judge's row names it; left as it "
                                   "was").format(n=n, session=session_key(doc.session))), err=True)
    for sheet, scores in rows:
        for s in scores:
            if (sheet.name, s.row) not in used:
                click.echo(note_line(_("{sheet} row {n}: no session of the class is {session}"
                                       ).format(sheet=sheet.name, n=s.row,
                                                session=repr(s.session))), err=True)
                break
    out = output or results.with_name(results.name.removesuffix(".jsonl") + ".judged.jsonl")
    write_atomic(out, "".join(json.dumps(e.to_dict(), ensure_ascii=False) + "\n"
                              for _n, e in entries))
    click.echo(_("{merged} of {total} sessions took judges' scores; written to {path}").format(
        merged=merged, total=len(scored), path=out))
