"""Turn the per-sample table into presence metrics, evidence spans and chart series."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from livelab import N_, Evidence, Findings, ItemValue, Messages, Series
from livelab_presence.measure import COL

M = Messages("livelab_presence")

if TYPE_CHECKING:
    from livelab_presence import PresenceOptions


def clock(seconds: float) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return f"{m:02d}:{s:02d}"


def sample_weights(t: np.ndarray, duration: float, interval: float) -> np.ndarray:
    """Seconds each sample stands for: up to the next sample (variable frame rate safe)."""
    if len(t) == 0:
        return t
    last = interval if duration <= t[-1] else min(interval, duration - t[-1])
    return np.diff(t, append=t[-1] + last).clip(0, None)


def spans(
    mask: np.ndarray, t: np.ndarray, duration: float, interval: float
) -> list[tuple[float, float]]:
    """Start/end seconds of each run of True samples; edges halfway between samples."""
    if len(mask) == 0:
        return []
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    out = []
    for i, j in zip(starts, ends, strict=True):
        start = (t[i - 1] + t[i]) / 2 if i > 0 else (0.0 if t[i] <= interval else t[i])
        end = (t[j] + t[j + 1]) / 2 if j + 1 < len(t) else max(t[j], min(duration, t[j] + interval))
        out.append((float(start), float(end)))
    return out


def _share(mask: np.ndarray, weights: np.ndarray) -> float | None:
    total = weights.sum()
    return float((weights * mask).sum() / total) if total > 0 else None


def summarise(
    rows: np.ndarray, duration: float, sample_fps: float, opts: PresenceOptions
) -> Findings:
    f = Findings()
    interval = 1.0 / sample_fps
    t = rows[:, COL["t"]].astype(np.float64)
    n = len(t)
    if n == 0:
        reason = M("no_frames", "no video frames could be decoded")
        for name in _ALL:
            f.set(name, None, reason)
        f.details["measured"] = {"samples": 0, "from_s": 0.0, "to_s": 0.0, "duration_s": duration}
        return f

    w = sample_weights(t, duration, interval)
    visible = rows[:, COL["faces"]] >= 1
    vw = w * visible
    f.details["measured"] = {
        "samples": n,
        "from_s": round(float(t[0]), 3),
        "to_s": round(float(t[-1] + w[-1]), 3),
        "duration_s": round(duration, 3),
    }
    if duration and t[-1] + w[-1] < duration - 2 * interval:
        f.details["coverage"] = (
            f"measured {clock(t[0])}–{clock(t[-1] + w[-1])} of "
            f"{clock(duration)}: frames after that could not be decoded"
        )

    f.set("presence.face_visible_ratio", _share(visible, w), "the recording has no frames")
    for start, end in spans(~visible, t, duration, interval):
        if end - start >= opts.min_off_camera_s:
            f.evidence.append(
                Evidence(
                    start,
                    end,
                    "presence.face_visible_ratio",
                    M("off_camera", "off camera ({seconds:.1f} s)", seconds=end - start),
                )
            )

    no_face = M("no_face", "no face was found on camera")
    cx = rows[:, COL["cx"]]
    lo, hi = opts.central_band
    centred = visible & (cx >= lo) & (cx <= hi)
    f.set("presence.centered_ratio", _share(centred, vw) if visible.any() else None, no_face)
    heights = rows[visible, COL["height"]]
    f.set(
        "presence.face_height_ratio", float(np.median(heights)) if len(heights) else None, no_face
    )
    facing = visible & (np.abs(np.nan_to_num(rows[:, COL["yaw"]], nan=90.0)) <= opts.facing_yaw_deg)
    f.set("presence.facing_camera_ratio", _share(facing, vw) if visible.any() else None, no_face)
    f.set("presence.multiple_people_ratio", _share(rows[:, COL["faces"]] >= 2, w), "no frames")

    face_b = rows[:, COL["face_brightness"]]
    f.set(
        "presence.brightness", float(np.median(face_b[visible])) if visible.any() else None, no_face
    )
    # Exposure is judged on the face. With no face on camera a dark picture still counts as
    # too dark (a black screen, an unlit room), but a bright one does not: a white product
    # card or slide is not an overexposed anchor.
    picture_b = np.where(visible, face_b, rows[:, COL["frame_brightness"]])
    dark = picture_b < opts.underexposed_below
    bright = visible & (face_b > opts.overexposed_above)
    f.set("presence.underexposed_ratio", _share(dark, w), "no frames")
    f.set("presence.overexposed_ratio", _share(bright, w), "no frames")
    for mask, what, metric in (
        (dark, M("too_dark", "too dark"), "presence.underexposed_ratio"),
        (bright, M("too_bright", "too bright"), "presence.overexposed_ratio"),
    ):
        for start, end in spans(mask, t, duration, interval):
            if end - start >= opts.min_off_camera_s:
                f.evidence.append(
                    Evidence(
                        start,
                        end,
                        metric,
                        M("exposure", "{what} ({seconds:.1f} s)", what=what,
                          seconds=end - start),
                    )
                )
    background = rows[:, COL["background_brightness"]]
    backlit = (
        visible
        & (background >= opts.backlit_min_background)
        & (face_b < opts.backlit_ratio * background)
    )
    f.set(
        "presence.backlit_ratio",
        _share(np.nan_to_num(backlit), vw) if visible.any() else None,
        no_face,
    )

    sharp = rows[visible, COL["sharpness"]].astype(np.float64)
    f.set(
        "presence.sharpness",
        float(np.median(sharp / (sharp + opts.sharpness_reference))) if len(sharp) else None,
        no_face,
    )
    f.set(
        "presence.motion",
        float(np.average(rows[:, COL["motion"]], weights=w)) if w.sum() > 0 else None,
        "no frames",
    )

    times = tuple(round(float(x), 3) for x in t)
    f.series.append(Series("presence.face_visible", "0/1", times, tuple(float(v) for v in visible),
                           title=N_("Face on camera")))
    f.series.append(Series("presence.face_brightness", "0-1", times, _values(face_b),
                           title=N_("Face brightness")))
    f.series.append(Series("presence.face_center_x", "share of width", times, _values(cx),
                           title=N_("Face position (left → right)")))
    f.series.append(
        Series("presence.face_height", "share of height", times, _values(rows[:, COL["height"]]),
               title=N_("Face size in frame"))
    )
    return f


def product_findings(
    f: Findings,
    rows: np.ndarray,
    shown: np.ndarray,
    matcher: Any,
    duration: float,
    sample_fps: float,
    opts: PresenceOptions,
) -> None:
    """``presence.product_shown_s`` (any product on camera), spans as evidence, per-product s."""
    from livelab_presence.products import details

    interval = 1.0 / sample_fps
    t = rows[:, COL["t"]].astype(np.float64)
    if len(t) == 0:
        f.set("presence.product_shown_s", None, "no video frames could be decoded")
        return
    w = sample_weights(t, duration, interval)
    f.set("presence.product_shown_s", float((w * shown.any(axis=1)).sum()))
    f.details["products"] = details(matcher.products, (w[:, None] * shown).sum(axis=0))
    f.by_product["presence.product_shown_s"] = {
        pid: ItemValue(info["name"], info["shown_s"]) for pid, info in f.details["products"].items()
    }
    if matcher.unmatchable():
        f.details["products_not_recognisable"] = matcher.unmatchable()
    for i, product in enumerate(matcher.products):
        for start, end in spans(shown[:, i], t, duration, interval):
            if end - start >= opts.min_product_s:
                f.evidence.append(
                    Evidence(
                        start,
                        end,
                        "presence.product_shown_s",
                        M("product_shown", "{product} shown ({seconds:.1f} s)",
                          product=product.name, seconds=end - start),
                    )
                )


def _values(column: np.ndarray) -> tuple[float | None, ...]:
    return tuple(None if np.isnan(v) else round(float(v), 4) for v in column)


_ALL = (
    "presence.face_visible_ratio",
    "presence.centered_ratio",
    "presence.face_height_ratio",
    "presence.facing_camera_ratio",
    "presence.multiple_people_ratio",
    "presence.brightness",
    "presence.underexposed_ratio",
    "presence.overexposed_ratio",
    "presence.backlit_ratio",
    "presence.sharpness",
    "presence.motion",
    "presence.product_shown_s",
)
