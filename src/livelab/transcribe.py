"""Speech to text: the built-in faster-whisper backend behind the ``livelab_transcriber`` hook."""

from __future__ import annotations

import functools
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from livelab.hookspecs import hookimpl
from livelab.models import bundled_model
from livelab.transcript import Segment, Transcript, Word

SAMPLE_RATE = 16_000
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


@dataclass(frozen=True, slots=True)
class TranscriberConfig:
    """Options for speech to text.

    ``language``: ``en`` or ``zh`` (the session's language).
    ``model``: ``None`` for the bundled default of the language, a local CTranslate2
    model folder, or a faster-whisper model name (downloaded by faster-whisper, so only
    when online).
    ``threads``: CPU threads for the model; one leaves a core for the video pass.
    ``beam_size``: 1 is greedy decoding.
    """

    language: str = "en"
    model: str | None = None
    threads: int = 1
    beam_size: int = 5


class Transcriber(Protocol):
    """A speech-to-text backend. ``identity`` changes whenever output would change."""

    identity: str

    def transcribe(self, audio: np.ndarray) -> Transcript: ...


#: Makes Whisper write Simplified characters for Mandarin (measured: it does, mostly).
ZH_PROMPT = "以下是普通话的句子。"


def _language_options(language: str) -> dict[str, object]:
    """Per-language decoding settings. For Mandarin the prompt alone made the short tail
    window loop ("请问问问…", compression ratio 33) and the temperature fallback cost 5×
    the CPU; a mild repetition penalty stops the loop with the same transcript."""
    if language == "zh":
        return {"initial_prompt": ZH_PROMPT, "repetition_penalty": 1.1}
    return {}


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
            self.model_ref = self.model_name = config.model
        fw = importlib.metadata.version("faster-whisper")
        self.language_options = _language_options(config.language)
        self.identity = (
            f"faster-whisper {fw}; model {self.model_name}; lang {config.language}; "
            f"beam {config.beam_size}; vad on; words on; {sorted(self.language_options.items())}; "
            f"windows {WINDOW_S} s"
        )

    def transcribe(self, audio: np.ndarray) -> Transcript:
        out: list[Segment] = []
        for start, end in _windows(audio):
            out.extend(self._transcribe_window(audio[start:end], start / SAMPLE_RATE))
        return Transcript(
            language=self.config.language,
            model=self.model_name,
            duration_s=round(len(audio) / SAMPLE_RATE, 3),
            segments=tuple(out),
        )

    def _transcribe_window(self, audio: np.ndarray, offset: float) -> list[Segment]:
        model = _load_model(self.model_ref, self.config.threads)
        segments, _info = model.transcribe(
            audio,
            language=self.config.language,
            beam_size=self.config.beam_size,
            word_timestamps=True,
            vad_filter=True,
            condition_on_previous_text=False,  # stops one misheard segment from looping
            **self.language_options,
        )
        out = []
        for seg in segments:
            if seg.compression_ratio > COMPRESSION_LIMIT:
                continue  # a repetition loop that survived the fallbacks: text, not speech
            words = tuple(
                Word(
                    round(w.start + offset, 3),
                    round(w.end + offset, 3),
                    w.word.strip(),
                    round(w.probability, 4),
                )
                for w in (seg.words or ())
            )
            out.append(
                Segment(
                    round(seg.start + offset, 3),
                    round(seg.end + offset, 3),
                    seg.text.strip(),
                    words,
                )
            )
        return out


def _windows(audio: np.ndarray) -> list[tuple[int, int]]:
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


@functools.lru_cache(maxsize=2)
def _load_model(model_ref: str, threads: int) -> Any:
    """Load once per process: a batch of sessions shares one model (loading takes seconds)."""
    from faster_whisper import WhisperModel

    return WhisperModel(model_ref, device="cpu", compute_type="int8", cpu_threads=threads)


@hookimpl(trylast=True)
def livelab_transcriber(config: TranscriberConfig) -> Transcriber:
    return FasterWhisperTranscriber(config)
