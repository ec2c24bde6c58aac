"""Batch grading: discovery, error rows, the gradebook, resuming, re-scoring, Ctrl-C, Ray."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from livelab.api.errors import LivelabError
from livelab.batch.grade import BatchOptions, discover, run_batch
from livelab.builtin.executors import LocalExecutor, RayExecutor, WorkerDied
from livelab.reports.gradebook import BOM, neutralise, read_gradebook
from tests.conftest import REPO

SAMPLE = REPO / "sample_sessions" / "demo_en"
EVIL = '=HYPERLINK("http://evil.example","click me")'

# An analyzer for the batch's failure paths, loaded through --plugins-dir: it sleeps
# $LIVELAB_TEST_SLOW seconds per session, and kills its worker process on a session titled
# "die" (a crash no Python exception handler can catch).
TEST_PLUGIN = """
import os, time
import livelab

class Hooks(livelab.Analyzer):
    name = "testhooks"
    version = "1"
    needs = frozenset()
    metrics = (livelab.MetricSpec("testhooks.ok", "", "test metric"),)

    def analyze(self, signals):
        if signals.session.title == "die":
            os._exit(3)
        time.sleep(float(os.environ.get("LIVELAB_TEST_SLOW", "0")))
        findings = livelab.Findings()
        findings.set("testhooks.ok", 1.0)
        return findings

@livelab.hookimpl
def livelab_analyzers():
    return [Hooks()]
"""


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["LIVELAB_HISTORY_DB"] = str(tmp_path / "history.sqlite3")
    env.update(extra)
    return env


def _livelab(*args: str, env: dict[str, str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "livelab.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        **kw,
    )


@pytest.fixture(scope="session")
def analysed_sample(tmp_path_factory) -> Path:
    """The sample session with every analyzer's findings cached in its .livelab/ (about
    25 s the first time, instant after), so copies of it re-score in under a second."""
    tmp = tmp_path_factory.mktemp("analyse")
    sample = tmp / SAMPLE.name  # a copy: tests never write into the checkout
    shutil.copytree(SAMPLE, sample, ignore=shutil.ignore_patterns(".livelab"))
    done = _livelab("analyze", str(sample), "--all", "-q", env=_env(tmp))
    assert done.returncode == 0, done.stderr
    return sample


def copy_session(sample: Path, dst: Path, **manifest: str) -> Path:
    """A pre-analysed copy of the sample (its cache comes along), with manifest changes."""
    shutil.copytree(sample, dst)
    if manifest:
        toml = dst / "session.toml"
        lines = [
            line
            for line in toml.read_text("utf-8").splitlines()
            if line.split("=")[0].strip() not in manifest
        ]
        head = [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in manifest.items()]
        toml.write_text("\n".join(head + lines) + "\n", "utf-8")
    return dst


@pytest.fixture
def history_db(tmp_path, monkeypatch) -> Path:
    db = tmp_path / "history.sqlite3"
    monkeypatch.setenv("LIVELAB_HISTORY_DB", str(db))
    return db


@pytest.fixture
def plugin_dir(tmp_path) -> Path:
    d = tmp_path / "plugins"
    d.mkdir()
    (d / "testhooks.py").write_text(TEST_PLUGIN)
    return d


@pytest.fixture
def mixed_class(tmp_path, analysed_sample) -> Path:
    """Two good sessions (one with a formula-injection anchor and a Chinese team), a
    zero-byte recording, an invalid manifest and a session that kills its worker."""
    cls = tmp_path / "class"
    cls.mkdir()
    copy_session(analysed_sample, cls / "a-good", student_id="2024001", **{"class": "电商2401"})
    copy_session(analysed_sample, cls / "b-evil", anchor=EVIL, team="王小明队",
                 student_id="2024001", **{"class": "电商2401"})  # a copied manifest
    (cls / "c-broken.mp4").write_bytes(b"")
    bad = cls / "d-bad-manifest"
    bad.mkdir()
    (bad / "session.toml").write_text('language = "de"\nrecording = "../../x.mp4"\n')
    copy_session(analysed_sample, cls / "e-dies", title="die")
    return cls


def test_one_bad_session_is_an_error_row_and_the_others_finish(tmp_path, mixed_class, plugin_dir):
    out = tmp_path / "out"
    done = _livelab(
        "--plugins-dir",
        str(plugin_dir),
        "grade",
        str(mixed_class),
        "--out",
        str(out),
        "--all",
        "--workers",
        "2",
        env=_env(tmp_path),
    )
    assert done.returncode == 1, done.stderr
    assert "3 of 5 failed" in done.stderr.splitlines()[-1]
    rows = {Path(r["path"]).name: r for r in read_gradebook(out / "gradebook.csv")}
    assert list(rows) == ["a-good", "b-evil", "c-broken.mp4", "d-bad-manifest", "e-dies"]
    assert rows["a-good"]["status"] == rows["b-evil"]["status"] == "ok"
    assert float(rows["a-good"]["total"]) > 50 and rows["a-good"]["speaking-rate"] != ""
    assert rows["c-broken.mp4"]["status"] == "error"
    assert "file is empty" in rows["c-broken.mp4"]["error"]
    assert "language: must be one of en, zh" in rows["d-bad-manifest"]["error"]
    assert "points outside the session folder" in rows["d-bad-manifest"]["error"]
    assert "worker process died" in rows["e-dies"]["error"]
    results = [json.loads(line) for line in (out / "results.jsonl").read_text("utf-8").splitlines()]
    assert [r.get("status", "ok") for r in results] == ["ok", "ok", "error", "error", "error"]
    assert results[0]["schema"] == "livelab.scorecard/2"
    assert results[0]["metrics"]["testhooks.ok"]["value"] == 1.0

    # Formula injection neutralised; BOM first; a Chinese name survives the round trip.
    raw = (out / "gradebook.csv").read_bytes()
    assert raw.startswith(BOM.encode("utf-8"))
    assert rows["b-evil"]["anchor"] == "'" + EVIL
    assert rows["b-evil"]["team"] == "王小明队"
    assert not [c for r in rows.values() for c in r.values() if c.startswith(("=", "+", "@"))]
    assert (rows["a-good"]["student_id"], rows["a-good"]["class"]) == ("2024001", "电商2401")
    assert ("note: student ID '2024001' is used by 2 different anchors in class '电商2401': "
            f"'Demo Student' ({mixed_class / 'a-good'}); {EVIL!r} ({mixed_class / 'b-evil'})"
            ) in done.stderr

    # gradebook.xlsx beside it: the same sessions in the same order, the same totals
    import openpyxl

    sheet = openpyxl.load_workbook(out / "gradebook.xlsx").worksheets[0]
    header = [c.value for c in sheet[1]]
    book = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert [r["Session"] for r in book] == [r["path"] for r in rows.values()]
    assert book[0]["Student ID"] == "2024001" and book[1]["Name"] == EVIL
    assert book[0]["Total"] == pytest.approx(float(rows["a-good"]["total"]), abs=0.01)
    assert [r["Status"] for r in book] == ["ok", "ok", "error", "error", "error"]
    stats = {r["criterion"]: r for r in read_gradebook(out / "class_stats.csv")}
    assert float(stats["total"]["mean"]) == pytest.approx(
        (float(rows["a-good"]["total"]) + float(rows["b-evil"]["total"])) / 2, abs=1e-3)

    # HTML (when livelab.reports.html is installed): a report per graded session, a linked summary.
    if (out / "summary.html").exists():
        reports = sorted(p.name for p in (out / "reports").iterdir())
        assert reports == ["1-demo-student.html", "2-hyperlink-http-evil-example-click-me.html"]
        assert 'href="reports/1-demo-student.html"' in (out / "summary.html").read_text("utf-8")


def test_neutralise_every_formula_start():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralise(f"{start}cmd") == f"'{start}cmd"
    assert neutralise("王小明") == "王小明" and neutralise("1.5") == "1.5"


def test_rerun_skips_unchanged_and_regrades_changed(tmp_path, analysed_sample, history_db):
    cls = tmp_path / "class"
    for name in ("s1", "s2", "s3"):
        copy_session(analysed_sample, cls / name)
    options = BatchOptions(out=tmp_path / "out", workers=2)
    first = run_batch([cls], options)
    assert (first.newly_graded, first.skipped, first.failed) == (3, 0, 0)
    again = run_batch([cls], options)
    assert (again.newly_graded, again.skipped) == (0, 3)
    assert [g.scorecard.total for g in again.graded] == [
        g.scorecard.total for g in first.graded
    ]
    # A changed input (new mtime) re-grades that session only.
    ops = cls / "s2" / "ops.csv"
    os.utime(ops, ns=(ops.stat().st_atime_ns, ops.stat().st_mtime_ns + 10**9))
    third = run_batch([cls], options)
    assert (third.newly_graded, third.skipped) == (1, 2)
    assert len(read_gradebook(tmp_path / "out" / "gradebook.csv")) == 3


def test_changed_rubric_rescores_everything_from_the_cache(tmp_path, analysed_sample, history_db):
    cls = tmp_path / "class"
    for name in ("s1", "s2"):
        copy_session(analysed_sample, cls / name)
    out = tmp_path / "out"
    run_batch([cls], BatchOptions(out=out, workers=1))
    rubric = tmp_path / "heavier.yaml"
    text = (REPO / "rubrics" / "anchor-basics-en.yaml").read_text("utf-8")
    rubric.write_text(
        text.replace("id: anchor-basics-en", "id: heavier-pace", 1).replace(
            "metric: pace.rate_speaking\n    weight: 10",
            "metric: pace.rate_speaking\n    weight: 30",
        )
    )
    regraded = run_batch([cls], BatchOptions(out=out, workers=1, rubric=str(rubric)))
    assert (regraded.newly_graded, regraded.skipped) == (2, 0)
    for g in regraded.graded:
        assert g.scorecard.rubric.id == "heavier-pace"
        assert g.scorecard.max_total == 120
        statuses = {a.status for a in g.scorecard.analyzers.values()}
        assert statuses <= {"cached", "not run"}, g.scorecard.analyzers
    lines = (out / "results.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line)["rubric"]["id"] for line in lines] == ["heavier-pace"] * 2


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_interrupt_keeps_finished_sessions_and_rerun_does_the_rest(
    tmp_path, analysed_sample, plugin_dir, sig
):
    cls = tmp_path / "class"
    for i in range(6):
        copy_session(analysed_sample, cls / f"s{i}")
    out = tmp_path / "out"
    env = _env(tmp_path, LIVELAB_TEST_SLOW="1.0")
    args = [sys.executable, "-m", "livelab.cli", "--plugins-dir", str(plugin_dir), "grade"]
    args += [str(cls), "--out", str(out), "--all", "--workers", "1"]
    # A shell without job control starts background commands with SIGINT ignored, and
    # Python then never raises KeyboardInterrupt: give the grade run a normal SIGINT, as a
    # terminal would (CI may run this suite in the background).
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    state = out / ".livelab-grade" / "state.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if state.exists() and len(json.loads(state.read_text())["sessions"]) >= 2:
            break
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(sig)
    _stdout, stderr = proc.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert proc.returncode == 130, stderr
        assert b"interrupted; finished results were kept" in stderr
    else:  # killed outright: nothing could be tidied, yet nothing written is corrupt
        assert proc.returncode == -signal.SIGKILL
    kept = read_gradebook(out / "gradebook.csv")
    assert 1 <= len(kept) < 6 and all(r["status"] == "ok" for r in kept)
    jsonl = (out / "results.jsonl").read_text("utf-8").splitlines()
    assert all(json.loads(line)["total"] > 0 for line in jsonl)
    # Each file is replaced atomically; a kill can land between the two replacements.
    assert abs(len(jsonl) - len(kept)) <= (sig == signal.SIGKILL)
    if sig == signal.SIGINT:
        assert not list(out.rglob("*.tmp")), "a half-written file was left behind"
    with sqlite3.connect(tmp_path / "history.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # The state is saved right after each session; a kill may land before the gradebook
    # is rewritten, so the state can be one session ahead of it — never behind.
    done = len(json.loads(state.read_text())["sessions"])
    assert len(kept) <= done <= len(kept) + (sig == signal.SIGKILL)
    assert len(jsonl) <= done

    rerun = _livelab("--plugins-dir", str(plugin_dir), *args[5:], env=_env(tmp_path))
    assert rerun.returncode == 0, rerun.stderr
    assert "graded 6 of 6 sessions" in rerun.stderr
    assert f"{done} unchanged (skipped)" in rerun.stderr
    assert len(read_gradebook(out / "gradebook.csv")) == 6


def test_discover_folders_globs_and_media(tmp_path, media_dir):
    cls = tmp_path / "class"
    (cls / "group1" / "alice").mkdir(parents=True)
    (cls / "group1" / "alice" / "session.toml").write_text('recording = "x.mp4"\n')
    (cls / "group1" / "alice" / "x.mp4").write_bytes(b"")  # not discovered on its own
    (cls / "group1" / ".livelab").mkdir()
    shutil.copy(media_dir / "both.mp4", cls / "group1" / "bob.mp4")
    (cls / "notes.txt").write_text("not a session")
    found = discover([cls])
    assert found == [cls / "group1" / "alice", cls / "group1" / "bob.mp4"]
    assert discover([str(cls / "group1" / "*")]) == found
    assert discover([cls / "group1" / "alice" / "session.toml", cls]) == [found[0], found[1]]
    with pytest.raises(LivelabError, match="no such session folder"):
        discover([tmp_path / "nope"])
    with pytest.raises(LivelabError, match="matches no files"):
        discover([str(tmp_path / "zz*")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(LivelabError, match="no sessions found"):
        discover([tmp_path / "empty"])


def test_bad_rubric_and_unknown_executor_are_usage_errors(tmp_path, analysed_sample):
    cls = tmp_path / "class"
    copy_session(analysed_sample, cls / "s1")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ncriteria: 3\n")
    done = _livelab(
        "grade", str(cls), "--out", str(tmp_path / "o"), "-r", str(bad), env=_env(tmp_path)
    )
    assert done.returncode == 2 and "bad.yaml" in done.stderr and "Traceback" not in done.stderr
    with pytest.raises(LivelabError, match="unknown executor 'nope'"):
        run_batch([cls], BatchOptions(out=tmp_path / "o", executor="nope"))


def _square_or_die(item: int, report) -> int:
    report("work", 0.5, f"item {item}")
    if item == 3:
        os._exit(1)
    return item * item


def test_local_executor_isolates_a_dying_worker():
    stages: list[tuple[int, str]] = []
    results = dict(
        LocalExecutor().map(
            _square_or_die, [1, 2, 3, 4, 5], 2, on_stage=lambda i, s, f, m: stages.append((i, m))
        )
    )
    assert {k: v for k, v in results.items() if k != 3} == {1: 1, 2: 4, 4: 16, 5: 25}
    assert isinstance(results[3], WorkerDied)
    assert (1, "item 1") in stages


def test_ray_executor_without_ray_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    with pytest.raises(LivelabError, match=r'pip install "livelab\[ray\]"'):
        list(RayExecutor().map(_square_or_die, [1], 1))


def test_ray_gives_the_same_results_as_local(tmp_path, analysed_sample, history_db):
    ray = pytest.importorskip(
        "ray", reason='Ray is not installed (pip install "livelab[ray]") — the ray executor'
    )
    cls = tmp_path / "class"
    for name in ("s1", "s2"):
        copy_session(analysed_sample, cls / name)
    local = run_batch([cls], BatchOptions(out=tmp_path / "local", workers=2))
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=100 * 1024 * 1024)
    try:
        remote = run_batch([cls], BatchOptions(out=tmp_path / "ray", executor="ray"))
    finally:
        ray.shutdown()
    assert remote.failed == 0 and len(remote.graded) == 2
    for a, b in zip(local.graded, remote.graded, strict=True):
        assert a.scorecard.total == b.scorecard.total
        assert a.scorecard.criteria == b.scorecard.criteria
        assert a.scorecard.metrics == b.scorecard.metrics


def test_a_second_grade_into_the_same_out_is_refused_while_the_first_runs(
    tmp_path, analysed_sample, plugin_dir
):
    """Two runs into one --out once both exited 0 while the last one's gradebook, results
    and state replaced the other's."""
    cls = tmp_path / "class"
    for i in range(3):
        copy_session(analysed_sample, cls / f"s{i}")
    out = tmp_path / "out"
    env = _env(tmp_path, LIVELAB_TEST_SLOW="1.0")
    args = [sys.executable, "-m", "livelab.cli", "--plugins-dir", str(plugin_dir), "grade",
            str(cls), "--out", str(out), "--all", "--workers", "1"]  # fmt: skip
    first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lock = out / ".livelab-grade" / "lock"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (lock.exists() and lock.read_text().strip()):
        assert first.poll() is None, first.communicate()
        time.sleep(0.05)
    second = _livelab("--plugins-dir", str(plugin_dir), *args[5:], env=env)
    assert second.returncode == 2, second.stderr
    assert f"error: {out}: another livelab grade (pid {first.pid}) is writing here" in (
        second.stderr
    )
    _out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert len(read_gradebook(out / "gradebook.csv")) == 3
    again = _livelab("--plugins-dir", str(plugin_dir), *args[5:], env=_env(tmp_path))
    assert again.returncode == 0, again.stderr  # the lock went with the first run
