"""livelab_ops: import live-room dashboard exports and compute the sales funnel (``ops.*``).

Analyzers: ``ops`` (needs only the ops file), ``ops_speech`` (+ transcript: viewers lost
during dead air) and ``ops_products`` (+ transcript and product cards: GMV during each pitch).

Formats are data: each ``formats/*.yaml`` maps an export's headers to livelab's canonical
columns and is offered through the ``livelab_ops_formats`` hook, so another plugin can add
a platform's export without touching this one; the core hands every registered format to
the analyzers (:attr:`livelab.Signals.ops_formats`) and keys their cache on them. The
formulas are in ``FORMULAS.md``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import livelab
from livelab import N_, Analyzer, Findings, OpsFormat, Signals
from livelab_ops.funnel import METRICS, M, measure
from livelab_ops.speech import (
    PRODUCT_METRICS,
    SPEECH_METRICS,
    SpeechOptions,
    measure_dead_air,
    measure_pitches,
)
from livelab_ops.table import OpsTable, builtin_formats, read_ops

__version__ = "0.1.0"


class _ChecksTheTable:
    """``livelab check`` for every ops analyzer: the export reads, and its rows fit in
    the recording (the three analyzers give the same messages; check shows each once)."""

    def check(self, signals: Signals) -> list[str | livelab.Message]:
        path = signals.file("ops")
        if path is None:
            return []
        _table, past = _read(path, signals)  # a LivelabError names the file, row and column
        return [past] if past else []


class OpsAnalyzer(_ChecksTheTable, Analyzer):
    """The funnel metrics of the session's operations export; needs nothing but that file."""

    name = "ops"
    title = N_("Viewers and orders")
    version = "8"
    needs = frozenset({"ops"})
    metrics = METRICS

    def options(self) -> dict[str, Any]:
        return {"last_row_interval": "median gap"}

    def analyze(self, signals: Signals) -> Findings:
        path = signals.file("ops")
        if path is None:  # the core only runs us with an ops file; kept for direct callers
            return _unmeasured(self, M("no_ops_file", "the session names no ops file"))
        table, past = _read(path, signals)
        if not len(table):
            return _unmeasured(self, past)
        return _warn(measure(table, signals.duration_s), past)


class OpsSpeechAnalyzer(_ChecksTheTable, Analyzer):
    """Viewers lost during dead air: the ops table against the transcript's silences.

    A separate analyzer so that ``ops`` itself still runs on sessions without audio.
    """

    name = "ops_speech"
    title = N_("Viewers lost in dead air")
    version = "6"
    needs = frozenset({"ops", "transcript"})
    metrics = SPEECH_METRICS

    def __init__(self, options: SpeechOptions | None = None):
        self.settings = options or SpeechOptions()

    def options(self) -> dict[str, Any]:
        return {"dead_air_s": self.settings.dead_air_s}

    def analyze(self, signals: Signals) -> Findings:
        path = signals.file("ops")
        if path is None or signals.transcript is None:
            return _unmeasured(self, M("needs_ops_transcript",
                                       "needs the ops file and a transcript"))
        table, past = _read(path, signals)
        if not len(table):
            return _unmeasured(self, past)
        return _warn(measure_dead_air(table, signals.transcript, signals.duration_s,
                                      self.settings), past)


class OpsProductsAnalyzer(_ChecksTheTable, Analyzer):
    """GMV during each product's pitch (plus the order lag): ops, transcript and product cards."""

    name = "ops_products"
    title = N_("Sales during each pitch")
    version = "6"
    needs = frozenset({"ops", "transcript", "products"})
    metrics = PRODUCT_METRICS

    def __init__(self, options: SpeechOptions | None = None):
        self.settings = options or SpeechOptions()

    def options(self) -> dict[str, Any]:
        return dataclasses.asdict(self.settings)

    def analyze(self, signals: Signals) -> Findings:
        path, cards = signals.file("ops"), signals.products
        if path is None or cards is None or signals.transcript is None:
            return _unmeasured(self, M("needs_ops_products_transcript",
                                       "needs the ops file, the products file and a transcript"))
        # cards.valid(): a LivelabError names the products file, product and key
        products = cards.valid()
        table, past = _read(path, signals)
        if not len(table):
            return _unmeasured(self, past)
        return _warn(measure_pitches(table, signals.transcript, products, signals.duration_s,
                                     self.settings), past)


def _read(path: Path, signals: Signals) -> tuple[OpsTable, str | livelab.Message]:
    """The ops table's rows that fall inside the recording, and a warning about the rest
    ("" when none is past the end): a 90 s export is not scored against a 10 s clip."""
    table = read_ops(path, _formats(signals), signals.session.ops_sheet)
    end = signals.duration_s
    if not end or end <= 0:
        return table, ""
    kept = table.before(end)
    past = len(table) - len(kept)
    if not past:
        return kept, ""
    first = float(table.t[len(kept)])
    return kept, M(
        "rows_after_end", "{file}: {past} of {rows} rows (from {first}) are after the "
        "recording's end at {end}; they are not counted", file=path.name, past=past,
        rows=len(table), first=livelab.clock(first), end=livelab.clock(end))


def _warn(findings: Findings, warning: str | livelab.Message) -> Findings:
    if warning:
        findings.warnings.append(warning)
    return findings


def _formats(signals: Signals) -> list[OpsFormat] | None:
    """The formats the core hands over; ``None`` (this plugin's own) for direct callers."""
    return list(signals.ops_formats) or None


def _unmeasured(analyzer: Analyzer, reason: str | livelab.Message) -> Findings:
    findings = Findings()
    for spec in analyzer.metrics:
        findings.set(spec.name, None, reason)
    return findings


@livelab.hookimpl
def livelab_analyzers() -> list[Analyzer]:
    return [OpsAnalyzer(), OpsSpeechAnalyzer(), OpsProductsAnalyzer()]


@livelab.hookimpl
def livelab_ops_formats() -> list[OpsFormat]:
    return builtin_formats()


__all__ = ["OpsAnalyzer", "OpsProductsAnalyzer", "OpsSpeechAnalyzer", "measure", "read_ops"]
