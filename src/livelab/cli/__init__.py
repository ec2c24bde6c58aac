"""The ``livelab`` command. Heavy imports live inside the commands so ``--help`` is instant."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

EXIT_BAD_INPUT = 2


class UserError(click.ClickException):
    """A problem with the user's input: one clear message, exit code 2, no traceback."""

    exit_code = EXIT_BAD_INPUT

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


#: Commands that live in their own modules, imported only when used (or listed by --help).
#: Each module keeps heavy imports inside its functions. name → "module:attribute".
LAZY_COMMANDS = {
    "grade": "livelab.batch.grade:grade_command",
    "history": "livelab.reports.history:history_command",
    "judge": "livelab.scoring.judging:judge_command",
    "leaderboard": "livelab.reports.leaderboard:leaderboard_command",
    "report": "livelab.cli.report:report_command",
    "tui": "livelab.tui:tui_command",
}


class LivelabGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in LAZY_COMMANDS:
            import importlib

            module_name, attr = LAZY_COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attr)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        from livelab.api.errors import LivelabError

        try:
            return super().invoke(ctx)
        except LivelabError as exc:
            raise UserError(str(exc)) from None
        except KeyboardInterrupt:
            click.echo("interrupted; finished results were kept", err=True)
            sys.exit(130)


def _stderr_console(quiet: bool) -> Any:
    from rich.console import Console

    return Console(stderr=True, quiet=quiet)


@contextmanager
def _progress(quiet: bool) -> Iterator[Any]:
    """Per-stage progress on a terminal; silent when piped or with --quiet."""
    console = _stderr_console(quiet)
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


@click.group(cls=LivelabGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--plugins-dir",
    "plugins_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Also load every *.py file in this folder as a plugin (repeatable).",
)
@click.version_option(package_name="livelab")
@click.pass_context
def cli(ctx: click.Context, plugins_dirs: tuple[Path, ...]) -> None:
    """livelab: rehearse a live-selling stream, see how it went, and grade it.

    A SESSION is a folder with a session.toml manifest, or a bare recording.
    """
    ctx.obj = {"plugins_dirs": plugins_dirs}


def _options(model: str | None, fps: float, no_cache: bool) -> Any:
    from livelab.engine.pipeline import AnalysisOptions
    from livelab.media.decode import FrameOptions

    return AnalysisOptions(frames=FrameOptions(sample_fps=fps), model=model, use_cache=not no_cache)


_session_arg = click.argument("session", type=click.Path(path_type=Path))
_rubric_opt = click.option(
    "--rubric",
    "-r",
    metavar="NAME|FILE",
    help="Built-in rubric name or a rubric YAML file "
    "(default: the session language's anchor-basics rubric).",
)


@cli.command()
@_session_arg
@_rubric_opt
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
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    help="History database to record this attempt in "
    "(default: in the user data folder, or $LIVELAB_HISTORY_DB).",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress or scorecard on the terminal.")
@click.pass_obj
def analyze(
    obj: dict[str, Any],
    session: Path,
    rubric: str | None,
    json_path: Path | None,
    run_all: bool,
    model: str | None,
    fps: float,
    no_cache: bool,
    db: Path | None,
    quiet: bool,
) -> None:
    """Analyse SESSION and print its scorecard."""
    _analyze_and_show(
        obj, session, rubric, json_path, run_all, _options(model, fps, no_cache), quiet, db
    )


def _analyze_and_show(
    obj: dict[str, Any],
    session: Path,
    rubric: str | None,
    json_path: Path | None,
    run_all: bool,
    options: Any,
    quiet: bool,
    db: Path | None = None,
) -> None:
    from rich.console import Console

    from livelab.builtin.reporters import print_scorecard
    from livelab.engine.runner import Job, score_session
    from livelab.reports.history import record_quietly
    from livelab.scoring.scorecard import write_scorecard

    with _progress(quiet) as progress:
        scorecard = score_session(
            Job(session, rubric, run_all, options), progress, obj["plugins_dirs"]
        )
    # History is a convenience: a database that cannot be written warns, never fails.
    warning = record_quietly(scorecard, "analyze", db)
    if warning:
        click.echo(warning, err=True)
    if json_path is not None:
        write_scorecard(scorecard, json_path)
    if not quiet:
        print_scorecard(scorecard, Console())
        if json_path is not None:
            click.echo(f"\nJSON scorecard written to {json_path}")


@cli.command()
@_rubric_opt
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the JSON scorecard to this file.",
)
@click.option(
    "--lang",
    "language",
    type=click.Choice(["zh", "en"]),
    default=None,
    help="Which sample: demo_zh (Mandarin, 暖暖保温杯) or demo_en (English, AquaKeep bottle). "
    "Default: $LIVELAB_LANG, else zh when the system locale is Chinese, else en.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress or scorecard on the terminal.")
@click.pass_obj
def demo(
    obj: dict[str, Any],
    rubric: str | None,
    json_path: Path | None,
    language: str | None,
    quiet: bool,
) -> None:
    """Analyse a bundled sample session with the default rubric and print the scorecard."""
    from livelab.engine.runner import default_language, sample_session

    path = sample_session(language or default_language())
    if not quiet:
        click.echo(f"Analysing the sample session in {path}", err=True)
    _analyze_and_show(obj, path, rubric, json_path, False, _options(None, 2.0, False), quiet)


@cli.command()
@click.argument("sessions", nargs=-1, required=True, type=click.Path(path_type=Path))
def check(sessions: tuple[Path, ...]) -> None:
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


@cli.command()
@click.pass_obj
def plugins(obj: dict[str, Any]) -> None:
    """List loaded plugins, their analyzers and the metrics each provides."""
    from rich.console import Console
    from rich.table import Table

    from livelab.engine import plugins as registry

    registry.load_plugins(obj["plugins_dirs"])
    console = Console()
    table = Table("plugin", "version", "source", title="Plugins", title_justify="left")
    for info in registry.plugin_infos():
        table.add_row(info.name, info.version, info.source)
    console.print(table)
    for analyzer in registry.get_analyzers().values():
        t = Table(
            title_justify="left",
            title=f"analyzer {analyzer.name} v{analyzer.version} "
            f"({registry.plugin_name_of(analyzer)}; needs {', '.join(sorted(analyzer.needs))})",
        )
        for column in ("metric", "unit", "better"):
            t.add_column(column, no_wrap=True)
        t.add_column("description")
        for spec in analyzer.metrics:
            t.add_row(spec.name, spec.unit, spec.better, spec.description)
        console.print(t)
    for f in registry.failures:
        console.print(f"[red]failed to load[/red] {f.name} ({f.source}): {f.error}")


@cli.group()
def rubric() -> None:
    """List, show and validate rubrics."""


@rubric.command("list")
def rubric_list() -> None:
    """List the built-in rubric packs."""
    from livelab.scoring.rubric import builtin_rubrics, load_rubric

    for name, path in builtin_rubrics().items():
        r = load_rubric(path)
        click.echo(f"{name:28} {r.language:4} {len(r.criteria):3} criteria  {r.title}")


@rubric.command("show")
@click.argument("name")
def rubric_show(name: str) -> None:
    """Show a rubric's criteria, weights and rules."""
    from rich.console import Console
    from rich.markup import escape

    from livelab.scoring.rubric import find_rubric, load_rubric

    r = load_rubric(find_rubric(name))
    console = Console(highlight=False)
    console.print(
        f"[bold]{escape(r.title)}[/bold] ({r.id}, language {r.language}, "
        f"{r.max_total:g} points)\n{r.path}"
    )
    if r.source:
        console.print(f"[dim]weights: {escape(r.source)}[/dim]")
    if r.round:
        console.print(
            f"round {r.round.length_s:g} s ± {r.round.tolerance_s:g} s; "
            f"−{r.round.over_penalty_per_min:g}/min over, "
            f"−{r.round.under_penalty_per_min:g}/min under, at most −{r.round.max_penalty:g}"
        )
    if r.judged:
        j = r.judging
        console.print(
            f"judges enter {j.scale}; drop {j.trim} highest and lowest from {j.trim_from} "
            f"judges; judges' share on mixed criteria {j.judge_share:g}"
        )
    if r.tie_breaks:
        console.print(f"ties broken by {', '.join(escape(t.name) for t in r.tie_breaks)}")
    for c in r.criteria:
        role = f" · {c.role}" if c.role else ""
        role += f" · {c.section}" if c.section else ""
        role += " · judged" if c.judged else ""
        console.print(
            f"\n[bold]{escape(c.id)}[/bold]  {escape(c.title)} — {c.weight:g} points{role}"
        )
        console.print(f"  metric {c.metric}; {c.rule.describe()}")


@rubric.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
def rubric_validate(obj: dict[str, Any], files: tuple[Path, ...]) -> None:
    """Validate rubric FILES against the loaded plugins' metrics."""
    from livelab.api.errors import LivelabError
    from livelab.engine.plugins import load_plugins, metric_specs
    from livelab.scoring.rubric import find_rubric, load_rubric

    load_plugins((obj or {}).get("plugins_dirs", ()))
    known = metric_specs()
    failed = False
    for f in files:
        try:
            r = load_rubric(find_rubric(f), known_metrics=known)
        except LivelabError as exc:
            failed = True
            for p in exc.problems:
                click.echo(f"error: {p}", err=True)
            continue
        click.echo(f"ok: {f} — {r.id}, {len(r.criteria)} criteria, {r.max_total:g} points")
    if failed:
        raise SystemExit(EXIT_BAD_INPUT)


@cli.command()
@_session_arg
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
def transcript(
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

    load_plugins(obj["plugins_dirs"])
    loaded = settle_language(load_session(session), AnalysisOptions().whisper_threads)
    if not quiet and (said := language_line(loaded.metadata())):
        click.echo(said[0], err=True)
    with _progress(quiet) as progress:
        result = transcript_of(loaded, AnalysisOptions(model=model), progress)
    text = result.render(fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text)


@cli.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option(
    "--products",
    "-p",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The product cards (products.yaml) to sell; copied into the take.",
)
@click.option(
    "--camera",
    default="0",
    show_default=True,
    metavar="INDEX|FILE",
    help="Camera number, or a video file to rehearse over.",
)
@click.option(
    "--mic",
    default="default",
    show_default=True,
    metavar="default|INDEX|NAME|FILE",
    help="Microphone (needs the record extra), or an audio/video file.",
)
@click.option(
    "--duration",
    metavar="90s|10m|1h|mm:ss",
    help="Length of the take (default: until the camera file ends, or until you stop).",
)
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Seed of the simulated audience (default: random; kept in the manifest).",
)
@click.option(
    "--language",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="Language spoken: picks the speech model and the audience's chat language.",
)
@click.option("--title", default="", help="Title of the take (default: Rehearsal <date>).")
@click.option("--anchor", default="", help="Who is selling.")
@click.option("--team", default="", help="Team name.")
@click.option(
    "--fast",
    is_flag=True,
    help="With a camera file and a mic file: record as fast as the machine can, not in real "
    "time (the audience then hears every word in order, so a seed always gives the same room).",
)
@click.option(
    "--tui/--no-tui",
    default=None,
    help="Show the mock live room (default: when the terminal is interactive).",
)
@click.pass_obj
def record(
    obj: dict[str, Any],
    folder: Path,
    products: Path,
    camera: str,
    mic: str,
    duration: str | None,
    seed: int | None,
    language: str,
    title: str,
    anchor: str,
    team: str,
    fast: bool,
    tui: bool | None,
) -> None:
    """Record a mock live session into the new FOLDER, with a simulated audience.

    Writes session.toml, recording.mp4, products.yaml, ops.csv and chat.jsonl: a session
    `livelab analyze FOLDER` accepts as is. Ctrl-C (or `s` in the live room) stops and keeps
    the take; a killed recorder still leaves a playable recording.
    """
    import random
    import signal

    from livelab.record.recorder import Recorder, RecordOptions, parse_duration

    options = RecordOptions(
        folder=folder,
        products=products,
        camera=camera,
        mic=mic,
        duration_s=parse_duration(duration) if duration else None,
        seed=seed if seed is not None else random.SystemRandom().randrange(2**31),
        language=language,
        title=title,
        anchor=anchor,
        team=team,
        realtime=not fast,
        plugins_dirs=obj["plugins_dirs"],
    )
    recorder = Recorder(options)
    if tui is None:
        tui = sys.stdin.isatty() and sys.stdout.isatty()
    if tui:
        from livelab.tui import run_live_room

        result = run_live_room(recorder, plugins_dirs=obj["plugins_dirs"])
        if result is None:
            sys.exit(EXIT_BAD_INPUT)
    else:
        signal.signal(
            signal.SIGTERM, lambda *_: recorder.stop("stopped by SIGTERM", interrupted=True)
        )
        recorder.on_update = _headless_room(recorder)
        result = recorder.run()
    for warning in recorder.warnings:
        click.echo(f"warning: {warning}", err=True)
    state = recorder.audience.state()
    click.echo(
        f"take {result.status}{': ' + result.reason if result.reason else ''} — "
        f"{result.duration_s:.1f} s in {result.folder}; viewers {state.viewers} "
        f"(peak {state.peak_viewers}), likes {state.likes}, orders {state.orders}",
        err=True,
    )
    click.echo(f"analyse it: livelab analyze {result.folder}", err=True)
    if result.status != "complete":
        sys.exit(130 if "Ctrl-C" in result.reason else 1)


def _headless_room(recorder: Any) -> Any:
    """A line on stderr once recording starts (not before: the options may still be
    refused), every ten recorded seconds, and every question as it is asked."""
    from livelab.api.analysis import clock

    shown = [-1.0]

    def show(update: Any) -> None:
        s = update.state
        if shown[0] < 0:
            shown[0] = 0.0
            click.echo(f"recording to {recorder.folder} (Ctrl-C stops, keeps the take)", err=True)
        for m in update.chat:
            if m.kind == "question":
                click.echo(f"  {clock(m.t)} {m.user}: {m.text}", err=True)
        if s.t - shown[0] >= 10 or (update.phase == "finishing" and s.t > shown[0]):
            shown[0] = s.t
            planned = f"/{clock(update.planned_s)}" if update.planned_s else ""
            click.echo(
                f"{clock(s.t)}{planned}  viewers {s.viewers}  likes {s.likes}  "
                f"orders {s.orders}  open questions {s.open_questions}  — {s.mood}",
                err=True,
            )

    return show


def main() -> None:
    cli(prog_name="livelab")
