"""The bad-input corpora through `livelab analyze` and `livelab grade`: one clear line, the
right exit code, no traceback, no partial output; a bad part of a session never stops its
other analyzers. The first corpus is broken files; the second (``build_hostile``) is what a
hostile or unlucky user did (issue 19): each of its cases once hung, exhausted memory, wrote
outside its folder or crashed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from livelab.cli import cli
from tests.bad_inputs.make_bad_inputs import build, build_hostile


def _both(out: Path) -> list:
    return build(out / "first") + build_hostile(out / "hostile")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict:
    cases = _both(tmp_path_factory.mktemp("bad_inputs"))
    return {c.name: c for c in cases}


def case_names() -> list[str]:
    # Build once into a throwaway folder just to learn the names (cheap: no analysis).
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        return [c.name for c in _both(Path(d))]


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
    assert bool(scorecard["session"].get("partial")) == case.partial, scorecard["session"]
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


def test_the_whole_corpus_in_one_grade_batch(corpus, tmp_path):
    """Through `livelab grade`: each bad session is an error row with its one-line reason,
    every other session is graded, and the batch finishes with exit code 1."""
    from livelab.reports.gradebook import read_gradebook

    cases = list(corpus.values())
    out = tmp_path / "grades"
    args = ["grade", *[str(c.path) for c in cases], "--out", str(out), "--all", "-q"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    rows = {row["path"]: row for row in read_gradebook(out / "gradebook.csv")}
    assert len(rows) == len(cases)
    for case in cases:
        row = next(r for p, r in rows.items()
                   if os.path.realpath(p) == os.path.realpath(case.path))
        if case.expect is None:
            wanted = "partial" if case.partial else "ok"
            assert row["status"] == wanted, (case.name, row["error"])
        else:
            assert row["status"] == "error" and case.expect in row["error"], (case.name, row)
            assert "\n" not in row["error"]
    assert len((out / "results.jsonl").read_text("utf-8").splitlines()) == len(cases)
    # A session folder named "summary" has its own report; the class summary stays.
    summary = (out / "summary.html").read_text("utf-8")
    assert summary.count('href="reports/') >= sum(c.expect is None for c in cases)
