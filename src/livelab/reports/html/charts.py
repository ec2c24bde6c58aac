"""The hand-drawn SVG charts of the HTML pages: pure functions from numbers to markup.

Every chart is inline SVG, so a page opens offline with no JavaScript. Each function returns
:class:`markupsafe.Markup` (safe for Jinja to insert as is); every text it puts in the
drawing (a name, a unit, a message) goes through :func:`markupsafe.escape`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from livelab.api.analysis import clock
from livelab.i18n import _, unit_text
from livelab.reports.text import chart_range

#: Timeline colours of the highlight kinds the stylesheet styles (``Highlight.kind``, the
#: ``mark.hl-KIND`` rules of report.css), in rank order: where highlights overlap, the
#: earlier kind marks the words. A kind not listed ranks after them and takes the next
#: colour of :data:`SPARE_COLOURS` (and the browser's plain ``mark`` in the transcript).
KIND_COLOURS = {
    "flag": "#d64545",
    "filler": "#7b45c9",
    "cta": "#e08a00",
    "point": "#1f9d55",
    "mention": "#2f5fd0",
    "event": "#8a93a3",
}
SPARE_COLOURS = ("#0f8b8d", "#b5487d", "#6b7f1a", "#a65e2e", "#4b5fa6")

#: Units whose values are shares: their charts run from 0 to 1.


def _text(value: object) -> Markup:
    return escape("" if value is None else str(value))


def num(x: float) -> str:
    """A number with at most one decimal, and none when it is whole."""
    return f"{x:.1f}".rstrip("0").rstrip(".") if not float(x).is_integer() else f"{x:.0f}"


def nice_step(span: float, target: int) -> float:
    """A 1-2-5 step giving about ``target`` intervals over ``span``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(1, target)
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= raw:
            return m * mag
    return 10 * mag


def time_step(duration: float) -> float:
    """Tick spacing in seconds that reads well as mm:ss (at most about 8 ticks)."""
    for step in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if duration / step <= 8:
            return float(step)
    return 7200.0


def tick_label(value: float, step: float) -> str:
    if abs(value) >= 10000:
        return f"{value / 1000:.0f}k"
    return f"{value:.0f}" if step >= 1 else f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True, slots=True)
class Frame:
    """Plot geometry: maps times and values to SVG coordinates."""

    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float
    t_max: float
    y_min: float
    y_max: float

    def x(self, t: float) -> float:
        return self.left + (self.width - self.left - self.right) * t / max(self.t_max, 1e-9)

    def y(self, v: float) -> float:
        span = max(self.y_max - self.y_min, 1e-12)
        return self.top + (self.height - self.top - self.bottom) * (1 - (v - self.y_min) / span)


def time_axis(f: Frame) -> list[str]:
    """Ticks and mm:ss labels along the bottom of ``f``."""
    out = []
    step = time_step(f.t_max)
    base = f.height - f.bottom
    k = 0
    while k * step <= f.t_max + 1e-9:
        x = f.x(k * step)
        out.append(f'<line class="axis" x1="{x:.1f}" y1="{base:.1f}" x2="{x:.1f}" '
                   f'y2="{base + 4:.1f}"/>')
        out.append(f'<text x="{x:.1f}" y="{base + 16:.1f}" text-anchor="middle">'
                   f"{clock(k * step)}</text>")
        k += 1
    out.append(f'<line class="axis" x1="{f.left:.1f}" y1="{base:.1f}" '
               f'x2="{f.width - f.right:.1f}" y2="{base:.1f}"/>')
    return out


def line_chart(
    name: str,
    unit: str,
    t: Sequence[float],
    values: Sequence[float | None],
    duration: float,
    bands: Sequence[tuple[float, float, str]] = (),
) -> Markup:
    """One series as an SVG chart: bars for coarse per-interval series, a line otherwise.
    ``bands`` are shaded spans (start, end, what), such as dead air on a speaking chart."""
    ts = [float(x) for x in t]
    vs = [
        float(v) if isinstance(v, int | float) and math.isfinite(float(v)) else None
        for v in values
    ]
    pairs = list(zip(ts, vs, strict=False))
    finite = [v for _t, v in pairs if v is not None]
    gaps = [b - a for a, b in zip(ts, ts[1:], strict=False)]
    coarse = 0 < len(ts) <= 30 and (not gaps or min(gaps) >= 10)
    step = (statistics.median(gaps) if gaps else max(duration, 1.0)) if coarse else 0.0
    t_max = max([duration, *(x + step for x in ts)] or [1.0]) or 1.0
    if not finite:
        return Markup('<p class="muted small">') + _("no values measured") + Markup("</p>")
    lo, hi = chart_range(finite, unit)
    shown = unit_text(unit)  # as the reader writes it: 字/分钟, 人, 秒
    ystep = nice_step(hi - lo, 4)
    lo = math.floor(lo / ystep) * ystep
    hi = math.ceil(hi / ystep) * ystep
    f = Frame(560, 180, 46, 12, 10, 26, t_max, lo, hi)
    aria = _("{name} over time").format(name=name)
    out = [f'<svg viewBox="0 0 {f.width} {f.height}" role="img" aria-label="{_text(aria)}">']
    for a, b, label in bands:
        x0, x1 = f.x(max(0.0, a)), f.x(min(t_max, b))
        out.append(f'<rect class="band" x="{x0:.1f}" y="{f.top:.1f}" '
                   f'width="{max(1.0, x1 - x0):.1f}" height="{f.height - f.top - f.bottom:.1f}">'
                   f"<title>{_text(label)}</title></rect>")
    k = 0
    while lo + k * ystep <= hi + ystep * 1e-6:
        v = lo + k * ystep
        y = f.y(v)
        out.append(f'<line class="gridline" x1="{f.left:.1f}" y1="{y:.1f}" '
                   f'x2="{f.width - f.right:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text x="{f.left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">'
                   f"{tick_label(v, ystep)}</text>")
        k += 1
    out += time_axis(f)
    out.append(f'<text x="4" y="{f.top + 2:.1f}" transform="rotate(-90 4 {f.top + 2:.1f})" '
               f'text-anchor="end">{_text(shown)}</text>')
    base = f.y(max(lo, 0.0) if lo <= 0 <= hi else lo)
    if coarse:
        for x, value in pairs:
            if value is None:
                continue
            x0, x1 = f.x(x), f.x(x + step)
            y = f.y(value)
            top, h = min(y, base), abs(base - y)
            out.append(f'<rect class="barfill" x="{x0 + 2:.1f}" y="{top:.1f}" '
                       f'width="{max(1.0, x1 - x0 - 4):.1f}" height="{max(h, 1.0):.1f}">'
                       f"<title>{clock(x)}–{clock(x + step)}: {_text(num(round(value, 2)))} "
                       f"{_text(shown)}</title></rect>")
    else:
        runs: list[list[tuple[float, float]]] = [[]]
        for x, value in pairs:
            if value is None:
                if runs[-1]:
                    runs.append([])
                continue
            runs[-1].append((f.x(x), f.y(value)))
        for run in runs:
            if not run:
                continue
            points = " ".join(f"{px:.1f},{py:.1f}" for px, py in run)
            area = f"{run[0][0]:.1f},{base:.1f} {points} {run[-1][0]:.1f},{base:.1f}"
            out.append(f'<polygon class="area" points="{area}"/>')
            out.append(f'<polyline class="line" points="{points}"/>')
            if len(run) == 1:
                out.append(f'<circle class="pt" cx="{run[0][0]:.1f}" cy="{run[0][1]:.1f}" r="3"/>')
    out.append("</svg>")
    return Markup("".join(out))


@dataclass(frozen=True, slots=True)
class Lane:
    """One row of the session timeline: marks of one kind, each (start, end, message)."""

    kind: str
    label: str
    marks: Sequence[tuple[float, float, str]]


def timeline(lanes: Sequence[Lane], duration: float) -> Markup:
    """Lanes of marks against mm:ss: what happened when, each mark titled with its message."""
    if not lanes or duration <= 0:
        return Markup("")
    lane_h, label_w = 22, 160
    f = Frame(1040, 26 + lane_h * len(lanes), label_w, 12, 4, 22, duration, 0, 1)
    spare = iter(SPARE_COLOURS * (1 + len(lanes) // len(SPARE_COLOURS)))
    colour = {lane.kind: KIND_COLOURS.get(lane.kind) or next(spare) for lane in lanes}
    aria = _("session timeline")
    out = [f'<svg viewBox="0 0 {f.width} {f.height}" role="img" aria-label="{_text(aria)}">']
    for i, lane in enumerate(lanes):
        y = f.top + i * lane_h
        out.append(f'<rect class="lane" x="{label_w}" y="{y + 2}" '
                   f'width="{f.width - label_w - f.right}" height="{lane_h - 4}" rx="3"/>')
        out.append(f'<text x="{label_w - 8}" y="{y + lane_h / 2 + 4:.1f}" text-anchor="end">'
                   f"{_text(lane.label)} ({len(lane.marks)})</text>")
        for a, b, message in lane.marks:
            x0, x1 = f.x(min(a, duration)), f.x(min(b, duration))
            out.append(f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(3.0, x1 - x0):.1f}" '
                       f'height="{lane_h - 8}" rx="2" fill="{colour[lane.kind]}" opacity="0.85">'
                       f"<title>{_text(message)}</title></rect>")
    out += time_axis(f)
    out.append("</svg>")
    return Markup("".join(out))


def quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def strip_plot(points: Sequence[tuple[int, float, str]], names: Mapping[int, str]) -> Markup:
    """Box (quartiles, median) and one dot per session on a 0–100% axis. ``points`` are
    (session index, fraction, outcome); ``names`` titles each dot."""
    f = Frame(560, 54, 10, 14, 6, 18, 1.0, 0, 1)
    aria = _("distribution")
    out = [f'<svg viewBox="0 0 {f.width} {f.height}" role="img" aria-label="{_text(aria)}">']
    for k in range(0, 101, 25):
        x = f.x(k / 100)
        out.append(f'<line class="gridline" x1="{x:.1f}" y1="{f.top}" x2="{x:.1f}" '
                   f'y2="{f.height - f.bottom}"/>')
        out.append(f'<text x="{x:.1f}" y="{f.height - 4}" text-anchor="middle">{k}%</text>')
    mid = (f.top + f.height - f.bottom) / 2
    if points:
        fr = sorted(p[1] for p in points)
        q1, q2, q3 = quartiles(fr)
        out.append(f'<rect class="box" x="{f.x(q1):.1f}" y="{mid - 9:.1f}" '
                   f'width="{max(1.0, f.x(q3) - f.x(q1)):.1f}" height="18" rx="3"/>')
        out.append(f'<line class="median" x1="{f.x(q2):.1f}" y1="{mid - 11:.1f}" '
                   f'x2="{f.x(q2):.1f}" y2="{mid + 11:.1f}"/>')
        cls = {"pass": "dotp", "partial": "dotq", "fail": "dotf"}
        for n, (i, frac, outcome) in enumerate(points):
            jitter = ((n * 7) % 5 - 2) * 3.0  # deterministic, so identical scores stay visible
            out.append(f'<circle class="{cls.get(outcome, "dotq")}" cx="{f.x(frac):.1f}" '
                       f'cy="{mid + jitter:.1f}" r="4" opacity="0.85"><title>'
                       f"{_text(names.get(i, ''))}: {frac * 100:.0f}%</title></circle>")
    out.append("</svg>")
    return Markup("".join(out))


def histogram(shares: Sequence[tuple[int, float]], names: Mapping[int, str]) -> Markup:
    """Totals (as % of the maximum) in ten 10-point bins; each bar titled with who is in it."""
    bins: list[list[int]] = [[] for _b in range(10)]
    for i, v in shares:
        bins[min(9, max(0, int(v * 10)))].append(i)
    peak = max((len(b) for b in bins), default=0) or 1
    f = Frame(560, 170, 36, 10, 10, 26, 1.0, 0, float(peak))
    aria = _("totals histogram")
    out = [f'<svg viewBox="0 0 {f.width} {f.height}" role="img" aria-label="{_text(aria)}">']
    ystep = max(1.0, nice_step(peak, 4))
    k = 0
    while k * ystep <= peak + 1e-9:
        y = f.y(k * ystep)
        out.append(f'<line class="gridline" x1="{f.left}" y1="{y:.1f}" x2="{f.width - f.right}" '
                   f'y2="{y:.1f}"/><text x="{f.left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                   f"{k * ystep:.0f}</text>")
        k += 1
    for b, members in enumerate(bins):
        x0, x1 = f.x(b / 10), f.x((b + 1) / 10)
        if members:
            y = f.y(len(members))
            who = ", ".join(names.get(i, "") for i in members)
            out.append(f'<rect class="hist" x="{x0 + 2:.1f}" y="{y:.1f}" width="{x1 - x0 - 4:.1f}"'
                       f' height="{f.y(0) - y:.1f}" rx="2"><title>{b * 10}–{b * 10 + 10}%: '
                       f"{_text(who)}</title></rect>")
    for k in range(0, 11, 2):
        x = f.x(k / 10)
        out.append(f'<text x="{x:.1f}" y="{f.height - 8}" text-anchor="middle">{k * 10}%</text>')
    out.append(f'<line class="axis" x1="{f.left}" y1="{f.y(0):.1f}" x2="{f.width - f.right}" '
               f'y2="{f.y(0):.1f}"/></svg>')
    return Markup("".join(out))
