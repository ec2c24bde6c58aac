"""``livelab demo``: analyse a bundled sample session."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from livelab.cli.common import analysis_options, rubric_opt


@click.command("demo")
@rubric_opt
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
def demo_command(
    obj: dict[str, Any],
    rubric: str | None,
    json_path: Path | None,
    language: str | None,
    quiet: bool,
) -> None:
    """Analyse a bundled sample session with the default rubric and print the scorecard."""
    from livelab import i18n
    from livelab.cli.analyze import analyze_and_show
    from livelab.engine.runner import default_language, sample_session
    from livelab.i18n import _

    if language:  # the sample's language is the interface's too
        i18n.use(language)
    path = sample_session(language or default_language())
    if not quiet:
        click.echo(_("Analysing the sample session in {path}").format(path=path), err=True)
    analyze_and_show(obj, path, rubric, json_path, False, analysis_options(None, 2.0, False), quiet)
