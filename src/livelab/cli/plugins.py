"""``livelab plugins``: loaded plugins, their analyzers, metrics and output formats."""

from __future__ import annotations

from typing import Any

import click

from livelab.i18n import N_


@click.command("plugins")
@click.pass_obj
def plugins_command(obj: dict[str, Any]) -> None:
    """List loaded plugins, their analyzers, the metrics each provides, and the output
    formats of `livelab analyze --format`."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from livelab.engine import plugins as registry
    from livelab.i18n import _, domain_of, translate, unit_text

    def declared(thing: Any, text: str) -> str:
        """What a plugin declared, from its package's catalog (as it is when there is none)."""
        return translate(domain_of(thing), text, quiet=True) if text else text

    registry.load_plugins(obj["plugins_dirs"])
    console = Console()
    table = Table(_("plugin"), _("version"), _("source"), title=_("Plugins"),
                  title_justify="left")  # fmt: skip
    for info in registry.plugin_infos():
        table.add_row(info.name, info.version, escape(_source_text(info.source)))
    console.print(table)
    for analyzer in registry.get_analyzers().values():
        t = Table(
            title_justify="left",
            title=_("analyzer {name} v{version} ({plugin}; needs {needs})").format(
                name=analyzer.name, version=analyzer.version,
                plugin=registry.plugin_name_of(analyzer), needs=", ".join(sorted(analyzer.needs))),
        )  # fmt: skip
        for column in (_("metric"), _("unit"), _("better")):
            t.add_column(column, no_wrap=True)
        t.add_column(_("description"), overflow="fold")  # CJK has no spaces to wrap at
        for spec in analyzer.metrics:
            t.add_row(spec.name, unit_text(spec.unit), _(BETTER.get(spec.better, spec.better)),
                      escape(declared(analyzer, spec.description)))
        console.print(t)
    formats = Table(
        _("format"), _("suffix"), _("description"),
        title=_("Output formats (livelab analyze --format NAME)"), title_justify="left",
    )  # fmt: skip
    for name, reporter in sorted(registry.reporters().items()):
        formats.add_row(
            name, str(getattr(reporter, "suffix", "")),
            escape(declared(reporter, str(getattr(reporter, "description", "")))),
        )  # fmt: skip
    console.print(formats)
    for f in registry.failures:
        console.print("[red]" + escape(_("failed to load")) + "[/red] "
                      + escape(f"{f.name} ({f.source}): {f.error}"))


#: A metric's ``better`` (which way is good), as the table says it.
BETTER = {"higher": N_("higher"), "lower": N_("lower"), "target": N_("target"),
          "none": N_("neither way")}  # fmt: skip


def _source_text(source: str) -> str:
    """Where a plugin came from, in the reader's language ("built-in", "entry point (dist)",
    or its file, as it is)."""
    from livelab.i18n import _

    if source == "built-in":
        return _("built-in")
    if source.startswith("entry point (") and source.endswith(")"):
        return _("entry point ({dist})").format(dist=source[len("entry point ("):-1])
    return source
