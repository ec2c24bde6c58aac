"""The student practice app (Textual), for ``livelab tui`` and the live room of
``livelab record``. Textual is imported only when it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


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
