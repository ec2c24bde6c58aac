"""The numbers tied to the speech: viewers leaving during dead air, sales during each pitch.

Both need the ops times on the recording's clock, so a table of clock times (which count
from its first row, not from the recording start) is not tied to the speech.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from livelab import N_, Evidence, Findings, Message, MetricSpec, ProductCard, Transcript
from livelab_ops.funnel import M, row_intervals
from livelab_ops.table import OpsTable

SPEECH_METRICS = (
    MetricSpec("ops.dead_air_exits", "viewers",
               N_("Viewers who left during dead air: each row's exits × the share of the row's "
                  "interval that was dead air (silence ≥ 3 s between words)."), "lower",
               title=N_("Viewers lost in dead air")),
    MetricSpec("ops.dead_air_exit_ratio", "ratio",
               N_("Exits per minute during dead air ÷ exits per minute while the anchor spoke; "
                  "above 1, silence drives viewers away. Needs rows shorter than the silences "
                  "(per-event or per-second exports) to mean much."), "lower",
               title=N_("Exits in dead air vs. speech")),
)
PRODUCT_METRICS = (
    MetricSpec("ops.pitch_gmv_share", "ratio",
               N_("Share of GMV that came while a product was being presented (each product's "
                  "stretch of the transcript, shifted by the order lag, 30 s by default)."),
               "higher", title=N_("GMV during pitches")),
)


@dataclass(frozen=True, slots=True)
class SpeechOptions:
    """Settings of the speech tie-ins (all part of the cache key).

    ``dead_air_s``: a silence this long between words is dead air (3 s, the pace plugin's
    default, so both plugins see the same silences).
    ``order_lag_s``: viewers order a little after hearing the pitch; a product's sales
    window is its stretch of the transcript shifted this much later.
    """

    dead_air_s: float = 3.0
    order_lag_s: float = 30.0


def not_on_recording_clock(table: OpsTable) -> Message | None:
    if table.time_kind != "clock":
        return None
    return M("clock_times", "{file} gives clock times (from {first}), which cannot be placed on "
             "the recording; give t as offsets from the recording start",
             file=table.path.name, first=str(table.time_first))


def dead_air_spans(transcript: Transcript, min_gap_s: float) -> list[tuple[float, float]]:
    """Silences of at least ``min_gap_s`` between the first and the last words."""
    marks = [(w.start, w.end) for w in transcript.words] or [
        (s.start, s.end) for s in transcript.segments
    ]
    marks.sort()
    spans: list[tuple[float, float]] = []
    end = None
    for start, stop in marks:
        if end is not None and start - end >= min_gap_s:
            spans.append((end, start))
        end = stop if end is None else max(end, stop)
    return spans


def spread_over(table: OpsTable, intervals: np.ndarray, column: str,
                spans: Sequence[tuple[float, float]]) -> np.ndarray:
    """For each span, the column's counts that fell in it, assuming each row's counts
    were spread evenly over its interval (exact when rows are shorter than the spans)."""
    t0, t1 = table.t, table.t + intervals
    values = table.columns[column]
    out = np.zeros(len(spans))
    for k, (a, b) in enumerate(spans):
        overlap = np.clip(np.minimum(t1, b) - np.maximum(t0, a), 0.0, None)
        out[k] = float(np.sum(values * overlap / intervals))
    return out


def measure_dead_air(table: OpsTable, transcript: Transcript, duration_s: float | None,
                     options: SpeechOptions) -> Findings:
    f = Findings()
    reason = not_on_recording_clock(table)
    intervals = row_intervals(table, duration_s)
    if not reason and "exits" not in table.columns:
        reason = M("no_column", "{file} has no '{column}' column (format {format})",
                   file=table.path.name, column="exits", format=table.format)
    if not reason and intervals is None:
        reason = M("one_row", "{file} has one row and the recording length is unknown",
                   file=table.path.name)
    if not reason and not transcript.segments:
        reason = M("no_speech", "the transcript has no speech")
    if reason:
        for spec in SPEECH_METRICS:
            f.set(spec.name, None, reason)
        return f
    assert intervals is not None
    spans = dead_air_spans(transcript, options.dead_air_s)
    lost = spread_over(table, intervals, "exits", spans)
    f.set("ops.dead_air_exits", float(np.sum(lost)))
    online = table.columns.get("online")
    for (a, b), n in zip(spans, lost, strict=True):
        said = M("dead_air_exits", "dead air ({seconds:.1f} s): {exits:.1f} exits",
                 seconds=b - a, exits=float(n))
        if online is not None:
            before, after = _value_at(table, online, a), _value_at(table, online, b)
            if before is not None and after is not None:
                said = M("dead_air_exits_online",
                         "dead air ({seconds:.1f} s): {exits:.1f} exits, "
                         "online {before:,.0f} → {after:,.0f}",
                         seconds=b - a, exits=float(n), before=float(before), after=float(after))
        f.evidence.append(Evidence(a, b, "ops.dead_air_exits", said))
    # Compare rates over the time both the table and the speech cover.
    words = [(w.start, w.end) for w in transcript.words] or [
        (s.start, s.end) for s in transcript.segments]
    speech = (max(min(w[0] for w in words), float(table.t[0])),
              min(max(w[1] for w in words), float(table.t[-1] + intervals[-1])))
    silent_s = sum(max(0.0, min(b, speech[1]) - max(a, speech[0])) for a, b in spans)
    spoken_s = (speech[1] - speech[0]) - silent_s
    if not spans or silent_s <= 0:
        f.set("ops.dead_air_exit_ratio", None,
              M("undefined", "undefined: {why}",
                why=M("why", "no dead air while the table runs")))
    else:
        in_silence = float(np.sum(spread_over(table, intervals, "exits", [
            (max(a, speech[0]), min(b, speech[1])) for a, b in spans])))
        overall = float(spread_over(table, intervals, "exits", [speech])[0])
        spoken_rate = (overall - in_silence) / spoken_s if spoken_s > 0 else 0.0
        if spoken_rate <= 0:
            f.set("ops.dead_air_exit_ratio", None,
                  M("undefined", "undefined: {why}",
                    why=M("why", "no exits while the anchor spoke")))
        else:
            f.set("ops.dead_air_exit_ratio", (in_silence / silent_s) / spoken_rate)
    f.details["dead_air"] = [
        {"start_s": round(a, 2), "end_s": round(b, 2), "exits": round(float(n), 3)}
        for (a, b), n in zip(spans, lost, strict=True)
    ]
    f.details["dead_air_s"] = options.dead_air_s
    return f


def product_blocks(transcript: Transcript, names: Sequence[tuple[str, Sequence[str]]]
                   ) -> list[tuple[str, float, float]]:
    """(product id, start, end) stretches of the transcript about one product: a segment
    naming a product starts its stretch, which lasts until another product is named."""
    keys = [(pid, [_fold(n) for n in ns if _fold(n)]) for pid, ns in names]
    blocks: list[tuple[str, float, float]] = []
    current: str | None = None
    segments = transcript.segments
    for i, seg in enumerate(segments):
        text = _fold(seg.text)
        named = [(text.find(k), pid) for pid, ks in keys for k in ks if k in text]
        if named:
            current = min(named)[1]  # the product named first in the segment
        if current is None:
            continue
        end = segments[i + 1].start if i + 1 < len(segments) else seg.end
        if blocks and blocks[-1][0] == current:
            blocks[-1] = (current, blocks[-1][1], end)
        else:
            blocks.append((current, seg.start, end))
    return blocks


def measure_pitches(table: OpsTable, transcript: Transcript, products: Sequence[ProductCard],
                    duration_s: float | None, options: SpeechOptions) -> Findings:
    """GMV and orders in each product's sales window (its stretch + the order lag)."""
    f = Findings()
    intervals = row_intervals(table, duration_s)
    reason = not_on_recording_clock(table)
    if not reason and "gmv" not in table.columns:
        reason = M("no_column", "{file} has no '{column}' column (format {format})",
                   file=table.path.name, column="gmv", format=table.format)
    if not reason and intervals is None:
        reason = M("one_row", "{file} has one row and the recording length is unknown",
                   file=table.path.name)
    if reason:
        f.set("ops.pitch_gmv_share", None, reason)
        return f
    assert intervals is not None
    names = [(p.id, p.names) for p in products]
    blocks = product_blocks(transcript, names)
    lag = options.order_lag_s
    windows = [(a + lag, b + lag) for _, a, b in blocks]
    gmv = spread_over(table, intervals, "gmv", windows)
    orders = (spread_over(table, intervals, "orders", windows)
              if "orders" in table.columns else None)
    per_product: dict[str, dict[str, float]] = {}
    for k, (pid, a, b) in enumerate(blocks):
        row = per_product.setdefault(pid, {"seconds": 0.0, "gmv": 0.0, "orders": 0.0})
        row["seconds"] += b - a
        row["gmv"] += float(gmv[k])
        if orders is not None:
            row["orders"] += float(orders[k])
        f.evidence.append(Evidence(a, b, "ops.pitch_gmv_share",
                                   M("product_gmv",
                                     "{product} on air: GMV {gmv:,.2f} from {start:clock} "
                                     "to {end:clock}",
                                     product=pid, gmv=float(gmv[k]), start=a + lag,
                                     end=b + lag)))
    total = float(np.sum(table.columns["gmv"]))
    if not blocks:
        f.set("ops.pitch_gmv_share", None,
              M("no_product_named", "no product was named in the transcript"))
    elif total == 0:
        f.set("ops.pitch_gmv_share", None,
              M("undefined", "undefined: {why}", why=M("why", "no GMV")))
    else:
        f.set("ops.pitch_gmv_share", float(np.sum(gmv)) / total)
    f.details["per_product_pitch"] = per_product
    f.details["order_lag_s"] = lag
    return f


def _value_at(table: OpsTable, values: np.ndarray, t: float) -> float | None:
    """The value of the row whose interval holds ``t`` (rows are steps, not ramps)."""
    i = int(np.searchsorted(table.t, t, side="right")) - 1
    return None if i < 0 else float(values[i])


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())
