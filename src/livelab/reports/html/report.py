"""The session report: what ``templates/report.html.j2`` shows, worked out from one scorecard.

Nothing here knows a plugin. Chart titles, section headings and transcript highlights come
from what the scorecard carries: ``series[i].title``, ``analyzers[name].title``,
``metrics[name].title`` and ``analyzer``, and the ``highlights`` list (``start_s``, ``end_s``,
``kind``, ``label``, ``text``, ``analyzer``). A missing title falls back to the name, and
a scorecard without highlights gets a transcript without marks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from livelab.api.analysis import clock
from livelab.i18n import (
    LANGUAGES,
    _,
    current,
    date_text,
    declared,
    for_session,
    pick_title,
    role_text,
    said,
    say,
    unit_text,
)
from livelab.inputs.session import language_line, session_warnings
from livelab.reports.html import charts
from livelab.reports.html.pages import get, html_lang, render

if TYPE_CHECKING:
    from livelab.scoring.review import Review

#: Timed evidence longer than this is context (a whole product block), not an event to mark.
EVENT_MAX_S = 20.0

#: Evidence within this many seconds of a highlight's start and end is that highlight.
SAME_SPAN_S = 0.05

_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def render_report(scorecard: Any) -> str:
    """One self-contained HTML page for one session's scorecard (a dict or a typed one), in
    the reader's language; when nothing chose one, in the session's."""
    with for_session(get(get(scorecard, "session", {}), "language")):
        return render("report.html.j2", **report_context(scorecard))


def _percent(sc: Any) -> str:
    """The total's percentage in words (:func:`livelab.reports.text.percent_text`)."""
    from livelab.api.errors import LivelabError
    from livelab.reports.text import percent_text
    from livelab.scoring.scorecard import Scorecard, read_scorecard

    if not isinstance(sc, Scorecard):
        try:
            sc = read_scorecard(sc)
        except (LivelabError, KeyError, TypeError, ValueError):
            return ""
    return percent_text(sc)


def report_context(sc: Any) -> dict[str, Any]:
    session = get(sc, "session", {})
    highlights = _highlights(sc)
    events = _events(sc, highlights)
    duration = float(get(session, "duration_s", 0.0))
    return {
        "sc": sc,
        "session": session,
        "lang": html_lang(current()),
        "who": _who(session),
        "facts": _facts(sc),
        "review": _review_box(sc),
        "contest": _contest(sc),
        "share": float(get(sc, "scorable_fraction", 0.0)),
        "percent": _percent(sc),
        "fix_first": _fix_first(sc),
        "criteria": _criteria(sc),
        "charts": _charts(sc, duration, highlights, events),
        "transcript": _transcript(sc, highlights, events),
        "evidence": _evidence(sc),
        "metrics": _metrics(sc),
        "failed": [
            (name, get(a, "status"), said(a, "reason", "reason_message"))
            for name, a in _items(get(sc, "analyzers", {}))
            if get(a, "status") in ("not run", "failed")
        ],
        "notes": _notes(sc),
    }


def _notes(sc: Any) -> list[str]:
    """The scorecard's notes in the reader's language (a typed scorecard's or its JSON's)."""
    if isinstance(sc, Mapping):
        from livelab.scoring.scorecard import notes_from

        return [say(n) for n in notes_from(sc)]
    return [say(n) for n in get(sc, "notes", []) or []]


def _items(mapping: Any) -> list[tuple[str, Any]]:
    return list(mapping.items()) if isinstance(mapping, Mapping) else []


# ---------------------------------------------------------------- header and scores


def _who(session: Any) -> list[tuple[str, str]]:
    who = []
    if get(session, "anchor"):
        who.append((_("Anchor"), str(get(session, "anchor"))))
    if get(session, "student_id"):
        who.append((_("Student ID"), str(get(session, "student_id"))))
    if get(session, "class"):
        who.append((_("Class"), str(get(session, "class"))))
    if get(session, "team"):
        who.append((_("Team"), str(get(session, "team"))))
    for role, name in _items(get(session, "roles", {})):
        if role != "anchor" and name:
            who.append((role_text(str(role)).capitalize(), str(name)))
    return who


def _facts(sc: Any) -> list[tuple[str, str, str]]:
    """(words, value, how): ``plain`` words and value, ``bold`` value, or ``warn`` value."""
    session = get(sc, "session", {})
    rubric = get(sc, "rubric")
    facts = []
    if get(session, "duration_s") is not None:
        facts.append((_("length"), clock(float(get(session, "duration_s"))), "plain"))
    if get(session, "recorded_at"):
        facts.append((_("recorded"), date_text(str(get(session, "recorded_at"))), "plain"))
    if get(session, "language"):
        code = str(get(session, "language"))
        facts.append((_("language"), LANGUAGES[code][1] if code in LANGUAGES else code, "plain"))
    if rubric:
        title = pick_title(str(get(rubric, "title") or get(rubric, "id", "")))
        facts.append((_("rubric"), title, "bold"))
    plain = session if isinstance(session, Mapping) else vars_of(session)
    for warning in session_warnings(plain):
        facts.append(("", warning, "warn"))
    if said := language_line(plain):
        facts.append(("", said[0], "warn" if said[1] else "plain"))
    return facts


def vars_of(obj: Any) -> Mapping[str, Any]:
    """A typed record as a mapping (for helpers that read dicts)."""
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        data = to_dict()
        if isinstance(data, Mapping):
            return data
    return {k: getattr(obj, k) for k in dir(obj) if not k.startswith("_")}


def _fix_first(sc: Any) -> list[tuple[str, float, str]]:
    by_id = {get(c, "id"): c for c in get(sc, "criteria", [])}
    out = []
    for cid in get(sc, "fix_first", []):
        c = by_id.get(cid)
        if c is None or get(c, "status") != "scored":
            continue
        lost = float(get(c, "weight", 0.0)) - float(get(c, "points", 0.0))
        out.append((pick_title(str(get(c, "title", ""))), lost, str(get(c, "feedback", ""))))
    return out


@dataclass(frozen=True, slots=True)
class CriterionRow:
    title: str
    scored: bool
    outcome: str
    fraction: float
    points: float
    weight: float
    measured: str
    feedback: str
    reason: str
    adjusted: bool = False
    machine: str = ""  # the machine's points when the instructor adjusted them
    comment: str = ""  # the instructor's comment


def review_of(sc: Any) -> Review | None:
    """The instructor's review of a scorecard (typed or JSON), or ``None``."""
    from livelab.scoring.review import Review

    review = get(sc, "review")
    if review is None or isinstance(review, Review):
        return review
    return Review.from_dict(review) if isinstance(review, Mapping) else None


def _contest(sc: Any) -> dict[str, Any] | None:
    """What a contest run's total is made of: the criteria's points, the round's penalty,
    the sections, the roles and each judge's scores and notes; ``None`` for a plain run."""
    from livelab.reports.html.charts import num
    from livelab.scoring.rubric import round_text

    team = get(sc, "team") or {}
    round_ = get(sc, "round")
    sections = [(pick_title(str(name)), get(share, "points", 0.0), get(share, "max", 0.0))
                for name, share in _items(get(sc, "sections", {}))]
    roles = [(role_text(str(role)), str(get(share, "person") or ""), get(share, "points", 0.0),
              get(share, "max", 0.0)) for role, share in _items(get(sc, "roles", {}))]
    judges = list(get(sc, "judges", []) or [])
    if not (round_ or sections or judges):  # a practice rubric's roles: the terminal has them
        return None
    titles = {str(get(c, "id")): pick_title(str(get(c, "title", "")))
              for c in get(sc, "criteria", [])}
    judged = [cid for cid in titles if any(get(j, "criterion") == cid for j in judges)]
    rows: dict[str, dict[str, Any]] = {}
    for j in judges:
        row = rows.setdefault(str(get(j, "judge")), {"scores": {}, "notes": []})
        row["scores"][str(get(j, "criterion"))] = num(float(get(j, "score", 0.0)))
        note = str(get(j, "note", "") or "")
        if note and note not in row["notes"]:
            row["notes"].append(note)
    penalty = float(get(team, "penalty", 0.0) or 0.0)
    return {
        "points": num(round(float(get(team, "points", get(sc, "total", 0.0)) or 0.0), 1)),
        "penalty": num(round(penalty, 1)) if penalty else "",
        "total": num(round(float(get(sc, "total", 0.0)), 1)),
        "round": round_text(round_) if round_ else "",
        "sections": [(n, num(round(float(p), 1)), num(float(m))) for n, p, m in sections],
        "roles": [(r, who, num(round(float(p), 1)), num(float(m))) for r, who, p, m in roles],
        "judged": [titles[cid] for cid in judged],
        "judges": [(name, [row["scores"].get(cid, "") for cid in judged], " ".join(row["notes"]))
                   for name, row in rows.items()],
    }


def _review_box(sc: Any) -> dict[str, Any] | None:
    review = review_of(sc)
    if review is None:
        return None
    adjusted = [pick_title(str(get(c, "title", ""))) for c in get(sc, "criteria", [])
                if (get(c, "review") or {}).get("adjusted")]
    return {"reviewer": review.reviewer, "comment": review.comment, "adjusted": adjusted,
            "dismissed": len(review.dismissed), "file": review.file,
            "corrected": len(review.transcript)}


def _machine_points(c: Any) -> str:
    from livelab.reports.html.charts import num

    machine = (get(c, "review") or {}).get("machine") or {}
    if machine.get("points") is None:
        return _("unscored")
    return f"{num(float(machine['points']))} / {num(float(get(c, 'weight', 0.0)))}"


def _criteria(sc: Any) -> list[CriterionRow]:
    from livelab.reports.html.pages import fmt_value

    rows = []
    for c in get(sc, "criteria", []):
        scored = get(c, "status") == "scored"
        rows.append(CriterionRow(
            title=pick_title(str(get(c, "title", ""))),
            scored=scored,
            outcome=str(get(c, "outcome") or "partial"),
            fraction=max(0.0, min(1.0, float(get(c, "fraction", 0.0)))),
            points=float(get(c, "points", 0.0)),
            weight=float(get(c, "weight", 0.0)),
            measured=fmt_value(get(c, "value"), get(c, "unit", "")),
            feedback=str(get(c, "feedback", "")),
            reason=said(c, "reason", "reason_message"),
            adjusted=bool((get(c, "review") or {}).get("adjusted")),
            machine=_machine_points(c),
            comment=str((get(c, "review") or {}).get("comment") or ""),
        ))
    return rows


# ---------------------------------------------------------------- what the plugins declare


def metric_title(sc: Any, name: str) -> str:
    """How views name a metric: its declared title, else its name."""
    metrics = get(sc, "metrics", {})
    metric = metrics.get(name) if isinstance(metrics, Mapping) else None
    title = get(metric, "title")
    return declared(sc, analyzer_of_metric(sc, name), str(title)) if title else name


def analyzer_of_metric(sc: Any, name: str) -> str:
    """The analyzer that produced metric ``name``: the scorecard says, else its namespace."""
    metrics = get(sc, "metrics", {})
    metric = metrics.get(name) if isinstance(metrics, Mapping) else None
    return str(get(metric, "analyzer") or _namespace(name))


def _namespace(name: str) -> str:
    return name.split(".", 1)[0] if "." in name else name


def analyzer_of_series(series: Any) -> str:
    return str(get(series, "analyzer") or _namespace(str(get(series, "name", ""))))


def analyzer_title(sc: Any, name: str) -> str:
    """How views head an analyzer's part of a report: its declared title, else its name."""
    analyzers = get(sc, "analyzers", {})
    analyzer = analyzers.get(name) if isinstance(analyzers, Mapping) else None
    title = get(analyzer, "title")
    return declared(sc, name, str(title)) if title else name


def analyzer_order(sc: Any) -> dict[str, int]:
    """Analyzers in the order the rubric takes them up (its criteria), then the others in
    the scorecard's order: how a student works through a report."""
    order: dict[str, int] = {}
    for c in get(sc, "criteria", []):
        order.setdefault(analyzer_of_metric(sc, str(get(c, "metric", ""))), len(order))
    for name, _analyzer in _items(get(sc, "analyzers", {})):
        order.setdefault(name, len(order))
    return order


# ---------------------------------------------------------------- highlights and events


@dataclass(frozen=True, slots=True)
class Span:
    """One transcript highlight: a span of the recording and why it is marked."""

    start: float
    end: float
    kind: str
    label: str
    message: str


def _highlights(sc: Any) -> list[Span]:
    """The scorecard's highlights, each with its message: the analyzer's ``text``, in the
    reader's language when it is the (English) text of a piece of evidence."""
    saying = {str(get(e, "message", "")): said(e) for e in get(sc, "evidence", [])}
    spans = []
    for h in get(sc, "highlights", []):
        start = get(h, "start_s")
        if start is None:
            continue
        end = get(h, "end_s", start)
        label = declared(sc, str(get(h, "analyzer", "")), str(get(h, "label") or "")) or str(
            get(h, "kind", ""))
        text = str(get(h, "text", ""))
        text = saying.get(text, text)
        spans.append(Span(float(start), float(end), str(get(h, "kind", "")), label,
                          text or label))
    return spans


def _kinds(spans: Sequence[Span]) -> dict[str, str]:
    """kind → legend label, in rank order: the kinds the stylesheet knows in its order
    (:data:`charts.KIND_COLOURS`), then the others as they come. Where two highlights
    overlap, the earlier kind marks the words (a banned term inside a call to action)."""
    seen: dict[str, str] = {}
    for s in spans:
        seen.setdefault(s.kind, s.label)
    known = [k for k in charts.KIND_COLOURS if k in seen]
    return {k: seen[k] for k in [*known, *(k for k in seen if k not in known)]}


def _at(message: str, start: float) -> str:
    """``message`` with its time, unless it already says it."""
    if clock(start) in message:
        return message
    return _("{message} at {time}").format(message=message, time=clock(start))


def _is_highlight(e: Any, spans: Sequence[Span]) -> bool:
    start, end = get(e, "start_s"), get(e, "end_s")
    end = start if end is None else end
    return any(
        abs(s.start - float(start)) <= SAME_SPAN_S and abs(s.end - float(end)) <= SAME_SPAN_S
        for s in spans
    )


def _events(sc: Any, spans: Sequence[Span]) -> list[Any]:
    """Timed evidence that is not a transcript highlight: dead air, off camera, peaks …"""
    out = []
    for e in get(sc, "evidence", []):
        start = get(e, "start_s")
        if start is None or _is_highlight(e, spans):
            continue
        end = get(e, "end_s", start)
        if float(end) - float(start) <= EVENT_MAX_S:
            out.append(e)
    return out


def _short(message: str) -> str:
    """The kind of an event message: its words before the first time or colon."""
    head = re.split(r"[:(]|\d\d:\d\d", message, maxsplit=1)[0].strip(" —-")
    return head or message[:30]


# ---------------------------------------------------------------- charts


@dataclass(frozen=True, slots=True)
class Figure:
    title: str
    note: str
    chart: Markup


def _charts(sc: Any, duration: float, spans: Sequence[Span], events: Sequence[Any]
            ) -> dict[str, Any] | None:
    series = [s for s in get(sc, "series", []) if get(s, "t")]
    if not duration:
        duration = max((float(t) for s in series for t in get(s, "t")), default=0.0)
    lanes = [
        charts.Lane(kind, label, [(s.start, s.end, _at(s.message, s.start))
                                  for s in spans if s.kind == kind])
        for kind, label in _kinds(spans).items()
    ]
    if events:
        lanes.append(charts.Lane("event", _("events"), [
            (float(get(e, "start_s")), float(get(e, "end_s", get(e, "start_s"))), said(e))
            for e in events
        ]))
    timeline = charts.timeline(lanes, duration)
    if not series and not timeline:
        return None
    groups: dict[str, list[Any]] = {}
    for s in series:
        groups.setdefault(analyzer_of_series(s), []).append(s)
    order = analyzer_order(sc)
    figures = []
    for name, members in sorted(groups.items(), key=lambda g: order.get(g[0], len(order))):
        bands = [
            (float(get(e, "start_s")), float(get(e, "end_s", get(e, "start_s"))), said(e))
            for e in events
            if name in (analyzer_of_metric(sc, str(get(e, "metric", ""))),
                        _namespace(str(get(e, "metric", ""))))
        ]
        for s in members:
            unit = str(get(s, "unit", ""))
            note = f"{analyzer_title(sc, name)} · {unit_text(unit)}"
            if bands:
                shaded = ", ".join(sorted({_short(b[2]) for b in bands}))
                note += " · " + _("shaded: {what}").format(what=shaded)
            chart = charts.line_chart(str(get(s, "name", "")), unit, get(s, "t", ()),
                                      _values(s), duration, bands)
            figures.append(Figure(series_title(sc, s), note, chart))
    return {"timeline": timeline, "figures": figures}


def series_title(sc: Any, series: Any) -> str:
    """A chart's title: the series' own, else its metric's, else its name."""
    name = str(get(series, "name", ""))
    if get(series, "title"):
        return declared(sc, analyzer_of_series(series), str(get(series, "title")))
    return metric_title(sc, name)


def _values(series: Any) -> Sequence[Any]:
    # Not get(): a dict's own .values would shadow the field on attribute access.
    if isinstance(series, Mapping):
        return series.get("values") or ()
    return getattr(series, "values", None) or ()


# ---------------------------------------------------------------- transcript


def _word(w: Any) -> tuple[float, float, str]:
    if isinstance(w, Sequence) and not isinstance(w, str):
        return float(w[0]), float(w[1]), str(w[2])
    return float(get(w, "start", 0.0)), float(get(w, "end", 0.0)), str(get(w, "text", ""))


def _word_marks(word: tuple[float, float, str], spans: Sequence[Span]) -> list[Span]:
    """Spans covering at least half of the word (or its midpoint, for instant words)."""
    a, b, _ = word
    hits = []
    for s in spans:
        overlap = min(b, s.end) - max(a, s.start)
        if (b > a and overlap >= 0.5 * (b - a)) or (b <= a and s.start <= a <= s.end):
            hits.append(s)
    return hits


def _pieces(text: str, words: Sequence[tuple[float, float, str]]
            ) -> list[tuple[str, int | None]]:
    """The segment's own text cut at its words: (text, word index or None for the gaps).

    Recognisers split "BPA-free" into "BPA" + "-free" and strip the spaces, so the spacing
    comes from the segment text; a word not found there is joined on its own.
    """
    out: list[tuple[str, int | None]] = []
    cursor = 0
    for k, (_start, _end, raw) in enumerate(words):
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


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of transcript text, marked with a highlight ``kind`` (``""``: unmarked)."""

    text: str
    kind: str
    why: str


def segment_pieces(words: Sequence[tuple[float, float, str]], text: str,
                   spans: Sequence[Span]) -> list[Piece]:
    """One segment as runs of text, each marked with the highest-ranked highlight on it."""
    if not words:
        return [Piece(text, "", "")]
    rank = {kind: i for i, kind in enumerate(_kinds(spans))}
    pieces: list[tuple[str, str, tuple[str, ...]]] = []  # (text, kind, messages)
    for piece, k in _pieces(text, words):
        if k is None:
            pieces.append((piece, "", ()))
            continue
        marks = sorted(_word_marks(words[k], spans), key=lambda s: rank[s.kind])
        pieces.append((piece, marks[0].kind if marks else "",
                       tuple(dict.fromkeys(m.message for m in marks))))
    # A gap between two words of one highlight joins it, so a phrase is one mark.
    for i in range(1, len(pieces) - 1):
        text_i, kind_i, _ = pieces[i]
        if not kind_i and not text_i.strip() and pieces[i - 1][1] and \
                pieces[i - 1][1:] == pieces[i + 1][1:]:
            pieces[i] = (text_i, *pieces[i - 1][1:])
    merged: list[tuple[str, str, tuple[str, ...]]] = []
    for run in pieces:
        if merged and merged[-1][1:] == run[1:]:
            merged[-1] = (merged[-1][0] + run[0], *run[1:])
        else:
            merged.append(run)
    return [Piece(t, kind, " · ".join(why)) for t, kind, why in merged]


@dataclass(frozen=True, slots=True)
class Line:
    """A transcript row: a segment (``pieces``) or an event between the words (``event``)."""

    start: float
    pieces: Sequence[Piece] = ()
    event: str | None = None


def _transcript(sc: Any, spans: Sequence[Span], events: Sequence[Any]) -> dict[str, Any] | None:
    transcript = get(sc, "transcript")
    segments = get(transcript, "segments", [])
    if not segments:
        return None
    rows: list[tuple[float, int, Line]] = []
    for seg in segments:
        words = [_word(w) for w in get(seg, "words", [])]
        start = float(get(seg, "start", 0.0))
        pieces = segment_pieces(words, str(get(seg, "text", "")), spans)
        rows.append((start, 1, Line(start, pieces)))
    for e in events:
        start = float(get(e, "start_s"))
        rows.append((start, 0, Line(start, event=said(e))))
    rows.sort(key=lambda r: (r[0], r[1]))
    present = {s.kind for s in spans}
    return {
        "language": get(transcript, "language", ""),
        "lang": html_lang(get(transcript, "language") or get(get(sc, "session", {}), "language")),
        "model": get(transcript, "model", ""),
        "legend": [(kind, label) for kind, label in _kinds(spans).items() if kind in present],
        "has_events": bool(events),
        "lines": [r[2] for r in rows],
    }


# ---------------------------------------------------------------- evidence and measurements


def _evidence(sc: Any) -> list[tuple[str, str, str, str | None]]:
    """(when, message, what it is for, the instructor's dismissal or ``None``) per piece of
    evidence; a dismissal is its comment ("" without one)."""
    from livelab.reports.html.pages import span_text

    titles = {get(c, "metric"): get(c, "title") for c in get(sc, "criteria", [])}
    review = review_of(sc)
    out = []
    for e in get(sc, "evidence", []):
        metric = str(get(e, "metric", ""))
        start = get(e, "start_s")
        dismissed = review.dismissal(metric, start) if review else None
        out.append((span_text(start, get(e, "end_s")), said(e),
                    pick_title(str(titles.get(metric) or metric_title(sc, metric))),
                    None if dismissed is None else dismissed.comment))
    return out


def _metrics(sc: Any) -> list[tuple[str, str, str, str]]:
    """(name, value, description, why unmeasured) per metric, by name."""
    from livelab.reports.html.pages import fmt_value

    out = []
    for name, m in sorted(_items(get(sc, "metrics", {}))):
        value = get(m, "value")
        reason = said(m, "reason", "reason_message") if value is None else ""
        why = f" — {reason}" if reason else ""
        description = declared(sc, str(get(m, "analyzer", "")), str(get(m, "description", "")))
        out.append((name, fmt_value(value, get(m, "unit", "")), description, why))
    return out
