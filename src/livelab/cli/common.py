"""What several commands share: exit codes, progress on stderr, common options.
Light to import: ``livelab --help`` loads every command module."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

EXIT_BAD_INPUT = 2


def error_line(text: object) -> str:
    """``error: …`` in the interface language (错误：…)."""
    from livelab.i18n import _

    return _("error: {message}").format(message=text)


def warning_line(text: object) -> str:
    from livelab.i18n import _

    return _("warning: {message}").format(message=text)


def note_line(text: object) -> str:
    from livelab.i18n import _

    return _("note: {message}").format(message=text)


def stderr_console(quiet: bool) -> Any:
    from rich.console import Console

    return Console(stderr=True, quiet=quiet)


@contextmanager
def stage_progress(quiet: bool) -> Iterator[Any]:
    """Per-stage progress on a terminal; silent when piped or with --quiet."""
    console = stderr_console(quiet)
    if quiet or not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, fraction: float | None, message: str) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(message, total=1.0 if fraction is not None else None)
            bar.update(
                tasks[stage],
                description=message,
                completed=fraction or 0,
                total=1.0 if fraction is not None else None,
            )

        yield update


def analysis_options(
    model: str | None, fps: float, no_cache: bool, timeout: float | None = None
) -> Any:
    from livelab.engine.pipeline import AnalysisOptions
    from livelab.media.decode import FrameOptions

    return AnalysisOptions(
        frames=FrameOptions(sample_fps=fps), model=model, use_cache=not no_cache,
        time_limit_s=timeout,
    )  # fmt: skip


timeout_opt = click.option(
    "--timeout",
    metavar="SECONDS",
    type=click.FloatRange(0),
    default=None,
    help="Stop analysing a session after this long (0: no limit). Default: 300 s plus twice "
    "the recording's length. An analyzer still running then fails alone (its metrics are "
    "unscored); a session stuck elsewhere stops with an error naming the stage.",
)


session_arg = click.argument("session", type=click.Path(path_type=Path))
rubric_opt = click.option(
    "--rubric",
    "-r",
    metavar="NAME|FILE",
    help="Built-in rubric name or a rubric YAML file "
    "(default: the session language's anchor-basics rubric).",
)
