"""One real run: the bundled sample session through the CLI, checked against its ground truth."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from livelab.cli import cli
from tests.conftest import SAMPLE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scorecard(tmp_path_factory):
    if not (SAMPLE / "session.toml").exists():
        pytest.fail(f"the sample session is missing: {SAMPLE}")
    root = tmp_path_factory.mktemp("e2e") / "demo_en"
    shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns(".livelab"))
    out = root.parent / "scorecard.json"
    result = CliRunner().invoke(
        cli, ["analyze", str(root), "--json", str(out), "--quiet"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    truth = json.loads((root / "ground_truth.json").read_text())
    return json.loads(out.read_text()), truth, root


def overlaps(evidence, metric, span, slack=0.6):
    return [
        e
        for e in evidence
        if e["metric"] == metric
        and e["start_s"] is not None
        and abs(e["start_s"] - span[0]) <= slack
        and abs(e["end_s"] - span[1]) <= slack
    ]


def test_scorecard_document(scorecard):
    sc, _truth, _root = scorecard
    assert sc["schema"] == "livelab.scorecard/2"
    assert sc["rubric"]["id"] == "anchor-basics-en" and len(sc["rubric"]["sha256"]) == 64
    assert sc["session"]["title"] == "AquaKeep bottle — rehearsal 1"
    assert sc["max_total"] == 100 and sc["scorable_fraction"] == 1.0
    assert all(c["status"] == "scored" for c in sc["criteria"])
    assert sc["total"] == pytest.approx(sum(c["points"] for c in sc["criteria"]))
    for name, metric in sc["metrics"].items():
        assert {"value", "unit"} <= set(metric), name
    assert {a["status"] for a in sc["analyzers"].values()} == {"ran"}
    assert sc["transcript"]["model"] == "tiny.en"


def test_findings_match_ground_truth(scorecard):
    sc, truth, _root = scorecard
    m = {k: v["value"] for k, v in sc["metrics"].items()}
    expected_rate = truth["speech_word_count"] / truth["duration_s"] * 60
    assert m["pace.rate_overall"] == pytest.approx(expected_rate, rel=0.05)
    assert sc["metrics"]["pace.rate_overall"]["unit"] == "wpm"
    assert m["pace.dead_air_count"] == 1
    assert overlaps(sc["evidence"], "pace.dead_air_count", truth["dead_air_s"])
    assert overlaps(sc["evidence"], "presence.face_visible_ratio", truth["off_camera_s"])
    off = truth["off_camera_s"][1] - truth["off_camera_s"][0]
    assert m["presence.face_visible_ratio"] == pytest.approx(
        1 - off / truth["duration_s"], abs=0.03
    )
    pace = sc["details"]["pace"]
    assert len(pace["filler_spans"]) == sum(pace["fillers"].values()) >= 2
    um_line = next(line for line in truth["lines"] if line["text"].startswith("Um,"))
    starts = [s for s, _e, _t in pace["filler_spans"]]
    assert any(um_line["start_s"] - 0.5 <= s <= um_line["end_s"] for s in starts)
    missed = sc["details"]["coverage"]["missed_selling_points"]
    assert [p["id"] for p in missed] == [truth["omitted_selling_point"]]
    assert any("never said" in e["message"] and e["start_s"] is None for e in sc["evidence"])
    # The two faults planted in the sample cost the most points.
    assert set(sc["fix_first"][:2]) == {"selling-points", "dead-air"}
    # The chat: 4 questions, "what colours does it come in?" (00:57) never answered.
    assert m["interaction.questions_answered_ratio"] == 0.75
    unanswered = [e for e in sc["evidence"] if e["metric"].startswith("interaction.")]
    assert [(e["start_s"], "colours" in e["message"]) for e in unanswered] == [(57.0, True)]


def test_second_analysis_is_cached_and_identical(scorecard):
    sc, _truth, root = scorecard
    result = CliRunner().invoke(
        cli, ["analyze", str(root), "--json", str(root / "again.json"), "-q"]
    )
    assert result.exit_code == 0
    again = json.loads((root / "again.json").read_text())
    assert {a["status"] for a in again["analyzers"].values()} == {"cached"}
    assert again["metrics"] == sc["metrics"] and again["total"] == sc["total"]


def test_rescoring_with_another_rubric_reuses_the_analysis(scorecard, tmp_path):
    _sc, _truth, root = scorecard
    rubric = tmp_path / "strict.yaml"
    rubric.write_text(
        "id: strict\ntitle: Strict\ncriteria:\n  - id: dead-air\n"
        "    metric: pace.dead_air_count\n    weight: 10\n"
        "    rule: {type: pass_fail, max: 0}\n"
    )
    out = tmp_path / "strict.json"
    result = CliRunner().invoke(
        cli, ["analyze", str(root), "-r", str(rubric), "--json", str(out), "-q"]
    )
    assert result.exit_code == 0
    strict = json.loads(out.read_text())
    assert (
        set(strict["analyzers"]) == {"pace"} and strict["analyzers"]["pace"]["status"] == "cached"
    )
    assert strict["total"] == 0 and strict["criteria"][0]["outcome"] == "fail"
