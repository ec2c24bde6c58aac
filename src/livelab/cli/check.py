"""``livelab check``: validate sessions without analysing them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from livelab.cli.common import EXIT_BAD_INPUT, error_line, warning_line


@click.command("check")
@click.argument("sessions", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--rubric",
    "-r",
    metavar="NAME|FILE",
    help="Also check this rubric, and that its language is the session's.",
)
@click.pass_obj
def check_command(obj: dict[str, Any], sessions: tuple[Path, ...], rubric: str | None) -> None:
    """Validate SESSIONS without analysing them: the manifest, how much of each recording
    can really be read, products.yaml, ops.csv, chat.jsonl and (with --rubric) the rubric,
    with the messages the analysis would give. Nothing is decoded or transcribed, so it
    takes a moment.

    Exit code 0 when every session is fine (warnings allowed), 2 when any has a problem.
    """
    from livelab.engine.runner import check_session
    from livelab.i18n import _, problem_text, say

    failed = 0
    for path in sessions:
        found = check_session(path, rubric, (obj or {}).get("plugins_dirs", ()))
        for p in found.problems:
            click.echo(error_line(problem_text(p)), err=True)
        for warning in found.warnings:
            click.echo(warning_line(say(warning)), err=True)
        if found.problems or found.session is None:
            failed += 1
            continue
        session = found.session
        files = ", ".join(f"{k}={v.name}" for k, v in session.files.items())
        language = (session.language if session.language_source == "stated"
                    else _("language detected when analysed"))
        click.echo(_("ok: {path} — {title} ({language}; {files})").format(
            path=path, title=repr(session.title), language=language, files=files))
    if failed:
        raise SystemExit(EXIT_BAD_INPUT)
