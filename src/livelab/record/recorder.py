"""``livelab record``: capture a rehearsal (camera + microphone, or files) into a session
folder while a simulated audience reacts to it.

The recording is a fragmented MP4 flushed every second, so Ctrl-C, a killed process or a
full disk leaves a playable file; the manifest says ``[take] status = "interrupted"``
until the take finishes cleanly.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import errno
import json
import math
import queue
import re
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import tomli_w

from livelab.api.analysis import Cue, clock
from livelab.api.errors import LivelabError
from livelab.api.products import ProductCard
from livelab.api.speech import TranscriberConfig
from livelab.api.transcript import Segment, Transcript, Word
from livelab.engine.cache import write_atomic
from livelab.engine.plugins import load_plugins, pm
from livelab.i18n import _
from livelab.inputs.products import load_products
from livelab.inputs.session import LANGUAGES, MANIFEST
from livelab.media.decode import SAMPLE_RATE
from livelab.record.audience import Audience, AudienceParams, ChatMessage, RoomState, product_infos


@dataclass(frozen=True, slots=True)
class LiveUpdate:
    """What the live room shows, sent about twice a second of recorded time.
    ``chat`` holds the messages written since the previous update."""

    phase: str  # "starting" | "recording" | "finishing"
    state: RoomState
    planned_s: float | None  # the take's planned length (None: until the source ends)
    chat: tuple[ChatMessage, ...] = ()


@dataclass(frozen=True, slots=True)
class TakeResult:
    """How a take ended. ``status`` is ``complete`` or ``interrupted`` (``reason`` says why)."""

    folder: Path
    status: str
    reason: str
    duration_s: float


#: The take's files, as the manifest names them.
RECORDING, CHAT, OPS = "recording.mp4", "chat.jsonl", "ops.csv"
LOCK = ".recording.lock"  # held while a take is recorded; removed when it ends
OPS_COLUMNS = (
    "t",
    "online",
    "entries",
    "exits",
    "views",
    "likes",
    "comments",
    "shares",
    "new_followers",
    "product_impressions",
    "product_clicks",
    "orders",
    "buyers",
    "gmv",
    "product",
)
AUDIO_RATE = 48_000
MAX_SIZE = (1280, 720)  # larger camera frames are downscaled before encoding
STEP_S = 0.5  # the audience moves and the live room updates every half second recorded
OPS_ROW_S = 10.0  # one ops.csv row per ten seconds
MIN_FREE_BYTES = 200 * 2**20  # stop cleanly before the disk is full
#: What the manifest says until the take ends cleanly: a killed recorder leaves it.
UNFINISHED = "the recorder stopped before finishing the take (killed, crashed or power lost)"
AUDIENCE_MODEL = "livelab-audience/1"


def parse_duration(text: str) -> float:
    """``90s``, ``10m``, ``1h``, ``1m30s`` or ``mm:ss`` → seconds. A bare number is refused:
    "10" could mean seconds or minutes."""
    t = text.strip().lower()
    if m := re.fullmatch(r"(\d+):([0-5]?\d)", t):
        seconds = float(int(m[1]) * 60 + int(m[2]))
    elif (
        m := re.fullmatch(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?", t)
    ) and any(m.groups()):
        h, mi, s = (float(x) if x else 0.0 for x in m.groups())
        seconds = h * 3600 + mi * 60 + s
    else:
        raise LivelabError(_("duration {text}: give a unit, e.g. 90s, 10m, 1h, 1m30s or 12:30")
                           .format(text=repr(text)))
    if seconds <= 0:
        raise LivelabError(_("duration {text}: must be longer than zero").format(text=repr(text)))
    return float(seconds)


@dataclass(frozen=True, slots=True)
class RecordOptions:
    """One take. ``camera``: a device index (``"0"``) or a video file; ``mic``: ``"default"``,
    a device index or name, or an audio/video file. ``duration_s``: ``None`` records until
    the camera file ends or the take is stopped. ``realtime``: ``False`` runs file sources as
    fast as the machine can (tests, re-running a recorded rehearsal)."""

    folder: Path
    products: Path
    camera: str = "0"
    mic: str = "default"
    duration_s: float | None = None
    seed: int = 0
    language: str = "en"
    title: str = ""
    anchor: str = ""
    team: str = ""
    realtime: bool = True
    model: str | None = None
    params: AudienceParams = field(default_factory=AudienceParams)
    plugins_dirs: tuple[Path, ...] = ()


# -- sources ------------------------------------------------------------------------------


class CameraSource:
    """Frames from a camera (OpenCV device index) or a video file, as BGR arrays no larger
    than :data:`MAX_SIZE`."""

    def __init__(self, spec: str):
        import cv2

        self.live = spec.isdigit()
        self.name = f"camera {spec}" if self.live else spec
        if not self.live and not Path(spec).is_file():
            raise LivelabError(_("{camera}: camera file not found (give a device number or a "
                                 "video)").format(camera=spec))
        self.cap = cv2.VideoCapture(int(spec) if self.live else spec)
        ok, first = self.cap.read() if self.cap.isOpened() else (False, None)
        if not ok or first is None:
            self.cap.release()
            hint = (
                _("is it connected, and not in use by another app?")
                if self.live
                else _("not a readable video file")
            )
            raise LivelabError(_("{camera}: no picture could be read ({hint})").format(
                camera=self.name, hint=hint))
        fps = self.cap.get(cv2.CAP_PROP_FPS)
        self.fps = Fraction(fps if 1 <= fps <= 120 else 30).limit_denominator(1001)
        frames = self.cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.length_s = None if self.live or frames <= 0 else float(frames / self.fps)
        h, w = first.shape[:2]
        scale = min(1.0, MAX_SIZE[0] / w, MAX_SIZE[1] / h)
        self.size = (max(2, int(w * scale) // 2 * 2), max(2, int(h * scale) // 2 * 2))
        self._first: np.ndarray | None = first

    def read(self) -> np.ndarray | None:
        import cv2

        if self._first is not None:
            frame, self._first = self._first, None
        else:
            ok, frame = self.cap.read()
            if not ok:
                return None
        if (frame.shape[1], frame.shape[0]) != self.size:
            frame = cv2.resize(frame, self.size, interpolation=cv2.INTER_AREA)
        return frame

    def close(self) -> None:
        self.cap.release()


class FileAudio:
    """Sound from an audio or video file, decoded and resampled to 48 kHz mono float32."""

    live = False

    def __init__(self, path: str):
        import av

        self.name = path
        if not Path(path).is_file():
            raise LivelabError(_("{path}: microphone file not found").format(path=path))
        try:
            self.container = av.open(path)
        except (av.FFmpegError, OSError) as exc:
            raise LivelabError(_("{path}: cannot be read as audio ({error})").format(
                path=path, error=exc)) from None
        if not self.container.streams.audio:
            self.container.close()
            raise LivelabError(_("{path}: has no audio track (give --mic a file with sound)")
                               .format(path=path))
        self.frames = self.container.decode(audio=0)
        self.resampler = av.AudioResampler(format="flt", layout="mono", rate=AUDIO_RATE)
        self.buffer: list[np.ndarray] = []
        self.buffered = 0
        self.ended = False
        self.problem = ""

    def take(self, want: int) -> np.ndarray:
        """Exactly ``want`` samples; silence once the file has ended (a microphone that
        stops delivering is a quiet room: the take goes on, and the audience hears dead air)."""
        import av

        while self.buffered < want and not self.ended:
            try:
                frames = self.resampler.resample(next(self.frames))
            except StopIteration:
                frames, self.ended = self.resampler.resample(None), True
            except av.FFmpegError as exc:  # a corrupt tail: keep what was decoded
                frames, self.ended, self.problem = [], True, f"audio ends early: {exc}"
            for f in frames:
                self.buffer.append(f.to_ndarray().reshape(-1))
                self.buffered += f.samples
        data = np.concatenate(self.buffer) if self.buffer else np.zeros(0, np.float32)
        out, rest = data[:want], data[want:]
        self.buffer, self.buffered = ([rest] if len(rest) else []), len(rest)
        if len(out) < want:
            out = np.concatenate([out, np.zeros(want - len(out), np.float32)])
        return out

    def close(self) -> None:
        self.container.close()


class MicAudio:
    """Sound from a microphone through ``sounddevice`` (the ``record`` extra)."""

    live = True

    def __init__(self, device: str):
        try:
            import sounddevice as sd
        except (ImportError, OSError) as exc:  # OSError: PortAudio itself is missing
            raise LivelabError(_(
                "microphone {device}: capture needs the record extra — pip install "
                "'livelab[record]' (Linux also needs PortAudio: apt install libportaudio2) — "
                "or give --mic a file ({error})"
            ).format(device=repr(device), error=exc)) from None
        self.name = f"microphone {device}"
        self.queue: queue.Queue[np.ndarray] = queue.Queue()
        dev = None if device == "default" else int(device) if device.isdigit() else device
        try:
            self.stream = sd.InputStream(
                samplerate=AUDIO_RATE,
                channels=1,
                dtype="float32",
                device=dev,
                callback=self._callback,
            )
            self.stream.start()
        except Exception as exc:  # PortAudioError, ValueError: no such device
            raise LivelabError(_("{device}: cannot be opened ({error})").format(
                device=self.name, error=exc)) from None

    def _callback(self, indata: np.ndarray, frames: int, time: Any, status: Any) -> None:
        self.queue.put(indata[:, 0].copy())

    def take(self, want: int) -> np.ndarray:
        """Everything captured since the last call (``want`` is ignored: a microphone
        delivers at its own pace)."""
        parts = []
        while True:
            try:
                parts.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def close(self) -> None:
        self.stream.stop()
        self.stream.close()


def is_device(spec: str) -> bool:
    """``--mic`` names a device ("default", "0", a device name), not a file."""
    return spec == "default" or spec.isdigit() or not Path(spec).suffix


def open_mic(spec: str) -> FileAudio | MicAudio:
    return MicAudio(spec) if is_device(spec) else FileAudio(spec)


# -- the recording ------------------------------------------------------------------------


class FragmentedMP4:
    """H.264 + AAC in a fragmented MP4: a fragment (about one second, from one keyframe)
    reaches the disk at a time, so a recorder killed at any moment leaves a playable file
    of all but the last second."""

    def __init__(self, path: Path, size: tuple[int, int], fps: Fraction):
        import av

        # Through a Python file, a failed write (full disk) raises OSError at once; with a
        # path, FFmpeg would note the error and carry on writing nothing.
        self.file = path.open("wb", buffering=0)
        self.container = av.open(
            self.file,
            "w",
            format="mp4",
            options={
                "movflags": "frag_keyframe+empty_moov+default_base_moof",
                "flush_packets": "1",
            },
        )
        self.video = self.container.add_stream("libx264", rate=fps)
        self.video.width, self.video.height = size
        self.video.pix_fmt = "yuv420p"
        # zerolatency: no lookahead or B-frames, so every frame leaves the encoder at once.
        self.video.options = {
            "preset": "veryfast",
            "tune": "zerolatency",
            "crf": "23",
            "g": str(max(1, round(fps))),
        }
        self.audio = self.container.add_stream("aac", rate=AUDIO_RATE)
        self.audio.layout = "mono"
        self.samples = 0
        self.last_pts = -1
        #: Seconds of the take surely in the file: a fragment is written when the next
        #: keyframe arrives, so this trails the take by up to a second.
        self.on_disk_s = 0.0
        self._key_s = 0.0
        self._size = 0

    def add_frame(self, bgr: np.ndarray, pts: int) -> None:
        import av

        if pts <= self.last_pts:
            return  # a live camera delivered two frames in one frame interval
        frame = av.VideoFrame.from_ndarray(bgr, format="bgr24")
        frame.pts = self.last_pts = pts
        for packet in self.video.encode(frame):
            if packet.is_keyframe and packet.pts is not None and packet.time_base:
                self._key_s = float(packet.pts * packet.time_base)
            self.container.mux(packet)
        self._note_written()

    def add_audio(self, samples: np.ndarray) -> None:
        import av

        if not len(samples):
            return
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate, frame.pts = AUDIO_RATE, self.samples
        self.samples += len(samples)
        for packet in self.audio.encode(frame):
            self.container.mux(packet)
        self._note_written()

    def _note_written(self) -> None:
        size = self.file.tell()
        if size != self._size:  # a fragment, up to the latest keyframe, reached the disk
            self._size, self.on_disk_s = size, self._key_s

    def close(self) -> None:
        """Write what the encoders hold and the file's end; a write that fails here (the
        disk filled up) raises OSError, and the fragments already written stay playable."""
        import av

        try:
            for stream in (self.video, self.audio):
                for packet in stream.encode(None):
                    self.container.mux(packet)
            self.container.close()
        except av.FFmpegError as exc:  # e.g. the file write failing inside FFmpeg's callback
            raise OSError(errno.EIO, f"the recording could not be finished ({exc})") from None
        finally:
            self.file.close()


# -- measuring the anchor live ------------------------------------------------------------


class Listener:
    """Measures the anchor while they speak: the current run of silence (every 0.1 s) and,
    through the transcriber and the cue detector, what they said — a few seconds of speech
    at a time, cut at pauses. In real time the transcription runs beside the capture; as
    fast as possible it runs in line, so the same input always gives the same cues."""

    BLOCK = SAMPLE_RATE // 10
    MIN_CHUNK_S, MAX_CHUNK_S, CUT_PAUSE_S = 6.0, 15.0, 0.3
    SILENCE_DBFS, RELATIVE_DB = -45.0, 25.0  # as the pace analyzer's defaults

    def __init__(self, transcriber: Any, detector: Any, background: bool):
        import av

        self.transcriber, self.detector = transcriber, detector
        self.resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        self.pending = np.zeros(0, np.float32)  # < one block, not yet measured
        self.chunk: list[np.ndarray] = []
        self.chunk_start = 0  # samples (16 kHz) from the start
        self.position = 0
        self.levels: deque[float] = deque(maxlen=600)  # the last minute of block levels
        self.quiet_blocks = 0
        self.voiced_in_chunk = 0
        self.silence_s = 0.0
        self.pool = ThreadPoolExecutor(1, "livelab-listen") if background else None
        self.jobs: deque[Any] = deque()
        self.failed = ""

    def feed(self, samples48: np.ndarray) -> None:
        import av

        if not len(samples48):
            return
        frame = av.AudioFrame.from_ndarray(samples48.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = AUDIO_RATE
        parts = [f.to_ndarray().reshape(-1) for f in self.resampler.resample(frame)]
        data = np.concatenate([self.pending, *parts])
        whole = len(data) // self.BLOCK * self.BLOCK
        self.pending = data[whole:]
        for block in data[:whole].reshape(-1, self.BLOCK):
            self._block(block)

    def _block(self, block: np.ndarray) -> None:
        level = 10 * math.log10(float(np.dot(block, block)) / len(block) + 1e-12)
        self.levels.append(level)
        loud = float(np.percentile(self.levels, 90))
        quiet = level < max(self.SILENCE_DBFS, loud - self.RELATIVE_DB)
        self.quiet_blocks = self.quiet_blocks + 1 if quiet else 0
        self.voiced_in_chunk += not quiet
        self.silence_s = self.quiet_blocks * self.BLOCK / SAMPLE_RATE
        self.chunk.append(block)
        self.position += len(block)
        length = (self.position - self.chunk_start) / SAMPLE_RATE
        pause = self.quiet_blocks * self.BLOCK / SAMPLE_RATE >= self.CUT_PAUSE_S
        if (length >= self.MIN_CHUNK_S and pause) or length >= self.MAX_CHUNK_S:
            self._cut()

    def _cut(self) -> None:
        start, audio = self.chunk_start, np.concatenate(self.chunk) if self.chunk else None
        until = self.position / SAMPLE_RATE
        voiced = self.voiced_in_chunk * self.BLOCK / SAMPLE_RATE
        self.chunk, self.chunk_start, self.voiced_in_chunk = [], self.position, 0
        if audio is None or voiced < self.CUT_PAUSE_S:
            self.jobs.append(([], until))  # nothing said: nothing to transcribe
        elif self.pool is not None:
            self.jobs.append(self.pool.submit(self._understand, audio, start, until))
        else:
            self.jobs.append(self._understand(audio, start, until))

    def _understand(self, audio: np.ndarray, start: int, until: float) -> tuple[list[Cue], float]:
        try:
            part = self.transcriber.transcribe(audio)
        except Exception as exc:  # one bad chunk must not end the take
            self.failed = f"speech could not be transcribed live: {exc}"
            return [], until
        offset = start / SAMPLE_RATE
        shifted = Transcript(
            part.language,
            part.model,
            until,
            tuple(
                Segment(
                    s.start + offset,
                    s.end + offset,
                    s.text,
                    tuple(
                        Word(w.start + offset, w.end + offset, w.text, w.probability)
                        for w in s.words
                    ),
                )
                for s in part.segments
            ),
        )
        return sorted(self.detector.detect(shifted), key=lambda c: c.t), until

    def results(self, wait: bool = False) -> list[tuple[list[Cue], float]]:
        """Cues understood so far, oldest first, each with the time heard up to."""
        out = []
        while self.jobs:
            job = self.jobs[0]
            if isinstance(job, tuple):
                out.append(job)
            elif job.done() or wait:
                out.append(job.result())
            else:
                break
            self.jobs.popleft()
        return out

    def finish(self) -> list[tuple[list[Cue], float]]:
        self._cut()
        out = self.results(wait=True)
        if self.pool is not None:
            self.pool.shutdown()
        return out


# -- the take -----------------------------------------------------------------------------


class Recorder:
    """Records one take into ``options.folder``. ``run()`` blocks (call it from a worker
    thread for a UI); ``stop()`` may be called from any thread; ``on_update`` is called
    from the recording thread with a :class:`LiveUpdate` about twice a recorded second."""

    def __init__(
        self, options: RecordOptions, on_update: Callable[[LiveUpdate], None] | None = None
    ):
        self.options = options
        self.folder = options.folder
        self.planned_s = options.duration_s
        self.on_update = on_update
        self._stop = threading.Event()
        self._stop_reason = ""
        self._stop_interrupts = False
        self._frames = 0
        self._t = 0.0  # seconds recorded
        self.warnings: list[str] = []

    def stop(self, reason: str = "stopped by the user", *, interrupted: bool = False) -> None:
        """End the take. It is ``interrupted`` when it ends before its planned length, or when
        ``interrupted`` says so (the recorder's own stops: a nearly full disk)."""
        if not self._stop.is_set():
            self._stop_reason, self._stop_interrupts = reason, interrupted
        self._stop.set()

    # The steps of run(), in order.

    def _prepare(self) -> None:
        o = self.options
        if o.language not in LANGUAGES:
            raise LivelabError(_("language {language}: must be one of {choices}").format(
                language=repr(o.language), choices=", ".join(LANGUAGES)))
        if not o.products.is_file():
            raise LivelabError(_("{path}: products file not found").format(path=o.products))
        if o.folder.exists() and (not o.folder.is_dir() or any(o.folder.iterdir())):
            raise LivelabError(
                _("{folder}: already exists and is not an empty folder (each take gets a new "
                  "folder, so no take is overwritten)").format(folder=o.folder)
            )
        if not o.realtime and (o.camera.isdigit() or is_device(o.mic)):
            raise LivelabError(_("--fast works only with a camera file and a microphone file"))
        load_plugins(o.plugins_dirs)
        cards = load_products(o.products)  # a LivelabError names the file, product and key
        detector = pm.hook.livelab_cue_detector(products=cards, language=o.language)
        if detector is None:
            raise LivelabError(_("no plugin provides a cue detector (the coverage plugin does)"))
        transcriber = pm.hook.livelab_transcriber(
            config=TranscriberConfig(language=o.language, model=o.model, threads=1, beam_size=1)
        )
        if transcriber is None:
            raise LivelabError(_("no transcriber plugin is loaded"))
        self.camera = CameraSource(o.camera)
        try:
            self.mic = open_mic(o.mic)
        except BaseException:
            self.camera.close()
            raise
        if self.planned_s is None and not self.camera.live:
            self.planned_s = self.camera.length_s
        self.audience = Audience(product_infos(cards), o.language, o.seed, o.params)
        self.listener = Listener(transcriber, detector, background=o.realtime)
        try:
            self._claim(o.folder)
        except BaseException:
            self._close_sources()
            raise
        self._copy_products(cards)
        self.started = dt.datetime.now().replace(microsecond=0)
        self._write_manifest("interrupted", UNFINISHED, 0.0)

    def _claim(self, folder: Path) -> None:
        """Make ``folder`` this take's alone: a second ``record`` into it (started at the same
        moment, both seeing it empty) would interleave two recordings into one unreadable
        file. The lock is the kernel's (flock): a killed recorder never leaves it behind."""
        folder.mkdir(parents=True, exist_ok=True)
        self._lock: TextIO | None = open(folder / LOCK, "a+", encoding="utf-8")  # noqa: SIM115
        try:
            import fcntl

            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # not POSIX: no lock
            pass
        except BlockingIOError:
            self._release(unlink=False)  # the other recorder's lock file stays
            raise LivelabError(
                _("{folder}: another livelab record is writing a take here (each take gets a "
                  "new folder)").format(folder=folder)
            ) from None
        if any(p.name != LOCK for p in folder.iterdir()):  # the other one got here first
            self._release()
            raise LivelabError(
                _("{folder}: already exists and is not an empty folder (each take gets a new "
                  "folder, so no take is overwritten)").format(folder=folder)
            )

    def _release(self, unlink: bool = True) -> None:
        lock: TextIO | None = getattr(self, "_lock", None)
        self._lock = None
        if lock is not None:
            if unlink:
                with contextlib.suppress(OSError):
                    Path(lock.name).unlink()
            lock.close()

    def _copy_products(self, cards: Sequence[ProductCard]) -> None:
        source = self.options.products
        shutil.copyfile(source, self.folder / "products.yaml")
        folder = source.parent.resolve()
        for card in cards:
            if card.image is None:
                continue
            # load_products keeps every image inside the products file's folder.
            target = self.folder / card.image.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(card.image, target)

    def _write_manifest(self, status: str, reason: str, duration_s: float) -> None:
        o = self.options
        take: dict[str, Any] = {
            "status": status,
            "reason": reason,
            "duration_s": round(duration_s, 2),
            "seed": o.seed,
            "camera": o.camera,
            "mic": o.mic,
            "audience": AUDIENCE_MODEL,
        }
        if self.planned_s is not None:
            take["planned_s"] = round(self.planned_s, 2)
        data = {
            "title": o.title or f"Rehearsal {self.started:%Y-%m-%d %H:%M}",
            "anchor": o.anchor,
            "team": o.team,
            "language": o.language,
            "recorded_at": self.started,
            "recording": RECORDING,
            "products": "products.yaml",
            "ops": OPS,
            "chat": CHAT,
            "take": take,
        }
        write_atomic(self.folder / MANIFEST, tomli_w.dumps(data))

    def run(self) -> TakeResult:
        """Record the take; returns how it ended. Raises :class:`LivelabError` before
        anything is recorded when an option, source or products file is wrong."""
        self._prepare()
        cam = self.camera
        status, reason = "complete", ""
        writer = chat = ops = None
        try:
            writer = FragmentedMP4(self.folder / RECORDING, cam.size, cam.fps)
            chat = (self.folder / CHAT).open("w", encoding="utf-8")
            ops = (self.folder / OPS).open("w", encoding="utf-8", newline="")
            table = csv.writer(ops)
            table.writerow(OPS_COLUMNS)
            try:
                status, reason = self._loop(writer, chat, table, ops)
            except KeyboardInterrupt:
                status, reason = "interrupted", f"stopped with Ctrl-C at {clock(self._t)}"
            self._wrap_up(chat, table)
        except OSError as exc:  # a full disk, a removed drive
            status, reason = "interrupted", _write_failure(exc, self._t)
        finally:
            t = self._t
            for close in (
                writer.close if writer else None,
                chat.close if chat else None,
                ops.close if ops else None,
            ):
                try:
                    if close:
                        close()
                except OSError as exc:
                    status, reason = "interrupted", reason or _write_failure(exc, t)
            self._close_sources()
            self._release()
            try:
                self._write_manifest(status, reason, t)
            except OSError as exc:  # the manifest on disk still says "interrupted"
                self.warnings.append(f"{self.folder / MANIFEST}: could not be updated ({exc})")
        return TakeResult(self.folder, status, reason, round(t, 2))

    def _loop(
        self, writer: FragmentedMP4, chat: TextIO, table: Any, ops: TextIO
    ) -> tuple[str, str]:
        o, cam, mic, room = self.options, self.camera, self.mic, self.audience
        fps = float(cam.fps)
        if mic.live:
            mic.take(0)  # sound from before the first frame (while models loaded) would lead it
        t0 = time.monotonic()
        next_step, next_row, next_check = STEP_S, OPS_ROW_S, 5.0
        row = self._row = _OpsRow(0.0, room, first=True)
        self._emit("recording", [])
        while True:
            t = self._t
            if self._stop.is_set():
                planned = self.planned_s
                early = planned is not None and t < planned - 1.0
                status = "interrupted" if early or self._stop_interrupts else "complete"
                return status, f"{self._stop_reason} at {clock(t)}"
            if self.planned_s is not None and t >= self.planned_s:
                return "complete", ""
            if o.realtime and not cam.live:  # play the file at its own speed
                time.sleep(max(0.0, t0 + self._frames / fps - time.monotonic()))
            frame = cam.read()
            if frame is None:
                return "complete", (f"{cam.name} ended at {clock(t)}" if o.duration_s else "")
            clock_t = time.monotonic() - t0 if cam.live else self._frames / fps
            writer.add_frame(frame, round(clock_t * fps) if cam.live else self._frames)
            self._frames += 1
            t = self._t = clock_t + (0 if cam.live else 1 / fps)
            wanted = round(t * AUDIO_RATE) - writer.samples
            sound = mic.take(wanted)
            writer.add_audio(sound)
            self.listener.feed(sound)
            if t >= next_step:
                next_step += STEP_S
                self._listen(room)
                new = room.step(t, self.listener.silence_s)
                _write_chat(chat, new)
                row.sample(room)
                self._emit("recording", new)
            if t >= next_row:
                next_row += OPS_ROW_S
                table.writerow(row.close(room))
                ops.flush()
                row = self._row = _OpsRow(t, room)
            if t >= next_check:
                next_check += 5.0
                self._check_disk()
                # What a kill leaves: the seconds already in the file, not the clock.
                self._write_manifest("interrupted", UNFINISHED, writer.on_disk_s)
        # not reached

    def _wrap_up(self, chat: TextIO, table: Any) -> None:
        """Hear the last words, let the room react, write the last (partial) ops row."""
        room, t = self.audience, self._t
        self._emit("finishing", [])
        self._listen(room, self.listener.finish())
        new = room.step(t, self.listener.silence_s)
        _write_chat(chat, new)
        if self.listener.failed:
            self.warnings.append(self.listener.failed)
        if t - self._row.start >= 1.0:  # a row of less than a second says nothing
            table.writerow(self._row.close(room))
        self._emit("finishing", new)

    def _listen(self, room: Audience, results: list[tuple[list[Cue], float]] | None = None) -> None:
        for cues, until in self.listener.results() if results is None else results:
            for cue in cues:
                room.hear(cue.kind, cue.t, cue.product)
            room.heard(until)

    def _check_disk(self) -> None:
        free = shutil.disk_usage(self.folder).free
        if free < MIN_FREE_BYTES:
            self.stop(f"the disk is nearly full ({free // 2**20} MB left)", interrupted=True)

    def _emit(self, phase: str, chat: list[ChatMessage]) -> None:
        if self.on_update is None:
            return
        try:
            self.on_update(LiveUpdate(phase, self.audience.state(), self.planned_s, tuple(chat)))
        except Exception as exc:  # a broken display must not lose the take
            self.warnings.append(f"live room update failed: {exc}")
            self.on_update = None

    def _close_sources(self) -> None:
        problem = getattr(getattr(self, "mic", None), "problem", "")
        if problem:
            self.warnings.append(f"{self.mic.name}: {problem}")
        for source in (getattr(self, "camera", None), getattr(self, "mic", None)):
            if source is not None:
                with contextlib.suppress(Exception):
                    source.close()


class _OpsRow:
    """One ``ops.csv`` row: the room's counters over ten seconds."""

    def __init__(self, start: float, room: Audience, first: bool = False):
        self.start = start
        self.before = _counters(room)
        if first:  # the viewers already in the room when the take starts entered in it
            self.before["entries"] = 0
        self.online: list[int] = [len(room.present)]

    def sample(self, room: Audience) -> None:
        self.online.append(len(room.present))

    def close(self, room: Audience) -> list[Any]:
        now = _counters(room)
        d = {k: now[k] - self.before[k] for k in now}
        return [
            clock(self.start),
            round(sum(self.online) / len(self.online)),
            d["entries"],
            d["exits"],
            d["entries"],
            d["likes"],
            d["comments"],
            d["shares"],
            d["followers"],
            d["impressions"],
            d["clicks"],
            d["orders"],
            d["orders"],
            f"{d['gmv']:.2f}",
            room.current or "",
        ]


def _write_chat(chat: TextIO, messages: list[ChatMessage]) -> None:
    """Append ``chat.jsonl`` lines and flush them, so a killed recorder loses none."""
    for message in messages:
        chat.write(json.dumps(message.to_json(), ensure_ascii=False) + "\n")
    if messages:
        chat.flush()


def _counters(room: Audience) -> dict[str, float]:
    return {
        k: getattr(room, k)
        for k in (
            "entries",
            "exits",
            "likes",
            "comments",
            "shares",
            "followers",
            "impressions",
            "clicks",
            "orders",
            "gmv",
        )
    }


def _write_failure(exc: OSError, t: float) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return f"the disk is full: recording stopped at {clock(t)}"
    return f"could not write the take at {clock(t)}: {exc.strerror or exc}"
