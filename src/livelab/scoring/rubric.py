"""Rubrics: YAML criteria over metrics, and the pure scoring rules that grade them."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from livelab.api.errors import LivelabError, Problem, RubricError
from livelab.i18n import _
from livelab.inputs.yamlfile import load_yaml

RULE_TYPES = ("bands", "linear", "target", "pass_fail", "product_time")
OUTCOMES = ("pass", "partial", "fail", "unscored")
ROLES = ("anchor", "assistant", "operations", "selection", "traffic")
#: Metrics named ``judge.<anything>`` are entered by human judges, never measured.
JUDGE_PREFIX = "judge."


# --- scoring rules: each maps a measured value to a fraction in [0, 1] ---------------


@dataclass(frozen=True, slots=True)
class Band:
    score: float
    min: float = -math.inf  # inclusive
    max: float = math.inf  # exclusive


@dataclass(frozen=True, slots=True)
class Bands:
    """The first band with ``min <= value < max`` gives the fraction; no band gives 0."""

    bands: tuple[Band, ...]

    def fraction(self, value: float) -> float:
        for band in self.bands:
            if band.min <= value < band.max:
                return band.score
        return 0.0

    def describe(self) -> str:
        return _("bands {bands}").format(
            bands=_("; ").join(f"{_span(b.min, b.max)} → {b.score:g}" for b in self.bands))


@dataclass(frozen=True, slots=True)
class Linear:
    """0 at ``zero``, 1 at ``full``, straight in between, clamped (works either way round)."""

    zero: float
    full: float

    def fraction(self, value: float) -> float:
        return min(1.0, max(0.0, (value - self.zero) / (self.full - self.zero)))

    def describe(self) -> str:
        return _("linear: 0 at {zero} → full at {full}").format(zero=f"{self.zero:g}",
                                                              full=f"{self.full:g}")


@dataclass(frozen=True, slots=True)
class Target:
    """1 within ``target ± tolerance``, then falling linearly to 0 over ``falloff`` more."""

    target: float
    tolerance: float
    falloff: float

    def fraction(self, value: float) -> float:
        off = abs(value - self.target) - self.tolerance
        if off <= 0:
            return 1.0
        return max(0.0, 1.0 - off / self.falloff)

    def describe(self) -> str:
        reach = self.tolerance + self.falloff
        return _("target {target} ± {tolerance} (0 at ±{reach})").format(
            target=f"{self.target:g}", tolerance=f"{self.tolerance:g}", reach=f"{reach:g}")


@dataclass(frozen=True, slots=True)
class PassFail:
    """1 when ``min <= value <= max`` (either bound may be absent), else 0."""

    min: float = -math.inf
    max: float = math.inf

    def fraction(self, value: float) -> float:
        return 1.0 if self.min <= value <= self.max else 0.0

    def describe(self) -> str:
        if self.max == math.inf:
            return _("pass if value ≥ {min}").format(min=f"{self.min:g}")
        if self.min == -math.inf:
            return _("pass if value ≤ {max}").format(max=f"{self.max:g}")
        return _("pass if {min} ≤ value ≤ {max}").format(min=f"{self.min:g}", max=f"{self.max:g}")


@dataclass(frozen=True, slots=True)
class ProductTime:
    """Per-product time allotments, scored against a metric's per-product values (the
    seconds spent on each product, as its analyzer reports them in ``by_product``).

    Each product with a planned time (``allot_s`` here, else the product card's
    ``planned_minutes``, else ``default_s``) scores 1 within ``planned ± tolerance_s``,
    falling to 0 over ``falloff_s`` more; the criterion's fraction is their mean.
    """

    tolerance_s: float
    falloff_s: float
    allot_s: Mapping[str, float] = field(default_factory=dict)
    default_s: float | None = None

    def fraction(self, value: float) -> float:
        # Scored per product (see scorecard.product_time_rows): the metric alone (the
        # mean time) cannot say which product ran long.
        raise TypeError("a product_time rule scores each product's value, not one value")

    def planned_for(self, product_id: str, card_planned_s: float | None) -> float | None:
        if product_id in self.allot_s:
            return self.allot_s[product_id]
        return card_planned_s if card_planned_s else self.default_s

    def score(self, planned_s: float, actual_s: float) -> float:
        return Target(planned_s, self.tolerance_s, self.falloff_s).fraction(actual_s)

    def describe(self) -> str:
        return _("each product's time within its allotment ± {tolerance} s (0 at ±{reach} s); "
                 "mean over products").format(tolerance=f"{self.tolerance_s:g}",
                                              reach=f"{self.tolerance_s + self.falloff_s:g}")


@dataclass(frozen=True, slots=True)
class JudgedOnly:
    """No machine metric: the judges' trimmed-mean fraction is the criterion's fraction."""

    def fraction(self, value: float) -> float:
        return min(1.0, max(0.0, value))

    def describe(self) -> str:
        return _("scored by judges (livelab judge)")


Rule = Bands | Linear | Target | PassFail | ProductTime | JudgedOnly


def _span(lo: float, hi: float) -> str:
    if lo == -math.inf:
        return f"< {hi:g}"
    if hi == math.inf:
        return f"≥ {lo:g}"
    return _("{lo} to < {hi}").format(lo=f"{lo:g}", hi=f"{hi:g}")


# --- timed rounds, judging and tie-breaks: optional rubric sections ------------------


@dataclass(frozen=True, slots=True)
class Round:
    """A fixed round length: penalty points for running over or under it.

    Outside ``length_s ± tolerance_s``, each minute (pro rata, or each started minute
    with ``whole_minutes``) costs ``over_penalty_per_min`` / ``under_penalty_per_min``,
    capped at ``max_penalty``.
    """

    length_s: float
    tolerance_s: float = 0.0
    over_penalty_per_min: float = 0.0
    under_penalty_per_min: float = 0.0
    max_penalty: float = math.inf
    whole_minutes: bool = False

    def assess(self, actual_s: float) -> dict[str, Any]:
        over = max(0.0, actual_s - (self.length_s + self.tolerance_s))
        under = max(0.0, (self.length_s - self.tolerance_s) - actual_s)
        rate, off, word = (
            (self.over_penalty_per_min, over, "over")
            if over > 0
            else (self.under_penalty_per_min, under, "under")
        )
        minutes = math.ceil(off / 60 - 1e-9) if self.whole_minutes else off / 60
        penalty = min(self.max_penalty, rate * minutes) if off > 0 else 0.0
        if off > 0:
            reason = (
                f"{_mmss(off)} {word} the {_mmss(self.length_s)} round "
                f"(± {self.tolerance_s:g} s allowed): −{penalty:g} points"
            )
        else:
            reason = f"within the {_mmss(self.length_s)} round (± {self.tolerance_s:g} s)"
        return {
            "length_s": self.length_s,
            "tolerance_s": self.tolerance_s,
            "actual_s": round(actual_s, 3),
            "over_s": round(over, 3),
            "under_s": round(under, 3),
            "penalty": round(penalty, 3),
            "reason": reason,
        }


def _mmss(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def round_text(result: Any) -> str:
    """A scorecard's ``round`` (typed or its JSON) as the reader's language says it:
    "27:52 under the 30:00 round (± 60 s allowed): −10 points". Made from the numbers, so
    a scorecard scored in English reads in Chinese."""
    def get(key: str) -> float:
        value = result.get(key) if isinstance(result, dict) else getattr(result, key, 0.0)
        return float(value or 0.0)

    length, tolerance = _mmss(get("length_s")), f"{get('tolerance_s'):g}"
    over, under, penalty = get("over_s"), get("under_s"), get("penalty")
    if over > 0:
        return _("{off} over the {length} round (± {tolerance} s allowed): −{points} points"
                 ).format(off=_mmss(over), length=length, tolerance=tolerance,
                          points=f"{penalty:g}")
    if under > 0:
        return _("{off} under the {length} round (± {tolerance} s allowed): −{points} points"
                 ).format(off=_mmss(under), length=length, tolerance=tolerance,
                          points=f"{penalty:g}")
    return _("within the {length} round (± {tolerance} s)").format(length=length,
                                                                   tolerance=tolerance)


JUDGE_SCALES = ("points", "fraction")


@dataclass(frozen=True, slots=True)
class Judging:
    """How judges' scores are read and combined.

    ``scale``: judges enter 0–weight points, or a 0–1 fraction. With at least
    ``trim_from`` judges, the ``trim`` highest and ``trim`` lowest scores are dropped
    before averaging. ``judge_share`` weighs the judges against the machine on criteria
    that have both (judge-only criteria are 100% judges).
    """

    scale: str = "points"
    trim: int = 1
    trim_from: int = 3
    judge_share: float = 0.5

    def combine(self, scores: list[tuple[str, float]]) -> tuple[float, list[str], list[str]]:
        """(trimmed mean of fractions, judges kept, judges dropped) for one criterion."""
        ordered = sorted(scores, key=lambda js: (js[1], js[0]))
        cut = self.trim if len(ordered) >= max(self.trim_from, 2 * self.trim + 1) else 0
        kept = ordered[cut : len(ordered) - cut]
        dropped = ordered[:cut] + ordered[len(ordered) - cut :]
        mean = sum(f for _, f in kept) / len(kept)
        return mean, [j for j, _ in kept], [j for j, _ in dropped]


@dataclass(frozen=True, slots=True)
class TieBreak:
    """One tie-break: a criterion's or section's points (more wins) or a metric."""

    kind: str  # "criterion" | "section" | "metric"
    name: str
    better: str = "higher"  # for metrics: "" = the metric's own direction


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    title: str
    metric: str
    weight: float
    rule: Rule
    role: str = ""
    feedback: Mapping[str, str] = None  # type: ignore[assignment]
    section: str = ""
    judged: bool = False
    judge_share: float | None = None  # None: the rubric's judging.judge_share

    @property
    def machine(self) -> bool:
        """Does a plugin measure this criterion (as opposed to judges alone)?"""
        return not self.metric.startswith(JUDGE_PREFIX)

    def feedback_for(self, outcome: str, value: float | None, unit: str) -> str:
        template = (self.feedback or {}).get(outcome, "")
        return _format(template, value, unit)


#: The largest weight, length or penalty a rubric may give: sums of such numbers stay finite.
MAX_NUMBER = 1e6

#: How a rubric counts criteria that could not be scored (see :attr:`Rubric.unscored`).
UNSCORED = ("exclude", "zero")


@dataclass(frozen=True, slots=True)
class Rubric:
    id: str
    title: str
    language: str
    criteria: tuple[Criterion, ...]
    path: Path
    sha256: str
    description: str = ""
    source: str = ""
    round: Round | None = None
    judging: Judging = field(default_factory=Judging)
    tie_breaks: tuple[TieBreak, ...] = ()
    #: How criteria that could not be scored (no ops export, no audio) count: ``exclude``
    #: (the default: the percentage is of the weight that could be scored, so missing data
    #: costs nothing) or ``zero`` (they score 0, as a contest that requires the data may want).
    unscored: str = "exclude"

    @property
    def metrics(self) -> set[str]:
        """The metrics plugins must measure (judged-only criteria need none)."""
        return {c.metric for c in self.criteria if c.machine}

    @property
    def judged(self) -> tuple[Criterion, ...]:
        return tuple(c for c in self.criteria if c.judged)

    @property
    def sections(self) -> list[str]:
        return list(dict.fromkeys(c.section for c in self.criteria if c.section))

    @property
    def max_total(self) -> float:
        return sum(c.weight for c in self.criteria)


def outcome_of(fraction: float) -> str:
    if fraction >= 1.0 - 1e-9:
        return "pass"
    if fraction <= 1e-9:
        return "fail"
    return "partial"


def _format(template: str, value: float | None, unit: str) -> str:
    try:
        text = template.format_map(
            {"value": value if value is not None else float("nan"), "unit": unit}
        )
    except (ValueError, KeyError, IndexError, AttributeError, OverflowError):
        return template
    return text if len(text) <= MAX_FEEDBACK else text[:MAX_FEEDBACK] + "…"


#: A feedback line is a sentence: longer text is cut, and a template that asks for a field
#: wider than this is refused (``{value:>50000000}`` once made a 50 MB scorecard).
MAX_FEEDBACK = 1000
_MAX_FIELD = 40


def _template_problem(template: str) -> str:
    """Why a feedback template is refused ("" when it is fine): too long, a field other than
    {value} and {unit}, or a width or precision over 40."""
    import re
    import string

    if len(template) > MAX_FEEDBACK:
        return f"is {len(template)} characters long; keep it under {MAX_FEEDBACK}"
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"is not a valid template ({exc}); write {{{{ and }}}} for literal braces"
    for _text, name, spec, _conversion in fields:
        if name is None:
            continue
        if name not in ("value", "unit"):
            return f"uses {{{name}}}; only {{value}} and {{unit}} are filled in"
        if any(int(n) > _MAX_FIELD for n in re.findall(r"\d+", spec or "")):
            return f"asks for a {{{name}:{spec}}} field wider than {_MAX_FIELD} characters"
    return ""


# --- finding and loading rubrics -----------------------------------------------------


def shipped(relative: str) -> Path:
    """Data shipped with livelab: ``livelab/<relative>`` inside the wheel, or
    ``<relative>`` at the root of a checkout (rubric packs, the sample session)."""
    packaged = Path(str(resources.files("livelab"))) / relative
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parents[3] / relative


def builtin_rubrics_dir() -> Path:
    """Rubric packs shipped with livelab."""
    return shipped("rubrics")


def builtin_rubrics() -> dict[str, Path]:
    return {p.stem: p for p in sorted(builtin_rubrics_dir().glob("*.yaml"))}


DEFAULT_RUBRIC = "anchor-basics-en"


def find_rubric(name_or_path: str | Path | None, language: str = "en") -> Path:
    """A rubric file from a path or a built-in name; ``None`` picks the language's default."""
    if name_or_path is None:
        name_or_path = DEFAULT_RUBRIC if language == "en" else f"anchor-basics-{language}"
        if str(name_or_path) not in builtin_rubrics():
            name_or_path = DEFAULT_RUBRIC
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise RubricError([Problem(path, _("rubric file not found"))])
        return path
    packs = builtin_rubrics()
    if str(name_or_path) not in packs:
        known = ", ".join(packs) or _("none")
        raise RubricError([Problem(str(name_or_path), _("no such rubric (built-in: {known})")
                                   .format(known=known))])
    return packs[str(name_or_path)]


def load_rubric(path: Path, known_metrics: Iterable[str] | None = None) -> Rubric:
    """Load and validate a rubric; every problem is reported with file, criterion and key.

    With ``known_metrics``, a criterion naming a metric no loaded plugin provides is an error.
    """
    try:
        data, raw = load_yaml(path)
    except LivelabError as exc:
        raise RubricError(exc.problems) from None
    return _parse(path, raw, data, None if known_metrics is None else set(known_metrics))


def _parse(path: Path, raw: bytes, data: Any, known: set[str] | None) -> Rubric:
    problems: list[Problem] = []

    def bad(key: str, message: str, criterion: str = "") -> None:
        where = f"criterion {criterion!r}: {key}" if criterion else key
        problems.append(Problem(path, message, where))

    if not isinstance(data, dict):
        raise RubricError([Problem(path, "must be a YAML mapping with id, title and criteria")])
    allowed = {
        "id",
        "title",
        "language",
        "description",
        "source",
        "criteria",
        "round",
        "judging",
        "tie_breaks",
        "unscored",
    }
    for key in sorted(set(data) - allowed, key=str):
        bad(str(key), f"unknown key (allowed: {', '.join(sorted(allowed))})")
    for key in ("id", "title"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            bad(key, "is required and must be a non-empty string")
    language = data.get("language", "any")
    if language not in ("en", "zh", "any"):
        bad("language", f"must be en, zh or any, not {language!r}")
    unscored = data.get("unscored", "exclude")
    if unscored not in UNSCORED:
        bad("unscored", f"must be {' or '.join(UNSCORED)}, not {unscored!r}")
    items = data.get("criteria")
    if not isinstance(items, list) or not items:
        bad("criteria", "must be a non-empty list of criteria")
        items = []
    criteria: list[Criterion] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        crit = _parse_criterion(item, index, bad, known)
        if crit is None:
            continue
        if crit.id in seen:
            bad("id", "is used by another criterion; ids must be unique", crit.id)
        seen.add(crit.id)
        criteria.append(crit)
    round_ = _parse_round(data.get("round"), bad) if "round" in data else None
    judging = _parse_judging(data.get("judging"), bad) if "judging" in data else Judging()
    tie_breaks = _parse_tie_breaks(data.get("tie_breaks", []), criteria, bad, known)
    if problems:
        raise RubricError(problems)
    return Rubric(
        id=data["id"].strip(),
        title=data["title"].strip(),
        language=language,
        criteria=tuple(criteria),
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
        description=str(data.get("description", "")).strip(),
        source=str(data.get("source", "")).strip(),
        round=round_,
        judging=judging or Judging(),
        tie_breaks=tie_breaks,
        unscored=unscored,
    )


def _unknown_keys(raw: dict[Any, Any], allowed: set[str], where: str, bad: Any) -> None:
    for key in sorted(set(raw) - allowed, key=str):
        bad(f"{where}.{key}", f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _parse_round(raw: Any, bad: Any) -> Round | None:
    if not isinstance(raw, dict):
        bad("round", "must be a mapping with length_s and optional tolerance_s, penalties")
        return None
    numbers = {
        "length_s": None,
        "tolerance_s": 0.0,
        "over_penalty_per_min": 0.0,
        "under_penalty_per_min": 0.0,
        "max_penalty": math.inf,
    }
    _unknown_keys(raw, {*numbers, "whole_minutes"}, "round", bad)
    values: dict[str, float] = {}
    for key, default in numbers.items():
        value = raw.get(key, default)
        if value is None:
            bad(f"round.{key}", "is required (the round length in seconds)")
        elif not (_is_number(value) or (key == "max_penalty" and value == math.inf)) or value < 0:
            bad(f"round.{key}", f"must be a finite number of 0 or more, not {value!r}")
        elif value != math.inf and value > MAX_NUMBER:
            bad(f"round.{key}", f"must be at most {MAX_NUMBER:g}, not {value!r}")
        else:
            values[key] = float(value)
    if values.get("length_s") == 0:
        bad("round.length_s", "must be greater than 0")
    whole = raw.get("whole_minutes", False)
    if not isinstance(whole, bool):
        bad("round.whole_minutes", "must be true or false")
    if len(values) < len(numbers) or values["length_s"] == 0 or not isinstance(whole, bool):
        return None
    return Round(**values, whole_minutes=whole)


def _parse_judging(raw: Any, bad: Any) -> Judging | None:
    if not isinstance(raw, dict):
        bad("judging", "must be a mapping (scale, trim, trim_from, judge_share)")
        return None
    _unknown_keys(raw, {"scale", "trim", "trim_from", "judge_share"}, "judging", bad)
    base = Judging()
    scale = raw.get("scale", base.scale)
    trim = raw.get("trim", base.trim)
    trim_from = raw.get("trim_from", base.trim_from)
    share = raw.get("judge_share", base.judge_share)
    ok = True
    if scale not in JUDGE_SCALES:
        ok = False
        bad("judging.scale", f"must be one of {', '.join(JUDGE_SCALES)}, not {scale!r}")
    for key, value in (("trim", trim), ("trim_from", trim_from)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            ok = False
            bad(f"judging.{key}", f"must be a whole number of 0 or more, not {value!r}")
    if not _is_number(share) or not 0 <= share <= 1:
        ok = False
        bad("judging.judge_share", f"must be a number from 0 to 1, not {share!r}")
    return Judging(scale, trim, trim_from, float(share)) if ok else None


def _parse_tie_breaks(
    raw: Any, criteria: list[Criterion], bad: Any, known: set[str] | None
) -> tuple[TieBreak, ...]:
    if not isinstance(raw, list):
        bad("tie_breaks", "must be a list of criterion ids, section names or metric names")
        return ()
    ids = {c.id for c in criteria}
    sections = {c.section for c in criteria if c.section}
    out: list[TieBreak] = []
    for i, item in enumerate(raw):
        where = f"tie_breaks[{i}]"
        better = ""
        if isinstance(item, dict):
            _unknown_keys(item, {"criterion", "section", "metric", "better"}, where, bad)
            kinds = [k for k in ("criterion", "section", "metric") if k in item]
            better = item.get("better", "")
            if len(kinds) != 1 or not isinstance(item[kinds[0]], str):
                bad(where, "name exactly one of criterion, section or metric")
                continue
            if better not in ("", "higher", "lower"):
                bad(f"{where}.better", f"must be higher or lower, not {better!r}")
                continue
            kind, name = kinds[0], item[kinds[0]]
        elif isinstance(item, str):
            name = item
            kind = "criterion" if item in ids else "section" if item in sections else "metric"
        else:
            bad(where, "must be a criterion id, a section name or a metric name")
            continue
        if kind == "criterion" and name not in ids:
            bad(where, f"no criterion {name!r} in this rubric")
        elif kind == "section" and name not in sections:
            bad(where, f"no section {name!r} in this rubric")
        elif kind == "metric" and "." not in name:
            bad(where, f"{name!r} is not a criterion id, section or metric of this rubric")
        elif kind == "metric" and known is not None and name not in known:
            bad(where, f"no loaded plugin provides metric {name!r} (see `livelab plugins`)")
        else:
            # Points always count "more wins"; a metric's direction may be left to its spec.
            out.append(TieBreak(kind, name, better or ("higher" if kind != "metric" else "")))
    return tuple(out)


_CRITERION_KEYS = {
    "id",
    "title",
    "metric",
    "weight",
    "role",
    "rule",
    "feedback",
    "section",
    "judged",
    "judge_share",
}


def _parse_criterion(item: Any, index: int, bad: Any, known: set[str] | None) -> Criterion | None:
    if not isinstance(item, dict):
        bad(f"criteria[{index}]", "each criterion must be a mapping")
        return None
    cid = item.get("id")
    if not isinstance(cid, str) or not cid.strip():
        bad(f"criteria[{index}].id", "is required and must be a non-empty string")
        return None
    ok = True

    def fail(key: str, message: str) -> None:
        nonlocal ok
        ok = False
        bad(key, message, cid)

    for key in sorted(set(item) - _CRITERION_KEYS, key=str):
        fail(str(key), f"unknown key (allowed: {', '.join(sorted(_CRITERION_KEYS))})")
    judged = item.get("judged", False)
    if not isinstance(judged, bool):
        fail("judged", "must be true or false")
        judged = False
    # A judged criterion without a metric is judges-only: its metric is judge.<id>.
    metric = item.get("metric", f"{JUDGE_PREFIX}{cid.strip()}" if judged else None)
    if not isinstance(metric, str) or not metric.strip():
        fail("metric", "is required and must be a metric name such as pace.rate_speaking")
        metric = ""
    elif metric.startswith(JUDGE_PREFIX) and not judged:
        fail("metric", f"{metric!r} is entered by judges: add `judged: true`")
    elif known is not None and not metric.startswith(JUDGE_PREFIX) and metric not in known:
        fail("metric", f"no loaded plugin provides metric {metric!r} (see `livelab plugins`)")
    share = item.get("judge_share")
    if share is not None and (not judged or not _is_number(share) or not 0 <= share <= 1):
        fail("judge_share", "is a number from 0 to 1, and only for judged criteria")
        share = None
    section = item.get("section", "")
    if not isinstance(section, str):
        fail("section", "must be a section name")
        section = ""
    weight: Any = item.get("weight")
    if not _is_number(weight) or weight <= 0 or weight > MAX_NUMBER:
        fail("weight", f"must be a number greater than 0 and at most {MAX_NUMBER:g}")
    role = item.get("role", "")
    if role and role not in ROLES:
        fail("role", f"must be one of {', '.join(ROLES)}, not {role!r}")
    feedback = item.get("feedback", {})
    if not isinstance(feedback, dict) or not all(
        k in OUTCOMES and isinstance(v, str) for k, v in feedback.items()
    ):
        fail("feedback", f"must map outcomes ({', '.join(OUTCOMES)}) to texts")
        feedback = {}
    for outcome, template in dict(feedback).items():
        if problem := _template_problem(template):
            fail(f"feedback.{outcome}", problem)
            feedback.pop(outcome)
    rule: Rule | None
    if metric.startswith(JUDGE_PREFIX):
        if "rule" in item:
            fail("rule", "a judges-only criterion has no rule: the judges' score is the score")
        rule = JudgedOnly()
    else:
        rule = _parse_rule(item.get("rule"), fail)
    if not ok or rule is None:
        return None
    return Criterion(
        id=cid.strip(),
        title=str(item.get("title") or cid).strip(),
        metric=metric.strip(),
        weight=float(weight),
        rule=rule,
        role=role,
        feedback=dict(feedback),
        section=section.strip(),
        judged=judged,
        judge_share=None if share is None else float(share),
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _parse_rule(rule: Any, fail: Any) -> Rule | None:
    if not isinstance(rule, dict) or rule.get("type") not in RULE_TYPES:
        fail("rule.type", f"rule must be a mapping whose type is one of {', '.join(RULE_TYPES)}")
        return None
    kind = rule["type"]
    allowed = {
        "bands": {"bands"},
        "linear": {"zero", "full"},
        "target": {"target", "tolerance", "falloff"},
        "pass_fail": {"min", "max"},
        "product_time": {"tolerance_s", "falloff_s", "allot_s", "default_s"},
    }[kind] | {"type"}
    for key in sorted(set(rule) - allowed, key=str):
        # reported through fail(), which also marks the criterion invalid
        fail(
            f"rule.{key}", f"unknown key for a {kind} rule (allowed: {', '.join(sorted(allowed))})"
        )

    def number(key: str, *, default: float | None = None, positive: bool = False) -> float | None:
        value = rule.get(key, default)
        if value is None:
            fail(f"rule.{key}", f"is required for a {kind} rule")
            return None
        if not _is_number(value) and value not in (math.inf, -math.inf):
            fail(f"rule.{key}", f"must be a number, not {value!r}")
            return None
        if positive and value <= 0:
            fail(f"rule.{key}", "must be greater than 0")
            return None
        return float(value)

    if kind == "linear":
        zero, full = number("zero"), number("full")
        if zero is None or full is None:
            return None
        if zero == full:
            fail("rule.full", "must differ from rule.zero")
            return None
        return Linear(zero, full)
    if kind == "target":
        target, tol = number("target"), number("tolerance", default=0.0)
        falloff = number("falloff", positive=True)
        if target is None or tol is None or falloff is None:
            return None
        if tol < 0:
            fail("rule.tolerance", "must be 0 or more")
            return None
        return Target(target, tol, falloff)
    if kind == "product_time":
        tol = number("tolerance_s", default=0.0)
        falloff = number("falloff_s", positive=True)
        default = None if rule.get("default_s") is None else number("default_s", positive=True)
        allot = rule.get("allot_s", {})
        if not isinstance(allot, dict) or not all(
            isinstance(k, str) and _is_number(v) and v > 0 for k, v in allot.items()
        ):
            fail("rule.allot_s", "must map product ids to seconds greater than 0")
            return None
        if tol is None or falloff is None or tol < 0:
            if tol is not None and tol < 0:
                fail("rule.tolerance_s", "must be 0 or more")
            return None
        return ProductTime(tol, falloff, {k: float(v) for k, v in allot.items()}, default)
    if kind == "pass_fail":
        if "min" not in rule and "max" not in rule:
            fail("rule", "a pass_fail rule needs min, max or both")
            return None
        lo = number("min", default=-math.inf)
        hi = number("max", default=math.inf)
        if lo is None or hi is None:
            return None
        if lo > hi:
            fail("rule.min", "must not be greater than rule.max")
            return None
        return PassFail(lo, hi)
    bands_raw = rule.get("bands")
    if not isinstance(bands_raw, list) or not bands_raw:
        fail("rule.bands", "must be a non-empty list of {min, max, score}")
        return None
    bands: list[Band] = []
    for i, b in enumerate(bands_raw):
        if not isinstance(b, dict) or set(b) - {"min", "max", "score"} or "score" not in b:
            fail(f"rule.bands[{i}]", "each band is a mapping with score and optional min, max")
            return None
        lo, hi, score = b.get("min", -math.inf), b.get("max", math.inf), b["score"]
        if not all(_is_number(x) or x in (math.inf, -math.inf) for x in (lo, hi)) or lo >= hi:
            fail(f"rule.bands[{i}]", "min and max must be numbers with min < max")
            return None
        if not _is_number(score) or not 0 <= score <= 1:
            fail(f"rule.bands[{i}].score", "must be a number from 0 to 1")
            return None
        bands.append(Band(float(score), float(lo), float(hi)))
    return Bands(tuple(bands))
