"""``livelab rubric``: list, show and validate rubrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from livelab.cli.common import EXIT_BAD_INPUT, error_line


@click.group("rubric")
def rubric_command() -> None:
    """List, show and validate rubrics."""


@rubric_command.command("list")
def rubric_list() -> None:
    """List the built-in rubric packs."""
    from livelab.i18n import _
    from livelab.scoring.rubric import builtin_rubrics, load_rubric

    for name, path in builtin_rubrics().items():
        r = load_rubric(path)
        criteria = _("{n} criteria").format(n=f"{len(r.criteria):3}")
        click.echo(f"{name:28} {r.language:4} {criteria}  {r.title}")


@rubric_command.command("show")
@click.argument("name")
def rubric_show(name: str) -> None:
    """Show a rubric's criteria, weights and rules."""
    from rich.console import Console
    from rich.markup import escape

    from livelab.i18n import _, role_text
    from livelab.scoring.rubric import find_rubric, load_rubric

    r = load_rubric(find_rubric(name))
    console = Console(highlight=False)
    console.print(f"[bold]{escape(r.title)}[/bold] " + escape(_(
        "({id}, language {language}, {points} points)"
    ).format(id=r.id, language=r.language, points=f"{r.max_total:g}")) + f"\n{r.path}")
    if r.source:
        console.print("[dim]" + escape(_("weights: {source}").format(source=r.source)) + "[/dim]")
    if r.round:
        console.print(_(
            "round {length} s ± {tolerance} s; −{over}/min over, −{under}/min under, "
            "at most −{most}"
        ).format(length=f"{r.round.length_s:g}", tolerance=f"{r.round.tolerance_s:g}",
                 over=f"{r.round.over_penalty_per_min:g}",
                 under=f"{r.round.under_penalty_per_min:g}", most=f"{r.round.max_penalty:g}"))
    if r.judged:
        j = r.judging
        console.print(_(
            "judges enter {scale}; drop {trim} highest and lowest from {trim_from} judges; "
            "judges' share on mixed criteria {share}"
        ).format(scale=j.scale, trim=j.trim, trim_from=j.trim_from, share=f"{j.judge_share:g}"))
    if r.tie_breaks:
        console.print(_("ties broken by {names}").format(
            names=", ".join(escape(t.name) for t in r.tie_breaks)))
    for c in r.criteria:
        role = f" · {role_text(c.role)}" if c.role else ""
        role += f" · {escape(c.section)}" if c.section else ""
        role += (" · " + _("judged")) if c.judged else ""
        points = _("{n} points").format(n=f"{c.weight:g}")
        console.print(f"\n[bold]{escape(c.id)}[/bold]  {escape(c.title)} — {points}{role}")
        console.print("  " + escape(_("metric {metric}; {rule}").format(
            metric=c.metric, rule=c.rule.describe())))


@rubric_command.command("validate")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.pass_obj
def rubric_validate(obj: dict[str, Any], files: tuple[Path, ...]) -> None:
    """Validate rubric FILES against the loaded plugins' metrics."""
    from livelab.api.errors import LivelabError
    from livelab.engine.plugins import load_plugins, metric_specs
    from livelab.i18n import _, problem_text
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
                click.echo(error_line(problem_text(p)), err=True)
            continue
        click.echo(_("ok: {file} — {id}, {n} criteria, {points} points").format(
            file=f, id=r.id, n=len(r.criteria), points=f"{r.max_total:g}"))
    if failed:
        raise SystemExit(EXIT_BAD_INPUT)
