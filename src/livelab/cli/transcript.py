"""``livelab transcript``: a session's timed transcript as text or subtitles."""

from __future__ import annotations

import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import click

from livelab.cli.common import session_arg, stage_progress


@click.command("transcript")
@session_arg
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["txt", "srt", "vtt", "json"]),
    default="txt",
    show_default=True,
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.option("--model", metavar="NAME|DIR", help="Speech model (see `livelab analyze --help`).")
@click.option("--quiet", "-q", is_flag=True, help="No progress on the terminal.")
@click.pass_obj
def transcript_command(
    obj: dict[str, Any],
    session: Path,
    fmt: str,
    output: Path | None,
    model: str | None,
    quiet: bool,
) -> None:
    """Print or write SESSION's timed transcript (cached after the first run)."""
    from livelab.engine.cache import write_atomic
    from livelab.engine.language import settle_language
    from livelab.engine.pipeline import AnalysisOptions, transcript_of
    from livelab.engine.plugins import load_plugins
    from livelab.inputs.session import language_line, load_session

    # Standard output is the transcript's: whatever a plugin prints goes to stderr.
    with redirect_stdout(sys.stderr):
        load_plugins(obj["plugins_dirs"])
        loaded = settle_language(load_session(session), AnalysisOptions().whisper_threads)
        if not quiet and (said := language_line(loaded.metadata())):
            click.echo(said[0], err=True)
        with stage_progress(quiet) as progress:
            result = transcript_of(loaded, AnalysisOptions(model=model), progress)
        text = result.render(fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)
