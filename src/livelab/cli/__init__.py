"""The ``livelab`` command: the group, and a table of its commands, one module each.
Heavy imports live inside the commands so ``--help`` is instant."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from livelab.cli.common import EXIT_BAD_INPUT
from livelab.cli.help import help_texts, localize, speak_click

__all__ = ["LAZY_COMMANDS", "UserError", "cli", "help_texts", "localize", "main"]


class UserError(click.ClickException):
    """A problem with the user's input: one clear message, exit code 2, no traceback."""

    exit_code = EXIT_BAD_INPUT

    def show(self, file: Any = None) -> None:
        from livelab.cli.common import error_line

        click.echo(error_line(self.format_message()), err=True)


#: Every command, in its own module under ``livelab.cli``, imported only when used (or
#: listed by --help). Each keeps heavy imports inside its functions. name → "module:attribute".
LAZY_COMMANDS = {
    "analyze": "livelab.cli.analyze:analyze_command",
    "check": "livelab.cli.check:check_command",
    "demo": "livelab.cli.demo:demo_command",
    "export": "livelab.cli.export:export_command",
    "grade": "livelab.cli.grade:grade_command",
    "history": "livelab.cli.history:history_command",
    "judge": "livelab.cli.judge:judge_command",
    "leaderboard": "livelab.cli.leaderboard:leaderboard_command",
    "plugins": "livelab.cli.plugins:plugins_command",
    "record": "livelab.cli.record:record_command",
    "report": "livelab.cli.report:report_command",
    "review": "livelab.cli.review:review_command",
    "rubric": "livelab.cli.rubric:rubric_command",
    "transcript": "livelab.cli.transcript:transcript_command",
    "tui": "livelab.cli.tui:tui_command",
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
        return None if command is None else localize(command)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        localize(self)
        super().format_help(ctx, formatter)

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None,
                     **extra: Any) -> click.Context:
        from livelab import i18n

        if parent is None:  # the language of help and messages, before --help is shown
            speak_click()
            try:
                i18n.use()
            except i18n.UnknownLanguage as exc:
                raise UserError(str(exc)) from None
        return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        from livelab.api.errors import LivelabError

        try:
            return super().invoke(ctx)
        except LivelabError as exc:
            from livelab.i18n import error_text

            raise UserError(error_text(exc)) from None
        except OSError as exc:
            # A file that cannot be written or read (full disk, read-only folder, a path
            # through a file) is named in one line; what finished before it is kept.
            if exc.filename is None:
                raise
            from livelab.i18n import _

            raise UserError(_("{file}: {problem}").format(
                file=exc.filename, problem=exc.strerror or exc)) from None
        except KeyboardInterrupt:
            from livelab.i18n import _

            click.echo(_("interrupted; finished results were kept"), err=True)
            sys.exit(130)


@click.group(cls=LivelabGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--plugins-dir",
    "plugins_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Also load every *.py file in this folder as a plugin (repeatable).",
)
@click.option(
    "--lang",
    metavar="zh|en",
    is_eager=True,
    expose_value=False,
    callback=lambda ctx, param, value: _set_language(value),
    help="Interface language: zh (简体中文) or en. Default: $LIVELAB_LANG, else the system "
    "locale, else the session's language for a report on one session, else English.",
)
@click.version_option(package_name="livelab")
@click.pass_context
def cli(ctx: click.Context, plugins_dirs: tuple[Path, ...]) -> None:
    """livelab: rehearse a live-selling stream, see how it went, and grade it.

    A SESSION is a folder with a session.toml manifest, or a bare recording.
    """
    ctx.obj = {"plugins_dirs": plugins_dirs}


def _set_language(value: str | None) -> None:
    if value is None:
        return
    from livelab import i18n

    try:
        i18n.use(value)
    except i18n.UnknownLanguage as exc:
        raise click.BadParameter(str(exc).removeprefix("--lang: ")) from None


def main() -> None:
    cli(prog_name="livelab")
