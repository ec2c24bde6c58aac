"""The pace plugin: speaking rate, pauses and dead air, fillers, loudness — on real speech."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from livelab import Findings, Segment, Signals, Transcript, Word
from livelab.inputs.session import Session
from livelab_pace import METRICS, PaceAnalyzer, PaceOptions
from livelab_pace.fillers import count_units, find_fillers, find_repeats
from livelab_pace.measure import timed_units
from tests.conftest import SAMPLE, SHARED_DATA

DATA = SHARED_DATA
JFK = DATA / "speech" / "jfk.flac"
SR = 16_000
INSERT_AT_S = 1.76  # between "fellow" and "Americans": speech on both sides
INSERTED_S = 4.0

needs_data = pytest.mark.skipif(not JFK.is_file(), reason=f"real speech data not found at {DATA}")


def _write_wav(path: Path, audio: np.ndarray) -> Path:
    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())
    return path


def _analyze(path: Path) -> Findings:
    from livelab.engine.pipeline import analyze_session
    from livelab.engine.plugins import load_plugins
    from livelab.inputs.session import load_session

    load_plugins()
    run = analyze_session(load_session(path), [PaceAnalyzer()]).runs["pace"]
    assert run.status == "ran", run.reason
    assert run.findings is not None
    return run.findings


def _signals(audio: np.ndarray, transcript: Transcript | None, language: str = "en") -> Signals:
    session = Session(root=Path("."), title="t", language=language, files={})
    return Signals(session=session, duration_s=len(audio) / SR, audio=audio, transcript=transcript)


@pytest.fixture(scope="module")
def jfk_findings(tmp_path_factory: pytest.TempPathFactory) -> Findings:
    if not JFK.is_file():
        pytest.skip(f"real speech data not found at {DATA}")
    copy = tmp_path_factory.mktemp("jfk") / JFK.name
    shutil.copy2(JFK, copy)
    return _analyze(copy)


@needs_data
@pytest.mark.slow
def test_jfk_rate_within_five_percent_and_no_dead_air(jfk_findings: Findings) -> None:
    m = jfk_findings.metrics
    assert m["pace.rate_overall"] == pytest.approx(120.0, rel=0.05)  # 22 words / 11.0 s
    # Speaking time excludes pauses, so the speaking rate is faster than the clock rate.
    assert m["pace.rate_speaking"] > m["pace.rate_overall"]
    assert 0.5 < m["pace.speaking_ratio"] < 1.0
    assert m["pace.dead_air_count"] == 0 and jfk_findings.evidence == []
    assert 0.3 <= m["pace.longest_pause_s"] < 3.0
    assert -30 < m["pace.loudness_dbfs"] < -5
    assert jfk_findings.details["rate_unit"] == "wpm"
    timeline = jfk_findings.series[0]
    assert timeline.name == "pace.rate_timeline" and timeline.t == (0.0,)
    assert "pace.rate_variability" in jfk_findings.unmeasured  # 11 s is one window


@needs_data
@pytest.mark.slow
def test_inserted_silence_is_one_dead_air_span_at_its_place(tmp_path: Path) -> None:
    from livelab.media.decode import decode_audio

    audio = decode_audio(JFK)
    cut = int(INSERT_AT_S * SR)
    gap = np.zeros(int(INSERTED_S * SR), dtype=np.float32)
    path = _write_wav(tmp_path / "jfk_gap.wav", np.concatenate([audio[:cut], gap, audio[cut:]]))
    f = _analyze(path)
    assert f.metrics["pace.dead_air_count"] == 1
    (span,) = [e for e in f.evidence if e.metric == "pace.dead_air_count"]
    assert span.start_s == pytest.approx(INSERT_AT_S, abs=0.3)
    assert span.end_s == pytest.approx(INSERT_AT_S + INSERTED_S, abs=0.3)
    assert span.text == f"dead air ({span.end_s - span.start_s:.1f} s)"
    assert f.metrics["pace.longest_pause_s"] == pytest.approx(span.end_s - span.start_s)
    # The clock rate now includes the silence; the speaking rate does not.
    assert f.metrics["pace.rate_overall"] == pytest.approx(22 / 15.0 * 60, rel=0.05)


@needs_data
@pytest.mark.slow
def test_mandarin_rate_counts_characters(tmp_path: Path) -> None:
    wav = DATA / "speech" / "aishell-BAC009S0724W0121.wav"
    shutil.copy2(wav, tmp_path / wav.name)
    (tmp_path / "session.toml").write_text(
        f'title = "aishell"\nlanguage = "zh"\nrecording = "{wav.name}"\n', encoding="utf-8")
    f = _analyze(tmp_path)
    assert f.details["rate_unit"] == "cpm"
    # 12 hanzi over 4.281 s (ground_truth.json); punctuation is not counted.
    assert f.metrics["pace.rate_overall"] == pytest.approx(168.2, rel=0.05)


@needs_data
@pytest.mark.slow
def test_silence_only_recording_is_unmeasured_with_a_reason(tmp_path: Path) -> None:
    f = _analyze(_write_wav(tmp_path / "silence.wav", np.zeros(5 * SR, dtype=np.float32)))
    assert f.metrics == {}
    assert set(f.unmeasured) == {m.name for m in METRICS}
    assert "no speech" in str(f.unmeasured["pace.rate_overall"])


def test_half_second_recording_is_unmeasured_with_a_reason() -> None:
    audio = (0.1 * np.sin(np.arange(SR // 2) / 5)).astype(np.float32)
    f = PaceAnalyzer().analyze(_signals(audio, Transcript("en", "t", 0.5, ())))
    assert f.metrics == {}
    assert "0.5 s long" in str(f.unmeasured["pace.loudness_dbfs"])


def test_words_heard_in_silence_are_ignored() -> None:
    # Whisper's classic hallucination: "Thank you." over digital silence.
    audio = np.zeros(6 * SR, dtype=np.float32)
    seg = Segment(2.0, 3.0, "Thank you.", (Word(2.0, 2.4, "Thank"), Word(2.4, 3.0, "you.")))
    f = PaceAnalyzer().analyze(_signals(audio, Transcript("en", "t", 6.0, (seg,))))
    assert f.metrics == {}
    assert "no speech" in str(f.unmeasured["pace.rate_speaking"])
    assert len(f.details["ignored_words_in_silence"]) == 2


def _transcript(language: str, *pieces: tuple[float, float, str]) -> Transcript:
    words = tuple(Word(a, b, t) for a, b, t in pieces)
    return Transcript(language, "hand", pieces[-1][1], (Segment(words[0].start, words[-1].end,
                                                               "", words),))


def test_english_fillers_respect_context() -> None:
    text = ("Um, so, the bottle is, like, great, you know. I would like to say you know the "
            "price. Actually it is basically free, right?")
    pieces = [(i * 0.3, i * 0.3 + 0.25, w) for i, w in enumerate(text.split())]
    units = timed_units(_transcript("en", *pieces))
    found = [f.text for f in find_fillers(units, "en")]
    # "would like" and "you know the price" are ordinary speech.
    assert found == ["um", "so", "like", "you know", "actually", "basically", "right"]
    assert count_units(units, "en") == 24


def test_mandarin_fillers_follow_context_rules() -> None:
    # One character per word, as Whisper times Mandarin; 0.2 s apart unless a pause is given.
    def chars(text: str, start: float = 0.0) -> list[tuple[float, float, str]]:
        return [(start + i * 0.2, start + i * 0.2 + 0.18, c) for i, c in enumerate(text)]

    line = ("那个，我们今天就是说这个产品非常好，然后嗯价格是金额的一半对吧。"
            "这就是我们的产品啊。啊大家好额这个这个价格")
    units = timed_units(_transcript("zh", *chars(line)))
    found = [f.text for f in find_fillers(units, "zh")]
    assert found == ["那个", "就是", "然后", "嗯", "对吧", "啊", "额", "这个"]
    # 这个产品, 金额, 这就是, a sentence-final 啊: not fillers. Punctuation is not counted.
    assert count_units(units, "zh") == sum(ch.isalpha() for ch in line)

    # Without punctuation, a silence marks the clause end: 那个 before a 0.6 s pause is a filler.
    paused = chars("我们那个") + chars("价格很好", start=0.8 + 0.6)
    assert [f.text for f in find_fillers(timed_units(_transcript("zh", *paused)), "zh")] == ["那个"]
    flowing = chars("我们那个价格很好")
    assert find_fillers(timed_units(_transcript("zh", *flowing)), "zh") == []


def test_repeats_ignore_grammatical_doubling() -> None:
    en = timed_units(_transcript("en", (0, 0.2, "the"), (0.2, 0.4, "the"), (0.4, 0.8, "bottle"),
                                 (0.8, 1.0, "had"), (1.0, 1.2, "had"), (1.2, 1.4, "today."),
                                 (1.4, 1.6, "Today")))  # two sentences, not a restart
    assert [r.phrase for r in find_repeats(en, "en")] == ["the"]
    zh = timed_units(_transcript("zh", *[(i * 0.2, i * 0.2 + 0.2, c)
                                        for i, c in enumerate("我们我们看看谢谢大家")]))
    assert [r.phrase for r in find_repeats(zh, "zh")] == ["我们"]


def test_options_are_part_of_the_cache_key() -> None:
    assert PaceAnalyzer().options() != PaceAnalyzer(PaceOptions(dead_air_s=5.0)).options()
    assert all(m.better in ("target", "lower", "higher") for m in METRICS)
    assert len({m.name for m in METRICS}) == len(METRICS) == 10


def test_recording_shorter_than_the_growth_window() -> None:
    # Found by the bad-input corpus: a 2 s recording is shorter than the 1 s-each-way window
    # speech grows into, and np.convolve(mode="same") returned the kernel's length.
    sr = 16000
    audio = (0.2 * np.sin(np.arange(2 * sr) / 3)).astype(np.float32)
    seg = Segment(0.2, 1.6, "hello there", (Word(0.2, 0.7, "hello"), Word(0.8, 1.6, "there")))
    f = PaceAnalyzer().analyze(_signals(audio, Transcript("en", "t", 2.0, (seg,))))
    assert f.metrics["pace.speaking_ratio"] > 0.5
    assert f.metrics["pace.dead_air_count"] == 0


def _reencode(src: Path, dst: Path, codec: str, rate: int, layout: str) -> Path:
    """Re-encode real speech into another container/codec/layout with PyAV."""
    import av

    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        stream.layout = layout
        resampler = av.AudioResampler(format=stream.format.name, layout=layout, rate=rate)
        for frame in inp.decode(audio=0):
            for f in resampler.resample(frame):
                for packet in stream.encode(f):
                    out.mux(packet)
        for f in resampler.resample(None):
            for packet in stream.encode(f):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return dst


@needs_data
@pytest.mark.slow
@pytest.mark.parametrize(
    "name, codec, rate, layout",
    [
        ("jfk.mp3", "libmp3lame", 44100, "stereo"),
        ("jfk.m4a", "aac", 44100, "stereo"),
        ("jfk.webm", "libopus", 48000, "stereo"),
        ("jfk.flv", "aac", 44100, "mono"),
    ],
)
def test_audio_tracks_in_other_containers(tmp_path: Path, name, codec, rate, layout) -> None:
    # Students bring whatever their phone or laptop writes: stereo 44.1/48 kHz, lossy codecs.
    f = _analyze(_reencode(JFK, tmp_path / name, codec, rate, layout))
    assert f.metrics["pace.rate_overall"] == pytest.approx(120.0, rel=0.05)
    assert f.metrics["pace.dead_air_count"] == 0


@needs_data
@pytest.mark.slow
def test_heavily_clipped_speech_is_still_measured(tmp_path: Path) -> None:
    from livelab.media.decode import decode_audio

    loud = decode_audio(JFK) * 12.0  # most peaks far beyond full scale, clipped in the file
    f = _analyze(_write_wav(tmp_path / "clipped.wav", loud))
    assert f.details["clipped_fraction"] > 0.05
    assert f.metrics["pace.rate_overall"] == pytest.approx(120.0, rel=0.05)


@pytest.mark.slow
def test_each_filler_is_a_transcript_highlight(tmp_path: Path) -> None:
    """The pace plugin declares its fillers as highlights (``filler_spans`` stays too)."""
    folder = tmp_path / "demo"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns(".livelab"))
    f = _analyze(folder)
    spans = f.details["filler_spans"]
    assert spans and [(h.start_s, h.end_s, h.kind, h.label, h.text) for h in f.highlights] == [
        (a, b, "filler", "filler", f"filler “{t}”") for a, b, t in spans
    ]
    assert PaceAnalyzer.title == "Speaking" and all(m.title for m in PaceAnalyzer.metrics)
    (series,) = f.series
    assert series.title == "Pace per 30 s, pauses included"  # not the scored rate
