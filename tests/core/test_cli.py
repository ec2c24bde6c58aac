"""The command line: exit codes, one-line errors, fast --help."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from livelab.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_help_imports_nothing_heavy():
    code = (
        "import sys, livelab.cli; livelab.cli.cli(['--help'], standalone_mode=False); "
        "heavy = [m for m in ('numpy', 'cv2', 'av', 'faster_whisper', 'textual', 'rich') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("[]"), out.stdout


def test_missing_session_is_exit_2_with_one_line(tmp_path):
    result = run("analyze", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert (
        result.output.strip() == f"error: {tmp_path / 'nope'}: no such session folder or media file"
    )


def test_check_reports_every_problem_and_exit_code(tmp_path, grid_clip):
    good = run("check", str(grid_clip))
    assert good.exit_code == 0 and "ok:" in good.output
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "session.toml").write_text('recording = "../x.mp4"\nlanguage = "de"\n')
    result = run("check", str(bad), str(grid_clip))
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 2 and "Traceback" not in result.output
    assert any("language: must be one of en, zh" in e for e in errors)
    assert any("recording: '../x.mp4' points outside the session folder" in e for e in errors)


def test_usage_error_is_exit_2():
    assert run("analyze").exit_code == 2
    assert run("no-such-command").exit_code == 2


def test_rubric_commands(tmp_path):
    listed = run("rubric", "list")
    assert listed.exit_code == 0 and "anchor-basics-en" in listed.output
    shown = run("rubric", "show", "anchor-basics-en")
    assert shown.exit_code == 0 and "pace.rate_speaking" in shown.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: x\ntitle: X\ncriteria:\n  - id: a\n    metric: nope.metric\n    weight: 1\n"
        "    rule: {type: pass_fail, min: 1}\n"
    )
    result = run("rubric", "validate", str(bad))
    assert result.exit_code == 2
    assert (
        f"error: {bad}: criterion 'a': metric: no loaded plugin provides metric 'nope.metric'"
        in result.output
    )
    assert run("rubric", "show", "no-such-rubric").exit_code == 2


def test_analyze_with_unknown_rubric_metric_fails_before_analysis(tmp_path, grid_clip):
    bad = tmp_path / "r.yaml"
    bad.write_text(
        "id: x\ntitle: X\ncriteria:\n  - id: a\n    metric: nope.metric\n    weight: 1\n"
        "    rule: {type: pass_fail, min: 1}\n"
    )
    result = run("analyze", str(grid_clip), "--rubric", str(bad), "--quiet")
    assert (
        result.exit_code == 2 and "no loaded plugin provides metric 'nope.metric'" in result.output
    )
    assert not (grid_clip.parent / ".livelab").exists()  # nothing was analysed


def test_plugins_lists_analyzers_and_metrics():
    result = run("plugins")
    assert result.exit_code == 0
    for text in ("pace", "presence.face_visible_ratio", "ops.gmv", "coverage.selling_points_ratio"):
        assert text in result.output


def test_transcript_formats(grid_clip, tmp_path):
    out = tmp_path / "t.srt"
    result = run("transcript", str(grid_clip), "--format", "srt", "-o", str(out), "-q")
    assert result.exit_code == 0
    srt = out.read_text()
    assert srt.startswith("1\n00:00:0") and " --> " in srt
    vtt = run("transcript", str(grid_clip), "--format", "vtt")
    assert vtt.stdout.startswith("WEBVTT\n\n00:00:0")
    # A bare 3 s clip: its language is detected, unsure, and that is said on stderr.
    assert "analysed as en" in vtt.stderr
    data = json.loads(run("transcript", str(grid_clip), "--format", "json").stdout)
    words = [w for s in data["segments"] for w in s["words"]]
    # Six words are said from ~0.5 s to ~2.5 s (the GRID sentence); the recogniser may
    # merge some ("BIMBLU"), but the timed words must span the speech, in order.
    assert len(words) >= 3
    assert all(0 <= w[0] <= w[1] <= data["duration_s"] for w in words)
    assert [w[0] for w in words] == sorted(w[0] for w in words)
    assert words[0][0] < 1.0 and words[-1][1] > 2.0


def test_console_script_installed():
    exe = shutil.which("livelab") or shutil.which(
        "livelab", path=str(__import__("pathlib").Path(sys.executable).parent)
    )
    assert exe, "the livelab console script is not installed"
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True)
    assert "version" in out.stdout


def test_a_model_that_needs_the_network_is_one_line_and_exit_2_before_any_work(
    grid_clip, tmp_path, monkeypatch
):
    """Offline (the Hugging Face hub says so at once), `--model small` is a usage error for
    analyze and for grade, which then writes no gradebook; a misspelt name lists the names."""
    from livelab.builtin import whisper

    hub = pytest.importorskip("huggingface_hub.constants")
    # Offline and with an empty cache, whatever the machine (read when the hub is imported).
    monkeypatch.setattr(hub, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hub, "HF_HUB_CACHE", str(tmp_path / "hf"))
    whisper.named_model.cache_clear()
    analysed = run("analyze", str(grid_clip), "--model", "small", "-q")
    assert analysed.exit_code == 2
    (line,) = analysed.output.strip().splitlines()
    assert line.startswith("error: --model: 'small' is not downloaded and could not be fetched")
    out = tmp_path / "grades"
    graded = run("grade", str(grid_clip), "--out", str(out), "--model", "small")
    assert graded.exit_code == 2 and "'small' is not downloaded" in graded.output
    assert not (out / "gradebook.csv").exists()
    typo = run("analyze", str(grid_clip), "--model", "smal")
    assert typo.exit_code == 2 and "names: tiny.en, tiny" in typo.output
    whisper.named_model.cache_clear()
