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
    if manifest.is_symlink():  # review rewrites it: never through a link (livelab may be root)
        raise LivelabError([Problem(manifest, _(
            "is a link: livelab review adds a line to session.toml, so it must be a regular "
            "file in the session folder"))])
    if not manifest.is_file():
        raise LivelabError([Problem(session, _(
            "a review belongs to a session folder with a {manifest}; make one for this "
            "recording first").format(manifest=MANIFEST))])
    # the session as it is, but its review: a review missing or broken is what this mends
    load_session(folder, probe_media=False, ignore=frozenset({"review"}))
    named = _named_review(manifest)
    target = folder / (named or REVIEW_FILE)
    inside = target.parent.resolve().is_relative_to(folder.resolve())
    if not inside or target.is_symlink() or (target.exists() and not target.is_file()):
        # a link could make livelab (often root) write over a file outside the session
        raise LivelabError([Problem(target, _(
            "is a link, not a regular file, or leaves the session folder: livelab writes "
            "only a regular file inside the session folder"))])
    if target.exists() and not force:
        raise LivelabError([Problem(target, _(
            "already exists: edit it, or give --force to write a fresh template (the old "
            "file is kept as {backup}, or .bak2, .bak3, …)").format(backup=target.name + ".bak"))])
    with stage_progress(quiet) as progress:
        scorecard = score_session(Job(folder, rubric, without_review=True), progress,
                                  plugins_dirs=(obj or {}).get("plugins_dirs", ()))
    if target.exists():  # the old review is kept, and an older backup is never overwritten
        backup, n = target.with_name(target.name + ".bak"), 1
        while backup.exists():
            n += 1
            backup = target.with_name(f"{target.name}.bak{n}")
        target.replace(backup)
    write_atomic(target, review_template(scorecard))
    if named is None:
        text = manifest.read_text(encoding="utf-8")
        # a top-level key goes before any [table]: first in the file is always valid TOML
        write_atomic(manifest, f'review = "{REVIEW_FILE}"\n' + text)
    click.echo(_("wrote {path}: fill it in, then analyze or grade the session again").format(
        path=target))


def _named_review(manifest: Path) -> str | None:
    """The review file ``session.toml`` names (``None``: none), refused when it would be
    written outside the session folder."""
    import tomllib

    from livelab.i18n import _

    value = tomllib.loads(manifest.read_text(encoding="utf-8")).get("review")
    if value is None:
        return None
    candidate = Path(str(value))
    if (not isinstance(value, str) or candidate.is_absolute() or ".." in candidate.parts
            or not candidate.name or candidate.name.startswith(".")):
        raise LivelabError([Problem(manifest, _(
            "must be a file name inside the session folder, not {value}").format(
                value=repr(value)), "review")])
    return value
