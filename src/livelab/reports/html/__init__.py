"""HTML reports: one self-contained page per session and a class summary, every user string escaped.

Both pages open offline: the stylesheet is inlined and every chart is inline SVG drawn here, so
there is no JavaScript and nothing to fetch. Everything a student, product card or plugin wrote
(titles, names, transcript, feedback, evidence, reasons) goes through :func:`esc`.

The class summary takes the scorecards of one grading run. A session that could not be graded
is an *error entry* instead of a scorecard: ``{"session": {"path": ..., "anchor"?: ...,
"team"?: ..., "title"?: ...}, "error": "reason"}``; it becomes a red roster row and is left out
of every statistic.
"""

from __future__ import annotations

import html
import json
import math
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from livelab.api.analysis import clock
from livelab.api.hooks import hookimpl
from livelab.inputs.session import language_line, take_warning
from livelab.reports.html.leaderboard import render_leaderboard

__all__ = [
    "HtmlReporter",
    "livelab_reporters",
    "render_class_summary",
    "render_leaderboard",
    "render_report",
]

Scorecard = Mapping[str, Any]

#: Transcript highlight kinds: the evidence metric that marks the words, and the legend label.
#: Earlier kinds win where spans overlap (a banned claim inside a call to action shows as a flag).
HIGHLIGHT_KINDS: tuple[tuple[str, str, str], ...] = (
    ("flag", "coverage.compliance_flags", "compliance flag"),
    ("filler", "pace.filler_per_100", "filler"),
    ("cta", "coverage.cta_per_10min", "call to action"),
    ("point", "coverage.selling_points_ratio", "selling point"),
    ("mention", "coverage.required_mentions_ratio", "key mention"),  # name, price, deal …
)
_KIND_OF_METRIC = {metric: kind for kind, metric, _ in HIGHLIGHT_KINDS}

#: Timed evidence longer than this is context (a whole product block), not an event to mark.
EVENT_MAX_S = 20.0

#: Friendlier chart titles for the built-in plugins' series; other series get their own name.
SERIES_TITLES = {
    "pace.rate_timeline": "Speaking rate",
    "presence.face_visible": "Face on camera",
    "presence.face_brightness": "Face brightness",
    "presence.face_center_x": "Face position (left → right)",
    "presence.face_height": "Face size in frame",
    "ops.online_per_minute": "Viewers online",
    "ops.orders_per_minute": "Orders per minute",
    "ops.gmv_per_minute": "GMV per minute",
}
SECTION_TITLES = {"pace": "Speaking", "presence": "On camera", "ops": "Viewers and orders"}

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def esc(value: object) -> str:
    """Escape any value for HTML text or a double-quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def _css() -> str:
    from importlib.resources import files

    return files("livelab.reports").joinpath("html_assets/report.css").read_text(encoding="utf-8")


def _page(title: str, lang: str, body: str) -> str:
    # The stylesheet is our own file; "</style" cannot appear in it, so inlining is safe.
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="livelab">\n'
        f"<title>{esc(title)}</title>\n<style>\n{_css()}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _fmt_value(value: float | None, unit: str) -> str:
    from livelab.builtin.reporters import format_value

    return format_value(value, unit)


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".") if not float(x).is_integer() else f"{x:.0f}"


def _span_text(start: float | None, end: float | None) -> str:
    if start is None:
        return "—"
    if end is None or clock(end) == clock(start):
        return clock(start)
    return f"{clock(start)}–{clock(end)}"


def _lang(scorecard: Scorecard) -> str:
    language = str((scorecard.get("session") or {}).get("language") or "en")
    return {"zh": "zh-CN"}.get(language, language)


# ---------------------------------------------------------------- the session report


def render_report(scorecard: Scorecard) -> str:
    """One self-contained HTML page for one session's scorecard."""
    session = scorecard.get("session") or {}
    parts = [
        _header(scorecard),
        _fix_first(scorecard),
        _criteria(scorecard),
        _charts(scorecard),
        _transcript(scorecard),
        _evidence(scorecard),
        _metrics(scorecard),
        _footer(scorecard),
    ]
    title = f"{session.get('title') or 'Session'} — livelab report"
    return _page(title, _lang(scorecard), "\n".join(p for p in parts if p))


def _header(sc: Scorecard) -> str:
    session = sc.get("session") or {}
    rubric = sc.get("rubric") or {}
    who = []
    if session.get("anchor"):
        who.append(f"Anchor <b>{esc(session['anchor'])}</b>")
    if session.get("team"):
        who.append(f"Team <b>{esc(session['team'])}</b>")
    roles = {
        k: v for k, v in (session.get("roles") or {}).items()
        if k != "anchor" and v
    }
    who += [f"{esc(k.capitalize())} <b>{esc(v)}</b>" for k, v in roles.items()]
    facts = []
    if session.get("duration_s") is not None:
        facts.append(f"length {clock(float(session['duration_s']))}")
    if session.get("recorded_at"):
        facts.append(f"recorded {esc(str(session['recorded_at']).replace('T', ' '))}")
    if session.get("language"):
        facts.append(f"language {esc(session['language'])}")
    if rubric:
        facts.append(f"rubric <b>{esc(rubric.get('title') or rubric.get('id'))}</b>")
    if warning := take_warning(session):
        facts.append(f'<b class="warn">{esc(warning)}</b>')
    if said := language_line(session):
        facts.append(f'<b class="warn">{esc(said[0])}</b>' if said[1] else esc(said[0]))
    if sc.get("criteria"):
        share = float(sc.get("scorable_fraction") or 0.0)
        note = (
            f"{share * 100:.0f}% of the rubric's weight could be scored"
            if share < 1
            else "every criterion was scored"
        )
        total = (
            '<div class="total"><div class="kicker">Total</div>'
            f'<div class="big num">{_num(float(sc["total"]))}'
            f"<small> / {_num(float(sc['max_total']))}</small></div>"
            f'<div class="share{" warn" if share < 1 else ""}">{note}</div></div>'
        )
    else:
        total = '<div class="total"><div class="kicker">No rubric</div>' \
                '<div class="share">measured, not scored</div></div>'
    return (
        '<header class="page"><div>'
        '<div class="kicker">livelab session report</div>'
        f"<h1>{esc(session.get('title') or 'Untitled session')}</h1>"
        f'<p class="meta">{" · ".join(who) or "No anchor named"}</p>'
        f'<p class="meta">{" · ".join(facts)}</p>'
        f"</div>{total}</header>"
    )


def _fix_first(sc: Scorecard) -> str:
    by_id = {c["id"]: c for c in sc.get("criteria") or []}
    items = []
    for cid in sc.get("fix_first") or []:
        c = by_id.get(cid)
        if c is None or c.get("status") != "scored":
            continue
        lost = float(c["weight"]) - float(c["points"] or 0.0)
        items.append(
            f"<li><b>{esc(c['title'])}</b> <span class=\"lost num\">−{_num(lost)} points</span>"
            f"<br><span class=\"muted\">{esc(c.get('feedback'))}</span></li>"
        )
    if not items:
        return ""
    return f'<section class="fix"><h2>Fix these first</h2><ol>{"".join(items)}</ol></section>'


def _criteria(sc: Scorecard) -> str:
    criteria = sc.get("criteria") or []
    if not criteria:
        return ""
    rows = []
    for c in criteria:
        weight = float(c["weight"])
        measured = esc(_fmt_value(c.get("value"), str(c.get("unit") or "")))
        if c.get("status") == "scored":
            outcome = str(c.get("outcome") or "partial")
            fraction = max(0.0, min(1.0, float(c.get("fraction") or 0.0)))
            rows.append(
                f'<tr><td class="title">{esc(c["title"])}'
                f'<div class="bar" title="{fraction * 100:.0f}%"><span class="{esc(outcome)}" '
                f'style="width:{fraction * 100:.1f}%"></span></div></td>'
                f'<td class="num"><b class="{esc(outcome)}">{_num(float(c["points"]))}</b> / '
                f"{_num(weight)}</td>"
                f'<td class="num">{measured}</td>'
                f'<td><span class="badge {esc(outcome)}">{esc(outcome)}</span></td>'
                f'<td class="feedback">{esc(c.get("feedback"))}</td></tr>'
            )
        else:
            rows.append(
                f'<tr class="unscored"><td class="title">{esc(c["title"])}</td>'
                f'<td class="num">– / {_num(weight)}</td><td class="num">{measured}</td>'
                '<td><span class="badge">unscored</span></td>'
                f'<td class="feedback">Not scored: {esc(c.get("reason"))}</td></tr>'
            )
    return (
        '<section><h2>Criteria</h2><table class="criteria"><thead><tr><th>Criterion</th>'
        "<th>Points</th><th>Measured</th><th>Result</th><th>Feedback</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


# ---------------------------------------------------------------- charts (inline SVG)


def _nice_step(span: float, target: int) -> float:
    """A 1-2-5 step giving about ``target`` intervals over ``span``."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(1, target)
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= raw:
            return m * mag
    return 10 * mag


def _time_step(duration: float) -> float:
    """Tick spacing in seconds that reads well as mm:ss (at most about 8 ticks)."""
    for step in (5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if duration / step <= 8:
            return float(step)
    return 7200.0


def _tick_label(value: float, step: float) -> str:
    if abs(value) >= 10000:
        return f"{value / 1000:.0f}k"
    return f"{value:.0f}" if step >= 1 else f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True, slots=True)
class _Frame:
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


def _time_axis(f: _Frame) -> list[str]:
    out = []
    step = _time_step(f.t_max)
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


def _line_chart(series: Mapping[str, Any], duration: float, bands: Sequence[tuple[float, float,
                str]] = ()) -> str:
    """One series as an SVG chart: bars for coarse per-interval series, a line otherwise."""
    ts = [float(t) for t in series.get("t") or []]
    vs = [
        float(v) if isinstance(v, int | float) and math.isfinite(float(v)) else None
        for v in series.get("values") or []
    ]
    pairs = [(t, v) for t, v in zip(ts, vs, strict=False)]
    finite = [v for _, v in pairs if v is not None]
    unit = str(series.get("unit") or "")
    gaps = [b - a for a, b in zip(ts, ts[1:], strict=False)]
    coarse = 0 < len(ts) <= 30 and (not gaps or min(gaps) >= 10)
    step = (statistics.median(gaps) if gaps else max(duration, 1.0)) if coarse else 0.0
    t_max = max([duration, *(t + step for t in ts)] or [1.0]) or 1.0
    if not finite:
        return '<p class="muted small">no values measured</p>'
    lo, hi = min(finite), max(finite)
    if unit in ("0/1", "0-1", "ratio", "share of width", "share of height") and lo >= 0 and hi <= 1:
        lo, hi = 0.0, 1.0
    elif lo >= 0:
        lo = 0.0
    if hi - lo < 1e-9:
        hi = lo + (abs(lo) or 1.0)
    ystep = _nice_step(hi - lo, 4)
    lo = math.floor(lo / ystep) * ystep
    hi = math.ceil(hi / ystep) * ystep
    f = _Frame(560, 180, 46, 12, 10, 26, t_max, lo, hi)
    out = [f'<svg viewBox="0 0 {f.width} {f.height}" role="img" '
           f'aria-label="{esc(series.get("name"))} over time">']
    for a, b, label in bands:
        x0, x1 = f.x(max(0.0, a)), f.x(min(t_max, b))
        out.append(f'<rect class="band" x="{x0:.1f}" y="{f.top:.1f}" '
                   f'width="{max(1.0, x1 - x0):.1f}" height="{f.height - f.top - f.bottom:.1f}">'
                   f"<title>{esc(label)}</title></rect>")
    k = 0
    while lo + k * ystep <= hi + ystep * 1e-6:
        v = lo + k * ystep
        y = f.y(v)
        out.append(f'<line class="gridline" x1="{f.left:.1f}" y1="{y:.1f}" '
                   f'x2="{f.width - f.right:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text x="{f.left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">'
                   f"{_tick_label(v, ystep)}</text>")
        k += 1
    out += _time_axis(f)
    out.append(f'<text x="4" y="{f.top + 2:.1f}" transform="rotate(-90 4 {f.top + 2:.1f})" '
               f'text-anchor="end">{esc(unit)}</text>')
    base = f.y(max(lo, 0.0) if lo <= 0 <= hi else lo)
    if coarse:
        for t, v in pairs:
            if v is None:
                continue
            x0, x1 = f.x(t), f.x(t + step)
            y = f.y(v)
            top, h = min(y, base), abs(base - y)
            out.append(f'<rect class="barfill" x="{x0 + 2:.1f}" y="{top:.1f}" '
                       f'width="{max(1.0, x1 - x0 - 4):.1f}" height="{max(h, 1.0):.1f}">'
                       f"<title>{clock(t)}–{clock(t + step)}: {esc(_num(round(v, 2)))} "
                       f"{esc(unit)}</title></rect>")
    else:
        runs: list[list[tuple[float, float]]] = [[]]
        for t, v in pairs:
            if v is None:
                if runs[-1]:
                    runs.append([])
                continue
            runs[-1].append((f.x(t), f.y(v)))
        for run in runs:
            if not run:
                continue
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            area = f"{run[0][0]:.1f},{base:.1f} {points} {run[-1][0]:.1f},{base:.1f}"
            out.append(f'<polygon class="area" points="{area}"/>')
            out.append(f'<polyline class="line" points="{points}"/>')
            if len(run) == 1:
                out.append(f'<circle class="pt" cx="{run[0][0]:.1f}" cy="{run[0][1]:.1f}" r="3"/>')
    out.append("</svg>")
    return "".join(out)


def _namespace(name: str) -> str:
    return name.split(".", 1)[0] if "." in name else name


def _series_title(name: str) -> str:
    if name in SERIES_TITLES:
        return SERIES_TITLES[name]
    tail = name.split(".", 1)[-1].replace("_", " ")
    return tail[:1].upper() + tail[1:]


def _events(sc: Scorecard) -> list[Mapping[str, Any]]:
    """Timed evidence that is not a transcript highlight: dead air, off camera, peaks …"""
    out = []
    for e in sc.get("evidence") or []:
        if e.get("start_s") is None or e.get("metric") in _KIND_OF_METRIC:
            continue
        end = e.get("end_s") if e.get("end_s") is not None else e["start_s"]
        if float(end) - float(e["start_s"]) <= EVENT_MAX_S:
            out.append(e)
    return out


def _charts(sc: Scorecard) -> str:
    series = [s for s in sc.get("series") or [] if s.get("t")]
    session = sc.get("session") or {}
    duration = float(session.get("duration_s") or 0.0)
    if not duration:
        duration = max((float(t) for s in series for t in s["t"]), default=0.0)
    timeline = _timeline(sc, duration)
    if not series and not timeline:
        return ""
    events = _events(sc)
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for s in series:
        groups.setdefault(_namespace(str(s.get("name") or "")), []).append(s)
    figures = []
    if timeline:
        figures.append(
            '<figure class="wide"><figcaption>Session timeline <span>what happened when; '
            "hover a mark for details</span></figcaption>" + timeline + "</figure>"
        )
    # Speaking first, then the picture, then the room: the order a student works on them.
    order = {ns: i for i, ns in enumerate(SECTION_TITLES)}
    for ns, members in sorted(groups.items(), key=lambda g: order.get(g[0], len(order))):
        bands = [
            (float(e["start_s"]), float(e["end_s"] if e.get("end_s") is not None else e["start_s"]),
             str(e.get("message") or ""))
            for e in events
            if _namespace(str(e.get("metric") or "")) == ns
        ]
        for s in members:
            name = str(s.get("name") or "")
            note = f"{esc(SECTION_TITLES.get(ns, ns))} · {esc(s.get('unit') or '')}"
            if bands:
                note += " · shaded: " + esc(", ".join(sorted({_short(b[2]) for b in bands})))
            figures.append(
                f"<figure><figcaption>{esc(_series_title(name))} <span>{note}</span>"
                f"</figcaption>{_line_chart(s, duration, bands)}</figure>"
            )
    return f'<section><h2>Over time</h2><div class="charts">{"".join(figures)}</div></section>'


def _short(message: str) -> str:
    """The kind of an event message: its words before the first time or colon."""
    head = re.split(r"[:(]|\d\d:\d\d", message, maxsplit=1)[0].strip(" —-")
    return head or message[:30]


def _timeline(sc: Scorecard, duration: float) -> str:
    """Lanes of marks: highlights by kind, then other short events, against mm:ss."""
    lanes: list[tuple[str, str, list[Mapping[str, Any]]]] = []
    evidence = [e for e in sc.get("evidence") or [] if e.get("start_s") is not None]
    for kind, metric, label in HIGHLIGHT_KINDS:
        if kind == "filler":
            marks = [{"start_s": s, "end_s": e, "message": f"filler “{t}” at {clock(s)}"}
                     for s, e, t in _filler_spans(sc)]
        else:
            marks = [e for e in evidence if e.get("metric") == metric]
        if marks:
            lanes.append((kind, label, marks))
    events = _events(sc)
    if events:
        lanes.append(("event", "events", events))
    if not lanes or duration <= 0:
        return ""
    lane_h, label_w = 22, 160
    f = _Frame(1040, 26 + lane_h * len(lanes), label_w, 12, 4, 22, duration, 0, 1)
    colour = {"flag": "#d64545", "filler": "#7b45c9", "cta": "#e08a00", "point": "#1f9d55",
              "mention": "#2f5fd0", "event": "#8a93a3"}
    out = [f'<svg viewBox="0 0 {f.width} {f.height}" role="img" aria-label="session timeline">']
    for i, (kind, label, marks) in enumerate(lanes):
        y = f.top + i * lane_h
        out.append(f'<rect class="lane" x="{label_w}" y="{y + 2}" '
                   f'width="{f.width - label_w - f.right}" height="{lane_h - 4}" rx="3"/>')
        out.append(f'<text x="{label_w - 8}" y="{y + lane_h / 2 + 4:.1f}" text-anchor="end">'
                   f"{esc(label)} ({len(marks)})</text>")
        for m in marks:
            a = float(m["start_s"])
            b = float(m["end_s"]) if m.get("end_s") is not None else a
            x0, x1 = f.x(min(a, duration)), f.x(min(b, duration))
            out.append(f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(3.0, x1 - x0):.1f}" '
                       f'height="{lane_h - 8}" rx="2" fill="{colour[kind]}" opacity="0.85">'
                       f"<title>{esc(m.get('message'))}</title></rect>")
    out += _time_axis(f)
    out.append("</svg>")
    return "".join(out)


# ---------------------------------------------------------------- transcript


def _filler_spans(sc: Scorecard) -> list[tuple[float, float, str]]:
    """When each counted filler was said (the pace plugin's ``filler_spans``)."""
    pace = (sc.get("details") or {}).get("pace") or {}
    return [(float(a), float(b), str(t)) for a, b, t in pace.get("filler_spans") or []]


@dataclass(frozen=True, slots=True)
class _Span:
    start: float
    end: float
    kind: str
    message: str


def _highlight_spans(sc: Scorecard) -> list[_Span]:
    spans = [
        _Span(float(e["start_s"]), float(e["end_s"] if e.get("end_s") is not None
                                         else e["start_s"]), _KIND_OF_METRIC[e["metric"]],
              str(e.get("message") or ""))
        for e in sc.get("evidence") or []
        if e.get("start_s") is not None and e.get("metric") in _KIND_OF_METRIC
    ]
    spans += [_Span(a, b, "filler", f"filler “{t}”") for a, b, t in _filler_spans(sc)]
    return spans


def _word_marks(word: Sequence[Any], spans: Sequence[_Span]) -> list[_Span]:
    """Spans covering at least half of the word (or its midpoint, for instant words)."""
    a, b = float(word[0]), float(word[1])
    hits = []
    for s in spans:
        overlap = min(b, s.end) - max(a, s.start)
        if (b > a and overlap >= 0.5 * (b - a)) or (b <= a and s.start <= a <= s.end):
            hits.append(s)
    return hits


_RANK = {kind: i for i, (kind, _, _) in enumerate(HIGHLIGHT_KINDS)}


def _pieces(text: str, words: Sequence[Sequence[Any]]) -> list[tuple[str, int | None]]:
    """The segment's own text cut at its words: (text, word index or None for the gaps).

    Recognisers split "BPA-free" into "BPA" + "-free" and strip the spaces, so the spacing
    comes from the segment text; a word not found there is joined on its own.
    """
    out: list[tuple[str, int | None]] = []
    cursor = 0
    for k, w in enumerate(words):
        raw = str(w[2])
        pos = text.find(raw, cursor) if raw else -1
        if pos >= 0 and (pos - cursor <= 3 or not text[cursor:pos].strip()):
            if pos > cursor:
                out.append((text[cursor:pos], None))
            out.append((raw, k))
            cursor = pos + len(raw)
            continue
        prev = out[-1][0] if out else ""
        if prev and not (_CJK.search(prev[-1:]) or _CJK.search(raw[:1]) or prev[-1:].isspace()):
            out.append((" ", None))
        out.append((raw, k))
    if cursor and cursor < len(text) and text[cursor:].strip():
        out.append((text[cursor:], None))
    return out


def _segment_html(words: Sequence[Sequence[Any]], text: str, spans: Sequence[_Span]) -> str:
    if not words:
        return esc(text)
    pieces: list[tuple[str, str, tuple[str, ...]]] = []  # (text, kind, messages)
    for piece, k in _pieces(text, words):
        if k is None:
            pieces.append((piece, "", ()))
            continue
        marks = sorted(_word_marks(words[k], spans), key=lambda s: _RANK[s.kind])
        pieces.append((piece, marks[0].kind if marks else "",
                       tuple(dict.fromkeys(m.message for m in marks))))
    # A gap between two words of one highlight joins it, so a phrase is one mark.
    for i in range(1, len(pieces) - 1):
        text_i, kind_i, _ = pieces[i]
        if not kind_i and not text_i.strip() and pieces[i - 1][1] and \
                pieces[i - 1][1:] == pieces[i + 1][1:]:
            pieces[i] = (text_i, *pieces[i - 1][1:])
    merged: list[tuple[str, str, tuple[str, ...]]] = []
    for piece in pieces:
        if merged and merged[-1][1:] == piece[1:]:
            merged[-1] = (merged[-1][0] + piece[0], *piece[1:])
        else:
            merged.append(piece)
    out = []
    for piece_text, kind, messages in merged:
        if kind:
            title = esc(" · ".join(messages))
            out.append(f'<mark class="hl-{kind}" title="{title}">{esc(piece_text)}</mark>')
        else:
            out.append(esc(piece_text))
    return "".join(out)


def _transcript(sc: Scorecard) -> str:
    transcript = sc.get("transcript")
    if not transcript or not transcript.get("segments"):
        return ""
    spans = _highlight_spans(sc)
    present = {s.kind for s in spans}
    legend = "".join(
        f'<mark class="hl-{kind}">{esc(label)}</mark>'
        for kind, _, label in HIGHLIGHT_KINDS
        if kind in present
    )
    if _events(sc):
        legend += '<span class="muted">grey rows: events between the words</span>'
    rows: list[tuple[float, int, str]] = []
    for seg in transcript["segments"]:
        body = _segment_html(seg.get("words") or [], str(seg.get("text") or ""), spans)
        rows.append((float(seg["start"]), 1,
                     f'<div class="seg"><span class="t">{clock(float(seg["start"]))}</span>'
                     f"<span>{body}</span></div>"))
    for e in _events(sc):
        rows.append((float(e["start_s"]), 0,
                     f'<div class="seg event"><span class="t">{clock(float(e["start_s"]))}'
                     f"</span><span>{esc(e.get('message'))}</span></div>"))
    rows.sort(key=lambda r: (r[0], r[1]))
    model = esc(transcript.get("model") or "")
    return (
        f'<section><h2>Transcript <span class="muted small">({esc(transcript.get("language"))}'
        f"{', ' + model if model else ''}; hover a highlight to see why)</span></h2>"
        f'<div class="legend">{legend}</div>'
        f'<div class="transcript">{"".join(r[2] for r in rows)}</div></section>'
    )


def _evidence(sc: Scorecard) -> str:
    evidence = sc.get("evidence") or []
    if not evidence:
        return ""
    titles = {c["metric"]: c["title"] for c in sc.get("criteria") or []}
    rows = "".join(
        f'<tr><td class="when num">{_span_text(e.get("start_s"), e.get("end_s"))}</td>'
        f'<td>{esc(e.get("message"))}</td>'
        f'<td class="what">{esc(titles.get(e.get("metric"), e.get("metric")))}</td></tr>'
        for e in evidence
    )
    return (
        f'<section><h2>Evidence <span class="muted small">({len(evidence)})</span></h2>'
        '<table class="evidence"><thead><tr><th>When</th><th>What</th><th>For</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _metrics(sc: Scorecard) -> str:
    metrics = sc.get("metrics") or {}
    if not metrics:
        return ""
    rows = []
    for name, m in sorted(metrics.items()):
        value = _fmt_value(m.get("value"), str(m.get("unit") or ""))
        why = f" — {m['reason']}" if m.get("value") is None and m.get("reason") else ""
        rows.append(
            f'<tr><td class="num">{esc(name)}</td><td class="num">{esc(value)}</td>'
            f'<td class="muted small">{esc(m.get("description"))}{esc(why)}</td></tr>'
        )
    return (
        f"<section><details><summary>All measurements ({len(metrics)})</summary>"
        '<table class="small"><thead><tr><th>Metric</th><th>Value</th><th>What it is</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table></details></section>"
    )


def _footer(sc: Scorecard) -> str:
    lines = []
    for note in sc.get("notes") or []:
        lines.append(f"<p>note: {esc(note)}</p>")
    for name, a in (sc.get("analyzers") or {}).items():
        if a.get("status") in ("not run", "failed"):
            lines.append(f"<p>{esc(name)}: {esc(a.get('status'))} — {esc(a.get('reason'))}</p>")
    rubric = sc.get("rubric") or {}
    made = f"livelab {esc(sc.get('livelab_version'))} · {esc(sc.get('schema'))} · " \
           f"created {esc(sc.get('created_at'))}"
    if rubric.get("sha256"):
        made += f" · rubric {esc(rubric.get('id'))} sha256 {esc(str(rubric['sha256'])[:12])}"
    lines.append(f"<p>{made}</p>")
    return f"<footer>{''.join(lines)}</footer>"


# ---------------------------------------------------------------- the class summary


def is_error_entry(entry: Mapping[str, Any]) -> bool:
    """An ungradable session in a batch: ``{"session": {"path": ...}, "error": "reason"}``."""
    return "error" in entry and not entry.get("criteria")


@dataclass(frozen=True, slots=True)
class Outlier:
    index: int  # position in the scorecards given
    share: float  # total / max_total
    why: str


def _quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def find_outliers(shares: Sequence[tuple[int, float]]) -> list[Outlier]:
    """Totals more than 1.5 IQR outside the quartiles (4+ sessions), or |z| > 2 (5+ sessions)."""
    values = [v for _, v in shares]
    out: list[Outlier] = []
    if len(values) < 4:
        return out
    q1, _, q3 = _quartiles(values)
    iqr = q3 - q1
    mean = statistics.fmean(values)
    sd = statistics.pstdev(values)
    for i, v in shares:
        if v < q1 - 1.5 * iqr:
            out.append(Outlier(i, v, f"far below the class (under Q1 − 1.5 IQR = "
                                     f"{(q1 - 1.5 * iqr) * 100:.0f}%)"))
        elif v > q3 + 1.5 * iqr:
            out.append(Outlier(i, v, f"far above the class (over Q3 + 1.5 IQR = "
                                     f"{(q3 + 1.5 * iqr) * 100:.0f}%)"))
        elif len(values) >= 5 and sd > 0 and abs(v - mean) / sd > 2:
            z = (v - mean) / sd
            out.append(Outlier(i, v, f"{'above' if z > 0 else 'below'} the class mean by "
                                     f"{abs(z):.1f} standard deviations"))
    return out


@dataclass(frozen=True, slots=True)
class _CriterionStats:
    id: str
    title: str
    weight: float
    fractions: list[tuple[int, float, str]]  # (scorecard index, fraction, outcome)
    unscored: int

    @property
    def mean(self) -> float:
        return statistics.fmean(f for _, f, _ in self.fractions) if self.fractions else math.nan


def _criterion_stats(graded: Sequence[tuple[int, Scorecard]]) -> list[_CriterionStats]:
    order: dict[str, tuple[str, float]] = {}
    values: dict[str, list[tuple[int, float, str]]] = {}
    unscored: dict[str, int] = {}
    for i, sc in graded:
        for c in sc.get("criteria") or []:
            order.setdefault(c["id"], (str(c["title"]), float(c["weight"])))
            if c.get("status") == "scored":
                values.setdefault(c["id"], []).append(
                    (i, float(c.get("fraction") or 0.0), str(c.get("outcome") or "partial")))
            else:
                unscored[c["id"]] = unscored.get(c["id"], 0) + 1
    return [
        _CriterionStats(cid, title, weight, values.get(cid, []), unscored.get(cid, 0))
        for cid, (title, weight) in order.items()
    ]


def _share(sc: Scorecard) -> float:
    top = float(sc.get("max_total") or 0.0)
    return float(sc.get("total") or 0.0) / top if top else 0.0


def _strip_plot(points: Sequence[tuple[int, float, str]], names: Mapping[int, str]) -> str:
    """Box (quartiles, median) and one dot per session on a 0–100% axis."""
    f = _Frame(560, 54, 10, 14, 6, 18, 1.0, 0, 1)
    out = [f'<svg viewBox="0 0 {f.width} {f.height}" role="img" aria-label="distribution">']
    for k in range(0, 101, 25):
        x = f.x(k / 100)
        out.append(f'<line class="gridline" x1="{x:.1f}" y1="{f.top}" x2="{x:.1f}" '
                   f'y2="{f.height - f.bottom}"/>')
        out.append(f'<text x="{x:.1f}" y="{f.height - 4}" text-anchor="middle">{k}%</text>')
    mid = (f.top + f.height - f.bottom) / 2
    if points:
        fr = sorted(p[1] for p in points)
        q1, q2, q3 = _quartiles(fr)
        out.append(f'<rect class="box" x="{f.x(q1):.1f}" y="{mid - 9:.1f}" '
                   f'width="{max(1.0, f.x(q3) - f.x(q1)):.1f}" height="18" rx="3"/>')
        out.append(f'<line class="median" x1="{f.x(q2):.1f}" y1="{mid - 11:.1f}" '
                   f'x2="{f.x(q2):.1f}" y2="{mid + 11:.1f}"/>')
        cls = {"pass": "dotp", "partial": "dotq", "fail": "dotf"}
        for n, (i, frac, outcome) in enumerate(points):
            jitter = ((n * 7) % 5 - 2) * 3.0  # deterministic, so identical scores stay visible
            out.append(f'<circle class="{cls.get(outcome, "dotq")}" cx="{f.x(frac):.1f}" '
                       f'cy="{mid + jitter:.1f}" r="4" opacity="0.85"><title>'
                       f"{esc(names.get(i, ''))}: {frac * 100:.0f}%</title></circle>")
    out.append("</svg>")
    return "".join(out)


def _histogram(shares: Sequence[tuple[int, float]], names: Mapping[int, str]) -> str:
    """Totals (as % of the maximum) in ten 10-point bins."""
    bins: list[list[int]] = [[] for _ in range(10)]
    for i, v in shares:
        bins[min(9, max(0, int(v * 10)))].append(i)
    peak = max((len(b) for b in bins), default=0) or 1
    f = _Frame(560, 170, 36, 10, 10, 26, 1.0, 0, float(peak))
    out = [f'<svg viewBox="0 0 {f.width} {f.height}" role="img" aria-label="totals histogram">']
    ystep = max(1.0, _nice_step(peak, 4))
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
                       f"{esc(who)}</title></rect>")
    for k in range(0, 11, 2):
        x = f.x(k / 10)
        out.append(f'<text x="{x:.1f}" y="{f.height - 8}" text-anchor="middle">{k * 10}%</text>')
    out.append(f'<line class="axis" x1="{f.left}" y1="{f.y(0):.1f}" x2="{f.width - f.right}" '
               f'y2="{f.y(0):.1f}"/></svg>')
    return "".join(out)


def _who(entry: Scorecard, index: int) -> str:
    session = entry.get("session") or {}
    name = session.get("anchor") or session.get("title")
    if not name and session.get("path"):
        name = Path(str(session["path"])).parent.name or str(session["path"])
    return str(name or f"session {index + 1}")


def render_class_summary(
    scorecards: Sequence[Scorecard], links: Sequence[str | None] | None = None
) -> str:
    """The class summary page: roster, score distributions, weakest criteria, outliers.

    ``scorecards`` may contain error entries (see :func:`is_error_entry`). ``links``, when
    given, holds one relative URL per entry (its HTML report) or ``None``.
    """
    entries = list(scorecards)
    names = {i: _who(e, i) for i, e in enumerate(entries)}
    graded = [(i, e) for i, e in enumerate(entries) if not is_error_entry(e)]
    errors = [(i, e) for i, e in enumerate(entries) if is_error_entry(e)]
    stats = _criterion_stats(graded)
    shares = [(i, _share(e)) for i, e in graded if e.get("criteria")]
    outliers = find_outliers(shares)
    rubrics = sorted({
        str((e.get("rubric") or {}).get("title") or (e.get("rubric") or {}).get("id") or "")
        for _, e in graded
    } - {""})
    langs = {str((e.get("session") or {}).get("language") or "") for _, e in graded} - {""}
    lang = "zh-CN" if langs == {"zh"} else ("en" if langs <= {"en"} else "mul")

    values = [v for _, v in shares]
    cards = [
        ("Sessions graded", f"{len(graded)}"),
        ("Could not be graded", f"{len(errors)}"),
        ("Mean total", f"{statistics.fmean(values) * 100:.0f}%" if values else "—"),
        ("Median total", f"{statistics.median(values) * 100:.0f}%" if values else "—"),
    ]
    head = (
        '<header class="page"><div><div class="kicker">livelab class summary</div>'
        "<h1>Class summary</h1>"
        f'<p class="meta">rubric {"; ".join(f"<b>{esc(r)}</b>" for r in rubrics) or "—"}</p>'
        + (f'<p class="meta fail">These sessions were graded with {len(rubrics)} different '
           "rubrics; compare totals with care.</p>" if len(rubrics) > 1 else "")
        + "</div></header>"
    )
    summary = '<section><div class="cards">' + "".join(
        f'<div class="card"><div class="kicker">{esc(k)}</div><div class="v num">{esc(v)}</div>'
        "</div>" for k, v in cards
    ) + "</div></section>"

    weakest = sorted((s for s in stats if s.fractions), key=lambda s: s.mean)[:3]
    weak_items = "".join(
        f"<li><b>{esc(s.title)}</b> — class mean <span class=\"num\">{s.mean * 100:.0f}%</span>"
        f" of {_num(s.weight)} points; {sum(o == 'fail' for _, _, o in s.fractions)} failed, "
        f"{sum(o == 'partial' for _, _, o in s.fractions)} partial of {len(s.fractions)} scored"
        + (f", {s.unscored} unscored" if s.unscored else "") + "</li>"
        for s in weakest
    )
    weak = (f'<section class="fix"><h2>The class\'s weakest criteria</h2><ol>{weak_items}</ol>'
            "</section>") if weak_items else ""
    out_items = "".join(
        f"<li><b>{esc(names[o.index])}</b> <span class=\"num\">{o.share * 100:.0f}%</span> — "
        f"{esc(o.why)}</li>"
        for o in outliers
    )
    outlier_html = (
        f"<section><h2>Outliers</h2><ul>{out_items}</ul></section>" if out_items else
        '<section><h2>Outliers</h2><p class="muted">No total stands out from the class '
        f"({'needs at least 4 graded sessions' if len(values) < 4 else '1.5 IQR and z > 2 rules'})"
        ".</p></section>"
    )
    dist_rows = "".join(
        f'<tr><td class="title">{esc(s.title)}<div class="muted small">mean '
        f"{(s.mean * 100 if s.fractions else 0):.0f}% · {len(s.fractions)} scored"
        + (f" · {s.unscored} unscored" if s.unscored else "")
        + f"</div></td><td>{_strip_plot(s.fractions, names)}</td></tr>"
        for s in stats
    )
    dist = (
        '<section><h2>Score distribution</h2><div class="grid2"><div><h3>Totals</h3>'
        f"{_histogram(shares, names)}</div><div><h3>How to read</h3><p class=\"muted small\">"
        "Each dot is one session's share of a criterion's points (green pass, amber partial, "
        "red fail); the box spans the middle half of the class and the dark line is the median."
        " Hover a dot for the name.</p></div></div>"
        f'<table class="dist"><tbody>{dist_rows}</tbody></table></section>'
        if graded else ""
    )
    outlier_ids = {o.index for o in outliers}
    cols = [(s.id, s.title, s.weight) for s in stats]
    header_cells = "".join(f'<th class="crit" title="{esc(t)} (out of {_num(w)})"><div>{esc(t)} '
                           f"/{_num(w)}</div></th>" for _, t, w in cols)
    outlier_mark = ' <span class="mark-outlier" title="outlier">◆</span>'
    rows = []
    for i, e in enumerate(entries):
        session = e.get("session") or {}
        link = links[i] if links is not None and i < len(links) else None
        name = esc(names[i])
        if link:
            name = f'<a href="{esc(link)}">{name}</a>'
        if is_error_entry(e):
            rows.append(
                f'<tr class="error"><td class="num">{i + 1}</td><td class="name">{name}</td>'
                f"<td>{esc(session.get('team'))}</td><td class=\"pts\">error</td>"
                f'<td colspan="{len(cols) + 1}">{esc(session.get("path"))}: {esc(e.get("error"))}'
                "</td></tr>"
            )
            continue
        by_id = {c["id"]: c for c in e.get("criteria") or []}
        cells = []
        for cid, _, _ in cols:
            c = by_id.get(cid)
            if c is None:
                cells.append('<td class="pts unscored">n/a</td>')
            elif c.get("status") != "scored":
                cells.append(f'<td class="pts unscored" title="{esc(c.get("reason"))}">–</td>')
            else:
                cells.append(f'<td class="pts {esc(c.get("outcome"))}">'
                             f"{_num(round(float(c['points']), 1))}</td>")
        share = float(e.get("scorable_fraction") or 0.0)
        status = "ok" if share >= 1 else f"{share * 100:.0f}% scorable"
        rows.append(
            f'<tr class="{"outlier" if i in outlier_ids else ""}"><td class="num">{i + 1}</td>'
            f'<td class="name">{name}{outlier_mark if i in outlier_ids else ""}'
            f'<div class="muted small">{esc(session.get("title"))}</div>'
            f"</td><td>{esc(session.get('team'))}</td>"
            f'<td class="pts num"><b>{_num(round(float(e.get("total") or 0), 1))}</b> / '
            f"{_num(float(e.get('max_total') or 0))}</td>{''.join(cells)}"
            f'<td class="small">{esc(status)}</td></tr>'
        )
    roster = (
        '<section><h2>Roster</h2><div class="scroll"><table class="roster"><thead><tr><th>#</th>'
        f"<th>Anchor</th><th>Team</th><th>Total</th>{header_cells}<th>Status</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        + ('<p class="muted small">◆ outlier (see above)</p>' if outliers else "")
        + "</section>"
    )
    body = "\n".join([head, summary, weak, outlier_html, dist, roster,
                      "<footer><p>livelab class summary</p></footer>"])
    return _page("Class summary — livelab", lang, body)


# ---------------------------------------------------------------- reporter plugin and command


class HtmlReporter:
    name = "html"
    suffix = ".html"
    description = "a self-contained HTML page: scorecard, charts, highlighted transcript"

    def render(self, scorecard: Scorecard) -> str:
        return render_report(scorecard)


@hookimpl
def livelab_reporters() -> list[Any]:
    return [HtmlReporter()]


def read_scorecards(path: Path) -> list[dict[str, Any]]:
    """Scorecards (or batch error entries) from a scorecard ``.json`` or a ``.jsonl`` of them."""
    from livelab.api.errors import LivelabError, Problem

    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise LivelabError([Problem(path, f"cannot read: {exc.strerror or exc}")]) from None
    except UnicodeDecodeError:
        raise LivelabError([Problem(path, "not UTF-8 text; expected a JSON scorecard")]) from None
    docs: list[tuple[str, Any]] = []
    try:
        if path.suffix.lower() == ".jsonl":
            docs = [(f"line {n}", json.loads(line))
                    for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        else:
            docs = [("", json.loads(text))]
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}" if path.suffix.lower() != ".jsonl" else ""
        raise LivelabError([Problem(path, f"not valid JSON ({exc.msg})", where)]) from None
    out = []
    for key, doc in docs:
        if not isinstance(doc, dict) or not (
            str(doc.get("schema", "")).startswith("livelab.scorecard/") or is_error_entry(doc)
        ):
            raise LivelabError([Problem(path, "not a livelab scorecard (no "
                                              "\"schema\": \"livelab.scorecard/1\")", key)])
        out.append(doc)
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

    if output is not None and out_dir is not None:
        raise LivelabError("use -o/--output or --out-dir, not both")
    loaded = [(p, sc) for p in scorecards for sc in read_scorecards(p)]
    if summary:
        target = output or (out_dir or Path(".")) / "class-summary.html"
        write_atomic(target, render_class_summary([sc for _, sc in loaded]))
        click.echo(f"class summary of {len(loaded)} sessions written to {target}")
        return
    reports = [(p, sc) for p, sc in loaded if not is_error_entry(sc)]
    if output is not None and len(reports) != 1:
        raise LivelabError(f"-o/--output takes one scorecard, got {len(reports)}; "
                           "use --out-dir for several")
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
        click.echo(f"report written to {target}")


def _slug(sc: Scorecard, source: Path) -> str:
    """A file name for one scorecard out of a .jsonl: its session folder's name."""
    session_path = str((sc.get("session") or {}).get("path") or "")
    name = Path(session_path).parent.name if session_path.endswith(".toml") else \
        Path(session_path).stem
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or source.stem

