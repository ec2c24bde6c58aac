"""livelab: an offline practice lab for live-streaming e-commerce.

The public API for plugins is everything imported here; a plugin needs nothing else. The
types live in :mod:`livelab.api`, which imports nothing else from livelab.
"""

from __future__ import annotations

from livelab.api.analysis import (
    CUE_KINDS,
    SIGNALS,
    Analyzer,
    Cue,
    CueDetector,
    Evidence,
    Executor,
    Findings,
    FrameBatch,
    FrameSink,
    Highlight,
    ItemValue,
    MetricSpec,
    OpsFormat,
    Reporter,
    Series,
    Signals,
    clock,
)
from livelab.api.audio import AudioLike, AudioTrack
from livelab.api.chat import ANSWERED_BY, CHAT_KINDS, TOPICS, ChatMessage
from livelab.api.errors import LivelabError, Problem
from livelab.api.hooks import hookimpl
from livelab.api.media import VideoInfo
from livelab.api.messages import N_, Message, Messages, seconds_of
from livelab.api.products import (
    DEFAULT_MENTIONS,
    MENTIONS,
    ProductCard,
    ProductsFile,
    Promotion,
    SellingPoint,
)
from livelab.api.session import Session
from livelab.api.speech import Transcriber, TranscriberConfig
from livelab.api.transcript import (
    Segment,
    Transcript,
    Word,
    printable,
    read_zh_number,
    spoken_length,
    to_simplified,
)
from livelab.inputs.products import load_products, read_products
from livelab.inputs.yamlfile import load_yaml

__all__ = [
    "ANSWERED_BY",
    "CHAT_KINDS",
    "CUE_KINDS",
    "DEFAULT_MENTIONS",
    "MENTIONS",
    "Message",
    "Messages",
    "N_",
    "SIGNALS",
    "TOPICS",
    "Analyzer",
    "AudioLike",
    "AudioTrack",
    "ChatMessage",
    "Cue",
    "CueDetector",
    "Evidence",
    "Executor",
    "Findings",
    "FrameBatch",
    "FrameSink",
    "Highlight",
    "ItemValue",
    "LivelabError",
    "MetricSpec",
    "OpsFormat",
    "Problem",
    "ProductCard",
    "ProductsFile",
    "Promotion",
    "Reporter",
    "Segment",
    "SellingPoint",
    "Series",
    "Session",
    "Signals",
    "Transcriber",
    "TranscriberConfig",
    "Transcript",
    "VideoInfo",
    "Word",
    "clock",
    "seconds_of",
    "hookimpl",
    "load_products",
    "load_yaml",
    "printable",
    "read_products",
    "read_zh_number",
    "spoken_length",
    "to_simplified",
]
