"""Rubrics: YAML criteria over metrics, and the pure scoring rules that grade them."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from livelab.errors import LivelabError, Problem, RubricError
from livelab.yamlfile import load_yaml

RULE_TYPES = ("bands", "linear", "target", "pass_fail")
OUTCOMES = ("pass", "partial", "fail", "unscored")
ROLES = ("anchor", "assistant", "operations", "selection")


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


@dataclass(frozen=True, slots=True)
class Linear:
    """0 at ``zero``, 1 at ``full``, straight in between, clamped (works either way round)."""

    zero: float
    full: float

    def fraction(self, value: float) -> float:
        return min(1.0, max(0.0, (value - self.zero) / (self.full - self.zero)))


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


@dataclass(frozen=True, slots=True)
class PassFail:
    """1 when ``min <= value <= max`` (either bound may be absent), else 0."""

    min: float = -math.inf
    max: float = math.inf

    def fraction(self, value: float) -> float:
        return 1.0 if self.min <= value <= self.max else 0.0


Rule = Bands | Linear | Target | PassFail


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    title: str
    metric: str
    weight: float
    rule: Rule
    role: str = ""
    feedback: Mapping[str, str] = None  # type: ignore[assignment]

    def feedback_for(self, outcome: str, value: float | None, unit: str) -> str:
        template = (self.feedback or {}).get(outcome, "")
        return _format(template, value, unit)


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

    @property
    def metrics(self) -> set[str]:
        return {c.metric for c in self.criteria}

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
        return template.format_map(
            {"value": value if value is not None else float("nan"), "unit": unit}
        )
    except (ValueError, KeyError, IndexError, AttributeError):
        return template


# --- finding and loading rubrics -----------------------------------------------------


def builtin_rubrics_dir() -> Path:
    """Rubric packs shipped with livelab (inside the wheel, or ``rubrics/`` in a checkout)."""
    packaged = Path(str(resources.files("livelab"))) / "rubrics"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rubrics"


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
            raise RubricError([Problem(path, "rubric file not found")])
        return path
    packs = builtin_rubrics()
    if str(name_or_path) not in packs:
        known = ", ".join(packs) or "none"
        raise RubricError([Problem(str(name_or_path), f"no such rubric (built-in: {known})")])
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
    allowed = {"id", "title", "language", "description", "source", "criteria"}
    for key in sorted(set(data) - allowed, key=str):
        bad(str(key), f"unknown key (allowed: {', '.join(sorted(allowed))})")
    for key in ("id", "title"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            bad(key, "is required and must be a non-empty string")
    language = data.get("language", "any")
    if language not in ("en", "zh", "any"):
        bad("language", f"must be en, zh or any, not {language!r}")
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
    )


_CRITERION_KEYS = {"id", "title", "metric", "weight", "role", "rule", "feedback"}


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
    metric = item.get("metric")
    if not isinstance(metric, str) or not metric.strip():
        fail("metric", "is required and must be a metric name such as pace.rate_speaking")
    elif known is not None and metric not in known:
        fail("metric", f"no loaded plugin provides metric {metric!r} (see `livelab plugins`)")
    weight = item.get("weight")
    if not _is_number(weight) or weight <= 0:
        fail("weight", "must be a number greater than 0")
    role = item.get("role", "")
    if role and role not in ROLES:
        fail("role", f"must be one of {', '.join(ROLES)}, not {role!r}")
    feedback = item.get("feedback", {})
    if not isinstance(feedback, dict) or not all(
        k in OUTCOMES and isinstance(v, str) for k, v in feedback.items()
    ):
        fail("feedback", f"must map outcomes ({', '.join(OUTCOMES)}) to texts")
        feedback = {}
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
