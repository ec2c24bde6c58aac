"""The scorecard: one versioned JSON document that every report and view renders.

:class:`Scorecard` is that document as types; :meth:`Scorecard.to_dict` is the JSON and
:func:`read_scorecard` the one way back (it validates, and upgrades older versions).
A session a batch could not grade is a :class:`GradeError` instead. Scoring is pure:
:func:`build_scorecard` records what the analyzers measured, :func:`apply_rubric` scores it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from livelab.api.analysis import Evidence, Findings, ItemValue, MetricSpec, Series, clock
from livelab.api.errors import LivelabError, Problem
from livelab.api.messages import CORE_DOMAIN, Message, Messages
from livelab.api.transcript import Transcript
from livelab.engine.version import package_version
from livelab.i18n import _, domain_of
from livelab.scoring.review import Review, applies_to, check_review
from livelab.scoring.rubric import ROLES, Criterion, ProductTime, Rubric, outcome_of

if TYPE_CHECKING:
    from livelab.engine.pipeline import Analysis

SCHEMA_PREFIX = "livelab.scorecard/"
SCHEMA = f"{SCHEMA_PREFIX}2"
#: Versions :func:`read_scorecard` reads. 1 lacks titles, highlights and per-product values.
VERSIONS = (1, 2)
ERROR_SCHEMA = "livelab.grade-error/1"
#: Criteria without a role belong to the whole team.
SHARED_ROLE = "team"


# --- the document's parts ------------------------------------------------------------


@dataclass(slots=True)
class SessionInfo:
    """Who, what and when: the session's manifest as the scorecard records it."""

    title: str = ""
    anchor: str = ""
    team: str = ""
    #: The student's ID (学号) and class from ``session.toml``; JSON keys ``student_id``
    #: and ``class``, written only when set.
    student_id: str = ""
    class_name: str = ""
    roles: dict[str, str] = field(default_factory=dict)
    language: str = ""
    language_source: str = ""
    language_detection: dict[str, Any] | None = None
    recorded_at: str = ""
    path: str = ""
    files: dict[str, str] = field(default_factory=dict)
    take: dict[str, Any] | None = None
    duration_s: float = 0.0
    #: Why only part of the recording was analysed (a truncated or corrupt file), else "";
    #: ``duration_s`` is then the part that could be read.
    partial: str = ""
    #: SHA-256 of the recording: one attempt, however often it is analysed or re-scored.
    recording_sha256: str = ""
    #: Keys a newer livelab wrote that this one does not know: kept, written back as is.
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "anchor": self.anchor,
            "team": self.team,
            **({"student_id": self.student_id} if self.student_id else {}),
            **({"class": self.class_name} if self.class_name else {}),
            "roles": dict(self.roles),
            "language": self.language,
            "language_source": self.language_source,
            **({"language_detection": self.language_detection}
               if self.language_detection is not None else {}),  # fmt: skip
            "recorded_at": self.recorded_at,
            "path": self.path,
            "files": dict(self.files),
            **({"take": self.take} if self.take is not None else {}),
            "duration_s": self.duration_s,
            **({"partial": self.partial} if self.partial else {}),
            **({"recording_sha256": self.recording_sha256} if self.recording_sha256 else {}),
            **self.extra,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SessionInfo:
        known = {f for f in cls.__slots__ if f not in ("extra", "class_name")} | {"class"}
        return cls(
            title=str(data.get("title") or ""),
            anchor=str(data.get("anchor") or ""),
            team=str(data.get("team") or ""),
            student_id=str(data.get("student_id") or ""),
            class_name=str(data.get("class") or ""),
            roles={str(k): str(v) for k, v in (data.get("roles") or {}).items()},
            language=str(data.get("language") or ""),
            language_source=str(data.get("language_source") or ""),
            language_detection=_opt_dict(data.get("language_detection")),
            recorded_at=str(data.get("recorded_at") or ""),
            path=str(data.get("path") or ""),
            files={str(k): str(v) for k, v in (data.get("files") or {}).items()},
            take=_opt_dict(data.get("take")),
            duration_s=float(data.get("duration_s") or 0.0),
            partial=str(data.get("partial") or ""),
            recording_sha256=str(data.get("recording_sha256") or ""),
            extra={k: v for k, v in data.items() if k not in known},
        )


@dataclass(frozen=True, slots=True)
class RubricRef:
    """The rubric a scorecard was scored with; ``sha256`` of its file, to notice edits."""

    id: str
    title: str
    path: str
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "path": self.path, "sha256": self.sha256}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RubricRef:
        return cls(str(data["id"]), str(data.get("title") or ""), str(data.get("path") or ""),
                   str(data.get("sha256") or ""))  # fmt: skip


@dataclass(frozen=True, slots=True)
class ProductRow:
    """One product under a per-product criterion: planned and actual, fraction, points."""

    id: str
    name: str
    planned_s: float | None
    actual_s: float
    fraction: float | None
    points: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "planned_s": self.planned_s,
            "actual_s": self.actual_s,
            "fraction": self.fraction,
            "points": self.points,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProductRow:
        return cls(
            str(data["id"]),
            str(data.get("name") or data["id"]),
            _opt_float(data.get("planned_s")),
            float(data.get("actual_s") or 0.0),
            _opt_float(data.get("fraction")),
            _opt_float(data.get("points")),
        )


@dataclass(frozen=True, slots=True)
class JudgingResult:
    """How the judges' scores of one criterion were combined with the machine's."""

    judges: int
    fraction: float
    kept: list[str]
    dropped: list[str]
    machine_fraction: float | None
    judge_share: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "judges": self.judges,
            "fraction": self.fraction,
            "kept": list(self.kept),
            "dropped": list(self.dropped),
            "machine_fraction": self.machine_fraction,
            "judge_share": self.judge_share,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JudgingResult:
        return cls(
            int(data["judges"]),
            float(data["fraction"]),
            [str(j) for j in data.get("kept") or []],
            [str(j) for j in data.get("dropped") or []],
            _opt_float(data.get("machine_fraction")),
            float(data["judge_share"]),
        )


M = Messages(CORE_DOMAIN)


def _message_of(reason: str | Message | None) -> dict[str, Any]:
    """A reason that is a message keeps it as data beside the English text."""
    return {"reason_message": reason.to_dict()} if isinstance(reason, Message) else {}


def _reason_from(data: Mapping[str, Any]) -> str | Message | None:
    said = data.get("reason_message")
    if isinstance(said, Mapping):
        return Message.from_dict(said)
    reason = data.get("reason")
    return None if reason is None else str(reason)


#: Analyzer statuses as words of a message.
_STATUS = {"not run": M("status", "not run"), "failed": M("status", "failed")}


@dataclass(slots=True)
class CriterionResult:
    """One rubric criterion, scored: ``status`` is ``scored`` or ``unscored`` (with the
    ``reason``); an unscored criterion has ``fraction`` and ``points`` of ``None``."""

    id: str
    title: str
    metric: str
    weight: float
    value: float | None = None
    unit: str = ""
    role: str = ""
    section: str = ""
    judged: bool = False
    status: str = "unscored"
    fraction: float | None = None
    points: float | None = None
    outcome: str = "unscored"
    reason: str | Message = ""
    feedback: str = ""
    products: list[ProductRow] | None = None  # per-product rules only
    judging: JudgingResult | None = None  # when judges scored it
    #: The instructor's review of it: ``comment``, ``adjusted`` (the instructor set its
    #: fraction) and ``machine`` (status, fraction, points, outcome as the machine scored
    #: it); ``None`` when the review says nothing about it.
    review: dict[str, Any] | None = None

    @property
    def adjusted(self) -> bool:
        """The instructor set this criterion's score."""
        return bool(self.review and self.review.get("adjusted"))

    @property
    def review_comment(self) -> str:
        return str(self.review.get("comment") or "") if self.review else ""

    @property
    def scored(self) -> bool:
        return self.status == "scored"

    @property
    def points_lost(self) -> float:
        """Points short of the weight (0 for an unscored criterion)."""
        return self.weight - (self.points or 0.0) if self.scored else 0.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "metric": self.metric,
            "role": self.role,
            "section": self.section,
            "judged": self.judged,
            "weight": self.weight,
            "value": self.value,
            "unit": self.unit,
        }
        if self.products is not None:
            out["products"] = [p.to_dict() for p in self.products]
        if self.judging is not None:
            out["judging"] = self.judging.to_dict()
        if self.review is not None:
            out["review"] = dict(self.review)
        out.update(
            status=self.status,
            fraction=self.fraction,
            points=self.points,
            outcome=self.outcome,
            reason=str(self.reason),
            **_message_of(self.reason),
            feedback=self.feedback,
        )
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CriterionResult:
        products = data.get("products")
        judging = data.get("judging")
        return cls(
            id=str(data["id"]),
            title=str(data.get("title") or data["id"]),
            metric=str(data.get("metric") or ""),
            weight=float(data["weight"]),
            value=_opt_float(data.get("value")),
            unit=str(data.get("unit") or ""),
            role=str(data.get("role") or ""),
            section=str(data.get("section") or ""),
            judged=bool(data.get("judged", False)),
            status=str(data.get("status") or "unscored"),
            fraction=_opt_float(data.get("fraction")),
            points=_opt_float(data.get("points")),
            outcome=str(data.get("outcome") or "unscored"),
            reason=_reason_from(data) or "",
            feedback=str(data.get("feedback") or ""),
            products=None if products is None else [ProductRow.from_dict(p) for p in products],
            judging=None if judging is None else JudgingResult.from_dict(judging),
            review=_opt_dict(data.get("review")),
        )


@dataclass(slots=True)
class MetricEntry:
    """A metric of the session: its value (``None``, with the ``reason``, when it could
    not be measured), how to read it, and, for a per-product metric, each product's value."""

    value: float | None
    unit: str
    better: str
    description: str
    analyzer: str
    reason: str | Message | None = None  # set exactly when value is None
    title: str = ""
    by_product: dict[str, ItemValue] = field(default_factory=dict)
    #: What the metric looked for and did not find (missed selling points), if it says.
    missed: list[str] = field(default_factory=list)
    #: What a count metric counted, one entry per occurrence (banned terms said), if it says.
    counted: list[str] = field(default_factory=list)
    #: The machine's value when the instructor's review corrected the facts behind it
    #: (``value`` is then the corrected one); ``None`` when not corrected.
    machine: float | None = None

    def label(self, name: str) -> str:
        """How views name the metric: its title, else its name."""
        return self.title or name

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "unit": self.unit,
            "better": self.better,
            "description": self.description,
            "analyzer": self.analyzer,
            **({"reason": str(self.reason), **_message_of(self.reason)}
               if self.reason is not None else {}),
            "title": self.title,
            "by_product": {pid: v.to_dict() for pid, v in self.by_product.items()},
            **({"missed": list(self.missed)} if self.missed else {}),
            **({"counted": list(self.counted)} if self.counted else {}),
            **({"machine": self.machine} if self.machine is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MetricEntry:
        reason = _reason_from(data)
        return cls(
            value=_opt_float(data.get("value")),
            unit=str(data.get("unit") or ""),
            better=str(data.get("better") or ""),
            description=str(data.get("description") or ""),
            analyzer=str(data.get("analyzer") or ""),
            reason=reason,
            title=str(data.get("title") or ""),
            by_product={
                str(pid): ItemValue.from_dict(v)
                for pid, v in (data.get("by_product") or {}).items()
            },
            missed=[str(x) for x in data.get("missed") or []],
            counted=[str(x) for x in data.get("counted") or []],
            machine=_opt_float(data.get("machine")),
        )


@dataclass(frozen=True, slots=True)
class HighlightEntry:
    """A span to mark in the transcript (an analyzer's :class:`livelab.Highlight`), with
    the analyzer that declared it. Views style it by ``kind`` and name it by ``label``."""

    start_s: float
    end_s: float
    kind: str
    label: str
    text: str
    analyzer: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_s": self.start_s,
            "end_s": self.end_s,
            "kind": self.kind,
            "label": self.label,
            "text": self.text,
            "analyzer": self.analyzer,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HighlightEntry:
        return cls(
            float(data["start_s"]),
            float(data["end_s"]),
            str(data["kind"]),
            str(data.get("label") or data["kind"]),
            str(data.get("text") or ""),
            str(data.get("analyzer") or ""),
        )


@dataclass(frozen=True, slots=True)
class AnalyzerStatus:
    """How one analyzer's run went: ``ran``, ``cached``, ``failed`` or ``not run``."""

    version: str
    status: str
    reason: str | Message
    seconds: float
    title: str = ""
    #: The gettext domain of the analyzer's package: views translate what it declares
    #: (titles, highlight labels) in it. Empty in scorecards older than this field.
    domain: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "status": self.status,
            "reason": str(self.reason),
            **_message_of(self.reason),
            "seconds": self.seconds,
            "title": self.title,
            **({"domain": self.domain} if self.domain else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AnalyzerStatus:
        return cls(
            str(data.get("version") or ""),
            str(data.get("status") or ""),
            _reason_from(data) or "",
            float(data.get("seconds") or 0.0),
            str(data.get("title") or ""),
            str(data.get("domain") or ""),
        )


@dataclass(frozen=True, slots=True)
class RoundResult:
    """A timed round: the session's length against it, and the penalty."""

    length_s: float
    tolerance_s: float
    actual_s: float
    over_s: float
    under_s: float
    penalty: float
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "length_s": self.length_s,
            "tolerance_s": self.tolerance_s,
            "actual_s": self.actual_s,
            "over_s": self.over_s,
            "under_s": self.under_s,
            "penalty": self.penalty,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoundResult:
        return cls(
            length_s=float(data["length_s"]),
            tolerance_s=float(data["tolerance_s"]),
            actual_s=float(data["actual_s"]),
            over_s=float(data["over_s"]),
            under_s=float(data["under_s"]),
            penalty=float(data["penalty"]),
            reason=str(data.get("reason") or ""),
        )


@dataclass(frozen=True, slots=True)
class PointsShare:
    """Points of a role or a section: who (for a role), points, maximum, its criteria."""

    points: float
    max: float
    criteria: list[str]
    person: str | None = None  # roles only
    #: Weight of its criteria that could be scored (``None``: not recorded, before 0.2).
    scorable: float | None = None

    @property
    def unscored(self) -> bool:
        """Nothing in this block could be scored: views show "unscored", not 0."""
        return self.scorable is not None and self.scorable <= 0 < self.max

    def to_dict(self) -> dict[str, Any]:
        head = {} if self.person is None else {"person": self.person}
        extra = {} if self.scorable is None else {"scorable": self.scorable}
        return {**head, "points": self.points, "max": self.max, **extra,
                "criteria": list(self.criteria)}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PointsShare:
        person = data.get("person")
        scorable = data.get("scorable")
        return cls(
            float(data.get("points") or 0.0),
            float(data.get("max") or 0.0),
            [str(c) for c in data.get("criteria") or []],
            None if person is None else str(person),
            None if scorable is None else float(scorable),
        )


@dataclass(frozen=True, slots=True)
class TeamResult:
    name: str
    points: float
    penalty: float
    total: float
    max: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "points": self.points,
            "penalty": self.penalty,
            "total": self.total,
            "max": self.max,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TeamResult:
        return cls(
            name=str(data.get("name") or ""),
            points=float(data.get("points") or 0.0),
            penalty=float(data.get("penalty") or 0.0),
            total=float(data.get("total") or 0.0),
            max=float(data.get("max") or 0.0),
        )


@dataclass(frozen=True, slots=True)
class JudgeEntry:
    """One judge's score of one criterion (``fraction`` of its weight), and where from."""

    judge: str
    criterion: str
    score: float
    fraction: float
    session: str = ""
    source: str = ""
    note: str = ""  # what the judge wrote on the session's row

    def to_dict(self) -> dict[str, Any]:
        return {
            "judge": self.judge,
            "criterion": self.criterion,
            "score": self.score,
            "fraction": self.fraction,
            "session": self.session,
            "source": self.source,
            **({"note": self.note} if self.note else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JudgeEntry:
        return cls(
            str(data["judge"]),
            str(data["criterion"]),
            float(data.get("score") or 0.0),
            float(data["fraction"]),
            str(data.get("session") or ""),
            str(data.get("source") or ""),
            str(data.get("note") or ""),
        )


@dataclass(frozen=True, slots=True)
class PluginRef:
    name: str
    version: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "source": self.source}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PluginRef:
        return cls(str(data["name"]), str(data.get("version") or ""),
                   str(data.get("source") or ""))  # fmt: skip


# --- the document ----------------------------------------------------------------------


@dataclass(slots=True)
class Scorecard:
    """One analysed session, scored (or not yet: ``rubric`` is ``None``)."""

    session: SessionInfo
    schema: str = SCHEMA
    livelab_version: str = ""
    created_at: str = ""
    rubric: RubricRef | None = None
    total: float = 0.0
    max_total: float = 0.0
    scorable_weight: float = 0.0
    scorable_fraction: float = 0.0
    #: ``total`` as a percentage: of the scorable weight (``unscored = "exclude"``, the
    #: default) or of ``max_total`` (``"zero"``); ``None`` when nothing could be scored.
    percent: float | None = None
    #: How the rubric counted unscored criteria: ``exclude`` or ``zero``.
    unscored: str = "exclude"
    criteria: list[CriterionResult] = field(default_factory=list)
    fix_first: list[str] = field(default_factory=list)
    round: RoundResult | None = None
    roles: dict[str, PointsShare] = field(default_factory=dict)
    team: TeamResult | None = None
    sections: dict[str, PointsShare] = field(default_factory=dict)
    judges: list[JudgeEntry] = field(default_factory=list)
    #: The instructor's review (``session.toml``'s ``review`` file), applied whenever the
    #: scorecard is scored; ``None`` without one.
    review: Review | None = None
    metrics: dict[str, MetricEntry] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    highlights: list[HighlightEntry] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    #: Free-form data each analyzer reports (analyzer name → JSON): for reading, never
    #: for views to interpret.
    details: dict[str, Any] = field(default_factory=dict)
    transcript: Transcript | None = None
    analyzers: dict[str, AnalyzerStatus] = field(default_factory=dict)
    plugins: list[PluginRef] = field(default_factory=list)
    timings: dict[str, Any] = field(default_factory=dict)
    #: What a reader of the scores must know (the analyzers' warnings, judges' sheets
    #: merged): text, or a message the views say in the reader's language. In the JSON,
    #: ``notes`` is the English text and ``note_messages`` the messages beside it.
    notes: list[str | Message] = field(default_factory=list)

    # --- what views ask -----------------------------------------------------------------

    def criterion(self, criterion_id: str) -> CriterionResult | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)

    def fix_first_criteria(self) -> list[CriterionResult]:
        """The criteria named in ``fix_first``, in that order (unknown ids skipped)."""
        found = (self.criterion(cid) for cid in self.fix_first)
        return [c for c in found if c is not None]

    def evidence_for(self, metric: str) -> list[Evidence]:
        """Evidence about ``metric``: untimed findings ("never said …") first, then by time."""
        items = [e for e in self.evidence if e.metric == metric]
        return sorted(items, key=lambda e: (e.start_s is not None, e.start_s or 0.0))

    def series_title(self, series: Series) -> str:
        """A chart's title: the series' own, else its metric's, else its name."""
        metric = self.metrics.get(series.name)
        return series.title or (metric.title if metric else "") or series.name

    @property
    def ok(self) -> bool:
        return True

    @property
    def partial(self) -> bool:
        """Only part of the recording could be analysed (``session.partial`` says why)."""
        return bool(self.session.partial)

    # --- the JSON -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "livelab_version": self.livelab_version,
            "created_at": self.created_at,
            "session": self.session.to_dict(),
            "rubric": None if self.rubric is None else self.rubric.to_dict(),
            "total": self.total,
            "max_total": self.max_total,
            "scorable_weight": self.scorable_weight,
            "scorable_fraction": self.scorable_fraction,
            "percent": self.percent,
            "unscored": self.unscored,
            "criteria": [c.to_dict() for c in self.criteria],
            "fix_first": list(self.fix_first),
            "round": None if self.round is None else self.round.to_dict(),
            "roles": {k: v.to_dict() for k, v in self.roles.items()},
            "team": {} if self.team is None else self.team.to_dict(),
            "sections": {k: v.to_dict() for k, v in self.sections.items()},
            "judges": [j.to_dict() for j in self.judges],
            **({"review": self.review.to_dict()} if self.review is not None else {}),
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "evidence": [e.to_dict() for e in self.evidence],
            "highlights": [h.to_dict() for h in self.highlights],
            "series": [s.to_dict() for s in self.series],
            "details": self.details,
            "transcript": None if self.transcript is None else self.transcript.to_dict(),
            "analyzers": {k: v.to_dict() for k, v in self.analyzers.items()},
            "plugins": [p.to_dict() for p in self.plugins],
            "timings": self.timings,
            "notes": [str(n) for n in self.notes],
            **({"note_messages": [n.to_dict() if isinstance(n, Message) else None
                                  for n in self.notes]}
               if any(isinstance(n, Message) for n in self.notes) else {}),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


@dataclass(frozen=True, slots=True)
class GradeError:
    """A session a batch could not grade: where it is, what is known of it, and why."""

    path: str
    error: str
    meta: Mapping[str, str] = field(default_factory=dict)  # title/anchor/team when known

    @property
    def ok(self) -> bool:
        return False

    @property
    def partial(self) -> bool:
        return False

    @property
    def title(self) -> str:
        return str(self.meta.get("title", ""))

    @property
    def anchor(self) -> str:
        return str(self.meta.get("anchor", ""))

    @property
    def team(self) -> str:
        return str(self.meta.get("team", ""))

    @property
    def student_id(self) -> str:
        return str(self.meta.get("student_id", ""))

    @property
    def class_name(self) -> str:
        return str(self.meta.get("class", ""))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": ERROR_SCHEMA,
            "session": {"path": self.path, **self.meta},
            "status": "error",
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GradeError:
        session = dict(data.get("session") or {})
        path = str(session.pop("path", "") or "")
        return cls(path, str(data.get("error") or ""), {k: str(v) for k, v in session.items()})


#: One line of a batch's results: a scorecard, or why there is none.
Entry = Scorecard | GradeError


# --- reading ---------------------------------------------------------------------------


def is_grade_error(data: Any) -> bool:
    """Is this JSON document a batch's failed-grade row (``livelab.grade-error/…``)?"""
    if not isinstance(data, Mapping):
        return False
    schema = str(data.get("schema", ""))
    return (
        schema.startswith("livelab.grade-error/")
        or data.get("status") == "error"
        # the short form a class summary also takes: {"session": {"path": …}, "error": "…"}
        or (not schema and "error" in data and not data.get("criteria"))
    )


def read_scorecard(source: Path | str | Mapping[str, Any], where: str = "") -> Scorecard:
    """The scorecard in a JSON file, or a JSON document already parsed; validated and
    upgraded to the current version. Raises :class:`LivelabError` naming the file (and
    ``where``, e.g. a line of a .jsonl) and what is wrong."""
    entry = read_entry(source, where)
    if isinstance(entry, GradeError):
        origin = "scorecard" if isinstance(source, Mapping) else source
        raise LivelabError(
            [Problem(origin, _("is a failed grade of {path}, not a scorecard").format(
                path=entry.path), where)]
        )
    return entry


def read_entry(source: Path | str | Mapping[str, Any], where: str = "") -> Entry:
    """Like :func:`read_scorecard`, but a failed-grade row comes back as a :class:`GradeError`."""
    origin: Path | str = "scorecard"
    if isinstance(source, Mapping):
        data: Any = source
    else:
        origin = Path(source)
        try:
            data = json.loads(origin.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LivelabError([Problem(origin, _("scorecard file not found"))]) from None
        except OSError as exc:
            problem = Problem(origin, _("cannot be read: {why}").format(why=exc.strerror or exc))
            raise LivelabError([problem]) from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise LivelabError([Problem(origin, _("is not a JSON scorecard: {why}").format(
                why=exc))]) from None
    if is_grade_error(data):
        return GradeError.from_dict(data)
    schema = str(data.get("schema", "")) if isinstance(data, Mapping) else ""
    if not schema.startswith(SCHEMA_PREFIX):
        raise LivelabError(
            [Problem(origin, _("is not a livelab scorecard (no {schema}N schema)").format(
                schema=SCHEMA_PREFIX), where)]
        )
    version = schema.removeprefix(SCHEMA_PREFIX)
    if not version.isdigit() or int(version) not in VERSIONS:
        raise LivelabError(
            [Problem(origin, _(
                "has schema {schema}, which this livelab cannot read (it reads {known}): a "
                "newer livelab wrote it"
            ).format(schema=repr(schema),
                     known=", ".join(SCHEMA_PREFIX + str(v) for v in VERSIONS)), where)]
        )
    problems = _check(data)
    if problems:
        raise LivelabError([Problem(origin, p, where) for p in problems])
    try:
        return _parse(data, int(version))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        what = _("missing key {key}").format(key=exc) if isinstance(exc, KeyError) else str(exc)
        raise LivelabError([Problem(origin, _("is a malformed scorecard ({what})").format(
            what=what), where)]) from None


_SHAPES: dict[str, tuple[type, ...]] = {
    "session": (dict,),
    "total": (int, float),
    "max_total": (int, float),
    "criteria": (list,),
    "metrics": (dict,),
}


def _check(data: Mapping[str, Any]) -> list[str]:
    missing = [k for k in ("session", "criteria", "total", "max_total") if k not in data]
    if missing:
        return [f"scorecard lacks {', '.join(missing)}"]
    where = _not_finite(data)
    if where:  # livelab writes none (JSON has none): 1e400 reads back as infinity
        return [f"{where} is not a finite number"]
    return [
        f"{key} must be {' or '.join(t.__name__ for t in shapes)}, not {type(data[key]).__name__}"
        for key, shapes in _SHAPES.items()
        if key in data and (not isinstance(data[key], shapes) or isinstance(data[key], bool))
    ]


def _not_finite(value: Any, where: str = "") -> str:
    """The key path of the first number that is infinite or NaN, else ""."""
    if isinstance(value, float):
        return "" if math.isfinite(value) else (where or "a value")
    items = (value.items() if isinstance(value, Mapping)
             else enumerate(value) if isinstance(value, list) else ())  # fmt: skip
    for key, item in items:
        found = _not_finite(item, f"{where}[{key}]" if isinstance(key, int) else
                            f"{where}.{key}" if where else str(key))  # fmt: skip
        if found:
            return found
    return ""


def _parse(data: Mapping[str, Any], version: int) -> Scorecard:
    criteria = [CriterionResult.from_dict(c) for c in data.get("criteria") or []]
    metrics = {str(k): MetricEntry.from_dict(v) for k, v in (data.get("metrics") or {}).items()}
    if version == 1:
        _upgrade_v1(criteria, metrics)
    rubric = data.get("rubric")
    round_ = data.get("round")
    team = data.get("team")
    transcript = data.get("transcript")
    return Scorecard(
        schema=SCHEMA,
        livelab_version=str(data.get("livelab_version") or ""),
        created_at=str(data.get("created_at") or ""),
        session=SessionInfo.from_dict(data["session"]),
        rubric=RubricRef.from_dict(rubric) if rubric else None,
        total=float(data["total"]),
        max_total=float(data["max_total"]),
        scorable_weight=float(data.get("scorable_weight") or 0.0),
        scorable_fraction=float(data.get("scorable_fraction") or 0.0),
        percent=_percent_of(data),
        unscored=str(data.get("unscored") or "exclude"),
        criteria=criteria,
        fix_first=[str(c) for c in data.get("fix_first") or []],
        round=RoundResult.from_dict(round_) if round_ else None,
        roles={str(k): PointsShare.from_dict(v) for k, v in (data.get("roles") or {}).items()},
        team=TeamResult.from_dict(team) if team else None,
        sections={
            str(k): PointsShare.from_dict(v) for k, v in (data.get("sections") or {}).items()
        },
        judges=[JudgeEntry.from_dict(j) for j in data.get("judges") or []],
        review=Review.from_dict(data["review"]) if isinstance(data.get("review"), dict) else None,
        metrics=metrics,
        evidence=[Evidence.from_dict(e) for e in data.get("evidence") or []],
        highlights=[HighlightEntry.from_dict(h) for h in data.get("highlights") or []],
        series=[Series.from_dict(s) for s in data.get("series") or []],
        details=dict(data.get("details") or {}),
        transcript=Transcript.from_dict(transcript) if transcript else None,
        analyzers={
            str(k): AnalyzerStatus.from_dict(v) for k, v in (data.get("analyzers") or {}).items()
        },
        plugins=[PluginRef.from_dict(p) for p in data.get("plugins") or []],
        timings=dict(data.get("timings") or {}),
        notes=notes_from(data),
    )


def notes_from(data: Mapping[str, Any]) -> list[str | Message]:
    """The notes, each as the message beside it when there is one (else its text)."""
    notes: list[str | Message] = [str(n) for n in data.get("notes") or []]
    said = data.get("note_messages")
    for i, message in enumerate(said if isinstance(said, list) else []):
        if i < len(notes) and isinstance(message, Mapping):
            try:
                notes[i] = Message.from_dict(message)
            except (KeyError, TypeError, ValueError):
                pass  # a hand-edited message: its English text stays
    return notes


def _percent_of(data: Mapping[str, Any]) -> float | None:
    """The recorded percentage, or, for a scorecard written before there was one, the
    total against the weight that could be scored (what ``exclude`` gives)."""
    if "percent" in data:
        value = data["percent"]
        return None if value is None else float(value)
    total, weight = float(data.get("total") or 0.0), float(data.get("scorable_weight") or 0.0)
    if not data.get("rubric") or weight <= 0:
        return None
    return round(100 * total / weight, 2)


def _upgrade_v1(criteria: list[CriterionResult], metrics: dict[str, MetricEntry]) -> None:
    """Version 1 kept per-product values only in the rows of the criteria that scored
    them: give them back to the metric, so re-scoring a version-1 card scores them again
    (``planned`` is the plan the rubric applied)."""
    for c in criteria:
        entry = metrics.get(c.metric)
        if c.products and entry is not None and not entry.by_product:
            entry.by_product = {
                p.id: ItemValue(p.name, p.actual_s, p.planned_s) for p in c.products
            }


def read_results(path: Path) -> list[tuple[int, Entry]]:
    """``results.jsonl`` of a batch: (line number, scorecard or failed grade) per line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise LivelabError([Problem(path, _("cannot be read: {why}").format(why=exc))]) from None
    out: list[tuple[int, Entry]] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LivelabError([Problem(path, _("is not JSON: {why}").format(why=exc.msg),
                                        _("line {n}").format(n=n))]) from None
        if not isinstance(data, Mapping):
            raise LivelabError([Problem(path, _("is not a livelab scorecard"),
                                        _("line {n}").format(n=n))])
        try:
            out.append((n, read_entry(data, _("line {n}").format(n=n))))
        except LivelabError as exc:  # name the file, not "document"
            raise LivelabError([Problem(path, p.message, p.key) for p in exc.problems]) from None
    return out


def write_scorecard(scorecard: Scorecard, path: Path) -> None:
    from livelab.engine.cache import write_atomic

    write_atomic(path, scorecard.to_json() + "\n")


# --- building and scoring --------------------------------------------------------------


def build_scorecard(
    analysis: Analysis,
    rubric: Rubric | None,
    specs: Mapping[str, tuple[str, MetricSpec]],
    plugins: Sequence[Mapping[str, str]] | None = None,
) -> Scorecard:
    """Score ``analysis`` against ``rubric`` (a pure function of metrics and rubric)."""
    from livelab.engine.plugins import get_analyzers

    review = None
    machine: dict[str, float | None] = {}
    if "review" in analysis.session.files:  # a LivelabError names the file and the key
        from livelab.scoring.review import read_review

        path = analysis.session.files["review"]
        review = read_review(path)
        if review.facts:
            machine = _revise(analysis, review, path)
    found = [(n, r.findings) for n, r in analysis.runs.items() if r.findings is not None]
    end = analysis.duration_s
    timed = [Evidence.from_dict(e.to_dict()) for _, f in found for e in f.evidence]  # rounded
    inside = [_within(e, end) for e in timed if _starts_before(e.start_s, end)]
    evidence = sorted(
        inside, key=lambda e: (e.start_s is not None, e.start_s or 0.0, e.metric)
    )  # untimed first
    highlights = [
        HighlightEntry.from_dict(
            {**h.to_dict(), "end_s": min(h.end_s, end) if end > 0 else h.end_s, "analyzer": n}
        )
        for n, f in found
        for h in f.highlights
        if _starts_before(h.start_s, end)
    ]
    series = [_series_until(s, end) for _, f in found for s in f.series]
    notes = [*analysis.notes, *(w for _, f in found for w in f.warnings)]
    if dropped := len(timed) - len(inside):
        notes.append(M("after_end", "{n} finding(s) timed after the recording's end ({end}) "
                       "were left out", n=dropped, end=clock(end)))
    analyzers = get_analyzers()
    titles = {n: a.title for n, a in analyzers.items()}
    domains = {n: domain_of(a) for n, a in analyzers.items()}
    scorecard = Scorecard(
        livelab_version=package_version(),
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        session=SessionInfo.from_dict(
            {
                **analysis.session.metadata(),
                "duration_s": round(analysis.duration_s, 3),
                "partial": analysis.partial,
                "recording_sha256": analysis.recording_sha256,
            }
        ),
        metrics=_metrics(analysis, specs),
        evidence=evidence,
        highlights=sorted(highlights, key=lambda h: (h.start_s, h.end_s)),
        series=series,
        details={n: f.details for n, f in found if f.details},
        transcript=analysis.transcript,
        analyzers={
            n: AnalyzerStatus(r.version, r.status, r.reason, round(r.seconds, 3),
                              titles.get(n, ""), domains.get(n, ""))  # fmt: skip
            for n, r in sorted(analysis.runs.items())
        },
        plugins=[PluginRef.from_dict(p) for p in plugins or []],
        timings=analysis.timings,
        notes=notes,
    )
    scorecard.review = review
    if review is not None:
        from livelab.scoring.review import at_text

        for d in review.dismissed:  # a dismissal that names nothing must not look applied
            if not any(d.matches(e.metric, e.start_s) for e in scorecard.evidence):
                scorecard.notes.append(M(
                    "dismissal_unmatched", "{file}: the dismissal of {metric} at {at} matches "
                    "no finding; check the metric and the time in the template",
                    file=review.file, metric=d.metric, at=at_text(d.at_s)))
    for name, value in machine.items():
        if name in scorecard.metrics:
            scorecard.metrics[name].machine = value
    return apply_rubric(scorecard, rubric) if rubric else scorecard


def _revise(analysis: Analysis, review: Review, where: Path) -> dict[str, float | None]:
    """Let each analyzer apply the review's corrections of the facts it declared; the
    metrics whose value changed → the machine's value. ``analysis.runs`` gets the revised
    findings (the cache keeps the machine's)."""
    import dataclasses

    from livelab.engine.plugins import get_analyzers

    analyzers = get_analyzers()
    declared = {key: name for name, a in analyzers.items() for key in a.facts}
    unknown = sorted(set(review.facts) - set(declared))
    if unknown:
        known = ", ".join(sorted(declared)) or _("none")
        raise LivelabError([Problem(where, _("unknown fact (facts this session's analyzers "
                                             "correct: {known})").format(known=known),
                                    f"facts.{key}") for key in unknown])
    changed: dict[str, float | None] = {}
    for name, run in analysis.runs.items():
        analyzer = analyzers.get(name)
        if analyzer is None or run.findings is None:
            continue
        mine = {k: v for k, v in review.facts.items() if declared.get(k) == name}
        if not mine:
            continue
        before = run.findings
        after = analyzer.revise(Findings.from_dict(before.to_dict()), mine, where)
        for metric, value in before.metrics.items():
            if after.metrics.get(metric) != value:
                changed[metric] = round(value, 4)  # as the scorecard writes every value
        analysis.runs[name] = dataclasses.replace(run, findings=after)
    return changed


def _starts_before(start_s: float | None, end_s: float) -> bool:
    """Untimed, or timed before the end (an unknown end, 0, keeps everything)."""
    return start_s is None or end_s <= 0 or start_s < end_s


def _within(e: Evidence, end_s: float) -> Evidence:
    """``e`` with its end cut at the recording's end (an unanswered question's 60 s window
    or an ops row's minute may run past it)."""
    if e.end_s is None or end_s <= 0 or e.end_s <= end_s:
        return e
    return Evidence(e.start_s, end_s, e.metric, e.message)


def _series_until(series: Series, end_s: float) -> Series:
    """The points of ``series`` that start before the recording's end."""
    if end_s <= 0 or all(t < end_s for t in series.t):
        return series
    keep = [i for i, t in enumerate(series.t) if t < end_s]
    return Series(
        series.name,
        series.unit,
        tuple(series.t[i] for i in keep),
        tuple(series.values[i] for i in keep),
        series.title,
    )


def apply_rubric(
    scorecard: Scorecard,
    rubric: Rubric,
    judges: Sequence[JudgeEntry] | None = None,
) -> Scorecard:
    """(Re-)score ``scorecard`` in place against ``rubric``: criteria, totals, round
    penalty, roles, sections, judges. Pure: uses only the document's metrics, session and
    judges' scores (``judges``, else those it already records)."""
    judges = list(scorecard.judges if judges is None else judges)
    criteria = score_criteria(rubric, scorecard.metrics, judges)
    if scorecard.review is not None:
        review = scorecard.review
        check_review(review, rubric, review.file or "review")
        _corrected(criteria, scorecard.metrics, rubric)
        scorecard.notes = [n for n in scorecard.notes  # re-scored: said again if still true
                           if not (isinstance(n, Message) and n.kind == "review_other_rubric")]
        if applies_to(review, rubric):
            _apply_review(criteria, review, rubric)
        elif review.criteria:
            note = M("review_other_rubric", "{file} was written for rubric {written}: its "
                     "criteria are not applied under {rubric} (its comment, dismissals and "
                     "facts are)", file=review.file, written=review.rubric, rubric=rubric.id)
            if str(note) not in {str(n) for n in scorecard.notes}:
                scorecard.notes.append(note)
    max_total = sum(c.weight for c in criteria)
    scorable = sum(c.weight for c in criteria if c.scored)
    points = sum(c.points or 0.0 for c in criteria if c.scored)
    lost = sorted(
        (c for c in criteria if c.scored and c.weight - (c.points or 0.0) > 1e-9),
        key=lambda c: (c.points or 0.0) - c.weight,
    )
    session = scorecard.session
    round_ = (
        RoundResult.from_dict(rubric.round.assess(session.duration_s)) if rubric.round else None
    )
    penalty = round_.penalty if round_ else 0.0
    total = max(0.0, points - penalty)  # a penalty never takes the score below 0
    scorecard.rubric = RubricRef(rubric.id, rubric.title, str(rubric.path), rubric.sha256)
    scorecard.total = round(total, 3)
    scorecard.max_total = round(max_total, 3)
    scorecard.scorable_weight = round(scorable, 3)
    scorecard.scorable_fraction = round(scorable / max_total, 4) if max_total else 0.0
    scorecard.unscored = rubric.unscored
    out_of = max_total if rubric.unscored == "zero" else scorable
    scorecard.percent = round(100 * total / out_of, 2) if out_of > 0 and scorable > 0 else None
    scorecard.criteria = criteria
    scorecard.fix_first = [c.id for c in lost[:3]]
    scorecard.round = round_
    scorecard.roles = _roles(criteria, session)
    scorecard.team = TeamResult(
        session.team, round(points, 3), round(penalty, 3), round(total, 3), round(max_total, 3)
    )
    scorecard.sections = _sections(criteria, rubric.sections)
    scorecard.judges = judges
    return scorecard


def _corrected(criteria: list[CriterionResult], metrics: Mapping[str, MetricEntry],
               rubric: Rubric) -> None:
    """A criterion whose metric the review's facts corrected is adjusted too: it keeps
    what the machine's value would have scored."""
    by_id = {c.id: c for c in rubric.criteria}
    for row in criteria:
        m = metrics.get(row.metric)
        rule = by_id[row.id].rule
        if m is None or m.machine is None or isinstance(rule, ProductTime) or not row.scored:
            continue
        fraction = round(rule.fraction(m.machine), 4)
        row.review = {"comment": "", "adjusted": True, "facts": True,
                      "machine": {"status": "scored", "fraction": fraction,
                                  "points": round(fraction * row.weight, 3),
                                  "outcome": outcome_of(fraction), "value": m.machine}}


def _apply_review(criteria: list[CriterionResult], review: Review, rubric: Rubric) -> None:
    """The instructor's fractions replace the machine's (which each criterion keeps under
    ``review.machine``); a comment alone changes no score."""
    by_id = {c.id: c for c in rubric.criteria}
    for row in criteria:
        said = review.criteria.get(row.id)
        if said is None:
            continue
        corrected = row.review or {}  # the facts' correction, if any: its machine stays
        row.review = {**corrected, "comment": said.comment,
                      "adjusted": said.fraction is not None or bool(corrected.get("adjusted"))}
        if said.fraction is None:
            continue
        row.review.setdefault("machine", {"status": row.status, "fraction": row.fraction,
                                          "points": row.points, "outcome": row.outcome})
        fraction = round(said.fraction, 4)
        row.status = "scored"
        row.reason = ""
        row.fraction = fraction
        row.points = round(fraction * row.weight, 3)
        row.outcome = outcome_of(fraction)
        row.feedback = by_id[row.id].feedback_for(row.outcome, row.value, row.unit)


def _roles(criteria: list[CriterionResult], session: SessionInfo) -> dict[str, PointsShare]:
    """Per role: who played it (the manifest's ``roles``), points, maximum, criteria."""
    roles: dict[str, PointsShare] = {}
    for role in (*ROLES, SHARED_ROLE):
        mine = [c for c in criteria if (c.role or SHARED_ROLE) == role]
        if not mine:
            continue
        person = session.roles.get(role) or (session.anchor if role == "anchor" else "")
        roles[role] = _share_of(mine, person)
    return roles


def _sections(criteria: list[CriterionResult], order: list[str]) -> dict[str, PointsShare]:
    return {s: _share_of([c for c in criteria if c.section == s]) for s in order}


def _share_of(mine: list[CriterionResult], person: str | None = None) -> PointsShare:
    return PointsShare(
        round(sum(c.points or 0.0 for c in mine), 3),
        round(sum(c.weight for c in mine), 3),
        [c.id for c in mine],
        person,
        round(sum(c.weight for c in mine if c.scored), 3),
    )


def _metrics(
    analysis: Analysis, specs: Mapping[str, tuple[str, MetricSpec]]
) -> dict[str, MetricEntry]:
    out: dict[str, MetricEntry] = {}
    for name, (analyzer, spec) in sorted(specs.items()):
        run = analysis.runs.get(analyzer)
        if run is None:
            continue  # not planned: the rubric does not need it
        entry = MetricEntry(None, spec.unit, spec.better, spec.description, analyzer,
                            title=spec.title)  # fmt: skip
        findings = run.findings
        if findings is None:
            entry.reason = M("analyzer_status", "{analyzer} {status}: {reason}",
                             analyzer=analyzer, status=_STATUS.get(run.status, run.status),
                             reason=run.reason)
        else:
            entry.unit = findings.units.get(name, spec.unit)
            entry.by_product = dict(findings.by_product.get(name) or {})
            entry.missed = list(findings.missed.get(name) or [])
            entry.counted = list(findings.counted.get(name) or [])
            if name in findings.metrics:
                entry.value = round(findings.metrics[name], 4)
            else:
                entry.reason = findings.unmeasured.get(name) or M(
                    "not_reported", "{analyzer} did not report it", analyzer=analyzer
                )
        out[name] = entry
    return out


def score_criteria(
    rubric: Rubric,
    metrics: Mapping[str, MetricEntry],
    judges: Sequence[JudgeEntry] = (),
) -> list[CriterionResult]:
    """Score every criterion (pure). Per-product rules score the metric's ``by_product``
    values; ``judges``' scores are combined per the rubric."""
    by_criterion: dict[str, list[tuple[str, float]]] = {}
    for entry in judges:
        by_criterion.setdefault(entry.criterion, []).append((entry.judge, entry.fraction))
    return [_score_one(c, rubric, metrics, by_criterion.get(c.id, [])) for c in rubric.criteria]


def _score_one(
    c: Criterion,
    rubric: Rubric,
    metrics: Mapping[str, MetricEntry],
    judged: list[tuple[str, float]],
) -> CriterionResult:
    m = metrics.get(c.metric) if c.machine else None
    row = CriterionResult(
        id=c.id,
        title=c.title,
        metric=c.metric,
        role=c.role,
        section=c.section,
        judged=c.judged,
        weight=c.weight,
        value=m.value if m else None,
        unit=m.unit if m else "",
    )
    machine: float | None = None
    reason: str | Message = ""
    if not c.machine:
        reason = M("waiting_for_judges",
                   "waiting for the judges' scores (livelab judge merge)")  # fmt: skip
    elif m is None or m.value is None:
        reason = (m.reason if m else None) or M(
            "no_plugin", "no loaded plugin measured {metric}", metric=c.metric
        )
    elif isinstance(c.rule, ProductTime):
        if not m.by_product and not c.rule.allot_s:
            reason = M("no_product_values",
                       "{metric} has no per-product values to score each product's time",
                       metric=c.metric)  # fmt: skip
        else:
            row.products = product_time_rows(c.rule, m.by_product, c.weight)
            planned = [p.fraction for p in row.products if p.fraction is not None]
            if planned:
                machine = sum(planned) / len(planned)
            else:
                reason = M(
                    "no_planned_time",
                    "no product has a planned time (planned_minutes on the product card, "
                    "or allot_s / default_s in the rubric)",
                )
    else:
        machine = c.rule.fraction(m.value)
    fraction = machine
    if judged:
        mean, kept, dropped = rubric.judging.combine(judged)
        if machine is None:
            share = 1.0  # judges only, or the machine could not measure it
        else:
            share = rubric.judging.judge_share if c.judge_share is None else c.judge_share
        fraction = mean if machine is None else (1 - share) * machine + share * mean
        row.judging = JudgingResult(
            len(judged),
            round(mean, 4),
            kept,
            dropped,
            None if machine is None else round(machine, 4),
            share,
        )
        if not c.machine:
            row.value, row.unit = round(mean, 4), "ratio"
    if fraction is None:
        row.reason = reason
        row.feedback = c.feedback_for("unscored", None, row.unit)
        return row
    fraction = round(fraction, 4)
    row.status = "scored"
    row.fraction = fraction
    row.points = round(fraction * c.weight, 3)
    row.outcome = outcome_of(fraction)
    row.feedback = c.feedback_for(row.outcome, row.value, row.unit)
    if m is not None and m.missed and row.outcome != "pass":
        row.feedback = _with_missed(row.feedback, m.missed, rubric.language)
    return row


def _with_missed(feedback: str, missed: Sequence[str], language: str) -> str:
    """The feedback, then what was missed: "… Missed: Leak-proof lid, Dishwasher safe."."""
    shown = list(missed[:6]) + ([f"+{len(missed) - 6}"] if len(missed) > 6 else [])
    if language == "zh":
        return f"{feedback}遗漏：{'、'.join(shown)}。"
    return f"{feedback} Missed: {', '.join(shown)}.".strip()


def product_time_rows(
    rule: ProductTime, by_product: Mapping[str, ItemValue], weight: float
) -> list[ProductRow]:
    """One row per product: planned and actual seconds, fraction and points (the
    criterion's weight shared equally among products with a planned time)."""
    items = dict(by_product)
    for pid in rule.allot_s:  # allotted in the rubric but never presented: 0 s
        items.setdefault(pid, ItemValue(pid, 0.0, None))
    scored = []
    for pid, item in items.items():
        planned = rule.planned_for(pid, item.planned)
        fraction = None if planned is None else round(rule.score(planned, item.value), 4)
        scored.append((pid, item, planned, fraction))
    share = weight / max(1, sum(f is not None for *_, f in scored))
    return [
        ProductRow(
            pid,
            item.name or pid,
            planned,
            round(item.value, 3),
            fraction,
            None if fraction is None else round(fraction * share, 3),
        )
        for pid, item, planned, fraction in scored
    ]


# --- helpers ---------------------------------------------------------------------------


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _opt_dict(value: Any) -> dict[str, Any] | None:
    return None if value is None else dict(value)
