"""``livelab export``: a class's grades in an LMS's import layout, and feedback files."""

from __future__ import annotations

from pathlib import Path

import click

from livelab.reports.lms import LMS_FORMATS


@click.command("export")
@click.argument("results", type=click.Path(exists=True, path_type=Path))
@click.option("--lms", type=click.Choice(LMS_FORMATS), required=True,
              help="The import layout: moodle or canvas.")
@click.option("--item", metavar="NAME",
              help="The grade item (Moodle) or assignment (Canvas) name (default: the rubric's "
              "id).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the CSV here (default: moodle.csv or canvas.csv beside "
              "results.jsonl).")
@click.option("--feedback", "feedback_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write one feedback text file per student (<student ID>.txt) here.")
@click.option("--include-partial", is_flag=True,
              help="Export partial recordings' grades too (left out by default).")
def export_command(
    results: Path, lms: str, item: str | None, output: Path | None,
    feedback_dir: Path | None, include_partial: bool,
) -> None:
    """Export RESULTS (a grade --out folder, or its results.jsonl) for an LMS: one row per
    student ID, the total as the grade, and the feedback. A folder's results.judged.jsonl
    (judge merge) is used when it is there. Sessions without a student_id, that could not
    be graded, or partial are left out, each named.
    """
    from livelab.cli.common import note_line
    from livelab.engine.cache import write_atomic
    from livelab.i18n import _
    from livelab.reports.gradebook import RESULTS
    from livelab.reports.lms import choose, lms_csv, write_feedback
    from livelab.scoring.scorecard import read_results

    path = results / RESULTS if results.is_dir() else results
    judged = path.with_name("results.judged.jsonl")
    if results.is_dir() and judged.is_file():  # judge merge's scores are the class's grades
        click.echo(note_line(_("using {judged} (the judges' scores merged), not {path}").format(
            judged=judged, path=path.name)), err=True)
        path = judged
    export = choose(read_results(path), include_partial)
    for warning in export.warnings:
        click.echo(note_line(warning), err=True)
    if not export.students:
        from livelab.api.errors import LivelabError, Problem

        raise LivelabError([Problem(path, _("no graded session with a student_id to export"))])
    from collections import Counter

    used = Counter(sc.rubric.id for sc in export.students if sc.rubric)
    name = item or (used.most_common(1)[0][0] if used else "livelab")
    if len(used) > 1:
        click.echo(note_line(_("the class was scored with {n} rubrics ({rubrics}); one grade "
                               "item mixes them").format(n=len(used),
                                                         rubrics=", ".join(sorted(used)))),
                   err=True)
    target = output or path.parent / f"{lms}.csv"
    write_atomic(target, lms_csv(export, lms, name))
    click.echo(_("wrote {path}: {n} students").format(path=target, n=len(export.students)))
    if feedback_dir is not None:
        written = write_feedback(export, feedback_dir)
        click.echo(_("wrote {n} feedback files to {folder}").format(n=len(written),
                                                                   folder=feedback_dir))
