"""Built-in reporters: the terminal scorecard (rich) and the JSON document itself."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

from livelab.api.analysis import clock
from livelab.api.hooks import hookimpl
from livelab.api.transcript import printable
from livelab.i18n import N_, _, current, pick_title, role_text, say, unit_text
from livelab.inputs.session import language_line, session_warnings
from livelab.reports.text import percent_text, share_text
from livelab.scoring.scorecard import Scorecard, read_scorecard


def format_value(value: float | None, unit: str) -> str:
    """A measured value as every view shows it, with its unit and one rounding: "67%",
    "1.81×" (a ratio above 1 is not a percentage), "49 s", "4.5 s", "1 silence", "0 banned
    claims", "175 wpm"."""
    if value is None:
        return "—"
    if unit in ("ratio", "fraction"):
        return f"{value * 100:.0f}%" if value <= 1 else f"{value:.2f}×"
    if unit == "pass":  # a yes/no measure: 1 or 0
        return _("yes") if value >= 0.5 else _("no")
    zh = current() == "zh"
    if unit == "s":
        text = f"{value:.0f}" if abs(value) >= 10 else f"{value:.1f}"
        return f"{text} 秒" if zh else f"{text} s"
    if abs(value) >= 100 or float(value).is_integer():
        text = f"{value:.0f}"
    else:
        text = f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if unit in ("count", "", "0-1"):
        return text
    if zh:
        return f"{text} {unit_text(unit, 'zh')}"
    words = unit.replace("_", " ")
    noun = words.split()[-1]
    if value == 1 and noun.isalpha() and len(noun) > 3 and noun.endswith("s") and noun[-2] != "s":
        words = words[:-1]  # "1 silence", "1 banned claim"
    return f"{text} {words}"


#: Analyzer statuses the scorecard names, for the catalog.
_STATUSES = (N_("not run"), N_("failed"))


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (a CJK character takes two)."""
    from rich.cells import cell_len

    return text + " " * max(0, width - cell_len(text))


def _bar(fraction: float, width: int = 10) -> str:
    full = int(round(fraction * width))
    return "█" * full + "░" * (width - full)


def print_scorecard(scorecard: Scorecard, console: Any) -> None:
    """Render the scorecard on a rich console: criteria, total, what to fix first, evidence."""
    from rich.markup import escape

    def _safe(text: str) -> str:  # user data: no markup, no terminal control sequences
        return escape(printable(text))
    from rich.padding import Padding
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    session = scorecard.session
    rubric = scorecard.rubric
    metadata = session.to_dict()
    head = Text()
    head.append(printable(session.title), style="bold")
    if session.anchor:
        head.append(f"  ·  {printable(session.anchor)}")
    identity = [_("student ID {id}").format(id=session.student_id) if session.student_id else "",
                _("class {name}").format(name=session.class_name) if session.class_name else ""]
    if any(identity):
        head.append("  ·  " + printable(" · ".join(i for i in identity if i)))
    head.append(f"\n{clock(session.duration_s)} · {session.language}")
    if rubric:
        head.append(" · " + _("rubric") + f" {rubric.id}")
    for warning in session_warnings(metadata):
        head.append(f"\n{warning}", style="bold yellow")
    if said := language_line(metadata):
        head.append(f"\n{said[0]}", style="bold yellow" if said[1] else "dim")
    review = scorecard.review
    if review is not None:
        by = (_(" ({name})").format(name=printable(review.reviewer))
              if review.reviewer else "")  # fmt: skip
        adjusted = [pick_title(c.title) for c in scorecard.criteria if c.adjusted]
        head.append("\n" + (_("Reviewed by the instructor{by}; adjusted: {criteria}").format(
            by=by, criteria=_(", ").join(adjusted)) if adjusted else
            _("Reviewed by the instructor{by}").format(by=by)), style="bold magenta")
        if review.comment:
            head.append("\n" + printable(review.comment), style="magenta")
        if review.transcript:
            head.append("\n" + _("transcript corrected in {n} places").format(
                n=len(review.transcript)), style="magenta")
    console.print(Panel(head, title=_("livelab scorecard"), expand=False))

    # Bar, points and criterion on one line, feedback under it: readable at 80 columns.
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(justify="right", no_wrap=True)
    table.add_column(ratio=1)
    for c in scorecard.criteria:
        measured = format_value(c.value, c.unit)
        if c.scored:
            colour = {"pass": "green", "partial": "yellow", "fail": "red"}[c.outcome]
            line = Text(printable(pick_title(c.title)), style="bold")
            line.append(f"  {measured}", style="cyan")
            table.add_row(
                Text(_bar(c.fraction or 0.0), style=colour),
                f"{c.points or 0.0:.1f}/{c.weight:g}",
                line,
            )
            if c.adjusted and c.review:
                machine = c.review.get("machine") or {}
                was = (f"{machine['points']:.1f}/{c.weight:g}" if machine.get("points") is not None
                       else _("unscored"))
                line.append("  " + _("adjusted by the instructor (machine: {was})").format(
                    was=was), style="magenta")
            if c.feedback:
                table.add_row("", "", Text(printable(c.feedback), style="dim"))
            if c.review_comment:
                table.add_row("", "", Text(printable(_("Instructor: {comment}").format(
                    comment=c.review_comment)), style="magenta"))
            for p in c.products or []:  # per-product time allotments
                planned = (
                    _("no plan") if p.planned_s is None
                    else _("{seconds} s planned").format(seconds=f"{p.planned_s:g}")
                )
                table.add_row("", "", Text(printable(f"{p.name}: {p.actual_s:g} s ({planned})")))
        else:
            table.add_row(
                Text(_pad(_("unscored"), 10), style="dim"),
                f"–/{c.weight:g}",
                Text(printable(pick_title(c.title)), style="bold dim"),
            )
            table.add_row("", "", Text(printable(say(c.reason)), style="dim italic"))
    if scorecard.criteria:
        console.print(table)
        total = Text(
            "\n" + _("Total {points} / {maximum}").format(
                points=f"{scorecard.total:.1f}", maximum=f"{scorecard.max_total:g}"
            ),
            style="bold",
        )
        total.append(
            f"   {percent_text(scorecard)}",
            style="bold" if scorecard.scorable_fraction >= 1 else "yellow",
        )
        console.print(total)
        if scorecard.round:
            from livelab.scoring.rubric import round_text

            console.print(_("Round: {reason}").format(reason=_safe(round_text(scorecard.round))))
        roles = scorecard.roles
        if session.roles or len(roles) > 1:
            for role, r in roles.items():
                who = f" ({_safe(r.person)})" if r.person else ""
                console.print(f"  {role_text(role)}{who}: {share_text(r)}")
            if scorecard.team is not None and scorecard.team.penalty:
                penalty = f"{scorecard.team.penalty:g}"
                console.print("  " + _("round penalty: −{points}").format(points=penalty))
            console.print("  " + _("team total: {points} / {maximum}").format(
                points=f"{scorecard.total:.1f}", maximum=f"{scorecard.max_total:g}"
            ))
    if scorecard.fix_first:
        console.print("\n[bold]" + _("Fix these first") + "[/bold]")
        for i, c in enumerate(scorecard.fix_first_criteria(), 1):
            lost = _("(−{points} points)").format(points=f"{c.points_lost:.1f}")
            console.print(f"  {i}. [bold]{_safe(pick_title(c.title))}[/bold] {lost}")
            if c.feedback:
                console.print(Padding(Text(printable(c.feedback)), (0, 0, 0, 5)))
    if scorecard.evidence:
        console.print("\n[bold]" + _("Evidence") + "[/bold]")
        for e in scorecard.evidence[:40]:
            when = (
                f"{clock(e.start_s)}–{clock(e.end_s if e.end_s is not None else e.start_s)}"
                if e.start_s is not None
                else "—"
            )
            dismissed = review.dismissal(e.metric, e.start_s) if review else None
            if dismissed is None:
                console.print(f"  {when:>11}  {_safe(say(e.message))}")
                continue
            line = Text(f"  {when:>11}  ")
            line.append(printable(say(e.message)), style="strike dim")
            why = f": {dismissed.comment}" if dismissed.comment else ""
            line.append("  " + printable(_("dismissed by the instructor{why}").format(why=why)),
                        style="magenta")
            console.print(line)
        if len(scorecard.evidence) > 40:
            console.print(
                "  " + _("… and {count} more (see the JSON scorecard)").format(
                    count=len(scorecard.evidence) - 40
                )
            )
    for note in scorecard.notes:
        console.print("[yellow]" + _("note:") + f"[/yellow] {_safe(say(note))}")
    for name, a in scorecard.analyzers.items():
        if a.status in ("not run", "failed"):
            console.print(f"[dim]{name}: {_(a.status)} — {_safe(say(a.reason))}[/dim]")


class TerminalReporter:
    name = "terminal"
    suffix = ".txt"
    description = N_("the scorecard as a table for the terminal")

    def render(self, scorecard: Mapping[str, Any]) -> str:
        from rich.console import Console

        buffer = io.StringIO()
        console = Console(file=buffer, width=110, color_system=None)
        print_scorecard(read_scorecard(scorecard), console)
        return buffer.getvalue()


class JsonReporter:
    name = "json"
    suffix = ".json"
    description = N_("the versioned JSON scorecard, the source of every view")

    def render(self, scorecard: Mapping[str, Any]) -> str:
        return json.dumps(scorecard, ensure_ascii=False, indent=2) + "\n"


@hookimpl
def livelab_reporters() -> list[Any]:
    return [TerminalReporter(), JsonReporter()]
