"""``livelab report``: HTML reports (or one class summary) from JSON scorecards."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import click


def read_scorecards(path: Path) -> list[dict[str, Any]]:
    """Scorecards (or batch error entries) from a scorecard ``.json`` or a ``.jsonl`` of them."""
    from livelab.api.errors import LivelabError, Problem
    from livelab.i18n import _

    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise LivelabError([Problem(path, _("cannot be read: {why}").format(
            why=exc.strerror or exc))]) from None
    except UnicodeDecodeError:
        raise LivelabError([Problem(path, _("not UTF-8 text; expected a JSON scorecard"))]
                           ) from None
    docs: list[tuple[str, Any]] = []
    try:
        if path.suffix.lower() == ".jsonl":
            docs = [(_("line {n}").format(n=n), json.loads(line))
                    for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        else:
            docs = [("", json.loads(text))]
    except json.JSONDecodeError as exc:
        where = _("line {n}").format(n=exc.lineno) if path.suffix.lower() != ".jsonl" else ""
        raise LivelabError([Problem(path, _("not valid JSON ({why})").format(why=exc.msg),
                                    where)]) from None
    from livelab.scoring.scorecard import read_entry

    out = []
    for key, doc in docs:
        if not isinstance(doc, dict):  # a list, a number, a string: never read as a path
            raise LivelabError([Problem(path, _("is not a livelab scorecard (not a JSON "
                                                "object)"), key)])
        # Read as livelab reads its own scorecards (checked, upgraded), so an edited file
        # is an error naming what is wrong, never a traceback or a page of wrong numbers.
        try:
            out.append(read_entry(doc, key).to_dict())
        except LivelabError as exc:
            raise LivelabError([Problem(path, p.message, p.key) for p in exc.problems]) from None
    return out


@click.command("report")
@click.argument("scorecards", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the HTML here (one scorecard, or the --summary).")
@click.option("--out-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write one NAME.html per scorecard into this folder.")
@click.option("--summary", is_flag=True,
              help="Render one class summary of all the scorecards instead "
                   "(default output: class-summary.html).")
def report_command(scorecards: tuple[Path, ...], output: Path | None, out_dir: Path | None,
                   summary: bool) -> None:
    """Render HTML reports from JSON scorecards (from `analyze --json` or `grade`).

    SCORECARDS are scorecard .json files or .jsonl files of them. Without -o or --out-dir,
    each report is written beside its scorecard as NAME.html.
    """
    from livelab.api.errors import LivelabError
    from livelab.engine.cache import write_atomic
    from livelab.i18n import _
    from livelab.reports.html import is_error_entry, render_class_summary, render_report

    if output is not None and out_dir is not None:
        raise LivelabError(_("use -o/--output or --out-dir, not both"))
    loaded = [(p, sc) for p in scorecards for sc in read_scorecards(p)]
    if summary:
        target = output or (out_dir or Path(".")) / "class-summary.html"
        write_atomic(target, render_class_summary([sc for _, sc in loaded]))
        click.echo(_("class summary of {n} sessions written to {path}").format(
            n=len(loaded), path=target))
        return
    reports = [(p, sc) for p, sc in loaded if not is_error_entry(sc)]
    if output is not None and len(reports) != 1:
        raise LivelabError(_("-o/--output takes one scorecard, got {n}; use --out-dir for "
                             "several").format(n=len(reports)))
    used: set[Path] = set()
    for path, sc in reports:
        if output is not None:
            target = output
        else:
            stem = path.stem if path.suffix.lower() == ".json" else _slug(sc, path)
            target = (out_dir or path.parent) / f"{stem}.html"
            n = 2
            while target in used:
                target = target.with_name(f"{stem}-{n}.html")
                n += 1
        used.add(target)
        write_atomic(target, render_report(sc))
        click.echo(_("report written to {path}").format(path=target))


def _slug(sc: dict[str, Any], source: Path) -> str:
    """A file name for one scorecard out of a .jsonl: its session folder's name."""
    session_path = str((sc.get("session") or {}).get("path") or "")
    name = Path(session_path).parent.name if session_path.endswith(".toml") else \
        Path(session_path).stem
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or source.stem
