"""The types an analyzer plugin sees: what it declares, what it is given, what it returns."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from livelab.api.messages import Message
from livelab.api.messages import clock as clock  # re-exported: views import it from here

if TYPE_CHECKING:
    import numpy as np

    from livelab.api.audio import AudioTrack
    from livelab.api.media import VideoInfo
    from livelab.api.products import ProductsFile
    from livelab.api.session import Session
    from livelab.api.transcript import Transcript

#: Signals an analyzer may declare in ``needs``. The core provides each one or
#: explains why it could not (no audio track, no ops file in the manifest, …).
SIGNALS = frozenset({"audio", "transcript", "frames", "products", "ops", "chat"})

Better = Literal["higher", "lower", "target", "none"]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """A metric an analyzer produces. ``name`` is public interface: never rename one.
    ``title`` is how views label it ("Speaking rate"); without one they show ``name``."""

    name: str
    unit: str
    description: str
    better: Better = "higher"
    title: str = ""


@dataclass(frozen=True, slots=True)
class Evidence:
    """An observation behind a metric: "dead air 04:41–04:49". Something that has no time
    ("price never stated") has ``start_s`` and ``end_s`` of ``None``. ``message`` is a
    :class:`~livelab.api.messages.Message` (rendered in the reader's language) or plain text.
    In JSON, ``message`` is the English text; a Message adds ``kind``, ``template``,
    ``params`` and ``domain``."""

    start_s: float | None
    end_s: float | None
    metric: str
    message: str | Message

    @property
    def text(self) -> str:
        """The English text."""
        return str(self.message)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "start_s": None if self.start_s is None else round(self.start_s, 3),
            "end_s": None if self.end_s is None else round(self.end_s, 3),
            "metric": self.metric,
            "message": str(self.message),
        }
        if isinstance(self.message, Message):
            out.update(self.message.to_dict())
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        start, end = data["start_s"], data["end_s"]
        return cls(
            None if start is None else float(start),
            None if end is None else float(end),
            data["metric"],
            Message.from_dict(data) if "template" in data else data["message"],
        )


@dataclass(frozen=True, slots=True)
class Series:
    """A time series for charts (speaking rate per 30 s, face visible per sample, …).
    ``title`` is the chart's title ("Speaking rate"); without one, views show ``name``."""

    name: str
    unit: str
    t: tuple[float, ...]
    values: tuple[float | None, ...]
    title: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "unit": self.unit,
            "t": list(self.t),
            "values": list(self.values),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Series:
        return cls(
            data["name"],
            data["unit"],
            tuple(data["t"]),
            tuple(data["values"]),
            str(data.get("title") or ""),
        )


@dataclass(frozen=True, slots=True)
class Highlight:
    """A span of the recording a view marks in the transcript: a filler, a call to
    action, a banned claim. ``kind`` is a short stable key (``filler``, ``cta``) that
    views style by; ``label`` is what the legend says ("filler", "call to action")."""

    start_s: float
    end_s: float
    kind: str
    label: str
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "kind": self.kind,
            "label": self.label,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Highlight:
        return cls(
            float(data["start_s"]),
            float(data["end_s"]),
            str(data["kind"]),
            str(data["label"]),
            str(data.get("text") or ""),
        )


@dataclass(frozen=True, slots=True)
class ItemValue:
    """One product's share of a metric (time on this product): what a per-product rule
    scores and views tabulate. ``planned`` is the plan for it (the card's allotment)."""

    name: str
    value: float
    planned: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "planned": self.planned}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ItemValue:
        planned = data.get("planned")
        return cls(str(data["name"]), float(data["value"]),
                   None if planned is None else float(planned))


@dataclass(slots=True)
class Findings:
    """What one analyzer measured on one session.

    ``metrics`` holds the values it could measure; ``unmeasured`` names each metric it
    could not measure with the reason (a metric is in exactly one of the two).
    ``details`` is free-form JSON-serialisable data for reports (per-product tables, …).
    ``units`` overrides a metric's declared unit for this session (``wpm`` vs ``cpm``).
    ``highlights`` are the spans views mark in the transcript; ``by_product`` holds, per
    metric, each product's value (product id → :class:`ItemValue`), which per-product
    rubric rules score. ``warnings`` are what a reader of the scores must know about the
    inputs (rows after the recording's end, …): every view shows them. ``missed`` names,
    per metric, what it looked for and did not find, as a reader calls it ("Dishwasher
    safe"): the feedback of a criterion on that metric lists them. ``counted`` names, per
    count metric, what it counted, one entry per occurrence, as a reader calls it (the
    banned terms said: ["最", "第一", "最"]): a class's statistics add them up.
    """

    metrics: dict[str, float] = field(default_factory=dict)
    unmeasured: dict[str, str | Message] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    highlights: list[Highlight] = field(default_factory=list)
    by_product: dict[str, dict[str, ItemValue]] = field(default_factory=dict)
    warnings: list[str | Message] = field(default_factory=list)
    missed: dict[str, list[str]] = field(default_factory=dict)
    counted: dict[str, list[str]] = field(default_factory=dict)

    def set(
        self, name: str, value: float | None, reason: str | Message = "", unit: str = ""
    ) -> None:
        """Record ``value`` for ``name``; ``None`` or a non-finite value records ``reason``
        (a :class:`~livelab.api.messages.Message`, or text). ``unit`` overrides the metric's
        declared unit for this session."""
        if unit:
            self.units[name] = unit
        if value is None or not math.isfinite(float(value)):
            self.unmeasured[name] = reason or "could not be measured"
            self.metrics.pop(name, None)
        else:
            self.metrics[name] = float(value)
            self.unmeasured.pop(name, None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metrics": self.metrics,
            "unmeasured": {
                k: v.to_dict() if isinstance(v, Message) else v for k, v in self.unmeasured.items()
            },
            "evidence": [e.to_dict() for e in self.evidence],
            "series": [s.to_dict() for s in self.series],
            "details": self.details,
            "units": self.units,
            "highlights": [h.to_dict() for h in self.highlights],
            "by_product": {
                m: {pid: v.to_dict() for pid, v in items.items()}
                for m, items in self.by_product.items()
            },
            **({"warnings": [w.to_dict() if isinstance(w, Message) else w
                             for w in self.warnings]} if self.warnings else {}),
            **({"missed": {k: list(v) for k, v in self.missed.items()}} if self.missed else {}),
            **({"counted": {k: list(v) for k, v in self.counted.items()}}
               if self.counted else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Findings:
        return cls(
            metrics={k: float(v) for k, v in data["metrics"].items()},
            unmeasured={
                k: Message.from_dict(v) if isinstance(v, Mapping) else str(v)
                for k, v in data["unmeasured"].items()
            },
            evidence=[Evidence.from_dict(e) for e in data["evidence"]],
            series=[Series.from_dict(s) for s in data["series"]],
            details=dict(data["details"]),
            units=dict(data.get("units", {})),
            highlights=[Highlight.from_dict(h) for h in data.get("highlights", [])],
            by_product={
                m: {pid: ItemValue.from_dict(v) for pid, v in items.items()}
                for m, items in data.get("by_product", {}).items()
            },
            warnings=[Message.from_dict(w) if isinstance(w, Mapping) else str(w)
                      for w in data.get("warnings", [])],
            missed={str(k): [str(x) for x in v] for k, v in data.get("missed", {}).items()},
            counted={str(k): [str(x) for x in v] for k, v in data.get("counted", {}).items()},
        )


@dataclass(frozen=True, slots=True)
class FrameBatch:
    """Sampled, downscaled video frames handed to frame analyzers by the core.

    ``frames`` is ``(n, height, width, 3)`` uint8 BGR (OpenCV's order); ``times`` the
    presentation time of each frame in seconds; ``scale`` = analysed width / original width.
    """

    frames: np.ndarray
    times: np.ndarray
    scale: float


class FrameSink(Protocol):
    """Receives every sampled frame batch of one session's single video pass."""

    def feed(self, batch: FrameBatch) -> None: ...

    def finish(self, signals: Signals) -> Findings: ...


@dataclass(slots=True)
class Signals:
    """Everything the core decoded or located for one session; ``None`` when absent.

    ``products``: the session's product cards, read once by the core (``None`` when the
    session names no products file; ``products.valid()`` raises when the file is invalid).
    ``ops_formats``: every operations-export format the loaded plugins offer through the
    ``livelab_ops_formats`` hook (first of a name wins).
    """

    session: Session
    duration_s: float
    #: 16 kHz mono float32, as an :class:`~livelab.api.audio.AudioTrack` (read it in slices:
    #: ``audio[a:b]``; ``np.asarray(audio)`` holds all of it) or an array.
    audio: AudioTrack | np.ndarray | None = None
    transcript: Transcript | None = None
    video: VideoInfo | None = None
    products: ProductsFile | None = None
    ops_formats: tuple[OpsFormat, ...] = ()

    SAMPLE_RATE: ClassVar[int] = 16_000

    @property
    def language(self) -> str:
        return self.session.language

    def file(self, key: str) -> Path | None:
        """The validated path of a manifest file (``products``, ``ops``, ``chat``), if any."""
        return self.session.files.get(key)


class Analyzer:
    """Base class for analyzers. Subclasses set the class attributes and implement
    :meth:`analyze`, or — when ``"frames"`` is in ``needs`` — :meth:`frame_sink`.

    An analyzer never opens the video: the core decodes it once and feeds every frame
    analyzer the same sampled batches. Bump ``version`` whenever results would change,
    so cached findings are recomputed.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    needs: ClassVar[frozenset[str]]
    metrics: ClassVar[tuple[MetricSpec, ...]]
    #: How views head this analyzer's part of a report ("Speaking"); default: ``name``.
    title: ClassVar[str] = ""
    #: Session files (``products``, ``ops``, ``chat``) used when present but not required;
    #: they join the cache key when present. Read them with ``session.files.get(...)``.
    wants: ClassVar[frozenset[str]] = frozenset()
    #: The keys of an instructor's review ``facts`` table this analyzer corrects with
    #: :meth:`revise` (``selling_points``, ``calls_to_action``); empty: none.
    facts: ClassVar[frozenset[str]] = frozenset()

    def options(self) -> dict[str, Any]:
        """Settings that change the results; part of the cache key."""
        return {}

    def analyze(self, signals: Signals) -> Findings:
        raise NotImplementedError(f"analyzer {self.name!r} must implement analyze()")

    def revise(self, findings: Findings, facts: Mapping[str, Any], where: Path) -> Findings:
        """``findings`` as the instructor's review corrects them: ``facts`` holds the review
        file's entries for this analyzer's :attr:`facts` keys (``{"selling_points": {"said":
        [...], "not_said": [...]}}``). Return new findings (never change ``findings``: it is
        the cached analysis) with the metrics, evidence and ``missed`` recomputed; raise
        :class:`livelab.LivelabError` naming ``where`` (the review file), the key and the
        valid choices for an entry that names nothing this session has. Called every time
        the session is scored, from the cache. The default changes nothing."""
        return findings

    def fact_choices(self, details: Mapping[str, Any]) -> Mapping[str, Sequence[str]]:
        """What a review may correct, for the template ``livelab review`` writes: per
        :attr:`facts` key, one line per item (``"bottle/dishwasher-safe  # missed"``),
        from this analyzer's own ``details`` of the session. The default lists none."""
        return {}

    def check(self, signals: Signals) -> Sequence[str | Message]:
        """Validate the session files this analyzer reads, without analysing
        (``livelab check``): raise :class:`livelab.LivelabError` with the same problems
        :meth:`analyze` would raise, and return warnings (rows after the recording's end).
        ``signals`` holds the session, ``duration_s``, ``products`` and ``ops_formats``
        only: nothing is decoded or transcribed. The default checks nothing."""
        return []

    def frame_sink(
        self, video: VideoInfo, session: Session, products: ProductsFile | None = None
    ) -> FrameSink:
        """A sink for this session's frames. ``products`` is the session's product cards as
        :attr:`Signals.products` will be (``None`` without a products file)."""
        raise NotImplementedError(f"analyzer {self.name!r} must implement frame_sink()")


#: What a :class:`Cue` can be. ``product``: a product named; ``selling_point``, ``price``,
#: ``promotion``: that part of a product card said; ``cta``: a call to action (which also
#: answers "link?"); ``size``, ``shipping``: those questions answered.
CUE_KINDS = frozenset(
    {"product", "selling_point", "price", "promotion", "cta", "size", "shipping"}
)


@dataclass(frozen=True, slots=True)
class Cue:
    """Something the anchor said that an audience reacts to: a selling point, the price,
    a call to action… ``t`` is when the matched words start (seconds from the start of
    the recording); ``product`` is the product card's id when the cue is about one."""

    t: float
    kind: str
    product: str | None
    text: str


class CueDetector(Protocol):
    """Finds :class:`Cue` s in speech. The recorder's simulated audience calls it on each
    few seconds of speech as it is transcribed; analyzers call it on whole transcripts."""

    def detect(self, transcript: Transcript) -> list[Cue]: ...


@dataclass(frozen=True, slots=True)
class OpsFormat:
    """How to read one kind of operations export: source header → canonical column."""

    name: str
    description: str
    columns: Mapping[str, str]


class Reporter(Protocol):
    """Renders a scorecard (the JSON document, as a dict) to text."""

    name: str
    suffix: str
    description: str

    def render(self, scorecard: Mapping[str, Any]) -> str: ...


class Executor(Protocol):
    """Runs batch work (``local`` process pool, ``ray``, …).

    ``map`` calls ``fn(item, report)`` for every item with up to ``workers`` at once and
    yields ``(item, result_or_exception)`` as items finish. ``report(stage, fraction,
    message)`` reaches ``on_stage(item, stage, fraction, message)`` where the back-end
    supports it. Back-ends ignore ``options`` they do not know (e.g. ``address``).
    """

    name: str
    description: str

    def map(
        self, fn: Any, items: list[Any], workers: int, on_stage: Any = None, **options: Any
    ) -> Any: ...
