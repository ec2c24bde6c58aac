"""What the TUI shows, computed without Textual: sessions in a folder, saved scorecards,
evidence per criterion, highlighted transcript lines, history look-ups."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from livelab.api.errors import LivelabError, Problem
from livelab.inputs.session import MEDIA_SUFFIXES

#: Highlight kinds in the transcript, with the evidence metrics that mark them.
HIGHLIGHT_METRICS: dict[str, str] = {
    "coverage.selling_points_ratio": "selling",
    "coverage.required_mentions_ratio": "mention",
    "coverage.cta_per_10min": "cta",
    "coverage.compliance_flags": "compliance",
}
#: Kinds in the order a word takes them when spans overlap (the most urgent wins).
HIGHLIGHT_ORDER = ("compliance", "filler", "cta", "selling", "mention")
HIGHLIGHT_LABELS = {
    "filler": "filler",
    "selling": "selling point",
    "mention": "name/price/deal",
    "cta": "call to action",
    "compliance": "compliance",
}
# Evidence longer than this spans a whole pitch ("on air 00:07–01:28"), not a phrase.
_PHRASE_SPAN_S = 20.0

SERIES_LABELS = {
    "pace.rate_timeline": "Speaking rate",
    "presence.face_visible": "Face on camera",
    "ops.online_per_minute": "Viewers",
    "ops.orders_per_minute": "Orders",
    "ops.gmv_per_minute": "Sales (GMV)",
}


# --- sessions in a folder -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionEntry:
    """A session found in a folder: where it is and the title its manifest gives."""

    path: Path
    title: str


def session_title(path: Path) -> str:
    """The manifest title, or the folder/file name when there is none (cheap: no media probe)."""
    import tomllib

    manifest = path / "session.toml" if path.is_dir() else None
    if manifest is not None and manifest.is_file():
        try:
            title = tomllib.loads(manifest.read_text(encoding="utf-8")).get("title")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            title = None
        if isinstance(title, str) and title.strip():
            return title.strip()
    return path.name


def find_sessions(folder: Path) -> list[SessionEntry]:
    """Sessions in ``folder``: the folder itself if it is one, sub-folders with a
    ``session.toml``, and bare media files. Hidden entries (``.livelab``) are skipped."""
    found: list[Path] = []
    folder_is_session = (folder / "session.toml").is_file()
    if folder_is_session:
        found.append(folder)
    try:
        children = sorted(folder.iterdir(), key=lambda p: p.name.lower())
    except OSError:
        children = []
    for child in children:
        if child.name.startswith("."):
            continue
        if child.is_dir() and (child / "session.toml").is_file():
            found.append(child)
        elif child.is_file() and child.suffix.lower() in MEDIA_SUFFIXES and not folder_is_session:
            # (a recording inside a session folder belongs to that session, not a new one)
            found.append(child)
    return [SessionEntry(p, session_title(p)) for p in found]


def session_key(path: str | Path) -> str:
    """One spelling per session, so a history row and a folder entry can be matched:
    the resolved folder (a ``session.toml`` path means its folder)."""
    p = Path(path).expanduser()
    if p.name == "session.toml":
        p = p.parent
    try:
        return str(p.resolve())
    except OSError:
        return str(p.absolute())


# --- history (another module; may not exist yet in this checkout) ----------------------


def open_history(db: Path | None = None) -> Any | None:
    """``History`` on ``db`` (the default database), or None when unavailable."""
    try:
        from livelab.reports.history import History
    except ImportError:
        return None
    try:
        return History(db)
    except (LivelabError, OSError) as exc:  # an unreadable database must not stop the app
        import logging

        logging.getLogger(__name__).warning("history unavailable: %s", exc)
        return None


def latest_by_session(attempts: Iterable[Any]) -> dict[str, Any]:
    """The newest attempt per session (attempts come newest first)."""
    latest: dict[str, Any] = {}
    for attempt in attempts:
        latest.setdefault(session_key(attempt.session_path), attempt)
    return latest


def when_text(recorded_at: str) -> str:
    """``YYYY-MM-DD HH:MM`` in local time (history stores UTC; naive times are shown as-is)."""
    import datetime as dt

    try:
        moment = dt.datetime.fromisoformat(recorded_at)
    except ValueError:
        return recorded_at[:16]
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def score_text(total: float | None, max_total: float | None) -> str:
    if total is None or not max_total:
        return "—"
    return f"{total:.1f}/{max_total:g}"


# --- scorecards -----------------------------------------------------------------------


def load_scorecard(path: Path) -> dict[str, Any]:
    """A saved JSON scorecard, checked enough to render; LivelabError names the problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LivelabError([Problem(path, "scorecard file not found")]) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LivelabError([Problem(path, f"not a readable JSON scorecard ({exc})")]) from None
    if not isinstance(data, dict) or not str(data.get("schema", "")).startswith(
        "livelab.scorecard/"
    ):
        raise LivelabError([Problem(path, "not a livelab scorecard (schema livelab.scorecard/1)")])
    missing = [k for k in ("session", "criteria", "total", "max_total") if k not in data]
    if missing:
        raise LivelabError([Problem(path, f"scorecard lacks {', '.join(missing)}")])
    return data


def criterion_by_id(scorecard: Mapping[str, Any], criterion_id: str) -> dict[str, Any] | None:
    return next((c for c in scorecard["criteria"] if c["id"] == criterion_id), None)


def points_lost(criterion: Mapping[str, Any]) -> float:
    if criterion.get("status") != "scored":
        return 0.0
    return float(criterion["weight"]) - float(criterion.get("points") or 0.0)


def fix_first(scorecard: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The criteria named in ``fix_first``, in that order (unknown ids skipped)."""
    found = (criterion_by_id(scorecard, cid) for cid in scorecard.get("fix_first") or [])
    return [c for c in found if c is not None]


def evidence_for(scorecard: Mapping[str, Any], metric: str) -> list[dict[str, Any]]:
    """Evidence about ``metric``: untimed findings ("never said …") first, then by time."""
    items = [e for e in scorecard.get("evidence") or [] if e.get("metric") == metric]
    return sorted(items, key=lambda e: (e.get("start_s") is not None, e.get("start_s") or 0.0))


def span_text(evidence: Mapping[str, Any]) -> str:
    """``mm:ss–mm:ss`` for a timed finding, ``—`` for an untimed one."""
    from livelab.api.analysis import clock

    start, end = evidence.get("start_s"), evidence.get("end_s")
    if start is None:
        return "—"
    if end is None or round(end) == round(start):
        return clock(start)
    return f"{clock(start)}–{clock(end)}"


# --- transcript -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Word:
    """A spoken word with the highlight it earns (None = plain)."""

    start: float
    end: float
    text: str
    kind: str | None


@dataclass(frozen=True, slots=True)
class Line:
    """A transcript segment: when it starts and ends, and its words."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...]


def transcript_lines(scorecard: Mapping[str, Any]) -> list[Line]:
    """The transcript as time-stamped lines, each word tagged with its highlight."""
    transcript = scorecard.get("transcript") or {}
    segments = transcript.get("segments") or []
    spans: list[tuple[float, float, str]] = []
    for e in scorecard.get("evidence") or []:
        kind = HIGHLIGHT_METRICS.get(str(e.get("metric")))
        start, end = e.get("start_s"), e.get("end_s")
        if kind and start is not None and end is not None and end - start <= _PHRASE_SPAN_S:
            spans.append((float(start), float(end), kind))
    pace = (scorecard.get("details") or {}).get("pace") or {}
    spans += [(float(a), float(b), "filler") for a, b, _t in pace.get("filler_spans") or []]
    rank = {k: i for i, k in enumerate(HIGHLIGHT_ORDER)}
    lines = []
    for seg in segments:
        words = []
        for w in seg.get("words") or []:
            start, end = float(w[0]), float(w[1])
            mid = (start + end) / 2
            kinds = [k for a, b, k in spans if a - 0.05 <= mid <= b + 0.05]
            kind = min(kinds, key=rank.__getitem__) if kinds else None
            words.append(Word(start, end, str(w[2]), kind))
        lines.append(
            Line(float(seg["start"]), float(seg["end"]), str(seg.get("text", "")), tuple(words))
        )
    return lines


def line_at(lines: Sequence[Line], seconds: float) -> int:
    """Index of the line being spoken at ``seconds`` (or the next one; the last if past the end)."""
    for i, line in enumerate(lines):
        if seconds < line.end:
            return i
    return max(0, len(lines) - 1)


# --- timelines and trends ------------------------------------------------------------

_BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None]) -> str:
    """A one-line trend of ``values`` (None shown as a space), scaled to their own range."""
    present = [v for v in values if v is not None]
    if not present:
        return ""
    lo, hi = min(present), max(present)
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif hi == lo:
            out.append(_BLOCKS[len(_BLOCKS) // 2])
        else:
            out.append(_BLOCKS[round((v - lo) / (hi - lo) * (len(_BLOCKS) - 1))])
    return "".join(out)


def series_label(name: str) -> str:
    """``Viewers`` for ``ops.online_per_minute``; unknown series by their own name, readable."""
    if name in SERIES_LABELS:
        return SERIES_LABELS[name]
    return name.rpartition(".")[2].replace("_", " ").capitalize()


def ordered_series(scorecard: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Series with the four a student asks for first (rate, face, viewers, orders)."""
    series = [s for s in scorecard.get("series") or [] if s.get("t")]
    first = list(SERIES_LABELS)
    return sorted(series, key=lambda s: first.index(s["name"]) if s["name"] in first else 99)


def rescore(scorecard: Mapping[str, Any], rubric: Any) -> dict[str, Any]:
    """The scorecard scored against another rubric, from its measured metrics alone (pure
    and instant: the same scoring as ``livelab analyze``, round penalties and roles too)."""
    import copy

    from livelab.scoring.scorecard import apply_rubric

    return apply_rubric(copy.deepcopy(dict(scorecard)), rubric)
