"""``livelab grade``: grade a whole class into a gradebook, results and reports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from livelab.cli.common import timeout_opt


@click.command("grade")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--rubric",
    "-r",
    metavar="NAME|FILE",
    help="Built-in rubric name or rubric YAML file (default: each session language's default).",
)
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for gradebook.csv and .xlsx, class_stats.csv, class_items.csv, results.jsonl, "
    "reports/ and summary.html.",
)
@click.option(
    "--workers",
    "-j",
    default=0,
    type=click.IntRange(0),
    help="Sessions graded at once (default: one per core).",
)
@click.option(
    "--executor",
    default="local",
    show_default=True,
    metavar="NAME",
    help="Batch back-end: local (worker processes) or ray (a Ray cluster).",
)
@click.option(
    "--ray-address",
    metavar="ADDR",
    help="Ray cluster to use with --executor ray (default: $RAY_ADDRESS, else a local one).",
)
@click.option("--all", "run_all", is_flag=True, help="Run every analyzer, not only the rubric's.")
@click.option(
    "--fps",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.1, 30),
    help="Video frames sampled per second.",
)
@click.option("--model", metavar="NAME|DIR", help="Speech model (see `livelab analyze --help`).")
@click.option(
    "--force",
    is_flag=True,
    help="Grade every session again, even if unchanged, and with --rubric even when it is for "
    "another language than a session's.",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="History database (default: in the user data folder, or $LIVELAB_HISTORY_DB).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Analyse every session afresh, without reading or writing its .livelab cache "
    "(a submitted folder's cache is already ignored unless this machine wrote it).",
)
@timeout_opt
@click.option(
    "--include-partial",
    is_flag=True,
    help="Count sessions only part of whose recording could be read (a truncated file) in "
    "the class statistics; by default they are graded, marked partial and left out.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress or summary on the terminal.")
@click.pass_obj
def grade_command(
    obj: dict[str, Any],
    paths: tuple[str, ...],
    rubric: str | None,
    out: Path,
    workers: int,
    executor: str,
    ray_address: str | None,
    run_all: bool,
    fps: float,
    model: str | None,
    force: bool,
    db: Path | None,
    no_cache: bool,
    timeout: float | None,
    include_partial: bool,
    quiet: bool,
) -> None:
    """Grade every session in PATHS into --out: session folders, media files, folders of
    sessions and globs. Re-running skips sessions that did not change.

    Exit code 0 when every session was graded, 1 when some failed (see the error column of
    gradebook.csv), 2 for bad usage or a bad rubric, 130 when interrupted.
    """
    from rich.console import Console

    from livelab.api.transcript import printable
    from livelab.batch.grade import EXIT_SOME_FAILED, BatchOptions, Display, run_batch

    options = BatchOptions(
        out=out,
        rubric=rubric,
        workers=workers,
        executor=executor,
        ray_address=ray_address,
        run_all=run_all,
        fps=fps,
        model=model,
        plugins_dirs=tuple((obj or {}).get("plugins_dirs", ())),
        db=db,
        force=force,
        include_partial=include_partial,
        use_cache=not no_cache,
        timeout=timeout,
    )
    if model is not None:  # a model that cannot be had stops the batch before it starts
        from livelab.api.speech import TranscriberConfig
        from livelab.engine.plugins import load_plugins, pm

        load_plugins(options.plugins_dirs)
        pm.hook.livelab_transcriber(config=TranscriberConfig(model=model))
    console = Console(stderr=True, quiet=quiet)
    display = Display(console) if console.is_terminal and not quiet else None
    result = run_batch(paths, options, display)
    if not quiet:
        from livelab.cli.common import error_line, note_line
        from livelab.i18n import _

        for g in result.graded:
            if not g.ok:
                where = "" if g.error.startswith(g.path) else f"{g.path}: "
                console.print(
                    printable(error_line(f"{where}{g.error}")), markup=False, highlight=False,
                    soft_wrap=True,
                )
        for note in result.notes:
            console.print(note_line(note), markup=False, highlight=False, soft_wrap=True)
        total = len(result.graded)
        parts = [_("graded {done} of {total} sessions in {seconds} s").format(
            done=total - result.failed, total=total, seconds=f"{result.seconds:.1f}")]
        if result.skipped:
            parts.append(_("{n} unchanged (skipped)").format(n=result.skipped))
        if result.failed:
            parts.append(_("{n} of {total} failed").format(n=result.failed, total=total))
        if result.partial:
            partial = (
                _("{n} partial (a truncated or corrupt recording, counted)") if include_partial
                else _("{n} partial (a truncated or corrupt recording, not in the class "
                       "statistics)")
            )  # fmt: skip
            parts.append(partial.format(n=result.partial))
        console.print(
            _("{summary} → {path}").format(summary=_("; ").join(parts),
                                           path=out / "gradebook.csv"),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if result.failed:
        sys.exit(EXIT_SOME_FAILED)
