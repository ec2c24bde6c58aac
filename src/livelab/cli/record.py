"""``livelab record``: a mock live session with a simulated audience."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from livelab.cli.common import EXIT_BAD_INPUT


@click.command("record")
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
def record_command(
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
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            # Ctrl-C ends the take at the next frame, as `s` in the live room does: a flag,
            # not an exception that a C library's callback could swallow. A second Ctrl-C
            # interrupts at once.
            def on_ctrl_c(*_: object) -> None:
                signal.signal(signal.SIGINT, signal.default_int_handler)
                recorder.stop("stopped with Ctrl-C", interrupted=True)

            signal.signal(signal.SIGINT, on_ctrl_c)
        recorder.on_update = _headless_room(recorder)
        result = recorder.run()
    from livelab.cli.common import warning_line
    from livelab.i18n import _
    from livelab.inputs.session import TAKE_STATUSES

    for warning in recorder.warnings:
        click.echo(warning_line(warning), err=True)
    state = recorder.audience.state()
    status = _(TAKE_STATUSES.get(result.status, result.status))
    if result.reason:
        status += _(": {reason}").format(reason=result.reason)
    click.echo(_(
        "take {status} — {seconds} s in {folder}; viewers {viewers} (peak {peak}), "
        "likes {likes}, orders {orders}"
    ).format(status=status, seconds=f"{result.duration_s:.1f}", folder=result.folder,
             viewers=state.viewers, peak=state.peak_viewers, likes=state.likes,
             orders=state.orders), err=True)
    click.echo(_("analyse it: livelab analyze {folder}").format(folder=result.folder), err=True)
    if result.status != "complete":
        sys.exit(130 if "Ctrl-C" in result.reason else 1)


def _headless_room(recorder: Any) -> Any:
    """A line on stderr once recording starts (not before: the options may still be
    refused), every ten recorded seconds, and every question as it is asked."""
    from livelab.api.analysis import clock
    from livelab.i18n import _, say

    shown = [-1.0]

    def show(update: Any) -> None:
        s = update.state
        if shown[0] < 0:
            shown[0] = 0.0
            click.echo(_("recording to {folder} (Ctrl-C stops, keeps the take)").format(
                folder=recorder.folder), err=True)  # fmt: skip
        for m in update.chat:
            if m.kind == "question":
                click.echo(f"  {clock(m.t)} {m.user}: {m.text}", err=True)
        if s.t - shown[0] >= 10 or (update.phase == "finishing" and s.t > shown[0]):
            shown[0] = s.t
            planned = f"/{clock(update.planned_s)}" if update.planned_s else ""
            numbers = _(
                "viewers {viewers}  likes {likes}  orders {orders}  open questions {questions}"
            ).format(viewers=s.viewers, likes=s.likes, orders=s.orders, questions=s.open_questions)
            click.echo(f"{clock(s.t)}{planned}  {numbers}  — {say(s.mood)}", err=True)

    return show
