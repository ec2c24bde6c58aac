"""Media: probe a recording, decode its audio once, stream its video once as sampled batches."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from livelab.api.analysis import FrameBatch, clock
from livelab.api.audio import SAMPLE_RATE, AudioTrack
from livelab.api.errors import MediaError, Problem
from livelab.api.media import VideoInfo
from livelab.i18n import _

#: Frames are skipped at decode only when at most one in SPARSE is sampled.
SPARSE = 4


@dataclass(frozen=True, slots=True)
class MediaInfo:
    path: Path
    duration_s: float
    has_audio: bool
    has_video: bool
    width: int = 0
    height: int = 0
    fps: float = 0.0
    video_codec: str = ""
    audio_codec: str = ""


@dataclass(frozen=True, slots=True)
class FrameOptions:
    """How the single video pass samples frames.

    ``sample_fps``: frames per second handed to analyzers (2 is enough to follow a face).
    ``max_width``: frames wider than this are downscaled (detection does not need 1080p).
    ``batch_size``: frames per batch handed to each analyzer.
    """

    sample_fps: float = 2.0
    max_width: int = 640
    batch_size: int = 16


def _open(path: Path):  # noqa: ANN202 - av's container type
    import av

    try:
        return av.open(str(path), metadata_errors="ignore")
    except FileNotFoundError:
        raise MediaError([Problem(path, _("file not found"))]) from None
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise MediaError(
            [Problem(path, _("cannot be read as audio/video ({why})").format(why=_reason(exc)))]
        ) from None


def _reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.split(":")[0] if len(text) > 120 else text


def probe(path: Path) -> MediaInfo:
    """Read the container header; raise :class:`MediaError` when there is nothing to analyse."""
    if path.stat().st_size == 0:
        raise MediaError([Problem(path, _("file is empty (0 bytes)"))])
    with _open(path) as container:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        if video is None and audio is None:
            raise MediaError([Problem(path, _("has no audio or video track"))])
        # The longer track is the session: a 3 s video track with 90 s of speech is a 90 s
        # session (taking the video's 3 s once gave 4240 words per minute).
        duration = max(_duration(container, s) for s in (video, audio) if s is not None)
        info = MediaInfo(
            path=path,
            duration_s=duration,
            has_audio=audio is not None,
            has_video=video is not None,
            audio_codec=audio.codec_context.name if audio is not None else "",
        )
        if video is not None:
            cc = video.codec_context
            fps = float(video.average_rate or video.guessed_rate or 0)
            info = MediaInfo(
                **{
                    **_fields(info),
                    "width": cc.width,
                    "height": cc.height,
                    "fps": fps,
                    "video_codec": cc.name,
                },
            )
            if cc.width <= 0 or cc.height <= 0:
                raise MediaError(
                    [Problem(path, _("video track has no frame size (corrupt header?)"))]
                )
    return info


def _fields(info: MediaInfo) -> dict:
    return {name: getattr(info, name) for name in MediaInfo.__slots__}


def _duration(container, stream) -> float:  # noqa: ANN001
    if stream is not None and stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return 0.0


@dataclass(frozen=True, slots=True)
class Track:
    """Where a track really ends (its last whole packet) against its header's duration."""

    kind: str
    claimed_s: float
    readable_s: float
    #: Where the timestamps jumped to, when they leap far ahead (a broken muxer's
    #: 1e10 s): the track is read up to the leap. 0 when they run on.
    jump_s: float = 0.0

    def short(self) -> bool:
        slack = max(Extent.TOLERANCE_S, Extent.TOLERANCE_SHARE * self.claimed_s)
        return self.claimed_s > 0 and self.readable_s < self.claimed_s - slack


@dataclass(frozen=True, slots=True)
class Extent:
    """How much of a recording can be read, against what its container claims. A
    truncated download or an unfinished copy claims the full length in its header but
    holds only the start; a track that is meant to be shorter claims its own length."""

    claimed_s: float
    tracks: tuple[Track, ...] = ()

    #: Packets' ends and the header's duration differ by a frame or two on whole files.
    TOLERANCE_S: ClassVar[float] = 1.0
    TOLERANCE_SHARE: ClassVar[float] = 0.02

    @property
    def short(self) -> bool:
        return any(t.short() for t in self.tracks)

    @property
    def readable_s(self) -> float:
        """The length every track can be read to: the part that can be analysed."""
        if not self.short:
            return self.claimed_s
        return min(t.readable_s for t in self.tracks if t.short())

    #: A gap this long between one packet and the next is a broken timeline, not a pause:
    #: a recorder that stalls repeats frames, it does not skip an hour.
    MAX_GAP_S: ClassVar[float] = 3600.0

    def describe(self) -> str:
        """"only 00:10 of 01:30 can be read (video 00:10, audio 00:10)"."""
        shown = ", ".join(
            f"{t.kind} {clock(t.readable_s)}"
            + (f", then its timestamps jump to {clock(t.jump_s)}" if t.jump_s else "")
            for t in self.tracks
        )
        return f"only {clock(self.readable_s)} of {clock(self.claimed_s)} can be read ({shown})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "claimed_s": self.claimed_s,
            "readable_s": self.readable_s,
            "tracks": {t.kind: {"claimed_s": t.claimed_s, "readable_s": t.readable_s,
                                "jump_s": t.jump_s}
                       for t in self.tracks},  # fmt: skip
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Extent:
        tracks = tuple(
            Track(kind, t["claimed_s"], t["readable_s"], t.get("jump_s", 0.0))
            for kind, t in data["tracks"].items()
        )
        return cls(data["claimed_s"], tracks)


def readable_extent(path: Path, info: MediaInfo | None = None) -> Extent:
    """Read every packet's timing (no decoding: tens of milliseconds a minute of video) and
    compare where the first video and audio tracks really end with what the header claims."""
    import av

    info = info if info is not None else probe(path)
    with _open(path) as container:
        chosen = [
            s for s in (container.streams.video[:1] + container.streams.audio[:1])
        ]
        claims = {s.index: _duration(container, s) for s in chosen}
        starts = {
            s.index: float(s.start_time * s.time_base)
            if s.start_time is not None and s.time_base is not None
            else 0.0
            for s in chosen
        }
        ends = dict.fromkeys(claims, 0.0)
        jumps = dict.fromkeys(claims, 0.0)
        try:
            for packet in container.demux(*chosen):
                index = packet.stream.index
                if packet.pts is None or not packet.size or packet.time_base is None:
                    continue
                if jumps[index]:
                    continue  # past a leap: nothing after it is on the recording's timeline
                begin = float(packet.pts * packet.time_base) - starts[index]
                end = begin + float((packet.duration or 0) * packet.time_base)
                if math.isfinite(begin) and begin > ends[index] + Extent.MAX_GAP_S:
                    jumps[index] = begin
                elif math.isfinite(end) and end > ends[index]:
                    ends[index] = end
        except (av.FFmpegError, OSError):
            pass  # the file ends in garbage: what came before it counts
        tracks = tuple(
            Track(s.type, round(claims[s.index], 3), round(ends[s.index], 3),
                  round(jumps[s.index], 3))
            for s in chosen
        )
    return Extent(round(info.duration_s, 3), tracks)


def decode_audio(path: Path) -> np.ndarray:
    """The first audio track as 16 kHz mono float32, all in memory (short clips; a session's
    audio is :func:`decode_audio_track`)."""
    track = decode_audio_track(path)
    try:
        return track[:]
    finally:
        track.close()


def decode_audio_track(path: Path) -> AudioTrack:
    """Decode the first audio track to 16 kHz mono, streamed to an :class:`AudioTrack` on
    disk: one pass through PyAV, the same samples as faster-whisper's ``decode_audio`` (its
    resampler settings and frame grouping), but no whole-recording buffer in memory (that
    decoder holds ~10 bytes a sample at its peak: 1.1 GB for two hours)."""
    import gc
    import itertools
    import tempfile

    import av

    resampler = av.audio.resampler.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    file = tempfile.TemporaryFile()
    samples = 0
    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise MediaError([Problem(path, _("has no audio track"))])
            fifo = av.audio.fifo.AudioFifo()

            def grouped() -> Any:
                for frame in _valid(container.decode(audio=0)):
                    frame.pts = None  # as faster-whisper: no timestamp checks
                    fifo.write(frame)
                    if fifo.samples >= 500_000:
                        yield fifo.read()
                if fifo.samples > 0:
                    yield fifo.read()

            for group in itertools.chain(grouped(), [None]):  # None flushes the resampler
                for frame in resampler.resample(group):
                    pcm = frame.to_ndarray().astype("<i2", copy=False).reshape(-1)
                    file.write(pcm.tobytes())
                    samples += len(pcm)
    except (av.FFmpegError, OSError) as exc:
        file.close()
        raise MediaError(
            [Problem(path, _("audio cannot be decoded ({why})").format(why=_reason(exc)))]
        ) from None
    except BaseException:
        file.close()
        raise
    finally:
        del resampler
        gc.collect()  # PyAV's resampler objects are freed only by the collector
    return AudioTrack(file, samples)


def _valid(frames: Any) -> Any:
    """The frames, skipping any the decoder finds invalid (as faster-whisper does)."""
    import av

    iterator = iter(frames)
    while True:
        try:
            yield next(iterator)
        except StopIteration:
            return
        except av.error.InvalidDataError:
            continue


def _quarter_turns(path: Path) -> int:
    """The display rotation of the first frame in quarter turns counterclockwise (0–3)."""
    import av

    try:
        with _open(path) as container:
            frame = next(container.decode(video=0), None)
    except (av.FFmpegError, MediaError):
        return 0  # the pass itself reports what is wrong with the file
    rotation = getattr(frame, "rotation", 0) or 0
    return round(rotation / 90) % 4


class VideoPass:
    """One streaming pass over a video track, yielding sampled, downscaled frame batches.

    Memory is bounded by one batch whatever the recording's length. A decode error in
    the middle (a corrupt tail) ends the pass early and is kept in ``problem``, so the
    part before it is still analysed.
    """

    def __init__(
        self, path: Path, options: FrameOptions | None = None, info: MediaInfo | None = None
    ):
        """``info``: the file's :func:`probe`, when the caller has it (else it is read)."""
        self.path = path
        self.options = options or FrameOptions()
        self.problem = ""
        self.frames_sampled = 0
        self.last_time = 0.0
        info = info if info is not None else probe(path)
        if not info.has_video:
            raise MediaError([Problem(path, _("has no video track"))])
        #: Quarter turns (counterclockwise) the player applies: a phone's portrait video is
        #: stored landscape with a rotation; analysers see it upright, as a viewer does.
        self.turns = _quarter_turns(path)
        shown_w, shown_h = info.width, info.height
        if self.turns % 2:
            shown_w, shown_h = shown_h, shown_w
        scale = min(1.0, self.options.max_width / shown_w)
        self.info = VideoInfo(
            path=path,
            source_width=shown_w,
            source_height=shown_h,
            width=max(2, int(round(shown_w * scale / 2)) * 2),
            height=max(2, int(round(shown_h * scale / 2)) * 2),
            fps=info.fps,
            duration_s=info.duration_s,
            codec=info.video_codec,
            sample_fps=self.options.sample_fps,
        )

    def batches(self) -> Iterator[FrameBatch]:
        import av

        interval = 1.0 / self.options.sample_fps
        info = self.info
        scale = info.width / info.source_width
        frames: list[np.ndarray] = []
        times: list[float] = []
        next_t = 0.0
        with _open(self.path) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if info.fps and self.options.sample_fps * SPARSE <= info.fps:
                # Sampling 2 of 30 frames a second: non-reference frames (most B-frames) are
                # never needed to decode other frames, so they need not be decoded at all; a
                # sample then lands on the next reference frame, a few frames (<= 0.1 s) later.
                # Measured on 720p30 H.264: -30% video-decode time, the same scores.
                stream.codec_context.skip_frame = "NONREF"
            start = float(stream.start_time * stream.time_base) if stream.start_time else 0.0
            try:
                for frame in container.decode(stream):
                    if frame.pts is None:
                        continue
                    t = float(frame.pts * stream.time_base) - start
                    if t + 1e-6 < next_t:
                        continue
                    # The next sample time after t, computed, not stepped to: a timestamp
                    # that jumps to 1e10 s must not mean 2e10 steps.
                    next_t = (np.floor((t + 1e-6) / interval) + 1) * interval
                    frames.append(self._upright(frame))
                    times.append(t)
                    if len(frames) >= self.options.batch_size:
                        yield self._batch(frames, times, scale)
                        frames, times = [], []
            except av.FFmpegError as exc:
                self.problem = f"video decoding stopped at {clock(self.last_time)}: {_reason(exc)}"
        if frames:
            yield self._batch(frames, times, scale)

    def _upright(self, frame: Any) -> np.ndarray:
        """The frame downscaled and turned as a player shows it, BGR."""
        w, h = self.info.width, self.info.height
        if not self.turns:
            return frame.to_ndarray(width=w, height=h, format="bgr24")
        stored = (h, w) if self.turns % 2 else (w, h)
        image = frame.to_ndarray(width=stored[0], height=stored[1], format="bgr24")
        return np.ascontiguousarray(np.rot90(image, self.turns))

    def _batch(self, frames: list[np.ndarray], times: list[float], scale: float) -> FrameBatch:
        self.frames_sampled += len(frames)
        self.last_time = times[-1]
        return FrameBatch(np.stack(frames), np.asarray(times, dtype=np.float64), scale)
