"""``livelab analyze``: analyse a session, score it, show or write the scorecard."""

from __future__ import annotations

import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import click

from livelab.cli.common import (
    EXIT_BAD_INPUT,
    analysis_options,
    error_line,
    rubric_opt,
    session_arg,
    stage_progress,
    timeout_opt,
)


@click.command("analyze")
@session_arg
@rubric_opt
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the JSON scorecard to this file.",
)
@click.option("--all", "run_all", is_flag=True, help="Run every analyzer, not only the rubric's.")
@click.option(
    "--model",
    metavar="NAME|DIR",
    help="Speech model: a CTranslate2 folder or a faster-whisper name (names download "
    "when online). Default: the bundled model for the session's language.",
)
@click.option(
    "--fps",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.1, 30),
    help="Video frames sampled per second.",
)
@click.option("--no-cache", is_flag=True, help="Ignore and do not update the analysis cache.")
@timeout_opt
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="History database to record this attempt in "
    "(default: in the user data folder, or $LIVELAB_HISTORY_DB).",
)
@click.option(
    "--format",
    "fmt",
    metavar="NAME",
    help="Render the scorecard in this output format: terminal, json, html, or one a plugin "
    "adds (`livelab plugins` lists them). Printed instead of the terminal scorecard, or "
    "written to --output.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the --format output to this file (default format: the one whose suffix "
    "the file has, e.g. report.html).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Score with --rubric even when it is for another language than the session's "
    "(refused by default: an English pace band scores 字/min wrongly).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress or scorecard on the terminal.")
@click.pass_obj
def analyze_command(
    obj: dict[str, Any],
    session: Path,
    rubric: str | None,
    json_path: Path | None,
    run_all: bool,
    model: str | None,
    fps: float,
    no_cache: bool,
    timeout: float | None,
    db: Path | None,
    fmt: str | None,
    output: Path | None,
    force: bool,
    quiet: bool,
) -> None:
    """Analyse SESSION and print its scorecard.

    With --format NAME the scorecard is rendered by that output format instead (for
    example `--format html -o report.html`, or `--format json` to standard output).
    """
    with redirect_stdout(sys.stderr):  # plugins load here: their prints go to stderr
        reporter = _reporter(obj, fmt, output) if fmt or output else None
    analyze_and_show(
        obj,
        session,
        rubric,
        json_path,
        run_all,
        analysis_options(model, fps, no_cache, timeout),
        quiet,
        db,
        reporter,
        output,
        force,
    )


def _reporter(obj: dict[str, Any], fmt: str | None, output: Path | None) -> Any:
    """The ``livelab_reporters`` output format named ``fmt``, else the one ``output``'s
    suffix calls for; checked before anything is analysed."""
    from livelab.api.errors import LivelabError
    from livelab.engine.plugins import load_plugins, reporters

    load_plugins(obj["plugins_dirs"])
    available = reporters()
    known = ", ".join(sorted(available)) or "none"
    if fmt is None:
        assert output is not None
        by_suffix = [r for r in available.values() if getattr(r, "suffix", "") == output.suffix]
        if len(by_suffix) != 1:
            raise LivelabError(f"say which --format to write {output.name} in (formats: {known})")
        return by_suffix[0]
    if fmt not in available:
        raise LivelabError(f"unknown --format {fmt!r} (formats: {known}; see `livelab plugins`)")
    return available[fmt]


def analyze_and_show(
    obj: dict[str, Any],
    session: Path,
    rubric: str | None,
    json_path: Path | None,
    run_all: bool,
    options: Any,
    quiet: bool,
    db: Path | None = None,
    reporter: Any = None,
    output: Path | None = None,
    any_language: bool = False,
) -> None:
    from rich.console import Console

    from livelab.builtin.reporters import print_scorecard
    from livelab.engine.cache import write_atomic
    from livelab.engine.runner import Job, score_session
    from livelab.reports.history import record_quietly
    from livelab.scoring.scorecard import write_scorecard

    _speak_the_sessions_language(session)
    # Standard output is the scorecard's (`--format json` pipes it): a plugin's prints go
    # to stderr.
    with stage_progress(quiet) as progress, redirect_stdout(sys.stderr):
        scorecard = score_session(
            Job(session, rubric, run_all, options, any_language), progress,
            obj["plugins_dirs"], watchdog=True,
        )
    # History is a convenience: a database that cannot be written warns, never fails.
    warning = record_quietly(scorecard, "analyze", db)
    if warning:
        click.echo(warning, err=True)
    # A file that cannot be written (read-only, full disk) is one error line after the
    # scorecard, never a traceback that throws the analysis's result away.
    failed: list[str] = []

    def save(path: Path, write: Any) -> bool:
        try:
            write()
        except OSError as exc:
            from livelab.i18n import _

            failed.append(error_line(_("{path}: could not be written ({problem})").format(
                path=path, problem=exc.strerror or exc)))
            return False
        return True

    wrote_json = json_path is not None and save(
        json_path, lambda: write_scorecard(scorecard, json_path)
    )
    wrote_output = False
    if reporter is not None and (output is not None or reporter.name != "terminal"):
        with redirect_stdout(sys.stderr):  # a reporter plugin's prints too
            text = reporter.render(scorecard.to_dict())
        if output is None:  # asked for: printed even with --quiet
            click.echo(text, nl=False)
            _fail_if(failed)
            return
        wrote_output = save(output, lambda: write_atomic(output, text))
    if not quiet:
        from livelab.i18n import _, follow_session

        follow_session(scorecard.session.language)
        print_scorecard(scorecard, Console())
        if wrote_json:
            click.echo("\n" + _("JSON scorecard written to {path}").format(path=json_path))
        if wrote_output:
            click.echo(_("{name} written to {path}").format(name=reporter.name, path=output))
    _fail_if(failed)


def _speak_the_sessions_language(path: Path) -> None:
    """A session that states its language is reported in it (progress too) when nothing
    else chose one; a detected language takes over once the analysis heard it."""
    from livelab.api.errors import LivelabError
    from livelab.i18n import follow_session
    from livelab.inputs.session import inspect_session

    try:
        session, _problems = inspect_session(path, probe_media=False)
    except (LivelabError, OSError):
        return  # the analysis itself reports what is wrong
    if session is not None and session.language_source == "stated":
        follow_session(session.language)


def _fail_if(failed: list[str]) -> None:
    for line in failed:
        click.echo(line, err=True)
    if failed:
        sys.exit(EXIT_BAD_INPUT)
