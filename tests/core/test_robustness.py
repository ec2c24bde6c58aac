"""Bad luck and hostile input that must not stop, falsify or damage anything: outputs that
are special files, and plugins that exit or raise KeyboardInterrupt (issue 19, first part)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from livelab.engine.cache import write_atomic
from tests.conftest import SAMPLE
from tests.core.test_batch import analysed_sample  # noqa: F401  (the pre-analysed sample)


def test_a_device_is_written_to_never_replaced(tmp_path: Path) -> None:
    """`--json /dev/null` as root once turned the machine's /dev/null into a plain file. A
    device node made in the temporary folder stands in for it (root only)."""
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    write_atomic(device, "discarded")
    assert stat.S_ISCHR(os.stat(device).st_mode)
    assert not list(tmp_path.glob(".null.*"))  # no temporary file left beside it


def test_a_fifo_gets_the_text_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    write_atomic(fifo, "hello\n")
    reader.join(timeout=10)
    assert got == ["hello\n"] and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_a_link_to_a_file_stays_a_link_and_a_folder_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_atomic(link, "new")
    assert link.is_symlink() and target.read_text() == "new"
    with pytest.raises(IsADirectoryError, match="is a folder"):
        write_atomic(tmp_path, "x")


EXITING_PLUGIN = '''
import os, sys, time
import livelab
from livelab import Analyzer, Findings, MetricSpec

class Rude(Analyzer):
    name = "rude"
    version = "1"
    needs = frozenset({"audio"})
    metrics = (MetricSpec("rude.x", "count", "x"),)

    def analyze(self, signals):
        what = signals.session.root.name
        if what == "exits":
            sys.exit(0)
        if what == "interrupts":
            raise KeyboardInterrupt
        if what == "hangs":
            while True:
                pass
        if what == "stuck":  # deaf to the time limit's exception: stopped from outside
            while True:
                try:
                    time.sleep(0.05)
                except BaseException:
                    pass
        f = Findings()
        f.set("rude.x", 1.0)
        return f

@livelab.hookimpl
def livelab_analyzers():
    return [Rude()]
'''


def _livelab(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIVELAB_HISTORY_DB": str(tmp / "history.sqlite3")}
    return subprocess.run([sys.executable, "-m", "livelab.cli", *args], capture_output=True,
                          text=True, env=env, timeout=600)  # fmt: skip


@pytest.fixture
def rude_plugin(tmp_path: Path) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "rude.py").write_text(EXITING_PLUGIN, encoding="utf-8")
    return folder


def test_a_plugin_that_exits_or_interrupts_costs_its_own_result_only(
    tmp_path: Path, rude_plugin: Path
) -> None:
    """sys.exit(0) in an analyzer once ended `grade` after the first session with exit 0; a
    KeyboardInterrupt gave exit 130 and an empty gradebook."""
    import shutil

    klass = tmp_path / "class"
    for name in ("exits", "interrupts", "fine"):
        shutil.copytree(SAMPLE, klass / name, ignore=shutil.ignore_patterns(".livelab"))
    out = tmp_path / "grades"
    done = _livelab("--plugins-dir", str(rude_plugin), "grade", str(klass), "--out", str(out),
                    "--rubric", "anchor-basics-en", tmp=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "graded 3 of 3 sessions" in done.stderr
    rows = [json.loads(x) for x in (out / "results.jsonl").read_text("utf-8").splitlines()]
    # The rubric does not use the plugin's metric, so it is not even run: the totals stand.
    assert all(r["total"] > 80 for r in rows)
    everything = _livelab("--plugins-dir", str(rude_plugin), "grade", str(klass), "--out",
                          str(tmp_path / "all"), "--all", tmp=tmp_path)  # fmt: skip
    assert everything.returncode == 0, everything.stderr
    rows = [json.loads(x) for x in (tmp_path / "all" / "results.jsonl").read_text().splitlines()]
    rude = {Path(r["session"]["path"]).parent.name: r["analyzers"]["rude"] for r in rows}
    assert rude["exits"]["status"] == "failed"
    assert "SystemExit: the plugin called sys.exit(0)" in rude["exits"]["reason"]
    assert rude["interrupts"]["status"] == "failed"
    assert "KeyboardInterrupt: raised by the plugin" in rude["interrupts"]["reason"]
    assert rude["fine"]["status"] == "ran"
    assert all(r["total"] > 80 for r in rows)  # the built-in results are all there


def test_a_plugin_that_hangs_is_stopped_at_the_time_limit(
    tmp_path: Path, rude_plugin: Path, analysed_sample: Path  # noqa: F811
) -> None:
    """An analyzer that never returns once kept a grade worker busy for good. Now an
    analyzer over the limit fails alone; a session deaf to the limit is stopped from
    outside and becomes an error row naming the stage; the batch goes on."""
    import shutil

    klass = tmp_path / "class"
    for name in ("hangs", "stuck", "fine"):
        shutil.copytree(analysed_sample, klass / name)  # cached: only the plugin runs
    out = tmp_path / "grades"
    done = _livelab("--plugins-dir", str(rude_plugin), "grade", str(klass), "--out", str(out),
                    "--all", "--timeout", "4", "-j", "2", tmp=tmp_path)  # fmt: skip
    assert done.returncode == 1, done.stderr  # one session failed
    assert "graded 2 of 3 sessions" in done.stderr
    lines = [json.loads(x) for x in (out / "results.jsonl").read_text("utf-8").splitlines()]
    rows = {Path(r["session"]["path"]).parent.name: r for r in lines if "error" not in r}
    assert set(rows) == {"hangs", "fine"}
    hung = rows["hangs"]["analyzers"]["rude"]
    assert hung["status"] == "failed" and "time limit of 4 s" in hung["reason"]
    assert rows["hangs"]["metrics"]["rude.x"]["value"] is None
    assert rows["hangs"]["total"] == pytest.approx(rows["fine"]["total"])  # the rest stand
    assert rows["fine"]["metrics"]["rude.x"]["value"] == 1.0
    import csv

    with (out / "gradebook.csv").open(encoding="utf-8-sig") as f:
        stuck = next(r for r in csv.DictReader(f) if r["path"].endswith("stuck"))
    assert "stopped after 14 s while analysing: rude" in stuck["error"]
    assert "time limit" in stuck["error"]

    # analyze: the same limit, and a watchdog for the session the limit cannot reach.
    hangs = _livelab("--plugins-dir", str(rude_plugin), "analyze", str(klass / "hangs"),
                     "--all", "--timeout", "3", "--json", str(tmp_path / "h.json"),
                     tmp=tmp_path)  # fmt: skip
    assert hangs.returncode == 0, hangs.stderr
    scorecard = json.loads((tmp_path / "h.json").read_text("utf-8"))
    assert scorecard["analyzers"]["rude"]["status"] == "failed"
    stuck_run = _livelab("--plugins-dir", str(rude_plugin), "analyze", str(klass / "stuck"),
                         "--all", "--timeout", "2", tmp=tmp_path)  # fmt: skip
    assert stuck_run.returncode == 2
    assert "stopped after 12 s while analysing: rude" in stuck_run.stderr


def test_a_plugin_that_exits_when_imported_is_reported_and_skipped(
    tmp_path: Path, analysed_sample: Path  # noqa: F811
) -> None:
    """Import failures once showed only in `livelab plugins`; a plugin's print landed in
    `livelab transcript`'s standard output."""
    import shutil

    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "bye.py").write_text("import sys\nsys.exit(3)\n", encoding="utf-8")
    (folder / "chatty.py").write_text("print('HELLO FROM A PLUGIN')\n", encoding="utf-8")
    listed = _livelab("--plugins-dir", str(folder), "plugins", tmp=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "bye" in listed.stdout + listed.stderr
    assert "sys.exit(3)" in listed.stdout + listed.stderr
    session = tmp_path / "s"
    shutil.copytree(analysed_sample, session)
    out = tmp_path / "sc.json"
    analysed = _livelab("--plugins-dir", str(folder), "analyze", str(session), "--json",
                        str(out), tmp=tmp_path)  # fmt: skip
    assert analysed.returncode == 0, analysed.stderr
    note = "plugin bye"
    assert note in " ".join(analysed.stdout.split())
    assert any(n.startswith(note) and "sys.exit(3)" in n
               for n in json.loads(out.read_text("utf-8"))["notes"])  # fmt: skip
    graded = _livelab("--plugins-dir", str(folder), "grade", str(session), "--out",
                      str(tmp_path / "g"), tmp=tmp_path)  # fmt: skip
    assert graded.returncode == 0 and f"note: {note}" in graded.stderr, graded.stderr
    said = _livelab("--plugins-dir", str(folder), "transcript", str(session), "--format",
                    "json", tmp=tmp_path)  # fmt: skip
    assert said.returncode == 0, said.stderr
    assert json.loads(said.stdout)["segments"]  # only the transcript on standard output
    assert "HELLO FROM A PLUGIN" in said.stderr
    piped = _livelab("--plugins-dir", str(folder), "analyze", str(session), "--format", "json",
                     tmp=tmp_path)  # fmt: skip
    assert json.loads(piped.stdout)["total"] > 0


def test_terminal_control_sequences_in_user_data_never_reach_the_terminal(
    tmp_path: Path,
    analysed_sample,  # noqa: F811
) -> None:
    """An OSC 2 title in session.toml and an OSC 52 (clipboard) chat line were printed raw by
    analyze and history."""
    import shutil

    from click.testing import CliRunner

    from livelab.cli import cli

    session = tmp_path / "s"
    shutil.copytree(analysed_sample, session)
    toml = session / "session.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('title = "', 'title = "\\u001b]2;pwned\\u0007', 1)
    text = text.replace('anchor = "', 'anchor = "\\u001b[31m', 1)
    toml.write_text(text, encoding="utf-8")
    with (session / "chat.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps({"t": 5, "user": "\x1b]52;c;SGVsbG8=\x07eve", "kind": "question",
                            "text": "how much\x1b[2J?"}) + "\n")  # fmt: skip
    db = tmp_path / "history.sqlite3"
    done = CliRunner().invoke(cli, ["analyze", str(session), "--all", "--db", str(db),
                                    "--json", str(tmp_path / "sc.json")])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "\x1b" not in done.output and "pwned" not in done.output
    assert "AquaKeep bottle" in done.output  # the rest of the title is kept
    sc = json.loads((tmp_path / "sc.json").read_text(encoding="utf-8"))
    assert "\x1b" not in json.dumps(sc, ensure_ascii=False)
    shown = CliRunner().invoke(cli, ["history", "--db", str(db)])
    assert shown.exit_code == 0 and "\x1b" not in shown.output and "Demo Student" in shown.output



# -- numbers that are not numbers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"round": {"length_s": float("inf")}}, "round.length_s: must be a finite number"),
        ({"weight": 1e308}, "weight: must be a number greater than 0 and at most 1e+06"),
        ({"feedback": {"pass": "{value:>50000000}"}}, "wider than 40 characters"),
        ({"feedback": {"pass": "{secret}"}}, "uses {secret}; only {value} and {unit}"),
    ],
    ids=["inf round", "huge weight", "huge field", "unknown field"],
)
def test_a_rubric_with_numbers_out_of_range_is_refused_naming_the_key(
    tmp_path: Path, change: dict, message: str
) -> None:
    import yaml

    from livelab.scoring.rubric import RubricError, load_rubric
    from tests.conftest import REPO

    data = yaml.safe_load((REPO / "rubrics" / "anchor-basics-en.yaml").read_text("utf-8"))
    if "round" in change:
        data.update(change)
    else:
        data["criteria"][0].update(change)
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RubricError, match=message.replace("{", r"\{").replace("}", r"\}")
                       .replace("+", r"\+")):  # fmt: skip
        load_rubric(path)


def test_a_plugins_nan_inf_and_numpy_values_are_unmeasured_or_plain(tmp_path: Path) -> None:
    """A NaN metric scored 0 and an inf one full marks; an np.int64 in the details crashed
    the cache write."""
    import numpy as np

    from livelab import Analyzer, Findings, MetricSpec
    from livelab.engine.pipeline import AnalysisOptions, analyze_session
    from livelab.inputs.session import load_session
    from tests.conftest import write_media

    class Odd(Analyzer):
        name = "odd"
        version = "1"
        needs = frozenset({"audio"})
        metrics = tuple(MetricSpec(f"odd.{k}", "count", k) for k in ("nan", "inf", "np", "ok"))

        def analyze(self, signals):  # noqa: ANN001, ANN201
            f = Findings()
            f.metrics.update({"odd.nan": float("nan"), "odd.inf": float("inf"),
                              "odd.np": np.float32(2.5), "odd.ok": 1.0})  # fmt: skip
            f.details["count"] = np.int64(3)
            f.details["array"] = np.arange(3)
            return f

    media = write_media(tmp_path / "a.mp4", seconds=1.0)
    run = analyze_session(load_session(media), [Odd()], AnalysisOptions()).runs["odd"]
    assert run.status == "ran", str(run.reason)
    f = run.findings
    assert f.metrics == {"odd.np": 2.5, "odd.ok": 1.0}
    assert "not a finite number" in str(f.unmeasured["odd.nan"])
    assert "not a finite number" in str(f.unmeasured["odd.inf"])
    assert f.details == {"count": 3, "array": [0, 1, 2]}
    again = analyze_session(load_session(media), [Odd()], AnalysisOptions()).runs["odd"]
    assert again.status == "cached" and again.findings.details == f.details


# -- symlinks -----------------------------------------------------------------------------------


def test_links_to_the_folder_itself_do_not_make_discovery_endless(tmp_path: Path) -> None:
    """Twenty `ln -s . lN` links once made session discovery never finish (8 took 7.7 s)."""
    import time

    from livelab.batch.grade import discover
    from tests.conftest import write_media

    klass = tmp_path / "class"
    (klass / "alice").mkdir(parents=True)
    write_media(klass / "alice" / "take.mp4", seconds=0.5)
    for i in range(20):
        (klass / f"l{i}").symlink_to(".")
    (klass / "self.mp4").symlink_to("self.mp4")
    started = time.perf_counter()
    found = discover([klass])
    assert time.perf_counter() - started < 5
    assert [p.name for p in found] == ["take.mp4"]


def test_a_recording_that_links_to_itself_is_one_clear_error_not_a_traceback(
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    from livelab.cli import cli

    bad = tmp_path / "class" / "loop"
    bad.mkdir(parents=True)
    (bad / "loop.mp4").symlink_to("loop.mp4")
    (bad / "session.toml").write_text('recording = "loop.mp4"\n', encoding="utf-8")
    checked = CliRunner().invoke(cli, ["check", str(bad)])
    assert checked.exit_code == 2 and "Traceback" not in checked.output
    assert "recording: 'loop.mp4' is a symlink loop" in checked.output


# -- a submitted folder's cache is untrusted -------------------------------------------------


def test_an_edited_or_foreign_cache_is_never_trusted(
    tmp_path: Path,
    analysed_sample,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Editing .livelab/findings/ops@*.json to "ops.gmv": 1e6 once gave full marks as
    "cached", even with --force; a cache written on another machine was trusted too."""
    import shutil

    from livelab.engine.runner import Job, score_session

    session = tmp_path / "s"
    shutil.copytree(analysed_sample, session)  # sealed by this run's key: all cached
    first = score_session(Job(session, run_all=True))
    assert {a.status for a in first.analyzers.values()} == {"cached"}
    real_gmv = first.metrics["ops.gmv"].value
    (ops,) = (session / ".livelab" / "findings").glob("ops@*.json")
    forged = json.loads(ops.read_text(encoding="utf-8"))
    forged["findings"]["metrics"]["ops.gmv"] = 1e6
    ops.write_text(json.dumps(forged), encoding="utf-8")
    again = score_session(Job(session, run_all=True))
    assert again.analyzers["ops"].status == "ran"  # recomputed, not the forged value
    assert again.metrics["ops.gmv"].value == real_gmv
    # Another machine's key: nothing it wrote is reused.
    monkeypatch.setenv("LIVELAB_KEY_FILE", str(tmp_path / "other.key"))
    elsewhere = score_session(Job(session, rubric="anchor-basics-en"))
    assert "cached" not in {a.status for a in elsewhere.analyzers.values()}
    assert elsewhere.total == pytest.approx(first.total, abs=0.5)  # the same recording


def test_a_short_video_track_with_long_audio_is_as_long_as_its_audio(tmp_path: Path) -> None:
    """A 3 s video track with 90 s of speech was taken as 3 s long: 4240 words per minute."""
    from livelab import Analyzer, Findings, MetricSpec
    from livelab.engine.pipeline import AnalysisOptions, analyze_session
    from livelab.inputs.session import load_session
    from livelab.media.decode import probe
    from tests.conftest import write_media

    class Length(Analyzer):
        name = "length"
        version = "1"
        needs = frozenset({"audio"})
        metrics = (MetricSpec("length.s", "s", "what the analyzers are told"),)

        def analyze(self, signals):  # noqa: ANN001, ANN201
            f = Findings()
            f.set("length.s", signals.duration_s)
            f.details["audio_s"] = len(signals.audio) / signals.SAMPLE_RATE
            return f

    media = write_media(tmp_path / "short_video.mp4", seconds=3.0, audio_seconds=20.0)
    assert probe(media).duration_s == pytest.approx(20.0, abs=0.1)
    analysis = analyze_session(load_session(media), [Length()], AnalysisOptions(use_cache=False))
    run = analysis.runs["length"]
    assert analysis.duration_s == pytest.approx(20.0, abs=0.1) and not analysis.partial
    assert run.findings.metrics["length.s"] == pytest.approx(run.findings.details["audio_s"],
                                                             abs=0.1)  # fmt: skip


def test_an_output_that_cannot_be_written_is_one_error_after_the_scorecard(
    tmp_path: Path,
    analysed_sample,  # noqa: F811
) -> None:
    """A --json that could not be written was a traceback after the whole analysis, and the
    scorecard was never printed. (A path through a file fails for root too, unlike a
    read-only folder.)"""
    import shutil

    from click.testing import CliRunner

    from livelab.cli import cli

    session = tmp_path / "s"
    shutil.copytree(analysed_sample, session)
    blocker = tmp_path / "plain-file"
    blocker.write_text("")
    target = blocker / "scorecard.json"
    done = CliRunner().invoke(cli, ["analyze", str(session), "--json", str(target),
                                    "--db", str(tmp_path / "h.sqlite3")])  # fmt: skip
    assert done.exit_code == 2 and "Traceback" not in done.output
    assert "Total " in done.output  # the scorecard is shown
    assert f"error: {target}: could not be written" in done.output
    assert "JSON scorecard written" not in done.output


def test_an_edit_that_keeps_size_and_mtime_and_a_new_product_picture_are_seen(
    tmp_path: Path, analysed_sample  # noqa: F811
) -> None:
    """ops.csv edited with the same size and its old mtime once reused the old GMV (in the
    cache and in grade's skip); a replaced product picture kept the old presence result."""
    import shutil

    from livelab.engine.runner import Job, score_session

    session = tmp_path / "s"
    shutil.copytree(analysed_sample, session)
    first = score_session(Job(session, run_all=True))
    out = tmp_path / "grades"
    graded = _livelab("grade", str(session), "--out", str(out), "--all", tmp=tmp_path)
    assert graded.returncode == 0, graded.stderr
    ops = session / "ops.csv"
    before = ops.stat()
    text = ops.read_text(encoding="utf-8")
    assert "139.93" in text
    ops.write_text(text.replace("139.93", "939.93"), encoding="utf-8")  # +800, same size
    os.utime(ops, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert ops.stat().st_size == before.st_size and ops.stat().st_mtime_ns == before.st_mtime_ns
    again = score_session(Job(session, run_all=True))
    assert again.analyzers["ops"].status == "ran"
    assert again.metrics["ops.gmv"].value == pytest.approx(first.metrics["ops.gmv"].value + 800)
    regraded = _livelab("grade", str(session), "--out", str(out), "--all", tmp=tmp_path)
    assert regraded.returncode == 0 and "unchanged (skipped)" not in regraded.stderr
    row = json.loads((out / "results.jsonl").read_text("utf-8").splitlines()[0])
    assert row["metrics"]["ops.gmv"]["value"] == again.metrics["ops.gmv"].value

    # A forged remembered hash (the old file's digest under the new stamp) is not believed.
    memo_path = session / ".livelab" / "digests.json"
    memo = json.loads(memo_path.read_text(encoding="utf-8"))
    entry = memo[str(ops)]
    entry[-2] = "0" * 64
    memo_path.write_text(json.dumps(memo), encoding="utf-8")
    assert score_session(Job(session, run_all=True)).analyzers["ops"].status == "cached"

    picture = session / "bottle.png"
    import cv2
    import numpy as np

    cv2.imwrite(str(picture), np.full((120, 80, 3), (0, 0, 255), np.uint8))  # a red block
    replaced = score_session(Job(session, run_all=True))
    assert replaced.analyzers["presence"].status == "ran"
    assert replaced.analyzers["ops"].status == "cached"


def test_a_skipped_sessions_report_is_rewritten_when_another_was_left_under_its_name(
    tmp_path: Path, analysed_sample  # noqa: F811
) -> None:
    """After re-grading with another set of sessions, summary.html once linked a row to
    another student's report: a skipped session only wrote its report if none was there."""
    from tests.core.test_batch import copy_session

    a = copy_session(analysed_sample, tmp_path / "class" / "a", title="Take A")
    b = copy_session(analysed_sample, tmp_path / "class" / "b", title="Take B")
    out = tmp_path / "grades"
    first = _livelab("grade", str(a), str(b), "--out", str(out), tmp=tmp_path)
    assert first.returncode == 0, first.stderr
    (report,) = (out / "reports").glob("1-*.html")
    assert "Take A" in report.read_text(encoding="utf-8")
    again = _livelab("grade", str(b), "--out", str(out), tmp=tmp_path)  # b is now row 1
    assert again.returncode == 0 and "1 unchanged (skipped)" in again.stderr, again.stderr
    page = report.read_text(encoding="utf-8")
    assert "Take B" in page and "Take A" not in page
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert f"reports/{report.name}" in summary and "Take A" not in summary


def test_a_cache_folder_linked_out_of_the_session_is_never_written(
    tmp_path: Path, analysed_sample  # noqa: F811
) -> None:
    """.livelab linked out of the folder once got the cache written, and an old findings
    file deleted, outside the session."""
    import shutil

    from livelab.engine.runner import Job, score_session

    session = tmp_path / "s"
    shutil.copytree(analysed_sample, session, ignore=shutil.ignore_patterns(".livelab"))
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "findings").mkdir(parents=True)
    keep = elsewhere / "findings" / "ops@0123.json"
    keep.write_text("{}", encoding="utf-8")
    (session / ".livelab").symlink_to(elsewhere)
    scorecard = score_session(Job(session, rubric="anchor-basics-en"))
    assert scorecard.total > 50
    assert any("links out of the session folder" in n for n in scorecard.notes)
    assert sorted(p.name for p in elsewhere.rglob("*")) == ["findings", "ops@0123.json"]
    # A folder inside .livelab that links out is refused the same way.
    (session / ".livelab").unlink()
    (session / ".livelab").mkdir()
    (session / ".livelab" / "findings").symlink_to(elsewhere / "findings")
    score_session(Job(session, rubric="anchor-basics-en"))
    assert sorted(p.name for p in elsewhere.rglob("*")) == ["findings", "ops@0123.json"]


def test_an_out_folder_that_cannot_be_made_is_one_error_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    done = _livelab("grade", str(SAMPLE), "--out", str(blocker / "grades"), tmp=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: {blocker / 'grades'}: Not a directory"
