"""livelab record, headless from file sources: the take is a session that analyses, the
audience is seeded and reacts to the anchor, and an interrupted or killed take is kept."""

from __future__ import annotations

import csv
import json
import resource
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from livelab.media.decode import FrameOptions, VideoPass, probe
from livelab.record.audience import Audience, AudienceParams, ProductInfo
from tests.conftest import SAMPLE

PITCH = SAMPLE / "pitch.mp4"
TRUTH = json.loads((SAMPLE / "ground_truth.json").read_text())
LIVELAB = [sys.executable, "-m", "livelab.cli"]


def record_args(folder: Path, *extra: str) -> list[str]:
    return [
        "record", str(folder), "--products", str(SAMPLE / "products.yaml"),
        "--camera", str(PITCH), "--mic", str(PITCH), "--fast", "--no-tui", *extra,
    ]  # fmt: skip


def run_livelab(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LIVELAB, *args], capture_output=True, text=True, timeout=600, **kw)


def start_livelab(*args: str, **kw: Any) -> subprocess.Popen[str]:
    """Started as from a terminal: SIGINT raises KeyboardInterrupt even when the test
    runner itself runs in a background shell (which starts children with SIGINT ignored)."""

    limit = kw.pop("limit", None)

    def child() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        if limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a kill
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.Popen(
        [*LIVELAB, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=child, **kw,
    )  # fmt: skip


def manifest(folder: Path) -> dict[str, Any]:
    return tomllib.loads((folder / "session.toml").read_text(encoding="utf-8"))


def ops_rows(folder: Path) -> list[dict[str, str]]:
    with (folder / "ops.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def chat_lines(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (folder / "chat.jsonl").read_text("utf-8").splitlines()]


def wait_for_rows(folder: Path, rows: int, process: subprocess.Popen[str]) -> None:
    """Until the take has written ``rows`` ops rows (10 s each), i.e. is well under way."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if (folder / "ops.csv").exists() and len(ops_rows(folder)) >= rows:
            return
        time.sleep(0.2)
    pytest.fail(f"the take did not reach {rows} rows: {process.poll()=}")


def playable_seconds(path: Path) -> float:
    """Seconds of video a fresh decoder gets out of the file (the analysis's own pass)."""
    last = 0.0
    for batch in VideoPass(path, FrameOptions(sample_fps=2.0)).batches():
        last = float(batch.times[-1])
    return last


@pytest.fixture(scope="module")
def take(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole sample pitch recorded as a take (as fast as the machine can)."""
    folder = tmp_path_factory.mktemp("record") / "take"
    done = run_livelab(*record_args(folder, "--seed", "5", "--anchor", "Demo Student"))
    assert done.returncode == 0, done.stderr
    return folder


@pytest.fixture(scope="module")
def take_scorecard(take: Path) -> dict[str, Any]:
    out = take.parent / "scorecard.json"
    done = run_livelab("analyze", str(take), "--all", "-q", "--json", str(out))
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


# -- a whole take -------------------------------------------------------------------------


def test_a_take_is_a_complete_session_folder(take: Path) -> None:
    data = manifest(take)
    assert data["take"]["status"] == "complete" and data["take"]["seed"] == 5
    assert data["anchor"] == "Demo Student" and data["language"] == "en"
    for key in ("recording", "products", "ops", "chat"):
        assert (take / data[key]).is_file(), key
    assert (take / "bottle.png").is_file()  # the product card's image came along
    info = probe(take / "recording.mp4")
    assert info.has_audio and info.has_video
    assert info.duration_s == pytest.approx(probe(PITCH).duration_s, abs=0.3)
    assert data["take"]["duration_s"] == pytest.approx(info.duration_s, abs=0.3)
    assert run_livelab("check", str(take)).returncode == 0


def test_ops_rows_add_up_to_the_room(take: Path) -> None:
    rows = ops_rows(take)
    assert [r["t"] for r in rows[:3]] == ["00:00", "00:10", "00:20"]
    assert len(rows) == 9  # 89.7 s: eight full rows and the last 9.7 s
    entries = sum(int(r["entries"]) for r in rows)
    exits = sum(int(r["exits"]) for r in rows)
    assert int(rows[0]["entries"]) >= AudienceParams().start_viewers  # the room at 00:00
    # Nobody is invented or lost: the room at the end is everyone who came and did not leave.
    assert 0 < entries - exits <= entries
    assert abs((entries - exits) - int(rows[-1]["online"])) <= max(3, 0.2 * entries)
    comments = sum(int(r["comments"]) for r in rows)
    assert comments == len(chat_lines(take))
    orders = sum(int(r["orders"]) for r in rows)
    gmv = sum(float(r["gmv"]) for r in rows)
    assert gmv == pytest.approx(orders * 17.99, abs=0.01) or gmv == pytest.approx(
        orders * 19.99, abs=0.01
    ) or 17.99 * orders <= gmv <= 19.99 * orders  # fmt: skip


def test_chat_lines_follow_the_format(take: Path) -> None:
    lines = chat_lines(take)
    assert lines, "a 90 s take with a dozen viewers has some chat"
    times = [m["t"] for m in lines]
    assert times == sorted(times) and 0 <= times[0] and times[-1] <= 90
    for m in lines:
        assert m["kind"] in ("greeting", "comment", "question") and m["text"]
        assert m["user"].startswith("viewer_")
        if m["kind"] == "question":
            assert m["topic"] in ("price", "size", "shipping", "link", "promotion")


def test_the_take_analyses_like_the_original_pitch(take_scorecard: dict[str, Any]) -> None:
    metrics = take_scorecard["metrics"]
    expected = TRUTH["speech_word_count"] / TRUTH["duration_s"] * 60
    assert metrics["pace.rate_overall"]["value"] == pytest.approx(expected, rel=0.06)
    dead = [e for e in take_scorecard["evidence"] if e["message"].startswith("dead air")]
    assert any(abs(e["start_s"] - 41.48) < 0.8 for e in dead), dead
    assert metrics["ops.pcu"]["value"] > 0
    ratio = metrics["interaction.questions_answered_ratio"]
    assert ratio["value"] is not None or "no audience questions" in ratio["reason"]
    assert take_scorecard["session"]["take"]["status"] == "complete"


def test_the_same_seed_and_recording_give_the_same_room(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        done = run_livelab(*record_args(folder, "--seed", "11", "--duration", "20s"))
        assert done.returncode == 0, done.stderr
    assert (a / "chat.jsonl").read_bytes() == (b / "chat.jsonl").read_bytes()
    assert (a / "ops.csv").read_bytes() == (b / "ops.csv").read_bytes()
    assert manifest(a)["take"]["duration_s"] == pytest.approx(20.0, abs=0.1)
    assert playable_seconds(a / "recording.mp4") == pytest.approx(20.0, abs=0.6)


# -- takes that end early -----------------------------------------------------------------


def test_ctrl_c_half_way_keeps_a_playable_take_marked_interrupted(tmp_path: Path) -> None:
    folder = tmp_path / "take"
    process = start_livelab(*record_args(folder, "--seed", "1"))
    wait_for_rows(folder, 4, process)  # 30–40 s of 90 recorded
    process.send_signal(signal.SIGINT)
    _out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    take = manifest(folder)["take"]
    assert take["status"] == "interrupted" and "Ctrl-C" in take["reason"]
    assert 30 <= take["duration_s"] < 80
    assert playable_seconds(folder / "recording.mp4") == pytest.approx(take["duration_s"], abs=1)
    out = tmp_path / "scorecard.json"
    done = run_livelab("analyze", str(folder), "--json", str(out))
    assert done.returncode == 0, done.stderr
    assert "interrupted take: stopped with Ctrl-C at" in done.stdout
    scorecard = json.loads(out.read_text())
    assert scorecard["session"]["take"]["status"] == "interrupted"
    assert scorecard["metrics"]["pace.rate_overall"]["value"] > 100


def test_a_killed_recorder_leaves_a_playable_recording_and_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "take"
    process = start_livelab(*record_args(folder, "--seed", "1"))
    wait_for_rows(folder, 4, process)
    process.kill()
    process.communicate(timeout=60)
    take = manifest(folder)["take"]
    assert take["status"] == "interrupted" and "killed" in take["reason"]
    rows = ops_rows(folder)
    recorded = playable_seconds(folder / "recording.mp4")
    assert recorded >= 10 * len(rows) - 2  # at most the last second or two are lost
    assert recorded >= take["duration_s"] - 1
    assert all(isinstance(m["t"], float | int) for m in chat_lines(folder))  # whole lines
    done = run_livelab("analyze", str(folder), "-q")
    assert done.returncode == 0, done.stderr


def test_a_full_disk_stops_the_take_cleanly(tmp_path: Path) -> None:
    folder = tmp_path / "take"
    # Files may not grow past 1.5 MB: writes fail as on a full disk (EFBIG).
    process = start_livelab(*record_args(folder, "--seed", "1"), limit=1_500_000)
    _out, err = process.communicate(timeout=300)
    assert process.returncode == 1, err
    take = manifest(folder)["take"]
    assert take["status"] == "interrupted" and "disk is full" in take["reason"], take
    assert "disk is full" in err
    assert playable_seconds(folder / "recording.mp4") >= 5


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"--camera": "missing.mp4"}, "camera file not found"),
        ({"--camera": "products"}, "no picture could be read"),
        ({"--mic": "products"}, "cannot be read as audio"),
        ({"--mic": "image"}, "has no audio track"),
        ({"--mic": "silent_video"}, "has no audio track"),
        ({"--duration": "10"}, "give a unit"),
        ({"--products": "missing.yaml"}, "products file not found"),
    ],
)
def test_bad_options_are_one_clear_error_and_record_nothing(
    tmp_path: Path, media_dir: Path, change: dict[str, str], words: str
) -> None:
    from click.testing import CliRunner

    from livelab.cli import cli

    named = {
        "products": str(SAMPLE / "products.yaml"),
        "image": str(SAMPLE / "bottle.png"),
        "silent_video": str(media_dir / "video_only.mp4"),
    }
    args = record_args(tmp_path / "take")
    for option, value in change.items():
        given = value if option == "--duration" else named.get(value, str(tmp_path / value))
        if option in args:
            args[args.index(option) + 1] = given
        else:
            args += [option, given]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 2, done.output
    assert words in done.output and "Traceback" not in done.output
    assert not (tmp_path / "take").exists()


def test_an_existing_take_is_never_overwritten(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from livelab.cli import cli

    folder = tmp_path / "take"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    done = CliRunner().invoke(cli, record_args(folder))
    assert done.exit_code == 2 and "not an empty folder" in done.output
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_fast_needs_file_sources(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from livelab.cli import cli

    args = record_args(tmp_path / "take")
    args[args.index("--mic") + 1] = "default"
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 2
    assert "--fast works only with a camera file and a microphone file" in done.output
    assert not (tmp_path / "take").exists()


# -- the parts ----------------------------------------------------------------------------


def test_the_listener_hears_the_sample_dead_air(tmp_path: Path) -> None:
    from livelab.record.recorder import AUDIO_RATE, FileAudio, Listener

    class NoSpeech:
        def transcribe(self, audio: np.ndarray) -> Any:
            raise AssertionError("not needed")

    listener = Listener(NoSpeech(), None, background=False)
    listener._cut = lambda: None  # type: ignore[method-assign] # silence only
    source = FileAudio(str(PITCH))
    longest: dict[float, float] = {}
    for step in range(int(90 / 0.1)):
        listener.feed(source.take(AUDIO_RATE // 10))
        longest[round(step * 0.1 + 0.1, 1)] = listener.silence_s
    source.close()
    dead = [t for t, s in longest.items() if s >= 3.0]
    assert dead and 44.3 <= min(dead) <= 45.0 and max(dead) <= 46.0  # 41.48–45.82 in truth
    assert all(s < 3.0 for t, s in longest.items() if t < 41 or t > 46.2)


def room(seed: int = 3, **params: Any) -> Audience:
    products = [ProductInfo("bottle", "the bottle", 19.99, 17.99)]
    return Audience(products, "en", seed, AudienceParams(**params))


def run_room(audience: Audience, seconds: float, silence: float = 0.0) -> None:
    start = audience.t
    for k in range(1, int(seconds / 0.5) + 1):
        audience.step(start + k * 0.5, silence)
        audience.heard(start + k * 0.5)


def test_dead_air_drives_viewers_away() -> None:
    talking, silent = [], []
    for seed in range(8):
        a, b = room(seed), room(seed)
        run_room(a, 60, silence=0.0)
        run_room(b, 60, silence=10.0)
        talking.append(len(a.present))
        silent.append(len(b.present))
    assert np.mean(silent) < 0.5 * np.mean(talking)


def test_orders_follow_a_call_to_action_only_after_the_price() -> None:
    priced_orders = 0
    for seed in range(6):
        priced, unpriced = room(seed), room(seed)
        for audience in (priced, unpriced):
            run_room(audience, 30)
        priced.hear("price", 31.0, "bottle")
        for audience in (priced, unpriced):
            audience.hear("cta", 40.0, None)
            run_room(audience, 40)
        assert priced.gmv == pytest.approx(priced.orders * 19.99)
        assert unpriced.orders == 0 and unpriced.clicks > 0
        priced_orders += priced.orders
    assert priced_orders >= 6  # about two a take with a dozen viewers


def test_the_promotion_price_is_paid_once_said() -> None:
    orders = gmv = 0.0
    for seed in range(6):
        audience = room(seed)
        audience.hear("price", 1.0, "bottle")
        audience.hear("promotion", 2.0, "bottle")
        audience.hear("cta", 3.0, "bottle")
        run_room(audience, 40)
        orders, gmv = orders + audience.orders, gmv + audience.gmv
    assert orders > 0 and gmv == pytest.approx(orders * 17.99)


def test_questions_answered_in_time_are_closed_and_unanswered_ones_cost_viewers() -> None:
    audience = room(questions_per_viewer_s=0.0)
    run_room(audience, 5)
    audience._ask(5.0)
    asked = audience.open[0]
    answer = {"price": "price", "size": "size", "shipping": "shipping", "link": "cta"}.get(
        asked.topic, asked.topic
    )
    audience.hear(answer, 20.0, asked.product)
    assert audience.open == []

    run_room(audience, 20)
    audience._ask(25.0)
    asker = audience.open[0].user
    run_room(audience, 70)  # past the 60 s window, nothing said
    assert audience.open == [] and asker not in audience.present
    assert audience.unanswered_at


def test_the_seed_decides_the_room() -> None:
    def chat(seed: int) -> list[str]:
        audience = room(seed)
        run_room(audience, 120)
        return [f"{m.t} {m.user} {m.text}" for m in audience.chat]

    assert chat(4) == chat(4) and chat(4) != chat(5)


def test_mandarin_rooms_chat_in_mandarin() -> None:
    audience = Audience([ProductInfo("b", "保温杯", 99.0, None)], "zh", 2)
    run_room(audience, 300)
    text = "".join(m.text for m in audience.chat)
    assert text and any("\u4e00" <= ch <= "\u9fff" for ch in text)
    assert not any(ch.isascii() and ch.isalpha() for ch in text)


def test_microphone_blocks_reach_the_recording(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sounddevice path, with a stand-in for the audio device."""
    import types

    from livelab.record.recorder import MicAudio

    class Stream:
        def __init__(self, callback: Any, **kw: Any) -> None:
            assert kw["samplerate"] == 48_000 and kw["channels"] == 1
            self.callback = callback

        def start(self) -> None:
            for value in (0.1, 0.2):
                self.callback(np.full((480, 1), value, np.float32), 480, None, None)

        def stop(self) -> None: ...

        def close(self) -> None: ...

    monkeypatch.setitem(sys.modules, "sounddevice", types.SimpleNamespace(InputStream=Stream))
    mic = MicAudio("default")
    got = mic.take(0)
    assert got.shape == (960,) and got[0] == pytest.approx(0.1) and got[-1] == pytest.approx(0.2)
    assert mic.take(0).shape == (0,)
    mic.close()


def test_durations_parse_with_units_only() -> None:
    from livelab.api.errors import LivelabError
    from livelab.record.recorder import parse_duration

    assert parse_duration("90s") == 90 and parse_duration("10m") == 600
    assert parse_duration("1h") == 3600 and parse_duration("1m30s") == 90
    assert parse_duration("12:30") == 750 and parse_duration("1.5m") == 90
    for bad in ("10", "", "m", "-5s", "0s", "ten minutes"):
        with pytest.raises(LivelabError):
            parse_duration(bad)


def test_a_mandarin_take_from_a_short_microphone_file(tmp_path: Path) -> None:
    """Real Mandarin speech (AISHELL, 4.3 s) over the sample's video for 12 s: the take is
    Mandarin throughout, and once the microphone file ends the room hears dead air."""
    from tests.conftest import shared

    wav = shared("speech/aishell-BAC009S0724W0121.wav")
    card = tmp_path / "products.yaml"
    card.write_text(
        "products:\n  - id: baowen-bei\n    name: 暖暖保温杯\n    price: 19.9\n"
        "    selling_points:\n"
        "      - {id: temperature, label: 保温12小时, phrasings: [保温12小时]}\n",
        encoding="utf-8",
    )
    folder = tmp_path / "take"
    args = record_args(folder, "--language", "zh", "--duration", "12s", "--seed", "2")
    args[args.index("--mic") + 1] = str(wav)
    args[args.index("--products") + 1] = str(card)
    done = run_livelab(*args)
    assert done.returncode == 0, done.stderr
    assert "dead air" in done.stderr.splitlines()[-3]  # the last room line, after 4.3 s of speech
    assert manifest(folder)["language"] == "zh"
    assert probe(folder / "recording.mp4").duration_s == pytest.approx(12.0, abs=0.2)
    out = tmp_path / "scorecard.json"
    done = run_livelab("analyze", str(folder), "-q", "--json", str(out))
    assert done.returncode == 0, done.stderr
    scorecard = json.loads(out.read_text())
    assert scorecard["rubric"]["id"] == "anchor-basics-zh"
    said = "".join(s["text"] for s in scorecard["transcript"]["segments"])
    assert "协会" in said or "地产" in said, said


def test_a_nearly_full_disk_stops_the_take_before_it_is_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collections import namedtuple

    from livelab.record import recorder

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(recorder.shutil, "disk_usage", lambda _p: usage(1, 1, 150 * 2**20))
    options = recorder.RecordOptions(
        tmp_path / "take", SAMPLE / "products.yaml", camera=str(PITCH), mic=str(PITCH),
        duration_s=20.0, seed=1, realtime=False,
    )  # fmt: skip
    result = recorder.Recorder(options).run()
    assert result.status == "interrupted"  # even though nobody asked for a shorter take
    assert result.reason == "the disk is nearly full (150 MB left) at 00:05"
    assert manifest(tmp_path / "take")["take"]["reason"] == result.reason
    assert playable_seconds(tmp_path / "take" / "recording.mp4") >= 4.5


def test_a_second_recorder_into_the_same_new_folder_is_refused(tmp_path: Path) -> None:
    """Two takes started into one new folder both said "take complete" while their frames
    interleaved into one unreadable recording.mp4."""
    folder = tmp_path / "take"
    first = start_livelab(*record_args(folder, "--seed", "1", "--duration", "20s"))
    lock = folder / ".recording.lock"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not lock.exists():
        assert first.poll() is None, first.communicate()
        time.sleep(0.05)
    second = run_livelab(*record_args(folder, "--seed", "2", "--duration", "20s"))
    assert second.returncode == 2, second.stderr
    assert (f"{folder}: another livelab record is writing a take here" in second.stderr
            or f"{folder}: already exists and is not an empty folder" in second.stderr)  # fmt: skip
    _out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert manifest(folder)["take"]["seed"] == 1 and not lock.exists()
    assert playable_seconds(folder / "recording.mp4") == pytest.approx(20.0, abs=0.6)
