"""The Mandarin sample session, run as a newcomer runs it (``livelab demo --lang zh``),
checked against its ground truth (sample_sessions/demo_zh/ground_truth.json)."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from livelab.builtin.whisper import to_simplified
from livelab.cli import cli
from tests.conftest import REPO

pytestmark = pytest.mark.slow
SAMPLE_ZH = REPO / "sample_sessions" / "demo_zh"


@pytest.fixture(scope="module")
def scorecard(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e-zh") / "demo_zh"
    shutil.copytree(SAMPLE_ZH, root, ignore=shutil.ignore_patterns(".livelab"))
    out = root.parent / "scorecard.json"
    result = CliRunner().invoke(
        cli, ["analyze", str(root), "--json", str(out), "--quiet"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    truth = json.loads((root / "ground_truth.json").read_text("utf-8"))
    return json.loads(out.read_text("utf-8")), truth


def _near(evidence, metric, span, slack=0.6):
    return [e for e in evidence if e["metric"] == metric and e["start_s"] is not None
            and abs(e["start_s"] - span[0]) <= slack and abs(e["end_s"] - span[1]) <= slack]


def test_the_mandarin_sample_is_scored_in_mandarin(scorecard):
    sc, _truth = scorecard
    assert sc["rubric"]["id"] == "anchor-basics-zh"
    assert sc["transcript"]["model"] == "base" and sc["transcript"]["language"] == "zh"
    assert sc["metrics"]["pace.rate_overall"]["unit"] == "cpm"
    assert sc["scorable_fraction"] == 1.0
    text = "".join(s["text"] for s in sc["transcript"]["segments"])
    assert text and to_simplified(text) == text  # Simplified only


def test_the_planted_mistakes_are_found(scorecard):
    sc, truth = scorecard
    m = {k: v["value"] for k, v in sc["metrics"].items()}
    # 字/分钟 counts what was said, digits included: within ±5 % of the script's hanzi.
    assert m["pace.rate_overall"] == pytest.approx(truth["rate_per_min_over_file"], rel=0.05)
    assert m["pace.dead_air_count"] == 1
    assert _near(sc["evidence"], "pace.dead_air_count", truth["dead_air_s"])
    assert _near(sc["evidence"], "presence.face_visible_ratio", truth["off_camera_s"])
    missed = sc["details"]["coverage"]["missed_selling_points"]
    assert [p["id"] for p in missed] == [truth["omitted_selling_point"]]
    flags = [e for e in sc["evidence"] if e["metric"] == "coverage.compliance_flags"]
    assert len(flags) == 1 and "全网最低" in flags[0]["message"]
    assert m["interaction.questions_answered_ratio"] == truth["questions_answered_ratio"]
    unanswered = [e for e in sc["evidence"] if e["metric"].startswith("interaction.")]
    assert len(unanswered) == 1 and truth["unanswered_question"] in unanswered[0]["message"]


def test_price_promotion_and_call_to_action_are_heard(scorecard):
    sc, _truth = scorecard
    assert sc["metrics"]["coverage.required_mentions_ratio"]["value"] == 1.0
    messages = " ".join(e["message"] for e in sc["evidence"])
    assert "¥69" in messages and "¥99" in messages  # price and original price
    assert "promotion" in messages and "call to action" in messages


def test_demo_command_runs_the_mandarin_sample(tmp_path, monkeypatch):
    import livelab.engine.runner

    root = tmp_path / "demo_zh"
    shutil.copytree(SAMPLE_ZH, root, ignore=shutil.ignore_patterns(".livelab"))
    monkeypatch.setattr(livelab.engine.runner, "sample_session", lambda language: root.parent /
                        f"demo_{language}")
    out = tmp_path / "demo.json"
    result = CliRunner().invoke(cli, ["demo", "--lang", "zh", "--json", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text("utf-8"))["session"]["language"] == "zh"


def test_the_terminal_scorecard_speaks_the_sessions_language(scorecard, tmp_path):
    """With no --lang, LIVELAB_LANG or locale, a Mandarin session's scorecard is in Chinese:
    no English words left outside the user's own data (rubric id, quotes), no English units.
    ``--lang en`` gives the same scorecard in English."""
    root = tmp_path / "demo_zh"  # the same content: analysed from the cache
    shutil.copytree(SAMPLE_ZH, root, ignore=shutil.ignore_patterns(".livelab"))
    runner = CliRunner()
    no_locale = {"LANG": "C", "LC_ALL": None, "LC_MESSAGES": None, "LANGUAGE": None,
                 "LIVELAB_LANG": None}
    zh = runner.invoke(cli, ["analyze", str(root)], env=no_locale)
    assert zh.exit_code == 0, zh.output
    for word in ("Total", "Fix these first", "Evidence", "unscored", "dead air", "never said",
                 "stated", "on air", "call to action", "off camera", "points", " cpm", " s)"):
        assert word not in zh.output, word
    for word in ("总分", "优先改进", "依据", "冷场（", "字/分钟", "主播", "引导下单"):
        assert word in zh.output, word
    en = runner.invoke(cli, ["--lang", "en", "analyze", str(root)], env=no_locale)
    assert en.exit_code == 0, en.output
    assert "Fix these first" in en.output and "dead air" in en.output
    # (the rubric's own feedback is Chinese either way: that is the rubric's text)
    assert "冷场（" not in en.output and " cpm" in en.output and "依据" not in en.output
