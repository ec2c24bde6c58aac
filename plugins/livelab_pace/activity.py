"""When the anchor is speaking: word times checked against the audio's own silences.

Whisper's word times alone are not enough to find dead air: it stretches words over
pauses and now and then "hears" words in silence. Speech here is where the transcript
has words **and** the audio is not silent; a silence is 20 ms frames below a level
relative to the speaker's own (so a quiet microphone is not all silence).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from livelab import AudioLike

SAMPLE_RATE = 16_000
FRAME_S = 0.02
_FRAME = int(SAMPLE_RATE * FRAME_S)
# How far speech may extend past Whisper's word edges into continuous sound.
_EDGE_S = 0.5
_MISSED_WORD_S = 1.0
# Sound within this of the voice's loud level (90th percentile) counts as voice.
_VOICE_RANGE_DB = 20.0
# Silence sits this far above the noise floor, and at least this far below loud speech.
_FLOOR_MARGIN_DB = 8.0
_VOICE_MARGIN_DB = 15.0
# The voice detector's spans are widened by this much before they limit speech.
_VOICE_PAD_S = 0.2


@dataclass(frozen=True, slots=True)
class Activity:
    """Per 20 ms frame: level in dBFS (RMS), acoustically silent, and speaking."""

    level_db: np.ndarray
    silent: np.ndarray
    speech: np.ndarray
    silence_threshold_db: float

    def seconds(self, mask: np.ndarray) -> float:
        return float(mask.sum()) * FRAME_S


def frame_levels(audio: AudioLike) -> tuple[np.ndarray, np.ndarray]:
    """Mean power and its level in dBFS for each 20 ms frame (a partial last frame is dropped)."""
    n = len(audio) // _FRAME
    power = np.empty(n)
    step = 30_000  # frames per chunk (10 min): a float64 copy of an hour of audio is 460 MB
    for a in range(0, n, step):
        b = min(n, a + step)
        frames = np.asarray(audio[a * _FRAME : b * _FRAME], dtype=np.float64).reshape(b - a, _FRAME)
        power[a:b] = np.mean(frames * frames, axis=1)
    return power, 10.0 * np.log10(power + 1e-12)


def clipped_fraction(audio: AudioLike, limit: float = 0.999) -> float:
    """Share of samples at full scale: a clipping microphone makes loudness meaningless."""
    step = 16_000 * 600
    clipped = sum(int(np.count_nonzero(np.abs(audio[a : a + step]) >= limit))
                  for a in range(0, len(audio), step))
    return clipped / max(1, len(audio))


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """``[start, end)`` frame index pairs of the True runs of ``mask``."""
    if mask.size == 0:
        return []
    padded = np.concatenate(([False], mask.astype(bool), [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True))


def fill_short_gaps(mask: np.ndarray, max_gap: int) -> np.ndarray:
    """Mark as True the False runs shorter than ``max_gap`` frames that lie between True runs."""
    out = mask.copy()
    spans = runs(mask)
    for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False):
        if b_start - a_end < max_gap:
            out[a_end:b_start] = True
    return out


def drop_short_runs(mask: np.ndarray, min_len: int) -> np.ndarray:
    out = mask.copy()
    for a, b in runs(mask):
        if b - a < min_len:
            out[a:b] = False
    return out


def span_mask(spans: list[tuple[float, float]], n_frames: int) -> np.ndarray:
    mask = np.zeros(n_frames, dtype=bool)
    for start, end in spans:
        a = max(0, int(np.floor(start / FRAME_S)))
        b = min(n_frames, int(np.ceil(end / FRAME_S)))
        if b > a:
            mask[a:b] = True
    return mask


def detect(
    audio: AudioLike,
    word_spans: list[tuple[float, float]],
    *,
    silence_dbfs: float,
    relative_db: float,
    min_pause_s: float,
    voice: list[tuple[float, float]] | None = None,
) -> Activity:
    """Speech frames: inside (merged) word spans and not inside a silence of ``min_pause_s``.

    The silence threshold is ``silence_dbfs`` or ``relative_db`` below the median level
    of the worded frames, whichever is lower, so quietly recorded speech is not silence;
    over steady room noise it rises to just above the noise floor. Speech then grows a
    little past Whisper's word edges into the sound that touches them.

    ``voice``, where the recogniser's voice detector heard a voice, limits speech to it
    (padded by ``_VOICE_PAD_S``): music or crowd noise under a pause is sound, not
    speech, so the pause is still dead air.
    """
    _power, level = frame_levels(audio)
    n = len(level)
    min_gap = max(1, int(round(min_pause_s / FRAME_S)))
    worded = fill_short_gaps(span_mask(word_spans, n), min_gap)
    voiced_levels = level[worded & (level > -90.0)]
    threshold = silence_dbfs
    voice_peak = 0.0
    if voiced_levels.size:
        threshold = min(silence_dbfs, float(np.median(voiced_levels)) - relative_db)
        # Over a steady room noise (hiss, crowd) "silence" is the noise floor, not digital
        # quiet: sit above the floor, but well below the loud part of the voice.
        floor = float(np.percentile(level, 5))
        voice_peak = float(np.percentile(voiced_levels, 90))
        threshold = max(threshold, min(floor + _FLOOR_MARGIN_DB, voice_peak - _VOICE_MARGIN_DB))
    silent = drop_short_runs(level < threshold, min_gap)
    voiced = np.ones(n, dtype=bool)
    if voice:
        voiced = span_mask([(a - _VOICE_PAD_S, b + _VOICE_PAD_S) for a, b in voice], n)
    speech = worded & ~silent & voiced
    # Whisper's word edges are often 0.1-0.5 s inside the sound, and next to a long pause it
    # sometimes drops a word: let speech grow into the sound that touches it (any sound
    # within ``_EDGE_S``, voice-loud sound within ``_MISSED_WORD_S``), so pause ends follow
    # the audio.
    loud = level >= voice_peak - _VOICE_RANGE_DB
    for reach, sound, touching in ((_MISSED_WORD_S, loud & ~silent & voiced, False),
                                   (_EDGE_S, ~silent & voiced, True)):
        grow = int(round(reach / FRAME_S))
        # mode="full" then slice: "same" returns the longer input's length, which is the
        # kernel's when the recording is shorter than the window (a 2 s clip).
        full = np.convolve(speech.astype(float), np.ones(2 * grow + 1), mode="full")
        near = full[grow : grow + len(speech)] > 0.5
        for a, b in runs(near & sound):
            if not touching or speech[max(0, a - 1) : b + 1].any():
                speech[a:b] = True
    return Activity(level, silent, speech, threshold)


def momentary_levels(activity: Activity, window_s: float = 0.4) -> np.ndarray:
    """Level (dBFS) of ``window_s`` windows centred on each speech frame, speech frames only.

    Like EBU momentary loudness (400 ms) but unweighted: 20 ms frames swing with every
    syllable, a 400 ms window follows the voice's loudness instead.
    """
    speech = activity.speech
    if not speech.any():
        return np.empty(0)
    power = np.where(speech, 10.0 ** (activity.level_db / 10.0), 0.0)
    width = max(1, int(round(window_s / FRAME_S)))
    kernel = np.ones(width)
    summed = np.convolve(power, kernel, mode="same")
    count = np.convolve(speech.astype(float), kernel, mode="same")
    valid = speech & (count >= width / 2)
    if not valid.any():
        valid = speech
    return 10.0 * np.log10(summed[valid] / np.maximum(count[valid], 1.0) + 1e-12)
