"""Scoring rules at their boundaries, rubric validation, and scoring unmeasured metrics."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from livelab.api.errors import RubricError
from livelab.scoring.rubric import (
    Band,
    Bands,
    Linear,
    PassFail,
    Target,
    builtin_rubrics,
    load_rubric,
)
from livelab.scoring.scorecard import MetricEntry, score_criteria


def test_bands_min_inclusive_max_exclusive_first_match():
    rule = Bands((Band(1.0, max=1), Band(0.7, 1, 2), Band(0.4, 2, 4)))
    assert [rule.fraction(v) for v in (0, 0.999, 1, 1.5, 2, 3.999, 4, 100)] == [
        1.0,
        1.0,
        0.7,
        0.7,
        0.4,
        0.4,
        0.0,
        0.0,
    ]


def test_linear_clamps_and_works_both_ways():
    up = Linear(zero=0.4, full=0.8)
    assert up.fraction(0.4) == 0 and up.fraction(0.8) == 1
    assert up.fraction(0.6) == pytest.approx(0.5)
    assert up.fraction(0.0) == 0 and up.fraction(2.0) == 1
    down = Linear(zero=8, full=2)  # fewer fillers is better
    assert (
        down.fraction(8) == 0 and down.fraction(2) == 1 and down.fraction(5) == pytest.approx(0.5)
    )
    assert down.fraction(0) == 1 and down.fraction(20) == 0


def test_target_tolerance_edge_and_falloff_end():
    rule = Target(target=145, tolerance=25, falloff=40)
    assert rule.fraction(145) == 1 and rule.fraction(170) == 1 and rule.fraction(120) == 1
    assert rule.fraction(190) == pytest.approx(0.5) and rule.fraction(100) == pytest.approx(0.5)
    assert rule.fraction(210) == 0 and rule.fraction(80) == 0 and rule.fraction(1000) == 0


def test_pass_fail_bounds_inclusive():
    assert PassFail(max=0).fraction(0) == 1 and PassFail(max=0).fraction(0.5) == 0
    both = PassFail(min=1, max=3)
    assert [both.fraction(v) for v in (0.99, 1, 3, 3.01)] == [0, 1, 1, 0]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    return path


CRITERION = """
  - id: pace
    metric: x.rate
    weight: 10
    rule: {type: target, target: 150, tolerance: 20, falloff: 30}
    feedback: {pass: "good {value:.0f}", partial: "close {value:.0f} {unit}", fail: "off"}
"""


def test_valid_rubric_and_scoring(tmp_path):
    path = write(
        tmp_path,
        "id: r\ntitle: R\ncriteria:"
        + CRITERION
        + """
  - id: flags
    metric: x.flags
    weight: 5
    rule: {type: pass_fail, max: 0}
  - id: ops
    metric: x.gmv
    weight: 5
    rule: {type: linear, zero: 0, full: 100}
""",
    )
    rubric = load_rubric(path, known_metrics={"x.rate", "x.flags", "x.gmv"})
    assert rubric.max_total == 20 and len(rubric.sha256) == 64
    rows = score_criteria(
        rubric,
        {
            "x.rate": MetricEntry(185.0, "wpm", "target", "", "x"),
            "x.flags": MetricEntry(0.0, "count", "lower", "", "x"),
            "x.gmv": MetricEntry(None, "CNY", "higher", "", "x", "the session names no ops file"),
        },
    )
    pace, flags, ops = rows
    assert pace.fraction == pytest.approx(0.5) and pace.points == pytest.approx(5.0)
    assert pace.outcome == "partial" and pace.feedback == "close 185 wpm"
    assert flags.outcome == "pass" and flags.points == 5
    # unmeasured is unscored with the reason, never zero
    assert ops.status == "unscored" and ops.points is None
    assert str(ops.reason) == "the session names no ops file"


@pytest.mark.parametrize(
    "body, where, message",
    [
        ("id: r\ntitle: R\ncriteria: []\n", "criteria", "non-empty list"),
        (
            "id: r\ntitle: R\ncriteria:" + CRITERION.replace("weight: 10", "weight: -1"),
            "criterion 'pace': weight",
            "greater than 0",
        ),
        (
            "id: r\ntitle: R\ncriteria:" + CRITERION.replace("x.rate", "x.nope"),
            "criterion 'pace': metric",
            "no loaded plugin provides metric 'x.nope'",
        ),
        (
            "id: r\ntitle: R\ncriteria:" + CRITERION.replace("falloff: 30", "falloff: 0"),
            "criterion 'pace': rule.falloff",
            "greater than 0",
        ),
        (
            "id: r\ntitle: R\ncriteria:" + CRITERION.replace("type: target", "type: magic"),
            "criterion 'pace': rule.type",
            "one of bands, linear, target, pass_fail",
        ),
        (
            "id: r\ntitle: R\ncriteria:"
            + CRITERION.replace("weight: 10", "weight: 10\n    colour: red"),
            "criterion 'pace': colour",
            "unknown key",
        ),
        (
            "id: r\ntitle: R\ncriteria:" + CRITERION.replace("pass:", "great:"),
            "criterion 'pace': feedback",
            "must map outcomes",
        ),
        ("id: r\ntitle: R\ncriteria:" + CRITERION + CRITERION, "criterion 'pace': id", "unique"),
        ("title: R\ncriteria:" + CRITERION, "id", "is required"),
        ("a: &a [1, 2]\nb: *a\n", "", "aliases are not allowed"),
        ("id: [unclosed\n", "", "not valid YAML"),
    ],
)
def test_validation_errors_name_file_criterion_and_key(tmp_path, body, where, message):
    path = write(tmp_path, body)
    with pytest.raises(RubricError) as info:
        load_rubric(path, known_metrics={"x.rate"})
    text = str(info.value)
    assert text.startswith(f"{path}: {where}") and message in text, text


def test_bands_rule_validation(tmp_path):
    body = (
        "id: r\ntitle: R\ncriteria:\n  - id: b\n    metric: x.rate\n    weight: 1\n    rule:\n"
        "      type: bands\n      bands: [{min: 3, max: 1, score: 1}]\n"
    )
    with pytest.raises(
        RubricError, match=r"rule.bands\[0\]: min and max must be numbers with min < max"
    ):
        load_rubric(write(tmp_path, body))


def test_builtin_rubrics_parse():
    packs = builtin_rubrics()
    assert "anchor-basics-en" in packs
    for path in packs.values():
        rubric = load_rubric(path)
        assert rubric.criteria and math.isclose(
            rubric.max_total, sum(c.weight for c in rubric.criteria)
        )
