"""``livelab review``: write the instructor's review file for a session, to fill in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from livelab.api.errors import LivelabError, Problem

REVIEW_FILE = "review.yaml"


@click.command("review")
@click.argument("session", type=click.Path(path_type=Path))
@click.option("--rubric", "-r", metavar="NAME|FILE",
              help="Rubric to list the criteria of (default: the session language's).")
@click.option("--force", is_flag=True,
              help="Write a fresh template over an existing review file (kept as .bak).")
@click.option("--quiet", "-q", is_flag=True, help="No progress on the terminal.")
@click.pass_obj
def review_command(
    obj: dict[str, Any] | None, session: Path, rubric: str | None, force: bool, quiet: bool
) -> None:
    """Write SESSION's review file (review.yaml) to fill in: every criterion with the
    machine's score, and every timed finding as a line to dismiss. The session's
    session.toml gains review = "review.yaml", so every later analyze, grade and report
    applies it, from the cache, without analysing again.
    """
    from livelab.cli.common import stage_progress
    from livelab.engine.cache import write_atomic
    from livelab.engine.runner import Job, score_session
    from livelab.i18n import _
    from livelab.inputs.session import MANIFEST, load_session
    from livelab.scoring.review import review_template

    folder = session.parent if session.name == MANIFEST else session
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise LivelabError([Problem(session, _(
            "a review belongs to a session folder with a {manifest}; make one for this "
            "recording first").format(manifest=MANIFEST))])
    loaded = load_session(folder, probe_media=False)
    named = loaded.files.get("review")
    target = named or folder / REVIEW_FILE
    if target.exists() and not force:
        raise LivelabError([Problem(target, _(
            "already exists: edit it, or give --force to write a fresh template (the old "
            "file is kept as {backup})").format(backup=target.name + ".bak"))])
    with stage_progress(quiet) as progress:
        scorecard = score_session(Job(folder, rubric), progress,
                                  plugins_dirs=(obj or {}).get("plugins_dirs", ()))
    if target.exists():
        target.replace(target.with_name(target.name + ".bak"))
    write_atomic(target, review_template(scorecard))
    if named is None:
        text = manifest.read_text(encoding="utf-8")
        # a top-level key goes before any [table]: first in the file is always valid TOML
        write_atomic(manifest, f'review = "{REVIEW_FILE}"\n' + text)
    click.echo(_("wrote {path}: fill it in, then analyze or grade the session again").format(
        path=target))
