"""``livelab leaderboard``: rank runs and teams from graded scorecards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from livelab.reports.leaderboard import TEAM_SCORES


@click.command("leaderboard")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--rubric",
    "-r",
    metavar="NAME|FILE",
    help="Take tie-breaks from this rubric (default: each scorecard's own rubric).",
)
@click.option(
    "--team-score",
    type=click.Choice(TEAM_SCORES),
    default="best",
    show_default=True,
    help="A team's standing: its best run, its latest run, or the mean of its runs.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the board as CSV (UTF-8 with BOM, Excel-safe).",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the board as a standalone HTML page.",
)
@click.pass_obj
def leaderboard_command(
    obj: dict[str, Any] | None,
    paths: tuple[Path, ...],
    rubric: str | None,
    team_score: str,
    output: Path | None,
    html_path: Path | None,
) -> None:
    """Rank runs and teams from PATHS: scorecard JSON files, results.jsonl from
    `livelab grade --out DIR`, or such folders. Ties on total are broken by the rubric's
    `tie_breaks`; each team's trend runs oldest to newest (recorded_at, else created_at)."""
    from rich.console import Console

    from livelab.cli.common import note_line
    from livelab.engine.cache import write_atomic
    from livelab.i18n import _
    from livelab.reports.leaderboard import (
        board_csv,
        build_boards,
        duplicate_notes,
        load_rubrics,
        print_boards,
        read_scorecards,
    )

    scorecards, notes = read_scorecards(paths)
    notes += duplicate_notes(scorecards)
    rubrics, more = load_rubrics(scorecards, rubric, (obj or {}).get("plugins_dirs", ()))
    boards = build_boards(scorecards, rubrics, team_score)
    print_boards(boards, Console())
    for note in [*notes, *more]:
        click.echo(note_line(note), err=True)
    if output is not None:
        write_atomic(output, board_csv(boards))
        click.echo(_("CSV written to {path}").format(path=output))
    if html_path is not None:
        from livelab.reports.html import render_leaderboard

        write_atomic(html_path, render_leaderboard(boards, html_path.parent))
        click.echo(_("HTML written to {path}").format(path=html_path))
