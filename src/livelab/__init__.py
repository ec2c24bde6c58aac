"""livelab: an offline practice lab for live-streaming e-commerce.

The public API for plugins is everything imported here; a plugin needs nothing else.
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
from livelab.api.errors import LivelabError, Problem
from livelab.api.hooks import hookimpl
from livelab.api.transcript import (
    Segment,
    Transcript,
    Word,
    read_zh_number,
    spoken_length,
    to_simplified,
)
from livelab.inputs.yamlfile import load_yaml

__all__ = [
    "CUE_KINDS",
    "SIGNALS",
    "Analyzer",
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
    "Reporter",
    "Segment",
    "Series",
    "Signals",
    "Transcript",
    "Word",
    "clock",
    "hookimpl",
    "load_yaml",
    "read_zh_number",
    "spoken_length",
    "to_simplified",
]
