"""Small text helpers every view shares: a sparkline, a time span, a file-name slug, and
how a total and a block of points are said."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from livelab.api.analysis import clock
from livelab.i18n import _

_BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(
    values: Sequence[float | None],
    top: float | None = None,
    *,
    relative: bool = False,
    gap: str = "·",
) -> str:
    """``▁▃▅█``: one character per value, oldest first; ``gap`` for a missing value.

    Values are scaled from 0 to ``top`` (default: the largest value), or, ``relative``,
    from the smallest to the largest value (all equal: the middle block)."""
    known = [v for v in values if v is not None]
    if not known:
        return "" if relative else gap * len(values)
    lo = min(known) if relative else 0.0
    hi = max(known) if relative else (top if top else max(known))
    out = []
    for v in values:
        if v is None:
            out.append(gap)
        elif relative and hi == lo:
            out.append(_BLOCKS[len(_BLOCKS) // 2])
        elif hi - lo <= 0:
            out.append(_BLOCKS[0])
        else:
            share = min(max((v - lo) / (hi - lo), 0.0), 1.0)
            out.append(_BLOCKS[round(share * (len(_BLOCKS) - 1))])
    return "".join(out)


def span_text(start: float | None, end: float | None) -> str:
    """``mm:ss–mm:ss`` for a timed finding, ``mm:ss`` for an instant, ``—`` untimed."""
    if start is None:
        return "—"
    if end is None or clock(end) == clock(start):
        return clock(start)
    return f"{clock(start)}–{clock(end)}"


def slug(text: str, fallback: str = "session", max_len: int = 40) -> str:
    """A file-name-safe form of ``text`` (lower case, words joined by ``-``; Chinese kept)."""
    made = re.sub(r"[^\w]+", "-", text.lower(), flags=re.UNICODE).strip("-_")
    return made[:max_len].strip("-_") or fallback


def report_name(n: int, scorecard: Any) -> str:
    """The file name of session ``n``'s report in a grade's ``reports/`` folder."""
    session = scorecard.session
    return f"{n}-{slug(session.anchor or session.title or 'session')}.html"


def percent_text(scorecard: Any) -> str:
    """What the total is worth, in words every view uses: "90%", "67% of the 95 points that
    could be scored", "64%: 5 unscored points count as 0"; "" without a rubric."""
    if scorecard.rubric is None:
        return ""
    if scorecard.percent is None:
        return _("nothing could be scored")
    missing = scorecard.max_total - scorecard.scorable_weight
    if missing <= 1e-9:
        return f"{scorecard.percent:.0f}%"
    if scorecard.unscored == "zero":
        return _("{percent}%: {missing} unscored points count as 0").format(
            percent=f"{scorecard.percent:.0f}", missing=f"{missing:g}"
        )
    return _("{percent}% of the {could} points that could be scored").format(
        percent=f"{scorecard.percent:.0f}", could=f"{scorecard.scorable_weight:g}"
    )


def share_text(share: Any) -> str:
    """A role's or section's points: "9.0 / 15", "4.0 / 15 (5 could be scored)", or
    "unscored (nothing could be scored)" — never a 0 that was not earned."""
    if share.unscored:
        return _("unscored (none of its {points} points could be scored)").format(
            points=f"{share.max:g}"
        )
    text = f"{share.points:.1f} / {share.max:g}"
    if share.scorable is not None and share.scorable < share.max - 1e-9:
        text += " " + _("({points} could be scored)").format(points=f"{share.scorable:g}")
    return text


#: Units whose values are shares of a whole: charts show them on a 0–1 axis.
SHARE_UNITS = ("0/1", "0-1", "ratio", "share of width", "share of height")


def chart_range(values: Sequence[float], unit: str) -> tuple[float, float]:
    """The value axis every chart uses, so no view magnifies noise: 0–1 for shares, from 0
    for values that are never negative (a brightness of 0.62–0.64 is a flat line, not a
    cliff), and a span that is never empty."""
    lo, hi = min(values), max(values)
    if unit in SHARE_UNITS and lo >= 0 and hi <= 1:
        lo, hi = 0.0, 1.0
    elif lo >= 0:
        lo = 0.0
    if hi - lo < 1e-9:
        hi = lo + (abs(lo) or 1.0)
    return lo, hi
