"""Speech to text as a plugin sees it: what a ``livelab_transcriber`` hook is asked for
(:class:`TranscriberConfig`) and what it returns (a :class:`Transcriber`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from livelab.api.audio import AudioLike
    from livelab.api.transcript import Transcript


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
    """A speech-to-text backend. ``identity`` changes whenever output would change (it is
    part of every cache key that depends on the transcript)."""

    identity: str

    def transcribe(self, audio: AudioLike) -> Transcript:
        """16 kHz mono float32 samples in (an :class:`~livelab.api.audio.AudioTrack` read
        in slices, or an array), a timed transcript out."""
        ...
