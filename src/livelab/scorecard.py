"""The scorecard: one versioned JSON document that every report and view renders."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from livelab.analysis import MetricSpec
from livelab.cache import write_atomic
from livelab.pipeline import Analysis
from livelab.rubric import Rubric, outcome_of

SCHEMA = "livelab.scorecard/1"


def build_scorecard(
    analysis: Analysis,
    rubric: Rubric | None,
    specs: Mapping[str, tuple[str, MetricSpec]],
    plugins: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Score ``analysis`` against ``rubric`` (a pure function of metrics and rubric)."""
    metrics = _metrics(analysis, specs)
    criteria = score_criteria(rubric, metrics) if rubric else []
    max_total = sum(c["weight"] for c in criteria)
    scorable = sum(c["weight"] for c in criteria if c["status"] == "scored")
    total = sum(c["points"] for c in criteria if c["status"] == "scored")
    lost = sorted(
        (c for c in criteria if c["status"] == "scored" and c["weight"] - c["points"] > 1e-9),
        key=lambda c: c["points"] - c["weight"],
    )
    evidence = sorted(
        (
            e.to_dict()
            for run in analysis.runs.values()
            if run.findings
            for e in run.findings.evidence
        ),
        key=lambda e: (e["start_s"] is not None, e["start_s"] or 0.0, e["metric"]),  # untimed first
    )
    return {
        "schema": SCHEMA,
        "livelab_version": _version(),
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "session": {**analysis.session.metadata(), "duration_s": round(analysis.duration_s, 3)},
        "rubric": (
            {
                "id": rubric.id,
                "title": rubric.title,
                "path": str(rubric.path),
                "sha256": rubric.sha256,
            }
            if rubric
            else None
        ),
        "total": round(total, 3),
        "max_total": round(max_total, 3),
        "scorable_weight": round(scorable, 3),
        "scorable_fraction": round(scorable / max_total, 4) if max_total else 0.0,
        "criteria": criteria,
        "fix_first": [c["id"] for c in lost[:3]],
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
    rubric: Rubric, metrics: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    rows = []
    for c in rubric.criteria:
        m = metrics.get(c.metric, {})
        value, unit = m.get("value"), m.get("unit", "")
        row: dict[str, Any] = {
            "id": c.id,
            "title": c.title,
            "metric": c.metric,
            "role": c.role,
            "weight": c.weight,
            "value": value,
            "unit": unit,
        }
        if value is None:
            reason = m.get("reason") or f"no loaded plugin measured {c.metric}"
            row.update(
                status="unscored",
                fraction=None,
                points=None,
                outcome="unscored",
                reason=reason,
                feedback=c.feedback_for("unscored", None, unit),
            )
        else:
            fraction = round(c.rule.fraction(value), 4)
            outcome = outcome_of(fraction)
            row.update(
                status="scored",
                fraction=fraction,
                points=round(fraction * c.weight, 3),
                outcome=outcome,
                reason="",
                feedback=c.feedback_for(outcome, value, unit),
            )
        rows.append(row)
    return rows


def write_scorecard(scorecard: Mapping[str, Any], path: Path) -> None:
    write_atomic(path, json.dumps(scorecard, ensure_ascii=False, indent=2) + "\n")


def _version() -> str:
    try:
        return importlib.metadata.version("livelab")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"
