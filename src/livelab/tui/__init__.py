"""``livelab tui``: the student practice app (Textual). Textual is imported only when it runs."""

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
    from livelab.tui.app import LivelabApp
    from livelab.tui.data import load_scorecard, open_history

    scorecard = load_scorecard(scorecard_path) if scorecard_path is not None else None
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


def run_live_room(
    recorder: Any,
    *,
    rubric: str | None = None,
    db: Path | None = None,
    plugins_dirs: tuple[Path, ...] = (),
) -> Any | None:
    """Run ``recorder`` in the TUI's mock live room and return its ``TakeResult``.

    None when ``recorder.run()`` raised: the app showed the message, and it is printed
    again on stderr once the terminal is back (closing the TUI clears the screen).
    After the take, ``a`` analyses it with ``rubric`` (recording the attempt in the
    history at ``db``), as ``livelab tui`` would."""
    from livelab.tui.app import LivelabApp
    from livelab.tui.data import open_history

    app = LivelabApp(
        folder=getattr(recorder, "folder", None),
        rubric=rubric,
        history=open_history(db),
        plugins_dirs=plugins_dirs,
        record=recorder,
    )
    app.run()
    if app.take_result is None and app.take_error is not None:
        click.echo(f"Could not record: {app.take_error}", err=True)
    return app.take_result
