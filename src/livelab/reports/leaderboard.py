"""Leaderboard: rank practice runs and teams by total, ties broken as the rubric says."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livelab.api.errors import LivelabError, Problem
from livelab.i18n import _, date_text
from livelab.reports.gradebook import BOM, neutralise
from livelab.reports.text import report_name, sparkline
from livelab.scoring.rubric import Rubric, TieBreak
from livelab.scoring.scorecard import (
    GradeError,
    Scorecard,
    SessionInfo,
    read_results,
    read_scorecard,
)

TEAM_SCORES = ("best", "latest", "mean")


@dataclass(frozen=True, slots=True)
class Run:
    """One graded practice run, as the leaderboard sees it."""

    source: str
    team: str
    anchor: str
    title: str
    when: str  # recorded_at, else the scorecard's created_at
    rubric_id: str
    total: float
    max_total: float
    breaks: tuple[float | None, ...]  # tie-break values, in the rubric's order
    #: "judged" when judges scored it, "unjudged" when the rubric has judged criteria and
    #: no judge scored any of them, "" for a rubric without judged criteria.
    judging: str = ""
    penalty: float = 0.0  # the round's penalty, already off ``total``
    sections: tuple[tuple[str, float, float], ...] = ()  # (section, points, max)
    report: str = ""  # the run's HTML report, when there is one beside its scorecard


@dataclass(frozen=True, slots=True)
class Board:
    """One rubric's ranking: runs and teams, each with its rank (ties share a rank)."""

    rubric_id: str
    tie_breaks: tuple[str, ...]  # labels, in order
    directions: tuple[str, ...]  # "higher" | "lower" per tie-break
    runs: list[tuple[int, Run, str]]  # (rank, run, what broke its tie)
    teams: list[tuple[int, TeamStanding]]

    @property
    def sections(self) -> list[str]:
        """Every section a run of this board scored, in the rubric's order."""
        names: list[str] = []
        for _rank, run, _why in self.runs:
            names.extend(name for name, _p, _m in run.sections if name not in names)
        return names


@dataclass(frozen=True, slots=True)
class TeamStanding:
    team: str
    score: float
    max_total: float
    breaks: tuple[float | None, ...]
    runs: list[Run] = field(default_factory=list)  # oldest first

    @property
    def trend(self) -> list[float]:
        return [r.total for r in self.runs]


# --- reading scorecards ----------------------------------------------------------------


def read_scorecards(paths: Iterable[Path]) -> tuple[list[tuple[str, Scorecard]], list[str]]:
    """(source, scorecard) pairs from scorecard JSON files, results.jsonl files and folders
    holding either; failed grades in results.jsonl are skipped with a note."""
    found: list[tuple[str, Scorecard]] = []
    notes: list[str] = []
    for path in paths:
        if path.is_dir():
            inner = path / "results.jsonl"
            judged = path / "results.judged.jsonl"  # judge merge's: its runs count, judged
            files = ([inner, *([judged] if judged.is_file() else [])] if inner.is_file()
                     else sorted(path.glob("*.json")))
            if not files:
                raise LivelabError([Problem(path, _("holds no results.jsonl or *.json "
                                                    "scorecards"))])
        elif path.is_file():
            files = [path]
        else:
            raise LivelabError([Problem(path, _("no such file or folder"))])
        for file in files:
            if file.suffix == ".jsonl":
                for n, entry in read_results(file):
                    if isinstance(entry, GradeError):
                        notes.append(_("{file} line {n}: {path} was not graded ({error})").format(
                            file=file, n=n, path=entry.path or "?", error=entry.error))
                    else:
                        found.append((f"{file}:{n}", _ranked(entry, file, f"line {n}")))
            else:
                found.append((str(file), _ranked(read_scorecard(file), file, "")))
    if not found:
        raise LivelabError(_("no scorecards to rank"))
    return found, notes


def _ranked(scorecard: Scorecard, path: Path, where: str) -> Scorecard:
    if scorecard.rubric is None:
        raise LivelabError(
            [Problem(path, "is not a livelab scorecard scored with a rubric", where)]
        )
    return scorecard


# --- ranking ---------------------------------------------------------------------------


def team_of(session: SessionInfo) -> str:
    return session.team or session.anchor or session.title or "?"


def tie_break_value(scorecard: Scorecard, tb: TieBreak) -> tuple[float | None, str]:
    """(value, direction) of one tie-break on one scorecard; None when not available."""
    if tb.kind == "criterion":
        row = scorecard.criterion(tb.name)
        return (None if row is None else row.points), "higher"
    if tb.kind == "section":
        section = scorecard.sections.get(tb.name)
        if section is None:  # a scorecard from before sections: add its criteria up
            rows = [c for c in scorecard.criteria if c.section == tb.name]
            return (sum(c.points or 0 for c in rows) if rows else None), "higher"
        return section.points, "higher"
    metric = scorecard.metrics.get(tb.name)
    better = tb.better or (metric.better if metric else "")
    if better not in ("higher", "lower"):
        raise LivelabError(
            f"tie-break metric {tb.name!r} has no direction (its metric says "
            f"{better or 'nothing'}): write {{metric: {tb.name}, better: higher|lower}} "
            "in the rubric's tie_breaks"
        )
    return (metric.value if metric else None), better


def _sort_key(
    total: float, breaks: Sequence[float | None], directions: Sequence[str]
) -> tuple[float, ...]:
    key: list[float] = [-total]
    for value, better in zip(breaks, directions, strict=True):
        if value is None:
            key.append(math.inf)  # a missing value loses the tie
        else:
            key.append(-value if better == "higher" else value)
    return tuple(key)


def build_boards(
    scorecards: Sequence[tuple[str, Scorecard]],
    rubrics: Mapping[str, Rubric],
    team_score: str = "best",
) -> list[Board]:
    """One board per rubric id. ``rubrics`` maps rubric id → Rubric (for its tie-breaks);
    a rubric not in it ranks by total alone."""
    by_rubric: dict[str, list[tuple[str, Scorecard]]] = {}
    for source, sc in once_each(scorecards):
        by_rubric.setdefault(_rubric_id(sc), []).append((source, sc))
    boards = []
    for rubric_id, items in by_rubric.items():
        rubric = rubrics.get(rubric_id)
        tbs = rubric.tie_breaks if rubric is not None else ()
        runs: list[Run] = []
        directions: list[str] = [tb.better or "" for tb in tbs]
        for source, sc in items:
            values = []
            for i, tb in enumerate(tbs):
                value, better = tie_break_value(sc, tb)
                directions[i] = directions[i] or better
                values.append(value)
            session = sc.session
            runs.append(
                Run(
                    source=source,
                    team=team_of(session),
                    anchor=session.anchor,
                    title=session.title,
                    when=session.recorded_at or sc.created_at,
                    rubric_id=rubric_id,
                    total=sc.total,
                    max_total=sc.max_total,
                    breaks=tuple(values),
                    judging=judging_state(sc),
                    penalty=sc.team.penalty if sc.team is not None else 0.0,
                    sections=tuple((name, share.points, share.max)
                                   for name, share in sc.sections.items()),
                    report=report_of(source, sc),
                )
            )
        dirs = tuple(d or "higher" for d in directions)
        labels = tuple(tb.name for tb in tbs)
        boards.append(
            Board(
                rubric_id,
                labels,
                dirs,
                _rank_runs(runs, labels, dirs),
                _rank_teams(runs, dirs, team_score),
            )
        )
    return boards


def run_key(scorecard: Scorecard) -> str:
    """One practice run, however many scorecards it has (the original and the judged one
    keep both): its session's path and its recording. The same file handed in by two teams
    (two folders) is two runs."""
    session = scorecard.session
    return f"{session.path or session.title}\0{session.recording_sha256}"


def judging_state(scorecard: Scorecard) -> str:
    """``judged``, ``unjudged`` (the rubric has judged criteria; no judge scored one), or
    ``""`` when the rubric has none."""
    judged = [c for c in scorecard.criteria if c.judged]
    if not judged:
        return ""
    return "judged" if any(c.judging is not None for c in judged) else "unjudged"


def once_each(scorecards: Sequence[tuple[str, Scorecard]]) -> list[tuple[str, Scorecard]]:
    """Each run once under each rubric: of its scorecards, the one judges scored most,
    then the latest made (``livelab judge merge`` writes x.judged.json beside x.json)."""
    best: dict[tuple[str, str], tuple[str, Scorecard]] = {}
    order: list[tuple[str, str]] = []
    for source, sc in scorecards:
        key = (_rubric_id(sc), run_key(sc))
        if key not in best:
            order.append(key)
            best[key] = (source, sc)
            continue
        _s, other = best[key]
        if (len(sc.judges), sc.created_at) > (len(other.judges), other.created_at):
            best[key] = (source, sc)
    return [best[k] for k in order]


def duplicate_notes(scorecards: Sequence[tuple[str, Scorecard]]) -> list[str]:
    """A note for each run given more than once: which scorecard counted."""
    kept = {source for source, _sc in once_each(scorecards)}
    by_key: dict[tuple[str, str], list[str]] = {}
    for source, sc in scorecards:
        by_key.setdefault((_rubric_id(sc), run_key(sc)), []).append(source)
    notes = []
    for sources in by_key.values():
        if len(sources) > 1:
            counted = next(s for s in sources if s in kept)
            others = ", ".join(s for s in sources if s != counted)
            notes.append(_("{counted} and {others} are one run: counted once, as "
                           "{counted}").format(counted=counted, others=others))
    return notes


def report_of(source: str, scorecard: Scorecard) -> str:
    """The HTML report of a run, when one is beside its scorecard: ``x.html`` for
    ``x.json``, or ``reports/<n>-<name>.html`` for line n of a grade's results.jsonl."""
    path, _sep, line = source.rpartition(":")
    if path.endswith(".judged.jsonl"):
        return ""  # the grade's report shows the machine's scores, not the judges'
    if line.isdigit() and path.endswith(".jsonl"):
        candidate = Path(path).parent / "reports" / report_name(int(line), scorecard)
    else:
        candidate = Path(source).with_suffix(".html")
    return str(candidate) if candidate.is_file() else ""


def _rank_runs(
    runs: list[Run], labels: Sequence[str], dirs: Sequence[str]
) -> list[tuple[int, Run, str]]:
    ordered = sorted(runs, key=lambda r: (_sort_key(r.total, r.breaks, dirs), r.when, r.source))
    out: list[tuple[int, Run, str]] = []
    for i, run in enumerate(ordered):
        key = _sort_key(run.total, run.breaks, dirs)
        prev = ordered[i - 1] if i else None
        prev_key = _sort_key(prev.total, prev.breaks, dirs) if prev else None
        rank = out[-1][0] if prev_key == key else i + 1
        out.append((rank, run, ""))
    # Say which tie-break separated runs level on total.
    for i, (rank, run, _why) in enumerate(out):
        level = [o for _r, o, _w in out if o is not run and abs(o.total - run.total) < 1e-9]
        if not level:
            continue
        other = level[0]
        why = _("tied on every tie-break")
        for label, mine, theirs in zip(labels, run.breaks, other.breaks, strict=True):
            if mine != theirs:
                why = _("tie on total broken by {what}").format(what=label)
                break
        out[i] = (rank, run, why)
    return out


def _rank_teams(runs: list[Run], dirs: Sequence[str], how: str) -> list[tuple[int, TeamStanding]]:
    by_team: dict[str, list[Run]] = {}
    for run in runs:
        by_team.setdefault(run.team, []).append(run)
    standings = []
    for team, mine in by_team.items():
        mine = sorted(mine, key=lambda r: (r.when, r.source))
        if how == "latest":
            pick = mine[-1]
            score, breaks = pick.total, pick.breaks
        elif how == "mean":
            score = sum(r.total for r in mine) / len(mine)
            breaks = tuple(_mean([r.breaks[i] for r in mine]) for i in range(len(dirs)))
        else:
            pick = min(mine, key=lambda r: _sort_key(r.total, r.breaks, dirs))
            score, breaks = pick.total, pick.breaks
        top = max(r.max_total for r in mine)
        standings.append(TeamStanding(team, round(score, 3), top, breaks, mine))
    standings.sort(key=lambda s: (_sort_key(s.score, s.breaks, dirs), s.team))
    out: list[tuple[int, TeamStanding]] = []
    for i, s in enumerate(standings):
        same = i and _sort_key(s.score, s.breaks, dirs) == _sort_key(
            standings[i - 1].score, standings[i - 1].breaks, dirs
        )
        out.append((out[-1][0] if same else i + 1, s))
    return out


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def trend_text(values: Sequence[float]) -> str:
    """``60 → 70``: a team's totals, oldest first."""
    return " → ".join(f"{round(v, 1):g}" for v in values)


# --- output ----------------------------------------------------------------------------

def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


CSV_COLUMNS = (
    "rubric",
    "kind",
    "rank",
    "team",
    "anchor",
    "title",
    "when",
    "total",
    "max_total",
    "runs",
    "trend",
    "note",
    "source",
)


#: After the tie-break columns: how judges scored the run (``judged``, ``unjudged`` or empty
#: for a rubric without judged criteria), the round's penalty, then each section's points.
RUN_COLUMNS = ("judging", "penalty")


def board_csv(boards: Sequence[Board]) -> str:
    """Teams then runs, for every rubric; tie-break values, the judging state, the round
    penalty and each section's points as extra columns."""
    labels: list[str] = []
    for b in boards:
        labels.extend(label for label in b.tie_breaks if label not in labels)
    sections: list[str] = []
    for b in boards:
        sections.extend(name for name in b.sections if name not in sections)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralise(h) for h in (*CSV_COLUMNS, *(f"tb:{x}" for x in labels),
                                             *RUN_COLUMNS, *(f"section:{x}" for x in sections))])
    for b in boards:
        index = {label: i for i, label in enumerate(b.tie_breaks)}

        def extra(breaks: Sequence[float | None], index: dict[str, int] = index) -> list[str]:
            return [_num(breaks[index[x]]) if x in index else "" for x in labels]

        def contest(run: Run) -> list[str]:
            points = {name: p for name, p, _m in run.sections}
            return [run.judging, _num(run.penalty),
                    *(_num(points.get(name)) for name in sections)]

        for rank, t in b.teams:
            row = [
                b.rubric_id,
                "team",
                str(rank),
                t.team,
                "",
                "",
                t.runs[-1].when,
                _num(t.score),
                _num(t.max_total),
                str(len(t.runs)),
                trend_text(t.trend),
                "",
                "",
            ]
            writer.writerow([neutralise(c) for c in row] + extra(t.breaks)
                            + [""] * (len(RUN_COLUMNS) + len(sections)))
        for rank, r, why in b.runs:
            row = [
                b.rubric_id,
                "run",
                str(rank),
                r.team,
                r.anchor,
                r.title,
                r.when,
                _num(r.total),
                _num(r.max_total),
                "",
                "",
                why,
                r.source,
            ]
            writer.writerow([neutralise(c) for c in row] + extra(r.breaks)
                            + [neutralise(c) for c in contest(r)])
    return BOM + buffer.getvalue()


def print_boards(boards: Sequence[Board], console: Any) -> None:
    from rich.table import Table

    for b in boards:
        title = _("Teams · {rubric}").format(rubric=b.rubric_id)
        if b.tie_breaks:
            title += _(" (ties: {tie_breaks})").format(tie_breaks=", ".join(b.tie_breaks))
        teams = Table("#", _("team"), _("score"), _("runs"), _("trend"), title=title,
                      title_justify="left")
        for rank, t in b.teams:
            teams.add_row(
                str(rank),
                t.team,
                f"{t.score:g}/{t.max_total:g}",
                str(len(t.runs)),
                f"{sparkline(t.trend, t.max_total)} {trend_text(t.trend)}",
            )
        console.print(teams)
        runs = Table(
            "#",
            _("team"),
            _("anchor"),
            _("when"),
            _("total"),
            _("note"),
            title=_("Runs · {rubric}").format(rubric=b.rubric_id),
            title_justify="left",
        )
        for rank, r, why in b.runs:
            runs.add_row(
                str(rank), r.team, r.anchor, date_text(r.when), f"{r.total:g}/{r.max_total:g}",
                run_note(r, why),
            )
        console.print(runs)


def run_note(run: Run, why: str = "") -> str:
    """What a reader of the board must know about a run: no judge scored it yet, its round
    penalty, and what broke a tie."""
    parts = []
    if run.judging == "unjudged":
        parts.append(_("no judge has scored it yet"))
    if run.penalty:
        parts.append(_("round penalty −{points}").format(points=f"{run.penalty:g}"))
    if why:
        parts.append(why)
    return _("; ").join(parts)


def _rubric_id(scorecard: Scorecard) -> str:
    return scorecard.rubric.id if scorecard.rubric else ""


def load_rubrics(
    scorecards: Sequence[tuple[str, Scorecard]],
    override: str | None,
    plugins_dirs: Sequence[Path] = (),
) -> tuple[dict[str, Rubric], list[str]]:
    """The rubric of each rubric id (for tie-breaks): ``override`` for all, else the file
    each scorecard names; a missing file ranks by total alone, with a note."""
    from livelab.engine.plugins import load_plugins
    from livelab.scoring.rubric import builtin_rubrics, find_rubric, load_rubric

    load_plugins(plugins_dirs)
    notes: list[str] = []
    if override:
        rubric = load_rubric(find_rubric(override))
        return {_rubric_id(sc): rubric for _source, sc in scorecards}, notes
    out: dict[str, Rubric] = {}
    for _source, sc in scorecards:
        info = sc.rubric
        if info is None or info.id in out:
            continue
        for candidate in (Path(info.path), builtin_rubrics().get(info.id)):
            if candidate is not None and candidate.is_file():
                out[info.id] = load_rubric(candidate)
                break
        else:
            notes.append(_("rubric {id} not found: ranked by total alone (use --rubric)")
                         .format(id=info.id))
    return out, notes


# --- the command -----------------------------------------------------------------------
