"""Speech to text: the built-in faster-whisper backend behind the ``livelab_transcriber`` hook."""

from __future__ import annotations

import functools
import importlib.metadata
import re
from pathlib import Path
from typing import Any

import numpy as np

from livelab.api.audio import SAMPLE_RATE, AudioLike
from livelab.api.errors import LivelabError, Problem
from livelab.api.hooks import hookimpl
from livelab.api.speech import Transcriber, TranscriberConfig
from livelab.api.transcript import Segment, Transcript, Word, spoken_length, to_simplified
from livelab.builtin.whisper_models import bundled_model
from livelab.i18n import _

#: faster-whisper's own threshold for "this segment repeats itself".
COMPRESSION_LIMIT = 2.4
#: Long audio is transcribed in windows of about this many seconds: faster-whisper computes
#: the log-Mel features of its whole input at once (~50 MB per minute of speech at the peak,
#: measured), so a 30-minute session peaked at 2.3 GB; windows keep that flat. 120 s rather
#: than 300 s: peak RSS 707 vs 826 MB (5 min) and 840 vs 995 MB (30 min), the same
#: transcript to a word in 700 and the same scores (benchmarks/RESULTS.md).
WINDOW_S = 120
#: A window ends at the quietest 0.1 s of its last this-many seconds, so no word is cut.
CUT_SEARCH_S = 20


def _language_options(language: str) -> dict[str, object]:
    """Per-language decoding settings: none. The earlier Mandarin setting, a Simplified
    ``initial_prompt`` with a repetition penalty, conditions only the first 30 s of each
    window: on 70 s of real AISHELL-1 speech it still let 27 Traditional characters
    through, and on the demo_zh pitch 47 (``benchmarks/mandarin_speech.py --compare``).
    Whisper's own output is converted to Simplified instead (:func:`to_simplified`),
    repetition loops are collapsed, not dropped (:func:`collapse_loops`), and speech no
    word covers is decoded again (:func:`uncovered_speech`)."""
    return {}


#: A run of the same 1–8 words repeated at least this many times in a row is a decoding
#: loop ("请问问问问…"), not speech; it is collapsed to two repetitions.
LOOP_REPEATS = 4
LOOP_MAX_WORDS = 8


_NUMBER_PIECE = re.compile(r"[\d.,%]+")


def join_number_pieces(words: list[Word]) -> list[Word]:
    """Mandarin words with a number the tokenizer split ("3" "16" for 316, "6" "9" for
    69) joined back into one word, so the number is read, matched and counted whole."""
    out: list[Word] = []
    for w in words:
        prev = out[-1] if out else None
        if prev and _NUMBER_PIECE.fullmatch(w.text) and prev.text[-1:].isdigit() \
                and (w.text[0].isdigit() or w.text[0] in ".%,"):
            out[-1] = Word(prev.start, w.end, prev.text + w.text,
                           min(prev.probability, w.probability))
        else:
            out.append(w)
    return out


def collapse_loops(words: list[Any]) -> list[Any]:
    """``words`` without decoding loops: each run of ``LOOP_REPEATS`` or more copies of
    the same sequence of 1 to ``LOOP_MAX_WORDS`` words keeps its first two copies.
    Anything said fewer times in a row (a real "好好好", "买买买") is untouched, and no
    other word is removed."""
    texts = [w.text.strip() for w in words]
    out: list[Any] = []
    i = 0
    while i < len(words):
        collapsed = False
        for n in range(1, LOOP_MAX_WORDS + 1):
            unit = texts[i : i + n]
            if len(unit) < n or not any(unit):
                break
            reps = 1
            while texts[i + reps * n : i + (reps + 1) * n] == unit:
                reps += 1
            if reps >= LOOP_REPEATS:
                out.extend(words[i : i + 2 * n])
                i += reps * n
                collapsed = True
                break
        if not collapsed:
            out.append(words[i])
            i += 1
    return out


class FasterWhisperTranscriber:
    def __init__(self, config: TranscriberConfig):
        self.config = config
        if config.model is None:
            path, name = bundled_model(config.language)
            self.model_ref, self.model_name = str(path), name
        elif Path(config.model).is_dir():
            folder = Path(config.model).resolve()
            self.model_ref, self.model_name = str(folder), folder.name
        else:
            self.model_name = config.model
            self.model_ref = str(named_model(config.model))
        fw = importlib.metadata.version("faster-whisper")
        self.language_options = _language_options(config.language)
        self.identity = (
            f"faster-whisper {fw}; model {self.model_name}; lang {config.language}; "
            f"beam {config.beam_size}; vad on; words on; {sorted(self.language_options.items())}; "
            f"windows {WINDOW_S} s; loops collapsed; gaps {GAP_MIN_S} s re-decoded; "
            "numbers joined; voice spans; 着 and full-width punctuation; t2s only traditional; "
            f"{'opencc t2s' if config.language == 'zh' else 'as written'}"
        )

    def transcribe(self, audio: AudioLike) -> Transcript:
        out: list[Segment] = []
        voice: list[tuple[float, float]] = []
        for start, end in _windows(audio):
            segments, heard = self._transcribe_window(audio[start:end], start / SAMPLE_RATE)
            out.extend(segments)
            voice.extend(heard)
        return Transcript(
            language=self.config.language,
            model=self.model_name,
            duration_s=round(len(audio) / SAMPLE_RATE, 3),
            segments=tuple(out),
            voice=tuple(voice),
        )

    def _transcribe_window(
        self, audio: np.ndarray, offset: float
    ) -> tuple[list[Segment], list[tuple[float, float]]]:
        out = self._decode(audio, offset, vad=True)
        voice = voice_spans(audio)
        # Whisper sometimes jumps over a phrase inside its 30 s window (seen on real
        # AISHELL-1 Mandarin: a whole 4.5 s sentence between two recognised ones). Speech
        # that the voice detector hears but no word covers is decoded again on its own.
        for start, end in uncovered_speech(voice, out, len(audio), offset, self.config.language):
            found = self._decode(audio[start:end], offset + start / SAMPLE_RATE, vad=False)
            if found:
                out = _split_at(out, found[0].start, found[-1].end, self.config.language)
                out.extend(found)
        heard = [(round(a + offset, 3), round(b + offset, 3)) for a, b in voice]
        return sorted(out, key=lambda seg: seg.start), heard

    def _decode(self, audio: np.ndarray, offset: float, vad: bool) -> list[Segment]:
        model = _load_model(self.model_ref, self.config.threads)
        segments, _info = model.transcribe(
            audio,
            language=self.config.language,
            beam_size=self.config.beam_size,
            word_timestamps=True,
            vad_filter=vad,
            condition_on_previous_text=False,  # stops one misheard segment from looping
            **self.language_options,
        )
        zh = self.config.language == "zh"
        out = []
        for seg in segments:
            words = [
                Word(round(w.start + offset, 3), round(w.end + offset, 3), w.word.strip(),
                     round(w.probability, 4))
                for w in (seg.words or ())
            ]
            text = seg.text.strip()
            if zh:
                words = join_number_pieces(_simplified_words(words))
                text = to_simplified(text)
            if seg.compression_ratio > COMPRESSION_LIMIT:
                # A repetition loop that survived the fallbacks: keep the real speech
                # around it, drop only the repeats. A loop without word times, or one
                # that still repeats itself once collapsed, is dropped.
                from faster_whisper.transcribe import get_compression_ratio

                kept = collapse_loops(words)
                text = _joined(kept, zh)
                if not kept or get_compression_ratio(text) > COMPRESSION_LIMIT:
                    continue
                words = kept
            if not vad and not words:
                continue  # a re-decoded gap that held no words after all
            out.append(
                Segment(round(seg.start + offset, 3), round(seg.end + offset, 3), text,
                        tuple(words))
            )
        return out


def _joined(words: list[Word], zh: bool) -> str:
    return ("" if zh else " ").join(w.text for w in words).strip()


def _simplified_words(words: list[Word]) -> list[Word]:
    """Words converted to Simplified as one text, so context rules (著 as 着 unless 显著,
    著名 …) see the neighbouring words; each word keeps its own characters' share."""
    converted = to_simplified("".join(w.text for w in words))
    out, at = [], 0
    for w in words:
        out.append(Word(w.start, w.end, converted[at : at + len(w.text)], w.probability))
        at += len(w.text)
    return out


def _split_at(segments: list[Segment], start: float, end: float, language: str) -> list[Segment]:
    """``segments`` with any that spans ``start``–``end`` (a phrase decoded again on its
    own) cut in two around it, so the transcript stays in time order."""
    zh = language == "zh"
    out = []
    for seg in segments:
        before = [w for w in seg.words if w.end <= start + 0.2]
        after = [w for w in seg.words if w.start >= end - 0.2]
        if not (before and after) or len(before) + len(after) < len(seg.words):
            out.append(seg)
            continue
        out.append(Segment(seg.start, min(seg.end, before[-1].end), _joined(before, zh),
                           tuple(before)))
        out.append(Segment(after[0].start, seg.end, _joined(after, zh), tuple(after)))
    return out


#: Speech that no recognised word covers for this long is decoded again on its own.
GAP_MIN_S = 1.0
#: The longest a recognised word may take per character (Mandarin) or word (English).
WORD_MAX_S = 0.8
#: Padding around a re-decoded gap, so its first and last syllables are whole.
GAP_PAD_S = 0.25


def voice_spans(audio: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) seconds where Silero VAD (as faster-whisper runs it, with a short
    0.3 s minimum silence and 0.1 s padding) hears a voice."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    found = get_speech_timestamps(audio, VadOptions(min_silence_duration_ms=300,
                                                    speech_pad_ms=100))
    return [(ts["start"] / SAMPLE_RATE, ts["end"] / SAMPLE_RATE) for ts in found]


def uncovered_speech(
    voice: list[tuple[float, float]],
    segments: list[Segment],
    n_samples: int,
    offset: float = 0.0,
    language: str = "zh",
) -> list[tuple[int, int]]:
    """Sample ranges of a window of ``n_samples`` where ``voice`` (seconds in the window)
    holds at least ``GAP_MIN_S`` of speech that no word of ``segments`` (times offset by
    ``offset``) overlaps."""
    n = n_samples // (SAMPLE_RATE // 100) + 1  # 10 ms frames
    speech = np.zeros(n, dtype=bool)
    for a, b in voice:
        speech[int(a * 100) : int(b * 100) + 1] = True
    covered = np.zeros(n, dtype=bool)
    for seg in segments:
        for w in seg.words or ():
            # A word covers its own time (±0.2 s), but no longer than it can take to say:
            # Whisper stretches the last word before a skipped phrase over the phrase.
            longest = WORD_MAX_S * max(1, spoken_length(w.text, language))
            a, b = w.start - offset, w.end - offset
            for lo, hi in ((a, min(b, a + longest)), (max(a, b - longest), b)):
                first = max(0, int(lo * 100) - 20)
                covered[first : max(first, int(hi * 100) + 21)] = True
    gaps = speech & ~covered
    edges = np.flatnonzero(np.diff(np.concatenate(([0], gaps.astype(np.int8), [0]))))
    pad, step = int(GAP_PAD_S * SAMPLE_RATE), SAMPLE_RATE // 100
    out = []
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if (b - a) * step >= GAP_MIN_S * SAMPLE_RATE:
            out.append((max(0, int(a) * step - pad), min(n_samples, int(b) * step + pad)))
    return out


def _windows(audio: AudioLike) -> list[tuple[int, int]]:
    """(start, end) sample ranges of about WINDOW_S seconds, each ending at a quiet point."""
    window, search, step = WINDOW_S * SAMPLE_RATE, CUT_SEARCH_S * SAMPLE_RATE, SAMPLE_RATE // 10
    out, start = [], 0
    while len(audio) - start > window + window // 2:
        lo = start + window - search
        frames = audio[lo : lo + (search // step) * step].reshape(-1, step)
        end = lo + int(np.argmin(np.einsum("ij,ij->i", frames, frames))) * step + step // 2
        out.append((start, end))
        start = end
    out.append((start, len(audio)))
    return out


@functools.lru_cache(maxsize=4)
def named_model(name: str) -> Path:
    """The local folder of the faster-whisper model ``name`` (``small``, ``large-v3``, …):
    from the Hugging Face cache, else downloaded, which needs the network. Raises a
    :class:`LivelabError` saying so when it cannot be had, before any work starts."""
    from faster_whisper.utils import available_models, download_model

    if "/" not in name and name not in available_models():
        raise LivelabError(
            [
                Problem(
                    "--model",
                    _("{name} is neither a model folder nor a faster-whisper model name "
                      "(names: {names})").format(name=repr(name),
                                                 names=", ".join(available_models())),
                )
            ]
        )
    try:
        return Path(download_model(name, local_files_only=True))
    except Exception:  # not in the cache: a download is needed
        pass
    try:
        return Path(download_model(name))
    except Exception as exc:
        raise LivelabError(
            [
                Problem(
                    "--model",
                    _("{name} is not downloaded and could not be fetched ({error}: no "
                      "network?); leave --model out to use the bundled model, or give a local "
                      "CTranslate2 model folder").format(name=repr(name),
                                                         error=type(exc).__name__),
                )
            ]
        ) from None


@functools.lru_cache(maxsize=2)
def _load_model(model_ref: str, threads: int) -> Any:
    """Load once per process: a batch of sessions shares one model (loading takes seconds)."""
    from faster_whisper import WhisperModel

    return WhisperModel(model_ref, device="cpu", compute_type="int8", cpu_threads=threads)


@hookimpl(trylast=True)
def livelab_transcriber(config: TranscriberConfig) -> Transcriber:
    return FasterWhisperTranscriber(config)
