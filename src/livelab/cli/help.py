"""The command line's help, and click's own words, in the active language.

Help texts are English in the code (docstrings, ``help=``) and msgids of the ``livelab``
catalog (`make catalogs` collects them with :func:`help_texts`); :func:`localize` swaps in
the translation when a command is shown. Click's words ("Usage:", its errors) come from
livelab's ``click`` catalog. Light to import: ``livelab --help`` uses it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import click
import click.formatting

_click_wrap = click.formatting.wrap_text


def _cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _wide(text: str) -> bool:
    return any(unicodedata.east_asian_width(ch) in "WF" for ch in text)


#: Characters a line never starts with (Chinese line breaking, 避头).
_NO_START = "，。、；：？！）》」』”’%…—·,.;:?!)"


def wrap_cells(text: str, width: int = 78, initial_indent: str = "",
               subsequent_indent: str = "", preserve_paragraphs: bool = False) -> str:
    """click's ``wrap_text`` counting terminal columns (a CJK character takes two) and
    breaking between CJK characters; text without wide characters goes to click's own."""
    if not _wide(text):
        return _click_wrap(text, width, initial_indent, subsequent_indent, preserve_paragraphs)
    paragraphs = re.split(r"\n\s*\n", text) if preserve_paragraphs else [text]
    out = []
    for i, paragraph in enumerate(paragraphs):
        rows = [row.strip() for row in paragraph.strip().splitlines()]
        joined = ""
        for row in rows:  # no space where two lines of Chinese meet
            gap = "" if joined and (_wide(joined[-1]) or _wide(row[:1])) else " "
            joined = f"{joined}{gap}{row}" if joined else row
        tokens = re.findall(r"\s+|[^\s]", joined) if _wide(joined) else [joined]
        words: list[str] = []
        for tok in tokens:  # latin runs stay whole, each CJK character is its own token
            if words and not tok.isspace() and not _wide(tok) and not words[-1].isspace() \
                    and not _wide(words[-1]):
                words[-1] += tok
            else:
                words.append(tok)
        indent = initial_indent if i == 0 else subsequent_indent
        line: list[str] = []  # the words on the current line
        for word in words:
            if word.isspace():
                if line:
                    line.append(" ")
                continue
            if line and _cells(indent + "".join(line) + word) > width:
                carried = []
                if word[0] in _NO_START and len(line) > 1:  # 。 never starts a line:
                    carried = [line.pop()]  # the character before it goes down with it
                out.append((indent + "".join(line)).rstrip())
                indent, line = subsequent_indent, carried
            line.append(word)
        out.append((indent + "".join(line)).rstrip())
        if i < len(paragraphs) - 1:
            out.append("")
    return "\n".join(out)


def speak_click() -> None:
    """Click's own words ("Usage:", "Show this message and exit.", its errors) through
    livelab's catalog for them (domain ``click``), in the active language. Click looks them
    up with the stdlib's global gettext; each of its modules holds that function as ``_``."""
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types
    import click.utils

    from livelab.i18n import translate, translate_plural

    def say(text: str) -> str:
        return translate("click", text)

    def say_n(one: str, many: str, n: int) -> str:
        return translate_plural("click", one, many, n)

    click.formatting.wrap_text = wrap_cells
    for module in (click.core, click.decorators, click.exceptions, click.formatting,
                   click.parser, click.termui, click.types, click.utils):  # fmt: skip
        module._ = say  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = say_n  # type: ignore[attr-defined]


def _texts(command: click.Command) -> dict[str, Any]:
    """The English help of ``command`` and its options, kept the first time it is shown."""
    import inspect

    kept = command.__dict__.get("_livelab_english")
    if kept is None:
        kept = {
            "help": inspect.cleandoc(command.help) if command.help else None,
            "short_help": command.short_help,
            "params": [getattr(p, "help", None) for p in command.params],
        }
        command.__dict__["_livelab_english"] = kept
    return kept


def localize(command: click.Command) -> click.Command:
    """``command`` (and its subcommands) with its help in the active language."""
    from livelab.i18n import _, translate

    english = _texts(command)
    command.help = _(english["help"]) if english["help"] else None
    command.short_help = _(english["short_help"]) if english["short_help"] else None
    if command.help and not command.short_help and command.help != english["help"]:
        # click cuts a summary at ". "; a Chinese sentence ends at "。"
        first = command.help.split("\n\n")[0]
        found = re.match(r"(.+?(?:。|\.(?=\s|$)))", first, re.S)
        short = found.group(1) if found else first
        if _cells(short) > 40 and "：" in short:  # a long sentence: its part before the colon
            short = short.split("：")[0]
        command.short_help = short
    for param, text in zip(command.params, english["params"], strict=True):
        if text:
            param.help = _(text)
    helper = command.__dict__.get("_help_option")  # click makes it once, in the first language
    if helper is not None:
        helper.help = translate("click", "Show this message and exit.")
    for sub in getattr(command, "commands", {}).values():
        localize(sub)
    return command


def help_texts(command: click.Command | None = None) -> list[str]:
    """Every English help text of the command line, for the catalog."""
    if command is None:
        from livelab.cli import cli

        command = cli
    ctx = click.Context(command)
    english = _texts(command)
    out = [t for t in (english["help"], english["short_help"], *english["params"]) if t]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                out += help_texts(sub)
    return list(dict.fromkeys(out))
