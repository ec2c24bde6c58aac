"""``livelab tui``: the student practice app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


@click.command("tui")
@click.argument(
    "folder",
    required=False,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--rubric",
    "-r",
    metavar="NAME|FILE",
    help="Rubric for analyses (default: the session language's anchor-basics rubric).",
)
@click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="History database (default: $LIVELAB_HISTORY_DB or the user data folder).",
)
@click.option(
    "--scorecard",
    "scorecard_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Open this saved JSON scorecard (from `livelab analyze --json`) instead of analysing.",
)
@click.pass_obj
def tui_command(
    obj: dict[str, Any] | None,
    folder: Path | None,
    rubric: str | None,
    db: Path | None,
    scorecard_path: Path | None,
) -> None:
    """Practice app: the sessions in FOLDER (default: here), their scorecards, transcript,
    timelines and your progress."""
    from livelab.scoring.scorecard import read_scorecard
    from livelab.tui.app import LivelabApp
    from livelab.tui.data import open_history

    scorecard = read_scorecard(scorecard_path) if scorecard_path is not None else None
    if rubric is not None:
        from livelab.scoring.rubric import find_rubric

        find_rubric(rubric)  # a misspelled rubric fails here, not after an analysis
    app = LivelabApp(
        folder=folder,
        rubric=rubric,
        history=open_history(db),
        scorecard=scorecard,
        plugins_dirs=(obj or {}).get("plugins_dirs", ()),
    )
    app.run()
