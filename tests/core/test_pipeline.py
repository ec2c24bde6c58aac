"""The plan, the single video pass, missing streams, failing analyzers and the cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import livelab
from livelab import Analyzer, Findings, MetricSpec
from livelab.engine.pipeline import AnalysisOptions, analyze_session, plan
from livelab.inputs.session import load_session
from livelab.media.decode import FrameOptions, VideoPass

CALLS: list[str] = []


class FrameCounter(Analyzer):
    name = "t_frames"
    version = "1"
    needs = frozenset({"frames"})
    metrics = (
        MetricSpec("t.frames", "count", "sampled frames seen"),
        MetricSpec("t.mean_level", "level", "mean pixel level"),
    )

    def frame_sink(self, video, session, products=None):
        CALLS.append(self.name)
        self.products = products
        counter = self

        class Sink:
            frames = 0
            level = 0.0
            times: list[float] = []

            def feed(self, batch):
                assert batch.frames.ndim == 4 and batch.frames.dtype == np.uint8
                assert batch.frames.shape[1:3] == (video.height, video.width)
                self.frames += len(batch.frames)
                self.level += float(batch.frames.mean()) * len(batch.frames)
                self.times.extend(batch.times.tolist())

            def finish(self, signals):
                f = Findings()
                f.set("t.frames", self.frames)
                f.set(
                    "t.mean_level", self.level / self.frames if self.frames else None, "no frames"
                )
                f.details["times"] = self.times
                f.details["analyzer"] = counter.name
                return f

        return Sink()


class AudioLength(Analyzer):
    name = "t_audio"
    version = "1"
    needs = frozenset({"audio"})
    metrics = (MetricSpec("t.audio_s", "s", "decoded audio length"),)

    def analyze(self, signals):
        CALLS.append(self.name)
        f = Findings()
        f.set("t.audio_s", len(signals.audio) / 16000)
        return f


class ProductsReader(Analyzer):
    name = "t_products"
    version = "1"
    needs = frozenset({"products"})
    metrics = (MetricSpec("t.product_bytes", "bytes", "size of products file"),)

    def analyze(self, signals):
        CALLS.append(self.name)
        f = Findings()
        f.set("t.product_bytes", signals.file("products").stat().st_size)
        return f


class Broken(Analyzer):
    name = "t_broken"
    version = "1"
    needs = frozenset({"audio"})
    metrics = (MetricSpec("t.never", "count", "never measured"),)

    def analyze(self, signals):
        CALLS.append(self.name)
        raise ZeroDivisionError("plugin bug")


ALL = [FrameCounter(), AudioLength(), ProductsReader(), Broken()]


@pytest.fixture(autouse=True)
def _reset_calls():
    CALLS.clear()


@pytest.fixture
def session_dir(tmp_path: Path, grid_clip: Path) -> Path:
    root = tmp_path / "s"
    root.mkdir()
    shutil.move(grid_clip, root / "clip.mpg")
    (root / "products.yaml").write_text("products: []\n")
    (root / "session.toml").write_text('recording = "clip.mpg"\nproducts = "products.yaml"\n')
    return root


def test_plan_picks_only_analyzers_whose_metrics_are_needed():
    assert [a.name for a in plan(ALL, {"t.audio_s"})] == ["t_audio"]
    assert [a.name for a in plan(ALL, {"t.mean_level", "t.product_bytes"})] == [
        "t_frames",
        "t_products",
    ]
    assert plan(ALL, set()) == []
    assert [a.name for a in plan(ALL, None)] == [a.name for a in ALL]


def test_only_planned_analyzers_run(session_dir):
    session = load_session(session_dir)
    analysis = analyze_session(session, plan(ALL, {"t.audio_s"}))
    assert CALLS == ["t_audio"]
    assert set(analysis.runs) == {"t_audio"}
    assert analysis.runs["t_audio"].findings.metrics["t.audio_s"] == pytest.approx(3.0, abs=0.1)


def test_one_video_pass_samples_at_the_requested_rate(session_dir):
    session = load_session(session_dir)
    options = AnalysisOptions(frames=FrameOptions(sample_fps=2.0, max_width=200))
    analysis = analyze_session(session, [FrameCounter()], options)
    findings = analysis.runs["t_frames"].findings
    times = findings.details["times"]
    assert len(times) == 6  # 3 s at 2 fps
    assert np.allclose(np.diff(times), 0.5, atol=0.05)
    assert findings.metrics["t.mean_level"] > 20  # real picture, not black


def test_failing_analyzer_is_reported_and_others_finish(session_dir):
    analysis = analyze_session(load_session(session_dir), ALL)
    broken = analysis.runs["t_broken"]
    assert broken.status == "failed" and "ZeroDivisionError: plugin bug" in str(broken.reason)
    assert {n: r.status for n, r in analysis.runs.items() if n != "t_broken"} == {
        "t_frames": "ran",
        "t_audio": "ran",
        "t_products": "ran",
    }


def test_missing_streams_and_files_are_not_run_with_reason(tmp_path, media_dir):
    video_only = load_session(media_dir / "video_only.mp4")
    runs = analyze_session(video_only, ALL).runs
    assert runs["t_audio"].status == "not run"
    assert "has no audio track" in str(runs["t_audio"].reason)
    assert str(runs["t_products"].reason) == "the session names no products file"
    assert runs["t_frames"].status == "ran"
    audio_only = load_session(media_dir / "audio_only.wav")
    runs = analyze_session(audio_only, ALL).runs
    assert runs["t_frames"].status == "not run"
    assert "has no video track" in str(runs["t_frames"].reason)
    assert runs["t_audio"].status == "ran"


def test_cache_hit_and_miss(session_dir):
    session = load_session(session_dir)
    analyzers = [FrameCounter(), AudioLength(), ProductsReader()]
    first = analyze_session(session, analyzers)
    assert {r.status for r in first.runs.values()} == {"ran"}
    CALLS.clear()
    second = analyze_session(session, analyzers)
    assert {r.status for r in second.runs.values()} == {"cached"} and CALLS == []
    assert second.runs["t_frames"].findings.metrics == first.runs["t_frames"].findings.metrics
    # change one input: only the analyzer that reads it runs again
    (session_dir / "products.yaml").write_text("products: [changed]\n")
    third = analyze_session(load_session(session_dir), analyzers)
    assert {n: r.status for n, r in third.runs.items()} == {
        "t_frames": "cached",
        "t_audio": "cached",
        "t_products": "ran",
    }

    # a version bump invalidates that analyzer's cache
    class AudioLength2(AudioLength):
        version = "2"

    assert analyze_session(session, [AudioLength2()]).runs["t_audio"].status == "ran"
    # different sampling is a different key
    other = AnalysisOptions(frames=FrameOptions(sample_fps=1.0))
    assert analyze_session(session, [FrameCounter()], other).runs["t_frames"].status == "ran"
    assert (
        analyze_session(session, analyzers, AnalysisOptions(use_cache=False)).runs["t_audio"].status
        == "ran"
    )


def test_corrupt_cache_entry_is_a_miss(session_dir):
    session = load_session(session_dir)
    analyze_session(session, [AudioLength()])
    for f in (session_dir / ".livelab" / "findings").glob("*.json"):
        f.write_text("{ truncated")
    assert analyze_session(session, [AudioLength()]).runs["t_audio"].status == "ran"


def test_memory_per_batch_is_bounded(grid_clip):
    video = VideoPass(grid_clip, FrameOptions(sample_fps=25, max_width=120, batch_size=4))
    sizes = [len(b.frames) for b in video.batches()]
    assert max(sizes) <= 4 and sum(sizes) == video.frames_sampled >= 70
    assert video.info.width == 120 and video.info.height == 96


def test_public_api_is_importable_by_plugins():
    for name in livelab.__all__:
        assert hasattr(livelab, name)


class ProductAwareFrames(FrameCounter):
    name = "t_frames_products"
    wants = frozenset({"products"})
    metrics = (MetricSpec("t.frames2", "count", "sampled frames seen"),)


def test_wanted_files_join_the_cache_key_only_when_present(session_dir, media_dir):
    session = load_session(session_dir)
    assert (
        analyze_session(session, [ProductAwareFrames()]).runs["t_frames_products"].status == "ran"
    )
    assert (
        analyze_session(session, [ProductAwareFrames()]).runs["t_frames_products"].status
        == "cached"
    )
    (session_dir / "products.yaml").write_text("products: [changed]\n")
    again = analyze_session(load_session(session_dir), [ProductAwareFrames()])
    assert again.runs["t_frames_products"].status == "ran"
    # a session without the wanted file still runs the analyzer
    bare = analyze_session(load_session(media_dir / "video_only.mp4"), [ProductAwareFrames()])
    assert bare.runs["t_frames_products"].status == "ran"


def test_progress_reports_each_stage_to_completion(session_dir):
    seen: dict[str, list] = {}

    def progress(stage, fraction, message):
        seen.setdefault(stage, []).append((fraction, message))

    analyze_session(load_session(session_dir), [FrameCounter(), AudioLength()], progress=progress)
    assert set(seen) == {"audio", "video", "analyzers"}
    for stage, calls in seen.items():
        assert calls[-1][0] == 1.0, (stage, calls)
    video = [f for f, _ in seen["video"]]
    assert video == sorted(video)  # monotonic


class WordCount(Analyzer):
    name = "t_words"
    version = "1"
    needs = frozenset({"transcript"})
    metrics = (MetricSpec("t.words", "count", "words heard"),)

    def analyze(self, signals):
        f = Findings()
        f.set("t.words", len(signals.transcript.words))
        return f


def test_no_cache_neither_reads_nor_writes_the_cache(session_dir):
    from livelab.engine.plugins import load_plugins

    load_plugins()
    session = load_session(session_dir)
    run = analyze_session(session, [WordCount()], AnalysisOptions(use_cache=False))
    assert (
        run.runs["t_words"].status == "ran" and run.runs["t_words"].findings.metrics["t.words"] > 0
    )
    assert not (session_dir / ".livelab" / "transcripts").exists()
    assert not (session_dir / ".livelab" / "findings").exists()


def test_speech_threads_share_out_the_cores(monkeypatch):
    from livelab.builtin import executors
    from livelab.engine.pipeline import AnalysisOptions, whisper_threads_for

    monkeypatch.setattr(executors, "default_workers", lambda: 8)
    assert whisper_threads_for() == 4  # CTranslate2 gains little beyond 4
    assert whisper_threads_for(2) == 3 and whisper_threads_for(4) == 1
    assert whisper_threads_for(8) == 1 and whisper_threads_for(16) == 1
    monkeypatch.setattr(executors, "default_workers", lambda: 2)
    assert AnalysisOptions().whisper_threads == 1  # the other core runs the video pass
    assert whisper_threads_for(2) == 1


# --- what the core hands over: product cards, ops formats, one probe -----------------------

CARD = (
    "products:\n  - id: bottle\n    name: Aqua Bottle\n    price: 9\n"
    "    selling_points: [{id: cold, label: keeps water cold}]\n"
)


class CardsReader(Analyzer):
    name = "t_cards"
    version = "1"
    needs = frozenset({"products"})
    metrics = (MetricSpec("t.cards", "count", "product cards"),)
    seen: list[object] = []

    def analyze(self, signals):
        self.seen.append(signals.products)
        f = Findings()
        f.set("t.cards", len(signals.products.valid()))  # raises for an invalid file
        return f


def test_product_cards_are_read_once_and_handed_to_every_analyzer(session_dir, monkeypatch):
    import livelab.engine.pipeline as pipeline

    (session_dir / "products.yaml").write_text(CARD)
    reads: list[Path] = []
    real = pipeline.read_products
    monkeypatch.setattr(pipeline, "read_products", lambda p: reads.append(p) or real(p))
    frames, cards = ProductAwareFrames(), CardsReader()
    cards.seen = []
    runs = analyze_session(load_session(session_dir), [frames, cards],
                           AnalysisOptions(use_cache=False)).runs
    assert runs["t_cards"].findings.metrics["t.cards"] == 1
    assert len(reads) == 1
    assert frames.products is cards.seen[0]  # the frame sink got the same cards
    assert [c.id for c in cards.seen[0].cards] == ["bottle"]


def test_an_invalid_products_file_fails_only_the_analyzers_that_use_the_cards(session_dir):
    frames, cards = ProductAwareFrames(), CardsReader()
    runs = analyze_session(load_session(session_dir), [frames, cards, ProductsReader()],
                           AnalysisOptions(use_cache=False)).runs
    assert runs["t_cards"].status == "failed"
    reason = runs["t_cards"].reason  # a message: said in the reader's language, English here
    assert "products.yaml: products: is empty; list at least one product card" in str(reason)
    assert runs["t_products"].status == "ran" and runs["t_frames_products"].status == "ran"
    assert frames.products.problems and frames.products.cards == ()


class FormatsReader(Analyzer):
    name = "t_formats"
    version = "1"
    needs = frozenset({"ops"})
    metrics = (MetricSpec("t.formats", "count", "ops formats"),)

    def analyze(self, signals):
        f = Findings()
        f.details["formats"] = [fmt.name for fmt in signals.ops_formats]
        f.set("t.formats", len(signals.ops_formats))
        return f


def test_registered_ops_formats_reach_analyzers_and_their_cache_key(session_dir, monkeypatch):
    import livelab.engine.pipeline as pipeline
    from livelab import OpsFormat

    (session_dir / "ops.csv").write_text("t,online\n0,1\n")
    (session_dir / "session.toml").write_text('recording = "clip.mpg"\nops = "ops.csv"\n')
    formats = (OpsFormat("a", "", {"t": "t"}),)
    monkeypatch.setattr(pipeline, "_ops_formats", lambda: formats)
    first = analyze_session(load_session(session_dir), [FormatsReader()]).runs["t_formats"]
    assert first.status == "ran" and first.findings.details["formats"] == ["a"]
    assert analyze_session(load_session(session_dir), [FormatsReader()]).runs[
        "t_formats"].status == "cached"
    formats = (OpsFormat("a", "", {"t": "t", "Online": "online"}),)
    again = analyze_session(load_session(session_dir), [FormatsReader()]).runs["t_formats"]
    assert again.status == "ran"  # a format that reads headers differently: not the cache


def test_the_recording_is_probed_once_per_analysis(session_dir, monkeypatch):
    import livelab.engine.pipeline as pipeline
    import livelab.media.decode as decode
    from livelab.inputs.session import load_probed_session

    calls: list[Path] = []
    real = decode.probe

    def counting(path):
        calls.append(path)
        return real(path)

    monkeypatch.setattr(decode, "probe", counting)
    monkeypatch.setattr(pipeline, "probe", counting)
    session, probes = load_probed_session(session_dir)
    analysis = analyze_session(session, [FrameCounter(), AudioLength()],
                               AnalysisOptions(use_cache=False), probes=probes)
    assert {r.status for r in analysis.runs.values()} == {"ran"}
    assert calls == [session.files["recording"]]
