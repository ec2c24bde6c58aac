"""``livelab check``: validate sessions without analysing them."""

from __future__ import annotations

from pathlib import Path

import click

from livelab.cli.common import EXIT_BAD_INPUT


@click.command("check")
@click.argument("sessions", nargs=-1, required=True, type=click.Path(path_type=Path))
def check_command(sessions: tuple[Path, ...]) -> None:
    """Validate SESSIONS (manifest, files, media) without analysing; list every problem."""
    from livelab.inputs.session import inspect_session

    failed = 0
    for path in sessions:
        session, problems = inspect_session(path)
        if problems:
            failed += 1
            for p in problems:
                click.echo(f"error: {p}", err=True)
        else:
            assert session is not None
            files = ", ".join(f"{k}={v.name}" for k, v in session.files.items())
            language = (session.language if session.language_source == "stated"
                        else "language detected when analysed")
            click.echo(f"ok: {path} — {session.title!r} ({language}; {files})")
    if failed:
        raise SystemExit(EXIT_BAD_INPUT)
