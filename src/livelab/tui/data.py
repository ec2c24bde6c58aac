"""What the TUI shows, computed without Textual: sessions in a folder, highlighted
transcript lines, series to chart, history look-ups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from livelab.api.analysis import Series
from livelab.api.errors import LivelabError
from livelab.api.transcript import Word
from livelab.inputs.session import MEDIA_SUFFIXES

if TYPE_CHECKING:
    from livelab.scoring.rubric import Rubric
    from livelab.scoring.scorecard import CriterionResult, Scorecard

#: How the transcript ranks the highlight kinds it knows when spans overlap (the most
#: urgent wins); a kind it does not know ranks after them, in the order first declared.
HIGHLIGHT_ORDER = ("flag", "filler", "cta", "point", "mention")
# A highlight longer than this spans a whole pitch ("on air 00:07–01:28"), not a phrase.
_PHRASE_SPAN_S = 20.0


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


def latest_by_session(attempts: Iterable[Any], rubric: str | None = None) -> dict[str, Any]:
    """Each session's attempt (attempts come newest first): scored with ``rubric`` (an id,
    or a rubric file whose name is the id) when it was, else the most recently scored."""
    wanted = Path(rubric).stem if rubric else None

    def preference(a: Any) -> tuple[bool, str]:
        return a.rubric_id == wanted, a.scored_at

    latest: dict[str, Any] = {}
    for attempt in attempts:  # the newest recording of a session first; older ones ignored
        key = session_key(attempt.session_path)
        mine = latest.get(key)
        if mine is None or (
            attempt.recording_sha256 == mine.recording_sha256
            and preference(attempt) > preference(mine)
        ):
            latest[key] = attempt
    return latest


def when_text(recorded_at: str) -> str:
    """``YYYY-MM-DD HH:MM`` in local time (history stores UTC; naive times are shown as-is).
    Numeric in both languages: at 80 columns ``2026年12月1日`` would push the last column off."""
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


def points_text(criterion: CriterionResult) -> str:
    """``7.5/10``; ``10.0/10✎`` when the instructor's review set it; ``—`` unscored."""
    if not criterion.scored:
        return "—"
    mark = "✎" if criterion.adjusted else ""
    return f"{criterion.points or 0.0:.1f}/{criterion.weight:g}{mark}"


# --- transcript -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Line:
    """A transcript segment: when it starts and ends, its words, and the highlight kind
    each word earns (``None`` = plain), one per word."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...]
    kinds: tuple[str | None, ...]


def highlight_kinds(scorecard: Scorecard) -> list[tuple[str, str]]:
    """(kind, label) of every highlight kind in the scorecard, in overlap order."""
    from livelab.i18n import declared

    labels: dict[str, str] = {}
    for h in scorecard.highlights:
        labels.setdefault(h.kind, declared(scorecard, h.analyzer, h.label))
    return [(k, labels[k]) for k in sorted(labels, key=_rank(list(labels)))]


def _rank(kinds: Sequence[str]) -> Any:
    first = list(dict.fromkeys(kinds))
    known = {k: i for i, k in enumerate(HIGHLIGHT_ORDER)}
    return lambda k: (known.get(k, len(known)), first.index(k) if k in first else 0)


def transcript_lines(scorecard: Scorecard) -> list[Line]:
    """The transcript as time-stamped lines, each word tagged with its highlight."""
    segments = scorecard.transcript.segments if scorecard.transcript else ()
    spans = [
        (h.start_s, h.end_s, h.kind)
        for h in scorecard.highlights
        if h.end_s - h.start_s <= _PHRASE_SPAN_S
    ]
    rank = _rank([k for *_, k in spans])
    lines = []
    for seg in segments:
        kinds = []
        for w in seg.words:
            mid = (w.start + w.end) / 2
            found = [k for a, b, k in spans if a - 0.05 <= mid <= b + 0.05]
            kinds.append(min(found, key=rank) if found else None)
        lines.append(Line(seg.start, seg.end, seg.text, seg.words, tuple(kinds)))
    return lines


def line_at(lines: Sequence[Line], seconds: float) -> int:
    """Index of the line being spoken at ``seconds`` (or the next one; the last if past the end)."""
    for i, line in enumerate(lines):
        if seconds < line.end:
            return i
    return max(0, len(lines) - 1)


# --- timelines ---------------------------------------------------------------------


def ordered_series(scorecard: Scorecard) -> list[Series]:
    """The series that have values, in the order the analyzers declared them."""
    return [s for s in scorecard.series if s.t]


def series_label(scorecard: Scorecard, series: Series) -> str:
    """The chart title the analyzer declared; else the series' name, made readable."""
    from livelab.i18n import declared

    title = scorecard.series_title(series)
    if title != series.name:
        metric = scorecard.metrics.get(series.name)
        analyzer = metric.analyzer if metric else series.name.partition(".")[0]
        return declared(scorecard, analyzer, title)
    return series.name.rpartition(".")[2].replace("_", " ").capitalize()


def rescore(scorecard: Scorecard, rubric: Rubric) -> Scorecard:
    """The scorecard scored against another rubric, from its measured metrics alone (pure
    and instant: the same scoring as ``livelab analyze``, round penalties and roles too)."""
    import copy

    from livelab.scoring.scorecard import apply_rubric

    return apply_rubric(copy.deepcopy(scorecard), rubric)
