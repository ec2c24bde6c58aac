"""The scorecard: one versioned JSON document that every report and view renders."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from livelab.api.analysis import MetricSpec
from livelab.engine.cache import write_atomic
from livelab.engine.pipeline import Analysis
from livelab.scoring.rubric import ROLES, Criterion, ProductTime, Rubric, outcome_of

SCHEMA = "livelab.scorecard/1"


def build_scorecard(
    analysis: Analysis,
    rubric: Rubric | None,
    specs: Mapping[str, tuple[str, MetricSpec]],
    plugins: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Score ``analysis`` against ``rubric`` (a pure function of metrics and rubric)."""
    metrics = _metrics(analysis, specs)
    evidence = sorted(
        (
            e.to_dict()
            for run in analysis.runs.values()
            if run.findings
            for e in run.findings.evidence
        ),
        key=lambda e: (e["start_s"] is not None, e["start_s"] or 0.0, e["metric"]),  # untimed first
    )
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "livelab_version": _version(),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "session": {**analysis.session.metadata(), "duration_s": round(analysis.duration_s, 3)},
        "rubric": None,
        # filled by apply_rubric, here so the document's keys keep their order
        "total": 0.0,
        "max_total": 0.0,
        "scorable_weight": 0.0,
        "scorable_fraction": 0.0,
        "criteria": [],
        "fix_first": [],
        "round": None,
        "roles": {},
        "team": {},
        "sections": {},
        "judges": [],
        "metrics": metrics,
        "evidence": evidence,
        "series": [
            s.to_dict()
            for run in analysis.runs.values()
            if run.findings
            for s in run.findings.series
        ],
        "details": {
            n: r.findings.details
            for n, r in analysis.runs.items()
            if r.findings and r.findings.details
        },
        "transcript": analysis.transcript.to_dict() if analysis.transcript else None,
        "analyzers": {
            n: {
                "version": r.version,
                "status": r.status,
                "reason": r.reason,
                "seconds": round(r.seconds, 3),
            }
            for n, r in sorted(analysis.runs.items())
        },
        "plugins": plugins or [],
        "timings": analysis.timings,
        "notes": list(analysis.notes),
    }
    return apply_rubric(doc, rubric) if rubric else doc


def apply_rubric(
    scorecard: dict[str, Any],
    rubric: Rubric,
    judges: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """(Re-)score ``scorecard`` in place against ``rubric``: criteria, totals, round
    penalty, roles, sections, judges. Pure: uses only the document's metrics, details,
    session and judges' scores (``judges``, else those it already records)."""
    judges = list((scorecard.get("judges") or []) if judges is None else judges)
    criteria = score_criteria(
        rubric, scorecard.get("metrics") or {}, scorecard.get("details") or {}, judges
    )
    max_total = sum(c["weight"] for c in criteria)
    scorable = sum(c["weight"] for c in criteria if c["status"] == "scored")
    points = sum(c["points"] for c in criteria if c["status"] == "scored")
    lost = sorted(
        (c for c in criteria if c["status"] == "scored" and c["weight"] - c["points"] > 1e-9),
        key=lambda c: c["points"] - c["weight"],
    )
    session = scorecard.get("session") or {}
    round_ = rubric.round.assess(float(session.get("duration_s") or 0.0)) if rubric.round else None
    penalty = round_["penalty"] if round_ else 0.0
    total = max(0.0, points - penalty)  # a penalty never takes the score below 0
    scorecard.update(
        rubric={
            "id": rubric.id,
            "title": rubric.title,
            "path": str(rubric.path),
            "sha256": rubric.sha256,
        },
        total=round(total, 3),
        max_total=round(max_total, 3),
        scorable_weight=round(scorable, 3),
        scorable_fraction=round(scorable / max_total, 4) if max_total else 0.0,
        criteria=criteria,
        fix_first=[c["id"] for c in lost[:3]],
        round=round_,
        roles=_roles(criteria, session),
        team={
            "name": session.get("team", ""),
            "points": round(points, 3),
            "penalty": round(penalty, 3),
            "total": round(total, 3),
            "max": round(max_total, 3),
        },
        sections=_sections(criteria, rubric.sections),
        judges=judges,
    )
    return scorecard


#: Criteria without a role belong to the whole team.
SHARED_ROLE = "team"


def _roles(criteria: list[dict[str, Any]], session: Mapping[str, Any]) -> dict[str, Any]:
    """Per role: who played it (the manifest's ``roles``), points, maximum, criteria."""
    named = session.get("roles") or {}
    roles: dict[str, dict[str, Any]] = {}
    for role in (*ROLES, SHARED_ROLE):
        mine = [c for c in criteria if (c["role"] or SHARED_ROLE) == role]
        if not mine:
            continue
        person = named.get(role) or (session.get("anchor", "") if role == "anchor" else "")
        roles[role] = {
            "person": person,
            "points": round(sum(c["points"] or 0.0 for c in mine), 3),
            "max": round(sum(c["weight"] for c in mine), 3),
            "criteria": [c["id"] for c in mine],
        }
    return roles


def _sections(criteria: list[dict[str, Any]], order: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section in order:
        mine = [c for c in criteria if c.get("section") == section]
        out[section] = {
            "points": round(sum(c["points"] or 0.0 for c in mine), 3),
            "max": round(sum(c["weight"] for c in mine), 3),
            "criteria": [c["id"] for c in mine],
        }
    return out


def _metrics(
    analysis: Analysis, specs: Mapping[str, tuple[str, MetricSpec]]
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, (analyzer, spec) in sorted(specs.items()):
        run = analysis.runs.get(analyzer)
        if run is None:
            continue  # not planned: the rubric does not need it
        entry: dict[str, Any] = {
            "value": None,
            "unit": spec.unit,
            "better": spec.better,
            "description": spec.description,
            "analyzer": analyzer,
        }
        if run.findings is not None:
            entry["unit"] = run.findings.units.get(name, spec.unit)
        if run.findings is not None and name in run.findings.metrics:
            entry["value"] = round(run.findings.metrics[name], 4)
        elif run.findings is not None:
            entry["reason"] = run.findings.unmeasured.get(name, f"{analyzer} did not report it")
        else:
            entry["reason"] = f"{analyzer} {run.status}: {run.reason}"
        out[name] = entry
    return out


def score_criteria(
    rubric: Rubric,
    metrics: Mapping[str, Mapping[str, Any]],
    details: Mapping[str, Any] | None = None,
    judges: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """Score every criterion (pure). ``details`` feeds per-product time rules; ``judges``
    are ``{judge, criterion, score, fraction}`` entries, combined per the rubric."""
    by_criterion: dict[str, list[tuple[str, float]]] = {}
    for entry in judges:
        by_criterion.setdefault(entry["criterion"], []).append(
            (str(entry["judge"]), float(entry["fraction"]))
        )
    return [
        _score_one(c, rubric, metrics, details or {}, by_criterion.get(c.id, []))
        for c in rubric.criteria
    ]


def _score_one(
    c: Criterion,
    rubric: Rubric,
    metrics: Mapping[str, Mapping[str, Any]],
    details: Mapping[str, Any],
    judged: list[tuple[str, float]],
) -> dict[str, Any]:
    m = metrics.get(c.metric, {}) if c.machine else {}
    value, unit = m.get("value"), m.get("unit", "")
    row: dict[str, Any] = {
        "id": c.id,
        "title": c.title,
        "metric": c.metric,
        "role": c.role,
        "section": c.section,
        "judged": c.judged,
        "weight": c.weight,
        "value": value,
        "unit": unit,
    }
    machine: float | None = None
    reason = ""
    if not c.machine:
        reason = "waiting for the judges' scores (livelab judge merge)"
    elif value is None:
        reason = m.get("reason") or f"no loaded plugin measured {c.metric}"
    elif isinstance(c.rule, ProductTime):
        products = product_time_rows(c.rule, details, c.weight)
        row["products"] = products
        planned = [p for p in products if p["fraction"] is not None]
        if planned:
            machine = sum(p["fraction"] for p in planned) / len(planned)
        else:
            reason = (
                "no product has a planned time (planned_minutes on the product card, "
                "or allot_s / default_s in the rubric)"
            )
    else:
        machine = c.rule.fraction(value)
    fraction = machine
    if judged:
        mean, kept, dropped = rubric.judging.combine(judged)
        if machine is None:
            share = 1.0  # judges only, or the machine could not measure it
        else:
            share = rubric.judging.judge_share if c.judge_share is None else c.judge_share
        fraction = mean if machine is None else (1 - share) * machine + share * mean
        row["judging"] = {
            "judges": len(judged),
            "fraction": round(mean, 4),
            "kept": kept,
            "dropped": dropped,
            "machine_fraction": None if machine is None else round(machine, 4),
            "judge_share": share,
        }
        if not c.machine:
            row.update(value=round(mean, 4), unit="ratio")
    if fraction is None:
        row.update(
            status="unscored",
            fraction=None,
            points=None,
            outcome="unscored",
            reason=reason,
            feedback=c.feedback_for("unscored", None, unit),
        )
        return row
    fraction = round(fraction, 4)
    outcome = outcome_of(fraction)
    row.update(
        status="scored",
        fraction=fraction,
        points=round(fraction * c.weight, 3),
        outcome=outcome,
        reason="",
        feedback=c.feedback_for(outcome, row["value"], row["unit"]),
    )
    return row


def product_time_rows(
    rule: ProductTime, details: Mapping[str, Any], weight: float
) -> list[dict[str, Any]]:
    """One row per product: planned and actual seconds, fraction and points (the
    criterion's weight shared equally among products with a planned time)."""
    products = dict((details.get("coverage") or {}).get("products") or {})
    for pid in rule.allot_s:  # allotted in the rubric but never presented: 0 s
        products.setdefault(pid, {"name": pid, "time_s": 0.0, "planned_s": None})
    rows = []
    for pid, p in products.items():
        planned = rule.planned_for(pid, p.get("planned_s"))
        actual = float(p.get("time_s") or 0.0)
        fraction = None if planned is None else round(rule.score(planned, actual), 4)
        rows.append(
            {
                "id": pid,
                "name": p.get("name", pid),
                "planned_s": planned,
                "actual_s": round(actual, 3),
                "fraction": fraction,
            }
        )
    share = weight / max(1, sum(r["fraction"] is not None for r in rows))
    for r in rows:
        r["points"] = None if r["fraction"] is None else round(r["fraction"] * share, 3)
    return rows


def write_scorecard(scorecard: Mapping[str, Any], path: Path) -> None:
    write_atomic(path, json.dumps(scorecard, ensure_ascii=False, indent=2) + "\n")


def _version() -> str:
    try:
        return importlib.metadata.version("livelab")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"
