"""Is a product held up on camera? ORB features of each product card's image matched against the
frame, confirmed by a RANSAC homography whose outline is a plausible, convex quadrilateral."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from livelab import LivelabError, Problem, ProductCard


@dataclass(frozen=True, slots=True)
class ProductImage:
    id: str
    name: str
    path: Path


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """``ratio``: Lowe's ratio test for a good match. ``min_inliers``: homography inliers that
    make a sighting (12 keeps chance matches on busy backgrounds out, our tuning on the
    composite). ``reference_size``: the product image's long side is resized to this."""

    ratio: float = 0.75
    min_inliers: int = 12
    reference_size: int = 400
    frame_features: int = 1500


def product_images(cards: Sequence[ProductCard]) -> list[ProductImage]:
    """The product cards that have an ``image:`` (the core checked that each one exists)."""
    return [ProductImage(c.id, c.name, c.image) for c in cards if c.image is not None]


class ProductMatcher:
    """Matches every product image against frames; keeps only descriptors of the references."""

    def __init__(self, products: list[ProductImage], options: MatchOptions | None = None):
        import os

        # The core refuses PNG and JPEG pictures over 50 MP from their headers; this is
        # OpenCV's own limit for every other format (its default is 1 G pixels).
        os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", "50000000")
        import cv2

        self.options = options or MatchOptions()
        self.products = products
        self._orb = cv2.ORB.create(nfeatures=self.options.frame_features)
        self._matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
        self._refs: list[tuple[np.ndarray, np.ndarray, np.ndarray] | None] = []
        ref_orb = cv2.ORB.create(nfeatures=800)
        for product in products:
            try:
                image = cv2.imread(str(product.path), cv2.IMREAD_GRAYSCALE)
            except cv2.error:  # over the pixel limit
                raise LivelabError(
                    [Problem(product.path, "has more than 50 million pixels (resize it)")]
                ) from None
            if image is None:
                raise LivelabError([Problem(product.path, "cannot be read as an image")])
            scale = self.options.reference_size / max(image.shape)
            image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            keypoints, descriptors = ref_orb.detectAndCompute(image, None)
            if descriptors is None or len(keypoints) < self.options.min_inliers:
                self._refs.append(None)  # a plain image has nothing to match
                continue
            points = np.array([k.pt for k in keypoints], dtype=np.float32)
            h, w = image.shape
            corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32).reshape(-1, 1, 2)
            self._refs.append((points, descriptors, corners))

    def unmatchable(self) -> list[str]:
        return [p.name for p, r in zip(self.products, self._refs, strict=True) if r is None]

    def shown(self, gray: np.ndarray) -> np.ndarray:
        """One bool per product: is it visible in this grey frame?"""
        import cv2

        result = np.zeros(len(self.products), bool)
        keypoints, descriptors = self._orb.detectAndCompute(gray, None)
        if descriptors is None or len(keypoints) < self.options.min_inliers:
            return result
        frame_points = np.array([k.pt for k in keypoints], dtype=np.float32)
        area = gray.shape[0] * gray.shape[1]
        for i, ref in enumerate(self._refs):
            if ref is None:
                continue
            points, ref_desc, corners = ref
            pairs = self._matcher.knnMatch(ref_desc, descriptors, k=2)
            good = [
                p[0]
                for p in pairs
                if len(p) == 2 and p[0].distance < self.options.ratio * p[1].distance
            ]
            if len(good) < self.options.min_inliers:
                continue
            src = points[[m.queryIdx for m in good]].reshape(-1, 1, 2)
            dst = frame_points[[m.trainIdx for m in good]].reshape(-1, 1, 2)
            homography, inliers = cv2.findHomography(src, dst, cv2.RANSAC, 5.0)
            if homography is None or int(inliers.sum()) < self.options.min_inliers:
                continue
            outline = cv2.perspectiveTransform(corners, homography)
            # A real sighting projects to a convex quad of sensible size, not a sliver; a card
            # shown full screen (or a close-up) may spill a little past the frame.
            if (
                cv2.isContourConvex(outline.astype(np.float32))
                and 0.002 * area < cv2.contourArea(outline) < 2.0 * area
            ):
                result[i] = True
        return result


def details(products: list[ProductImage], seconds: np.ndarray) -> dict[str, Any]:
    return {
        p.id: {"name": p.name, "shown_s": round(float(s), 2)}
        for p, s in zip(products, seconds, strict=True)
    }
