"""Which language a session is spoken in: stated in ``session.toml``, or detected.

When a session does not state its language (a bare media file, or a manifest without
``language``), Whisper's language detection runs on the first 30 s of speech with the
bundled multilingual model, and the rubric, speech model and units follow what it heard.
When the language is stated, the same detection checks it and warns on a confident
disagreement. Results are cached by the media file's content.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from livelab.api.errors import LivelabError, Problem
from livelab.engine.cache import Cache, key_of
from livelab.inputs.session import LANGUAGES, Session

#: Seconds decoded from the start of the media to find the first speech: a minute, then
#: further when that minute is silence or music (a stream that opens with a wait).
HEAD_STEPS_S = (60.0, 300.0, 900.0)
#: A detection at least this sure overrides the default, or contradicts a stated language.
CONFIDENT = 0.8
#: Languages analysed as a supported one, with a note saying so.
CLOSE_ENOUGH = {"yue": "zh"}  # Cantonese: hanzi, Mandarin phrase lists, 字/分钟
NAMES = {"en": "English", "zh": "Mandarin", "yue": "Cantonese", "ja": "Japanese",
         "ko": "Korean", "fr": "French", "de": "German", "es": "Spanish", "ru": "Russian"}
DETECTOR_VERSION = 1


@dataclass(frozen=True, slots=True)
class Detection:
    """What the detector heard: its best language, how sure it was, and the runners-up."""

    language: str | None  # None: no speech found in the audio searched
    probability: float
    top: tuple[tuple[str, float], ...] = ()


def _name(code: str) -> str:
    return NAMES.get(code, code)


def detect(audio: np.ndarray, threads: int = 1, keep_model: bool = True) -> Detection:
    """Whisper language detection (multilingual ``base``) on the first speech in ``audio``.
    ``keep_model=False`` unloads the models afterwards (the session will not use ``base``)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    from livelab.builtin.whisper import SAMPLE_RATE, _load_model
    from livelab.builtin.whisper_models import bundled_model

    if len(audio) < SAMPLE_RATE:
        return Detection(None, 0.0)
    speech = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=500))
    if not speech:
        return Detection(None, 0.0)
    voiced = np.concatenate([audio[s["start"] : s["end"]] for s in speech])[: 30 * SAMPLE_RATE]
    if len(voiced) < SAMPLE_RATE:  # under a second of speech says little
        return Detection(None, 0.0)
    path, _name_ = bundled_model("zh")  # the multilingual model
    model = _load_model(str(path), threads)
    try:
        language, probability, ranked = model.detect_language(audio=voiced)
    finally:
        del model
        if not keep_model:
            # An English session transcribes with tiny.en: give back the ~200 MB of base.
            _load_model.cache_clear()
    return Detection(
        language, round(float(probability), 4),
        tuple((code, round(float(p), 4)) for code, p in ranked[:3]),
    )


def head_audio(path: Path, seconds: float = HEAD_STEPS_S[0]) -> np.ndarray:
    """The first ``seconds`` of ``path``'s audio, 16 kHz mono float32; what decodes of a
    damaged file (decoding stops at the first broken packet); empty without audio."""
    import av

    from livelab.builtin.whisper import SAMPLE_RATE

    chunks: list[np.ndarray] = []
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                return np.zeros(0, dtype=np.float32)
            resampler = av.audio.resampler.AudioResampler(format="s16", layout="mono",
                                                          rate=SAMPLE_RATE)
            total = 0
            for frame in container.decode(audio=0):
                for out in resampler.resample(frame):
                    array = out.to_ndarray().reshape(-1)
                    chunks.append(array)
                    total += len(array)
                if total >= seconds * SAMPLE_RATE:
                    break
    except (av.FFmpegError, OSError, ValueError):
        pass  # keep what decoded; the analysis reports the damage itself
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return (np.concatenate(chunks).astype(np.float32) / 32768.0)[: int(seconds * SAMPLE_RATE)]


def settle_language(session: Session, threads: int = 1) -> Session:
    """``session`` with its language settled and the detection recorded.

    Unstated: the detected language if it is one livelab analyses (Cantonese is analysed
    as Mandarin, with a note); a detected language livelab does not analyse is refused;
    no speech or an unsure detection keeps English and says so. Stated: kept, with a
    warning when the detector confidently heard another language.
    """
    stated = session.language_source == "stated"
    cache = Cache(session.cache_dir)
    try:
        key = key_of("language", DETECTOR_VERSION, cache.digest(session.media), HEAD_STEPS_S)
    except OSError:
        key = ""
    cached = cache.get("language", "detect", key) if key else None
    if cached is not None:
        found = Detection(cached["language"], cached["probability"],
                          tuple(tuple(x) for x in cached["top"]))
        searched = float(cached.get("searched_s") or 0.0)
    else:
        # A session stated English will not need base again: unload it after the check.
        english = stated and session.language == "en"
        if english:  # nothing else runs yet, and this model instance is not kept
            from livelab.builtin.executors import default_workers

            threads = max(threads, default_workers())
        from livelab.builtin.whisper import SAMPLE_RATE

        for seconds in HEAD_STEPS_S:
            head = head_audio(session.media, seconds)
            found = detect(head, threads, keep_model=not english)
            if found.language is not None or len(head) < seconds * SAMPLE_RATE:
                break  # heard, or the whole recording was searched
        searched = len(head) / SAMPLE_RATE
        if key:
            cache.put("language", "detect", key, {"language": found.language,
                                                   "probability": found.probability,
                                                   "top": [list(x) for x in found.top],
                                                   "searched_s": round(searched, 1)})
    record = {"language": found.language, "probability": found.probability,
              "top": [list(x) for x in found.top], "warning": ""}
    language = session.language
    heard, p = found.language, found.probability
    if stated:
        analysed_as = CLOSE_ENOUGH.get(heard or "", heard)
        if heard and p >= CONFIDENT and analysed_as != language:
            record["warning"] = (
                f"session.toml says {language} ({_name(language)}), but the speech sounds "
                f"like {heard} ({_name(heard)}, p = {p:.2f}); analysed as {language}"
            )
    elif heard is None:
        record["warning"] = (
            f"no speech found in the first {searched:.0f} s to detect the language; analysed "
            "as en (English). State it in session.toml if the session is Mandarin"
        )
        language = "en"
    elif heard in LANGUAGES and p >= 0.5:
        language = heard
    elif heard in CLOSE_ENOUGH and p >= 0.5:
        language = CLOSE_ENOUGH[heard]
        record["warning"] = (
            f"speech detected as {heard} ({_name(heard)}, p = {p:.2f}), which livelab does "
            f"not model; analysed as {language} ({_name(language)}): characters per "
            "minute and Mandarin phrase lists, so expect more recognition errors"
        )
    elif p >= CONFIDENT:
        raise LivelabError([Problem(
            session.media,
            f"speech detected as {heard} ({_name(heard)}, p = {p:.2f}); livelab analyses "
            "Mandarin (zh) and English (en). To analyse it anyway, put it in a session "
            'folder with language = "zh" or "en" in session.toml',
        )])
    else:
        # Unsure: the likelier of the two languages livelab analyses.
        ranked = [code for code, _ in found.top if code in LANGUAGES]
        language = ranked[0] if ranked else "en"
        record["warning"] = (
            f"language unclear (best guess {heard}, p = {p:.2f}); analysed as {language} "
            f"({_name(language)}). State it in session.toml to be sure"
        )
    return dataclasses.replace(
        session, language=language,
        language_source=session.language_source if stated else "detected",
        detection=record,
    )
