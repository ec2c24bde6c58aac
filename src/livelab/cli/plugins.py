"""``livelab plugins``: loaded plugins, their analyzers, metrics and output formats."""

from __future__ import annotations

from typing import Any

import click


@click.command("plugins")
@click.pass_obj
def plugins_command(obj: dict[str, Any]) -> None:
    """List loaded plugins, their analyzers, the metrics each provides, and the output
    formats of `livelab analyze --format`."""
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
    formats = Table(
        "format", "suffix", "description", title="Output formats (livelab analyze --format NAME)",
        title_justify="left",
    )
    for name, reporter in sorted(registry.reporters().items()):
        formats.add_row(
            name, str(getattr(reporter, "suffix", "")), str(getattr(reporter, "description", ""))
        )
    console.print(formats)
    for f in registry.failures:
        console.print(f"[red]failed to load[/red] {f.name} ({f.source}): {f.error}")
