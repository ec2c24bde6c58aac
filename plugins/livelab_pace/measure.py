"""The pace measurements of one session, from its transcript and its audio."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from livelab import N_, Evidence, Findings, Highlight, Message, Series, Signals, Transcript
from livelab_pace import (
    _COUNTED,
    _LANG_UNIT,
    METRICS,
    M,
    PaceOptions,
    clock,
    dead_air_message,
)  # fmt: skip
from livelab_pace.activity import (
    FRAME_S,
    SAMPLE_RATE,
    clipped_fraction,
    detect,
    momentary_levels,
    runs,
)
from livelab_pace.fillers import Unit, count_units, find_fillers, find_hedges, find_repeats

_LATIN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
# Words lying wholly inside a silence this long are the recogniser "hearing" silence.
_HALLUCINATION_SILENCE_S = 1.0
# A 30 s window needs this much speech for its speaking rate to mean something.
_WINDOW_MIN_SPEECH_S = 10.0
# Loudness needs at least this much speech.
_MIN_LOUDNESS_SPEECH_S = 1.0


def timed_units(transcript: Transcript | None) -> list[Unit]:
    """Words with their times, or whole segments where the transcriber gave no word times."""
    units: list[Unit] = []
    for seg in transcript.segments if transcript else ():
        if seg.words:
            last = len(seg.words) - 1
            units.extend((w.start, w.end, w.text, j == last) for j, w in enumerate(seg.words))
        elif seg.text.strip():
            units.append((seg.start, seg.end, seg.text, True))
    return units


def measure(signals: Signals, opts: PaceOptions) -> Findings:
    f = Findings()
    language = signals.language if signals.language in _LANG_UNIT else "en"
    audio = signals.audio
    duration = float(signals.duration_s or 0.0)
    if audio is not None and duration <= 0:
        duration = len(audio) / SAMPLE_RATE

    def nothing(reason: Message) -> Findings:
        for spec in METRICS:
            f.set(spec.name, None, reason)
        return f

    if audio is None or len(audio) == 0:
        return nothing(M("no_audio", "the session has no decodable audio"))
    if duration < opts.min_duration_s:
        return nothing(M("too_short", "the recording is {seconds:.1f} s long; pace needs at "
                         "least {needed:g} s of audio", seconds=duration,
                         needed=opts.min_duration_s))

    units = [u for u in timed_units(signals.transcript) if count_units([u], language)]
    voice = list(signals.transcript.voice) if signals.transcript else []
    activity = detect(audio, [(u[0], u[1]) for u in units], silence_dbfs=opts.silence_dbfs,
                      relative_db=opts.relative_db, min_pause_s=opts.min_pause_s, voice=voice)
    dropped = _in_long_silence(units, activity.silent)
    if dropped:
        ignored = set(dropped)
        units = [u for u in units if u not in ignored]
        activity = detect(audio, [(u[0], u[1]) for u in units], silence_dbfs=opts.silence_dbfs,
                          relative_db=opts.relative_db, min_pause_s=opts.min_pause_s,
                          voice=voice)
    count = count_units(units, language)
    speaking_s = activity.seconds(activity.speech)
    unit = _LANG_UNIT[language]
    f.details.update({
        "rate_unit": unit,
        "counted": _COUNTED[language],
        "count": count,
        "duration_s": round(duration, 3),
        "speaking_s": round(speaking_s, 2),
        "silence_threshold_dbfs": round(activity.silence_threshold_db, 1),
        "clipped_fraction": round(clipped_fraction(audio), 5),
    })
    if language == "zh":
        # Code-switching ("这个颜色很 nice"): English words said inside Mandarin count as
        # one character each; say how many, so the rate can be read with that in mind.
        latin = sum(len(_LATIN.findall(u[2])) for u in units)
        if latin:
            f.details["latin_words_counted"] = latin
    if dropped:
        f.details["ignored_words_in_silence"] = [f"{clock(u[0])} {u[2].strip()}" for u in dropped]
    if count == 0 or speaking_s <= 0:
        return nothing(M("no_speech", "no speech was recognised (silence, music or "
                         "unintelligible audio)"))

    f.set("pace.rate_overall", count / duration * 60.0, unit=unit)
    f.set("pace.rate_speaking", count / speaking_s * 60.0, unit=unit)
    f.set("pace.speaking_ratio", min(1.0, speaking_s / duration))
    _pauses(f, activity.speech, opts)
    _timeline(f, units, activity.speech, duration, language, unit, opts)

    fillers = find_fillers(units, language, opts.min_pause_s)
    f.set("pace.filler_per_100", len(fillers) / count * 100.0)
    f.details["fillers"] = dict(Counter(x.text for x in fillers).most_common())
    if fillers:  # a class's statistics add up the fillers said most
        f.counted["pace.filler_per_100"] = [x.text.casefold() for x in fillers]
    # When each counted filler was said, so reports highlight exactly these words.
    f.details["filler_spans"] = [[round(x.start_s, 2), round(x.end_s, 2), x.text] for x in fillers]
    f.evidence.extend(  # when each was said: a student can go and listen
        Evidence(round(x.start_s, 2), round(x.end_s, 2), "pace.filler_per_100",
                 M("filler", "filler “{word}”", word=x.text))  # fmt: skip
        for x in fillers
    )
    f.highlights.extend(
        Highlight(round(x.start_s, 2), round(x.end_s, 2), "filler", N_("filler"),
                  f"filler “{x.text}”")
        for x in fillers
    )
    if language == "en":
        f.details["hedges"] = find_hedges(units)

    repeats = find_repeats(units, language)
    f.set("pace.repeated_phrases", len(repeats))
    f.details["repeated_phrases"] = [f"{clock(r.start_s)} {r.phrase}" for r in repeats[:50]]

    levels = momentary_levels(activity)
    if speaking_s < _MIN_LOUDNESS_SPEECH_S or levels.size == 0:
        reason = M("little_speech", "only {seconds:.1f} s of speech; loudness needs {needed:g} s",
                   seconds=speaking_s, needed=_MIN_LOUDNESS_SPEECH_S)
        f.set("pace.loudness_dbfs", None, reason)
        f.set("pace.loudness_range_db", None, reason)
    else:
        f.set("pace.loudness_dbfs", float(np.median(levels)))
        p95, p10 = np.percentile(levels, [95, 10])
        f.set("pace.loudness_range_db", float(p95 - p10))
    return f


def _in_long_silence(units: list[Unit], silent: np.ndarray) -> list[Unit]:
    min_frames = int(round(_HALLUCINATION_SILENCE_S / FRAME_S))
    long_silent = np.zeros_like(silent)
    for a, b in runs(silent):
        if b - a >= min_frames:
            long_silent[a:b] = True
    out = []
    for u in units:
        a = max(0, int(math.floor(u[0] / FRAME_S)))
        b = min(len(silent), int(math.ceil(u[1] / FRAME_S)))
        if b > a and long_silent[a:b].all():
            out.append(u)
    return out


def _pauses(f: Findings, speech: np.ndarray, opts: PaceOptions) -> None:
    """Pauses lie between speech; silence before the first and after the last word is the
    recording starting and stopping, not the anchor going quiet."""
    spoken = runs(speech)
    gaps = [(a_end * FRAME_S, b_start * FRAME_S)
            for (_, a_end), (b_start, _) in zip(spoken, spoken[1:], strict=False)]
    longest = max((b - a for a, b in gaps), default=0.0)
    f.set("pace.longest_pause_s", longest)
    dead = [(a, b) for a, b in gaps if b - a >= opts.dead_air_s]
    f.set("pace.dead_air_count", len(dead))
    f.evidence.extend(
        Evidence(a, b, "pace.dead_air_count", dead_air_message(a, b)) for a, b in dead
    )
    f.details["pauses"] = sum(1 for a, b in gaps if b - a >= opts.min_pause_s)
    f.details["dead_air_s"] = round(sum(b - a for a, b in dead), 2)


def _timeline(f: Findings, units: list[Unit], speech: np.ndarray, duration: float,
              language: str, unit: str, opts: PaceOptions) -> None:
    """Rate per window of the clock (for the chart), and how much the speaking rate varies."""
    width = opts.window_s
    n = max(1, math.ceil(duration / width - 1e-9))
    # A last window under a third of the width would swing wildly: fold it into the one before.
    if n > 1 and duration - (n - 1) * width < width / 3:
        n -= 1
    bounds = [i * width for i in range(n)] + [duration]
    counts = [0] * n
    for u in units:
        mid = (u[0] + u[1]) / 2
        i = min(n - 1, max(0, int(mid // width)))
        counts[i] += count_units([u], language)
    values: list[float | None] = []
    speaking_rates = []
    for i in range(n):
        length = bounds[i + 1] - bounds[i]
        values.append(round(counts[i] / length * 60.0, 1) if length > 0 else None)
        a, b = int(bounds[i] / FRAME_S), int(bounds[i + 1] / FRAME_S)
        spoken = float(speech[a:b].sum()) * FRAME_S
        if spoken >= _WINDOW_MIN_SPEECH_S:
            speaking_rates.append(counts[i] / spoken * 60.0)
    f.series.append(Series("pace.rate_timeline", unit, tuple(round(t, 3) for t in bounds[:-1]),
                           tuple(values), title=N_("Pace per 30 s, pauses included")
                           if width == 30 else f"Pace per {width:g} s, pauses included"))
    if len(speaking_rates) >= 2 and np.mean(speaking_rates) > 0:
        f.set("pace.rate_variability", float(np.std(speaking_rates) / np.mean(speaking_rates)))
    else:
        f.set("pace.rate_variability", None,
              f"needs two {width:g} s windows with {_WINDOW_MIN_SPEECH_S:g} s of speech each; "
              f"this session has {len(speaking_rates)}")
