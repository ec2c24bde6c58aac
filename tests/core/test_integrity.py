"""Results that say when they cover only part of a session: a truncated recording is
reported by `check` and analysed as far as it can be read (marked partial, out of the class
statistics); files that contradict the recording, or each other, are named."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from livelab.media.decode import (
    SAMPLE_RATE,
    decode_audio,
    decode_audio_track,
    probe,
    readable_extent,
)
from tests.conftest import REPO, SAMPLE, SHARED_DATA, shared

CUT_BYTES = 400 * 1024  # of the sample's 2.5 MB pitch.mp4: its first ~11 s


def livelab(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {"LIVELAB_HISTORY_DB": str(tmp / "history.sqlite3")}
    return subprocess.run(
        [sys.executable, "-m", "livelab.cli", *args], capture_output=True, text=True,
        timeout=600, env={**__import__("os").environ, **env},
    )  # fmt: skip


@pytest.fixture(scope="module")
def truncated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample session with its recording cut to 400 KB, as an interrupted copy leaves it."""
    folder = tmp_path_factory.mktemp("truncated") / "cut"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns(".livelab"))
    data = (folder / "pitch.mp4").read_bytes()
    (folder / "pitch.mp4").write_bytes(data[:CUT_BYTES])
    return folder


def decoded_seconds(path: Path) -> float:
    """Ground truth: the audio that can really be decoded (FFmpeg through PyAV)."""
    return len(decode_audio(path)) / SAMPLE_RATE


def test_the_readable_extent_matches_what_decodes(truncated: Path) -> None:
    path = truncated / "pitch.mp4"
    extent = readable_extent(path)
    assert probe(path).duration_s == pytest.approx(89.68, abs=0.05)  # the header's claim
    assert extent.short
    assert extent.readable_s == pytest.approx(decoded_seconds(path), abs=0.5)
    assert 5 < extent.readable_s < 20
    whole = readable_extent(SAMPLE / "pitch.mp4")
    assert not whole.short and whole.readable_s == pytest.approx(89.68, abs=0.05)


def test_the_audio_track_on_disk_holds_exactly_what_faster_whisper_decodes(
    truncated: Path,
) -> None:
    """The session's audio streams to a file instead of memory; it must stay the very
    samples the recogniser's own decoder gives, whole, truncated or from a WAV."""
    from faster_whisper.audio import decode_audio as fw_decode

    wav = shared("speech/aishell-BAC009S0724W0121.wav")  # skips, saying so, without the data
    for path in (SAMPLE / "pitch.mp4", truncated / "pitch.mp4", wav):
        truth = fw_decode(str(path), sampling_rate=SAMPLE_RATE)
        track = decode_audio_track(path)
        assert len(track) == len(truth) > SAMPLE_RATE, path
        assert np.array_equal(track[:], truth), path
        assert np.array_equal(np.asarray(track), truth)
        a, b = len(truth) // 3, len(truth) // 3 + 12_345
        assert np.array_equal(track[a:b], truth[a:b])
        assert track[-1] == truth[-1] and track[a] == truth[a]
        assert len(track[len(truth) - 5 : len(truth) + 100]) == 5
        track.close()
        with pytest.raises(ValueError):
            track[0:10]


def test_whole_recordings_are_never_called_short() -> None:
    media = [p for p in SHARED_DATA.rglob("*") if p.suffix in {".mpg", ".wav", ".flac"}]
    media += [SAMPLE / "pitch.mp4", SAMPLE.parent / "demo_zh" / "pitch.mp4"]
    if len(media) < 3:
        pytest.skip("../shared/data is not present")
    assert [p.name for p in media if readable_extent(p).short] == []


def test_check_refuses_a_truncated_recording_and_warns_about_rows_past_its_end(
    truncated: Path, tmp_path: Path
) -> None:
    done = livelab("check", str(truncated), tmp=tmp_path)
    assert done.returncode == 2
    errors = [x for x in done.stderr.splitlines() if x.startswith("error:")]
    assert errors == [
        f"error: {truncated / 'pitch.mp4'}: only 00:11 of 01:30 can be read "
        "(video 00:11, audio 00:11): the file is truncated or corrupt"
    ]
    warnings = [x for x in done.stderr.splitlines() if x.startswith("warning:")]
    assert any(w.startswith("warning: ops.csv: 1 of 2 rows (from 01:00)") for w in warnings)
    assert any(w.startswith("warning: chat.jsonl: 8 of 10 messages") for w in warnings)
    assert "ok:" not in done.stdout


def test_check_names_every_broken_file_without_analysing(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns(".livelab"))
    with (folder / "products.yaml").open("a", encoding="utf-8") as f:
        f.write("products: [ {id: x\n")
    rows = (folder / "ops.csv").read_text(encoding="utf-8").splitlines()
    cells = rows[1].split(",")
    cells[1] = "abc"  # the online column
    (folder / "ops.csv").write_text("\n".join([rows[0], ",".join(cells), *rows[2:]]) + "\n")
    with (folder / "chat.jsonl").open("a", encoding="utf-8") as f:
        f.write("not json\n")
    done = livelab("check", str(folder), tmp=tmp_path)
    assert done.returncode == 2
    errors = sorted(x for x in done.stderr.splitlines() if x.startswith("error:"))
    assert len(errors) == 3, done.stderr
    assert f"{folder / 'chat.jsonl'}: line 11: is not valid JSON" in errors[0]
    assert f"{folder / 'ops.csv'}: row 2, column 'online': 'abc' is not a number" in errors[1]
    assert f"{folder / 'products.yaml'}: not valid YAML" in errors[2]
    good = livelab("check", str(SAMPLE), tmp=tmp_path)
    assert good.returncode == 0 and good.stdout.startswith("ok:") and not good.stderr


def test_check_refuses_a_rubric_for_another_language(tmp_path: Path) -> None:
    done = livelab("check", str(SAMPLE), "--rubric", "anchor-basics-zh", tmp=tmp_path)
    assert done.returncode == 2
    assert ("rubric 'anchor-basics-zh' is for 'zh' sessions, but this session is 'en' "
            "(stated in session.toml)") in done.stderr  # fmt: skip
    fine = livelab("check", str(SAMPLE), "--rubric", "anchor-basics-en", tmp=tmp_path)
    assert fine.returncode == 0, fine.stderr


@pytest.mark.slow
def test_a_truncated_recording_is_scored_on_what_was_there_and_marked_partial(
    truncated: Path, tmp_path: Path
) -> None:
    out = tmp_path / "sc.json"
    done = livelab("analyze", str(truncated), "--json", str(out), tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "partial: pitch.mp4: only 00:11 of 01:30 can be read" in " ".join(done.stdout.split())
    sc = json.loads(out.read_text(encoding="utf-8"))
    end = sc["session"]["duration_s"]
    assert end == pytest.approx(decoded_seconds(truncated / "pitch.mp4"), abs=0.5)
    assert "truncated or corrupt" in sc["session"]["partial"]
    # Nothing is timed after the end; the ops rows past it are named, not counted.
    timed = [e for e in sc["evidence"] if e["start_s"] is not None]
    assert timed and all(e["start_s"] < end and e["end_s"] <= end for e in timed)
    assert all(t < end for s in sc["series"] for t in s["t"])
    assert any(n.startswith("ops.csv: 1 of 2 rows (from 01:00)") for n in sc["notes"])
    # Speaking share is of the readable 11 s, not of the header's 90 s.
    assert sc["metrics"]["pace.speaking_ratio"]["value"] > 0.5


@pytest.mark.slow
def test_grade_marks_a_truncated_session_partial_and_leaves_it_out_of_the_statistics(
    truncated: Path, tmp_path: Path
) -> None:
    klass = tmp_path / "class"
    shutil.copytree(truncated, klass / "cut", ignore=shutil.ignore_patterns(".livelab"))
    shutil.copytree(SAMPLE, klass / "whole", ignore=shutil.ignore_patterns(".livelab"))
    out = tmp_path / "grades"
    done = livelab("grade", str(klass), "--out", str(out), tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "1 partial (a truncated or corrupt recording, not in the class statistics)" in (
        done.stderr
    )
    with (out / "gradebook.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = {Path(r["path"]).name: r for r in csv.DictReader(f)}
    assert rows["cut"]["status"] == "partial" and "only 00:11 of 01:30" in rows["cut"]["error"]
    assert rows["whole"]["status"] == "ok" and rows["whole"]["error"] == ""
    summary = (out / "summary.html").read_text(encoding="utf-8")
    assert "Partial recordings (not in the statistics)" in summary
    # the class mean is the whole session's alone
    whole = float(rows["whole"]["total"]) / float(rows["whole"]["max_total"])
    assert f'Mean total</div><div class="v num">{whole * 100:.0f}%' in summary


# -- fair totals --------------------------------------------------------------------------


def _scored_without_ops(unscored: str | None, tmp_path: Path):
    """The English sample's scorecard (golden) re-scored as if it had no ops export."""
    import dataclasses

    from livelab.engine.plugins import load_plugins
    from livelab.engine.runner import resolve_rubric
    from livelab.scoring.scorecard import apply_rubric, read_scorecard
    from tests.conftest import TEST_DATA

    load_plugins()
    sc = read_scorecard(TEST_DATA / "golden" / "demo_en.scorecard.json")
    whole = apply_rubric(read_scorecard(sc.to_dict()), resolve_rubric("anchor-basics-en", "en"))
    for name, m in list(sc.metrics.items()):
        if name.startswith("ops."):
            sc.metrics[name] = dataclasses.replace(m, value=None, reason="no ops file")
    rubric_file = REPO / "rubrics" / "anchor-basics-en.yaml"
    text = rubric_file.read_text(encoding="utf-8")
    if unscored is not None:
        text = f"unscored: {unscored}\n" + text
    mine = tmp_path / "rubric.yaml"
    mine.write_text(text, encoding="utf-8")
    return whole, apply_rubric(sc, resolve_rubric(mine, "en"))


@pytest.mark.parametrize("unscored", [None, "exclude"])
def test_missing_data_costs_no_percent_by_default(unscored: str | None, tmp_path: Path) -> None:
    whole, without = _scored_without_ops(unscored, tmp_path)
    ops = [c for c in whole.criteria if c.metric.startswith("ops.")]
    ops_weight = sum(c.weight for c in ops)
    assert ops and whole.scorable_fraction == 1
    assert whole.percent == pytest.approx(100 * whole.total / whole.max_total, abs=0.01)
    assert without.scorable_weight == pytest.approx(whole.max_total - ops_weight)
    anchor_points = sum(c.points or 0 for c in whole.criteria if not c.metric.startswith("ops."))
    assert without.total == pytest.approx(anchor_points, abs=0.01)
    assert without.percent == pytest.approx(100 * anchor_points / without.scorable_weight,
                                            abs=0.01)  # fmt: skip
    assert without.unscored == "exclude"
    # the operations block could score nothing: unscored, not 0
    block = without.roles["operations"]
    assert block.unscored and block.scorable == 0
    from livelab.reports.text import percent_text, share_text

    assert share_text(block) == "unscored (none of its 15 points could be scored)"
    assert percent_text(without) == (
        f"{without.percent:.0f}% of the {without.scorable_weight:g} points that could be scored"
    )


def test_a_rubric_can_make_unscored_criteria_count_as_zero(tmp_path: Path) -> None:
    whole, without = _scored_without_ops("zero", tmp_path)
    assert without.unscored == "zero"
    assert without.percent == pytest.approx(100 * without.total / without.max_total, abs=0.01)
    assert without.percent < whole.percent


def test_a_bad_unscored_policy_names_the_key(tmp_path: Path) -> None:
    from livelab.scoring.rubric import RubricError

    with pytest.raises(RubricError, match="unscored: must be exclude or zero, not 'half'"):
        _scored_without_ops("half", tmp_path)


def test_a_scorecard_from_before_percent_gets_it_on_reading() -> None:
    from livelab.scoring.scorecard import read_scorecard
    from tests.conftest import TEST_DATA

    raw = json.loads((TEST_DATA / "golden" / "demo_en.scorecard.json").read_text("utf-8"))
    del raw["percent"], raw["unscored"]  # as livelab wrote it before
    sc = read_scorecard(raw)
    assert sc.percent == pytest.approx(100 * raw["total"] / raw["scorable_weight"], abs=0.01)


# -- a rubric for the session ----------------------------------------------------------------


def test_a_rubric_of_another_language_is_refused_before_any_work(tmp_path: Path) -> None:
    zh = tmp_path / "zh"
    shutil.copytree(SAMPLE.parent / "demo_zh", zh, ignore=shutil.ignore_patterns(".livelab"))
    done = livelab("--lang", "en", "analyze", str(zh), "--rubric", "anchor-basics-en", "-q",
                   tmp=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: anchor-basics-en: rubric 'anchor-basics-en' is for 'en' sessions, but this "
        "session is 'zh' (stated in session.toml); choose a rubric for 'zh' or for any "
        "language (--force scores it anyway)"
    )
    # with no language chosen, a Mandarin session is spoken to in Chinese, its errors too
    import os

    quiet = {k: v for k, v in os.environ.items()
             if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LIVELAB_LANG")}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "livelab.cli", "analyze", str(zh), "--rubric", "anchor-basics-en",
         "-q"], capture_output=True, text=True, timeout=600,
        env={**quiet, "LANG": "C.UTF-8", "LIVELAB_HISTORY_DB": str(tmp_path / "h.sqlite3")},
    )  # fmt: skip
    assert done.returncode == 2 and done.stderr.startswith("错误：anchor-basics-en: ")
    assert "'zh'（session.toml 中写明）" in done.stderr and "--force" in done.stderr
    assert not (zh / ".livelab").exists()  # nothing was decoded or cached


@pytest.mark.slow
def test_force_scores_with_a_rubric_of_another_language_in_the_sessions_units(
    tmp_path: Path,
) -> None:
    zh = tmp_path / "zh"
    shutil.copytree(SAMPLE.parent / "demo_zh", zh, ignore=shutil.ignore_patterns(".livelab"))
    out = tmp_path / "sc.json"
    done = livelab("analyze", str(zh), "--rubric", "anchor-basics-en", "--force", "--json",
                   str(out), "-q", tmp=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    sc = json.loads(out.read_text(encoding="utf-8"))
    assert sc["rubric"]["id"] == "anchor-basics-en"
    assert sc["metrics"]["pace.rate_speaking"]["unit"] == "cpm"  # the session's, not wpm


def test_check_flags_a_recording_shorter_than_the_rounds_minimum(tmp_path: Path) -> None:
    done = livelab("check", str(SAMPLE.parent / "demo_zh"), "--rubric",
                   "contest-live-ecommerce-zh", tmp=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert ("warning: the recording is 01:08 long, shorter than the 29:00 the rubric's round "
            "asks for") in done.stderr  # fmt: skip


def _leaping_video(path: Path, after_packets: int = 60, leap_s: float = 1e10) -> Path:
    """The sample's first 150 video packets with every timestamp after the first 60 moved
    1e10 s on, as a broken muxer writes them (a real, decodable H.264 stream)."""
    import av

    with av.open(str(SAMPLE / "pitch.mp4")) as source, av.open(str(path), "w") as out:
        video = source.streams.video[0]
        copy = out.add_stream_from_template(video)
        leap = int(leap_s / video.time_base)
        for i, packet in enumerate(source.demux(video)):
            if packet.dts is None:
                continue
            if i >= 150:
                break
            if i >= after_packets:
                packet.pts += leap
                packet.dts += leap
            packet.stream = copy
            out.mux(packet)
    return path


def test_timestamps_that_leap_ahead_end_the_readable_part(tmp_path: Path) -> None:
    """A 1e10 s leap once made sampling step 2e10 times; now the part before it is read and
    the session is marked partial, not 317 years long with 0 % on camera."""
    video = _leaping_video(tmp_path / "leap.mkv")
    extent = readable_extent(video)
    assert probe(video).duration_s > 1e9 and extent.short
    assert 2.0 < extent.readable_s < 3.0  # 60 packets of 25 fps
    assert extent.tracks[0].jump_s > 1e9
    out = tmp_path / "sc.json"
    done = livelab("analyze", str(video), "--json", str(out), tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    sc = json.loads(out.read_text(encoding="utf-8"))
    assert sc["session"]["duration_s"] == pytest.approx(extent.readable_s, abs=0.5)
    assert "timestamps jump to" in sc["session"]["partial"]
    seen = sc["metrics"]["presence.face_visible_ratio"]["value"]
    assert seen is not None and seen > 0.5  # the anchor is on camera in those 2.4 s
