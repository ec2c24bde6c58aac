"""``livelab rubric``: list, show and validate rubrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from livelab.cli.common import EXIT_BAD_INPUT


@click.group("rubric")
def rubric_command() -> None:
    """List, show and validate rubrics."""


@rubric_command.command("list")
def rubric_list() -> None:
    """List the built-in rubric packs."""
    from livelab.scoring.rubric import builtin_rubrics, load_rubric

    for name, path in builtin_rubrics().items():
        r = load_rubric(path)
        click.echo(f"{name:28} {r.language:4} {len(r.criteria):3} criteria  {r.title}")


@rubric_command.command("show")
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


@rubric_command.command("validate")
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
