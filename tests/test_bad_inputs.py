"""The bad-input corpus through `livelab analyze`: one clear line, the right exit code, no
traceback, no partial output; a bad part of a session never stops its other analyzers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from livelab.cli import cli

from .bad_inputs.make_bad_inputs import build


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict:
    cases = build(tmp_path_factory.mktemp("bad_inputs"))
    return {c.name: c for c in cases}


def case_names() -> list[str]:
    # Build once into a throwaway folder just to learn the names (cheap: no analysis).
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        return [c.name for c in build(Path(d))]


@pytest.mark.parametrize("name", case_names())
def test_bad_input(corpus, name, tmp_path):
    case = corpus[name]
    out = tmp_path / "scorecard.json"
    result = CliRunner().invoke(cli, ["analyze", str(case.path), "--all", "--json", str(out)])
    assert "Traceback" not in result.output and result.exception is None or isinstance(
        result.exception, SystemExit
    ), result.output
    assert "\x1b" not in result.output  # no terminal control sequences from user data
    if case.expect is not None:
        assert result.exit_code == 2, result.output
        lines = [line for line in result.output.splitlines() if line.startswith("error:")]
        assert len(lines) == 1 and case.expect in lines[0], result.output
        assert str(case.path) in lines[0] or case.path.name in lines[0]
        assert not out.exists()  # nothing half-written
        return
    assert result.exit_code == 0, result.output
    scorecard = json.loads(out.read_text())
    runs = scorecard["analyzers"]
    if case.analyzer:
        assert case.expect_reason in runs[case.analyzer]["reason"], runs[case.analyzer]
        if case.expect_reason:
            assert runs[case.analyzer]["status"] in ("failed", "not run")
    # Analyzers that read the bad file fail with a reason naming it; no other analyzer fails.
    for name, run in runs.items():
        if run["status"] == "failed":
            assert case.analyzer and case.expect_reason in run["reason"], (name, run)
            assert "Error:" not in run["reason"], (name, run)  # a clear message, not a crash
