"""Analyse one session: plan the analyzers, decode each stream once, run, cache.

Transcription runs in a worker thread while the main thread makes the single video
pass (CTranslate2 and FFmpeg release the GIL), so the two overlap.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from livelab.api.analysis import Analyzer, Findings, FrameSink, OpsFormat, Signals, clock
from livelab.api.audio import AudioTrack
from livelab.api.errors import LivelabError, Problem
from livelab.api.messages import CORE_DOMAIN, Message, Messages
from livelab.api.products import ProductsFile
from livelab.api.session import Session
from livelab.api.speech import Transcriber, TranscriberConfig
from livelab.api.transcript import Transcript
from livelab.engine import limits
from livelab.engine.cache import Cache, key_of
from livelab.engine.plugins import failure_text, plugin_failures
from livelab.i18n import _
from livelab.inputs.products import read_products
from livelab.media.decode import (
    SAMPLE_RATE,
    Extent,
    FrameOptions,
    MediaInfo,
    VideoPass,
    decode_audio_track,
    probe,
    readable_extent,
)

#: Called as ``progress(stage, fraction_or_None, message)`` while a session is analysed.
Progress = Callable[[str, "float | None", str], None]

# Bump when the cached findings format changes.
CACHE_FORMAT = 1


def whisper_threads_for(workers: int = 1) -> int:
    """CPU threads for speech when ``workers`` sessions are analysed at once: each worker's
    share of the cores, less the one its video pass keeps busy (at least 1, at most 4).
    Measured on 2 cores (benchmarks/RESULTS.md): a second speech thread there made the
    analysis no faster and cost 10 % more CPU, as it only competes with the video pass."""
    from livelab.builtin.executors import default_workers  # the cores this process may use

    return max(1, min(4, default_workers() // max(1, workers) - 1))


@dataclass(slots=True)
class AnalysisOptions:
    frames: FrameOptions = field(default_factory=FrameOptions)
    model: str | None = None
    # Looked up when used, so benchmarks/pipeline.py --patch threads1 can replace it.
    whisper_threads: int = field(default_factory=lambda: whisper_threads_for())
    beam_size: int = 5
    use_cache: bool = True
    #: The session's time limit in seconds (``--timeout``); None: scaled with the
    #: recording's length (:func:`livelab.engine.limits.default_limit`); 0: none.
    time_limit_s: float | None = None

    def transcriber_config(self, language: str) -> TranscriberConfig:
        return TranscriberConfig(
            language=language,
            model=self.model,
            threads=self.whisper_threads,
            beam_size=self.beam_size,
        )


@dataclass(slots=True)
class AnalyzerRun:
    """What happened to one analyzer: ``ran``, ``cached``, ``not run`` or ``failed``."""

    name: str
    version: str
    status: str
    reason: str | Message = ""
    findings: Findings | None = None
    seconds: float = 0.0


@dataclass(slots=True)
class Analysis:
    session: Session
    duration_s: float
    runs: dict[str, AnalyzerRun]
    transcript: Transcript | None = None
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Why only part of the recording was analysed ("" when all of it was): a truncated
    #: or corrupt file. ``duration_s`` is then the part that could be read.
    partial: str = ""
    #: SHA-256 of the recording's bytes: what makes two analyses the same attempt.
    recording_sha256: str = ""


def plan(analyzers: Iterable[Analyzer], metrics: Iterable[str] | None) -> list[Analyzer]:
    """The analyzers that produce any of ``metrics``; all of them when ``metrics`` is None."""
    analyzers = list(analyzers)
    if metrics is None:
        return analyzers
    wanted = set(metrics)
    return [a for a in analyzers if any(m.name in wanted for m in a.metrics)]


def _transcriber(session: Session, options: AnalysisOptions) -> Transcriber:
    from livelab.engine.plugins import pm

    transcriber = pm.hook.livelab_transcriber(config=options.transcriber_config(session.language))
    if transcriber is None:
        raise LivelabError(_("no transcriber plugin is loaded"))
    return transcriber


def _probed(path: Path, probes: Mapping[Path, MediaInfo] | None) -> MediaInfo:
    """The header of ``path``: as loading the session read it, else read now."""
    found = probes.get(path) if probes else None
    return found if found is not None else probe(path)


def analyze_session(
    session: Session,
    analyzers: Iterable[Analyzer],
    options: AnalysisOptions | None = None,
    progress: Progress | None = None,
    probes: Mapping[Path, MediaInfo] | None = None,
) -> Analysis:
    """Run ``analyzers`` on ``session``, reusing cached findings where inputs are unchanged.

    ``probes``: the media headers :func:`livelab.inputs.session.load_probed_session` read,
    so the recording is probed once per analysis (else they are read here, once).
    """
    options = options or AnalysisOptions()
    say = progress or (lambda stage, fraction, message: None)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    notes: list[str] = []
    cache = Cache(session.cache_dir)
    if cache.outside and options.use_cache:
        notes.append(
            f"{session.cache_dir.name} (or a folder in it) links out of the session folder, "
            "so the analysis neither read nor wrote a cache"
        )
    recording = session.files["recording"]
    info = _probed(recording, probes)
    audio_info = info if session.media == recording else _probed(session.media, probes)
    duration = info.duration_s or audio_info.duration_s
    partial: list[str] = []
    for path, header in {recording: info, session.media: audio_info}.items():
        extent = _extent(cache if options.use_cache else None, path, header)
        if extent.short:
            duration = min(duration, extent.readable_s)
            partial.append(
                f"{path.name}: {extent.describe()}, so it is truncated or corrupt; "
                "only that part is analysed"
            )

    available = _available_signals(session, info, audio_info)
    runs: dict[str, AnalyzerRun] = {}
    todo: list[Analyzer] = []
    keys: dict[str, str] = {}
    transcriber: Transcriber | None = None
    present = {signal for signal, state in available.items() if state is True}
    analyzers = list(analyzers)
    if "transcript" in present and any(
        "transcript" in a.needs and a.needs <= present for a in analyzers
    ):
        transcriber = _transcriber(session, options)
    formats = _ops_formats() if "ops" in present and any(
        "ops" in a.needs | a.wants for a in analyzers
    ) else ()
    # The product cards, read once for every analyzer that needs or wants them; their
    # pictures are inputs too (a replaced image with the same products.yaml).
    products: ProductsFile | None = None
    if "products" in present and any("products" in a.needs | a.wants for a in analyzers):
        products = read_products(session.files["products"])
    # The instructor's corrections of the transcript: the analyzers that read it run again
    # on the corrected text (a LivelabError names the review file and the key).
    fixes = _transcript_fixes(session)
    for analyzer in analyzers:
        missing = [available[s] for s in sorted(analyzer.needs) if available.get(s) is not True]
        if missing:
            runs[analyzer.name] = AnalyzerRun(
                analyzer.name, analyzer.version, "not run", _all_of(missing)
            )
            continue
        key = _analyzer_key(
            analyzer, session, cache, options, transcriber, formats, duration, products, fixes
        )
        keys[analyzer.name] = key
        cached = cache.get("findings", analyzer.name, key) if options.use_cache else None
        if cached is not None:
            runs[analyzer.name] = AnalyzerRun(
                analyzer.name,
                analyzer.version,
                "cached",
                findings=Findings.from_dict(cached["findings"]),
            )
        else:
            todo.append(analyzer)

    transcript = _cached_transcript(session, cache, transcriber, options)
    need = set().union(*(a.needs for a in todo)) if todo else set()
    need_audio = bool(need & {"audio"}) or ("transcript" in need and transcript is None)

    audio: AudioTrack | None = None
    speech_error = ""
    audio_job: Future[tuple[AudioTrack | None, Transcript | None, str]] | None = None
    if need_audio:
        audio_job = _in_background(
            _audio_and_speech,
            session,
            cache if options.use_cache else None,
            transcriber if "transcript" in need else None,
            transcript,
            timings,
            say,
        )
    frame_analyzers = [a for a in todo if "frames" in a.needs]
    video = None
    sinks: dict[str, FrameSink] = {}
    if frame_analyzers:
        video, sinks = _video_pass(
            session, info, products, frame_analyzers, options.frames, runs, timings, notes,
            say,
        )
    if audio_job is not None:
        audio, fresh, speech_error = audio_job.result()
        transcript = fresh or transcript
    if fixes and transcript is not None:
        from livelab.scoring.review import correct_transcript

        transcript = correct_transcript(transcript, fixes, session.files["review"])

    if video is not None and video.problem and not partial:
        readable = video.last_time
        if readable < duration - max(1.0, 0.02 * duration):
            duration = readable
            partial.append(
                f"{recording.name}: only {clock(readable)} of {clock(info.duration_s)} could "
                f"be decoded ({video.problem}); only that part is analysed"
            )
    if "transcript" in need and transcript is None:
        for a in todo:
            if "transcript" in a.needs:
                runs[a.name] = AnalyzerRun(a.name, a.version, "not run", speech_error)
    signals = Signals(
        session=session,
        duration_s=duration,
        audio=audio,
        transcript=transcript,
        video=video.info if video else None,
        products=products,
        ops_formats=formats,
    )

    t0 = time.perf_counter()
    for done, analyzer in enumerate(todo):
        if analyzer.name in runs:
            continue
        say("analyzers", done / len(todo), _("analysing: {name}").format(name=analyzer.name))
        a0 = time.perf_counter()
        try:
            if "frames" in analyzer.needs:
                findings = sinks[analyzer.name].finish(signals)
            else:
                findings = analyzer.analyze(signals)
            if not isinstance(findings, Findings):
                raise TypeError(f"returned {type(findings).__name__}, not Findings")
            findings = _checked(findings)
        except limits.TimeLimit as exc:  # this analyzer used the time up; the rest go on
            runs[analyzer.name] = AnalyzerRun(
                analyzer.name, analyzer.version, "failed",
                f"stopped: it ran past the session's time limit of {exc.seconds:g} s",
            )  # fmt: skip
            deadline = limits.current()
            if deadline is not None:
                deadline.grace()
            continue
        except plugin_failures() as exc:
            runs[analyzer.name] = _failed(analyzer, exc)
            continue
        runs[analyzer.name] = AnalyzerRun(
            analyzer.name,
            analyzer.version,
            "ran",
            findings=findings,
            seconds=time.perf_counter() - a0,
        )
        if options.use_cache and not (video and video.problem and "frames" in analyzer.needs):
            cache.put(
                "findings",
                analyzer.name,
                keys[analyzer.name],
                {"format": CACHE_FORMAT, "findings": findings.to_dict()},
            )
    timings["analyzers"] = time.perf_counter() - t0
    if audio is not None:
        audio.close()  # its samples on disk: every analyzer has had them
    say("analyzers", 1.0, _("analysis done"))
    timings["total"] = time.perf_counter() - started
    return Analysis(
        session,
        duration,
        runs,
        transcript,
        {k: round(v, 3) for k, v in timings.items()},
        notes,
        "; ".join(partial),
        cache.digest(recording),
    )


def _extent(cache: Cache | None, path: Path, info: MediaInfo) -> Extent:
    """How much of ``path`` can be read (:func:`readable_extent`), cached by its content."""
    if cache is None:
        return readable_extent(path, info)
    key = key_of(CACHE_FORMAT, "leaps", cache.digest(path))
    found = cache.get("extent", path.name, key)
    if found is not None:
        return Extent.from_dict(found)
    extent = readable_extent(path, info)
    cache.put("extent", path.name, key, extent.to_dict())
    return extent


def transcript_of(
    session: Session, options: AnalysisOptions | None = None, progress: Progress | None = None
) -> Transcript:
    """The session's transcript, from the cache when the audio and model are unchanged."""
    options = options or AnalysisOptions()
    if not probe(session.media).has_audio:
        raise LivelabError([Problem(session.media, "has no audio track to transcribe")])
    cache = Cache(session.cache_dir)
    transcriber = _transcriber(session, options)
    transcript = _cached_transcript(session, cache, transcriber, options)
    if transcript is None:
        say = progress or (lambda stage, fraction, message: None)
        store = cache if options.use_cache else None
        _audio, transcript, error = _audio_and_speech(session, store, transcriber, None, {}, say)
        if transcript is None:
            raise LivelabError([Problem(session.media, error)])
    return transcript


M = Messages(CORE_DOMAIN)
#: Why an analyzer did not run: a file the session does not name.
_NO_FILE = {
    "products": M("no_file", "the session names no products file"),
    "ops": M("no_file", "the session names no ops file"),
    "chat": M("no_file", "the session names no chat file"),
}


def _all_of(reasons: list[Any]) -> Any:
    """Several reasons as one message: "a; b; c"."""
    if len(reasons) == 1:
        return reasons[0]
    return M("reasons", "{first}; {rest}", first=reasons[0], rest=_all_of(reasons[1:]))


def _available_signals(session: Session, info: MediaInfo, audio_info: MediaInfo) -> dict[str, Any]:
    """Signal → True, or the reason it is missing."""
    avail: dict[str, Any] = {}
    audio_reason = M("no_audio_track", "{file} has no audio track", file=session.media.name)
    avail["audio"] = avail["transcript"] = True if audio_info.has_audio else audio_reason
    avail["frames"] = True if info.has_video else M(
        "no_video_track", "{file} has no video track", file=info.path.name
    )
    for key in ("products", "ops", "chat"):
        avail[key] = True if key in session.files else _NO_FILE[key]
    return avail


def _ops_formats() -> tuple[OpsFormat, ...]:
    from livelab.engine.plugins import ops_formats

    return ops_formats()


def _analyzer_key(
    analyzer: Analyzer,
    session: Session,
    cache: Cache,
    options: AnalysisOptions,
    transcriber: Transcriber | None,
    formats: tuple[OpsFormat, ...] = (),
    duration_s: float = 0.0,
    products: ProductsFile | None = None,
    fixes: Sequence[Any] = (),
) -> str:
    # The length analysed is an input of every analyzer (rates, shares, the ops table's
    # end): it is the recording's, or the readable part of a truncated one.
    inputs: dict[str, Any] = {"duration_s": round(duration_s, 3)}
    wanted = {s for s in analyzer.wants if s in session.files}
    for signal in sorted(analyzer.needs | wanted):
        if signal in ("audio", "transcript"):
            inputs[signal] = cache.digest(session.media)
            if signal == "transcript" and transcriber is not None:
                inputs["transcriber"] = transcriber.identity
            if signal == "transcript" and fixes:  # the instructor's corrected text
                inputs["transcript_fixes"] = [f.to_dict() for f in fixes]
        elif signal == "frames":
            inputs[signal] = [cache.digest(session.files["recording"]), _frame_key(options.frames)]
        else:
            inputs[signal] = cache.digest(session.files[signal])
            if signal == "ops":  # the formats decide which columns the headers are
                inputs["ops_formats"] = [[f.name, sorted(f.columns.items())] for f in formats]
                if session.ops_sheet:
                    inputs["ops_sheet"] = session.ops_sheet
            if signal == "products" and products is not None:
                inputs["images"] = [
                    [c.id, cache.digest(c.image) if c.image.is_file() else None]
                    for c in products.cards
                    if c.image is not None
                ]
    return key_of(
        CACHE_FORMAT, analyzer.name, analyzer.version, analyzer.options(), session.language, inputs
    )


def _transcript_fixes(session: Session) -> tuple[Any, ...]:
    """The review file's transcript corrections; none without a review."""
    if "review" not in session.files:
        return ()
    from livelab.scoring.review import read_review

    return tuple(read_review(session.files["review"]).transcript)


def _frame_key(frames: FrameOptions) -> list[float | str]:
    # "nonref": sampled frames come from reference frames only (media.VideoPass), so findings
    # cached before that change are not reused.
    # "upright": frames are turned as the file's display rotation says (phone video).
    return [frames.sample_fps, frames.max_width, "nonref", "upright"]


def _transcript_key(session: Session, cache: Cache, transcriber: Transcriber) -> str:
    return key_of(CACHE_FORMAT, cache.digest(session.media), transcriber.identity)


def _cached_transcript(
    session: Session, cache: Cache, transcriber: Transcriber | None, options: AnalysisOptions
) -> Transcript | None:
    if transcriber is None or not options.use_cache:
        return None
    hit = cache.get("transcripts", "transcript", _transcript_key(session, cache, transcriber))
    return Transcript.from_dict(hit["transcript"]) if hit else None


def _audio_and_speech(
    session: Session,
    cache: Cache | None,
    transcriber: Transcriber | None,
    transcript: Transcript | None,
    timings: dict[str, float],
    say: Progress,
) -> tuple[AudioTrack | None, Transcript | None, str]:
    """Decode the audio once (to a track on disk: memory stays flat however long the
    recording) and transcribe it; returns (audio, transcript, error)."""
    t0 = time.perf_counter()
    say("audio", None, _("decoding audio of {file}").format(file=session.media.name))
    try:
        audio = decode_audio_track(session.media)
    except LivelabError as exc:
        from livelab.i18n import error_text

        return None, None, error_text(exc)
    timings["audio_decode"] = time.perf_counter() - t0
    say("audio", 1.0, _("audio decoded ({seconds:.0f} s)").format(seconds=len(audio) / SAMPLE_RATE))
    if transcriber is None or transcript is not None:
        return audio, transcript, ""
    t1 = time.perf_counter()
    say("transcribe", None,
        _("transcribing {seconds:.0f} s of speech").format(seconds=len(audio) / SAMPLE_RATE))
    try:
        transcript = transcriber.transcribe(audio)
    except plugin_failures() as exc:
        return audio, None, f"transcription failed: {type(exc).__name__}: {exc}"
    timings["transcribe"] = time.perf_counter() - t1
    if cache is not None:  # None: --no-cache, which neither reads nor writes the cache
        cache.put(
            "transcripts",
            "transcript",
            _transcript_key(session, cache, transcriber),
            {"format": CACHE_FORMAT, "transcript": transcript.to_dict()},
        )
    say("transcribe", 1.0, _("transcribed ({count} words)").format(count=len(transcript.words)))
    return audio, transcript, ""


def _in_background(fn: Callable[..., Any], *args: Any) -> Future[Any]:
    """``fn(*args)`` in a daemon thread: a session stopped at its time limit while the
    speech model is busy must not leave the process waiting on it at exit."""
    job: Future[Any] = Future()

    def run() -> None:
        try:
            job.set_result(fn(*args))
        except BaseException as exc:  # noqa: B036 - handed to the waiting thread
            job.set_exception(exc)

    threading.Thread(target=run, name="livelab-audio", daemon=True).start()
    return job


def _video_pass(
    session: Session,
    info: MediaInfo,
    products: ProductsFile | None,
    frame_analyzers: list[Analyzer],
    frame_options: FrameOptions,
    runs: dict[str, AnalyzerRun],
    timings: dict[str, float],
    notes: list[str],
    say: Progress,
) -> tuple[VideoPass | None, dict[str, FrameSink]]:
    t0 = time.perf_counter()
    recording = session.files["recording"]
    try:
        video = VideoPass(recording, frame_options, info)
    except LivelabError as exc:
        from livelab.i18n import problems_message

        for a in frame_analyzers:
            runs[a.name] = AnalyzerRun(a.name, a.version, "not run",
                                       problems_message(exc.problems))
        return None, {}
    sinks: dict[str, FrameSink] = {}
    for a in frame_analyzers:
        try:
            sinks[a.name] = a.frame_sink(video.info, session, products)
        except plugin_failures() as exc:
            runs[a.name] = _failed(a, exc)
    duration = video.info.duration_s or 1.0
    for batch in video.batches():
        for name in list(sinks):
            try:
                sinks[name].feed(batch)
            except plugin_failures() as exc:
                analyzer = next(a for a in frame_analyzers if a.name == name)
                runs[name] = _failed(analyzer, exc)
                del sinks[name]
        say(
            "video",
            min(1.0, video.last_time / duration),
            _("video: {count} frames sampled").format(count=video.frames_sampled),
        )
        if not sinks:
            break
    if video.problem:
        notes.append(f"{recording.name}: {video.problem}; frames after that were not analysed")
    timings["video_pass"] = time.perf_counter() - t0
    say("video", 1.0, _("video: {count} frames sampled").format(count=video.frames_sampled))
    return video, sinks


def _checked(findings: Findings) -> Findings:
    """A plugin's findings as the scorecard may hold them: a metric that is not a finite
    number (NaN, inf, a string) is unmeasured, saying so, never scored as 0 or full marks;
    numpy numbers become plain ones; anything else that is not JSON fails the analyzer."""
    import json
    import math

    for name, value in list(findings.metrics.items()):
        number = value.item() if isinstance(value, np.generic) else value
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(
            number
        ):
            findings.set(name, None, f"the analyzer reported {value!r}, not a finite number")
        else:
            findings.metrics[name] = float(number)

    def plain(obj: Any) -> Any:
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
        raise TypeError(f"details hold a {type(obj).__name__}, which is not JSON")

    try:
        data = json.loads(json.dumps(findings.to_dict(), default=plain, allow_nan=False))
    except ValueError as exc:  # NaN or inf in details or series
        raise ValueError(f"findings hold a number that is not finite ({exc})") from None
    return Findings.from_dict(data)


def _failed(analyzer: Analyzer, exc: BaseException) -> AnalyzerRun:
    if isinstance(exc, LivelabError):  # bad input (a malformed products.yaml, …), not a bug
        from livelab.i18n import problems_message

        return AnalyzerRun(analyzer.name, analyzer.version, "failed",
                           problems_message(exc.problems))
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}" if where else ""
    return AnalyzerRun(
        analyzer.name, analyzer.version, "failed", f"{failure_text(exc)}{at}"
    )
