"""Per-sample measurements of one frame batch: a few numbers per frame, never the frames."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from livelab_presence.detector import SCORE, X1, X2, Y1, Y2, FaceDetector, yaw_degrees

#: Thumbnail size for whole-frame brightness and motion: enough to see a scene change,
#: small enough that keeping the previous one costs nothing.
THUMB = (64, 36)
#: Face crops are resized to this height before the Laplacian so sharpness does not
#: depend on how large the face is in the frame.
SHARPNESS_HEIGHT = 96

# Columns of the per-sample table (float32; NaN where a face value does not apply).
COLUMNS = (
    "t",
    "faces",
    "cx",
    "cy",
    "height",
    "yaw",
    "face_brightness",
    "frame_brightness",
    "background_brightness",
    "sharpness",
    "motion",
)
COL = {name: i for i, name in enumerate(COLUMNS)}


@dataclass(frozen=True, slots=True)
class SampleOptions:
    """``min_face_height``: faces smaller than this share of the frame height are not counted
    (a poster or a passer-by far behind is not a co-host)."""

    min_face_height: float = 0.06


class BatchMeasurer:
    """Turns frame batches into rows of :data:`COLUMNS`; keeps only the last thumbnail."""

    def __init__(self, detector: FaceDetector, options: SampleOptions | None = None):
        self.detector = detector
        self.options = options or SampleOptions()
        self._previous: np.ndarray | None = None

    def measure(self, frames: np.ndarray, times: np.ndarray) -> np.ndarray:
        import cv2

        n, h, w = frames.shape[:3]
        rows = np.full((n, len(COLUMNS)), np.nan, np.float32)
        rows[:, COL["t"]] = times
        if n == 0:
            return rows
        detections = self.detector.detect(frames)
        grays = [cv2.cvtColor(f, cv2.COLOR_BGR2GRAY) for f in frames]
        thumbs = np.stack([cv2.resize(g, THUMB, interpolation=cv2.INTER_AREA) for g in grays])
        thumbs = thumbs.astype(np.float32) / 255.0

        frame_mean = thumbs.reshape(n, -1).mean(axis=1)
        rows[:, COL["frame_brightness"]] = frame_mean
        # Motion: mean absolute change against the previous sample, the first one against itself.
        previous = np.concatenate(
            [thumbs[:1] if self._previous is None else self._previous[None], thumbs[:-1]]
        )
        rows[:, COL["motion"]] = np.abs(thumbs - previous).reshape(n, -1).mean(axis=1)
        self._previous = thumbs[-1].copy()

        min_h = self.options.min_face_height * h
        mains = np.full((n, 15), np.nan, np.float32)
        for i, faces in enumerate(detections):
            faces = faces[(faces[:, Y2] - faces[:, Y1]) >= min_h]
            rows[i, COL["faces"]] = len(faces)
            if len(faces) == 0:
                continue
            # The anchor is the largest face; others only count towards "multiple people".
            main = faces[np.argmax((faces[:, X2] - faces[:, X1]) * (faces[:, Y2] - faces[:, Y1]))]
            mains[i] = main
            x1, y1 = int(main[X1]), int(main[Y1])
            x2, y2 = max(x1 + 1, int(np.ceil(main[X2]))), max(y1 + 1, int(np.ceil(main[Y2])))
            crop = grays[i][y1:y2, x1:x2]
            rows[i, COL["face_brightness"]] = crop.mean() / 255.0
            scale = SHARPNESS_HEIGHT / crop.shape[0]
            sized = cv2.resize(
                crop,
                (max(8, int(round(crop.shape[1] * scale))), SHARPNESS_HEIGHT),
                interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
            )
            rows[i, COL["sharpness"]] = cv2.Laplacian(sized, cv2.CV_32F).var()

        seen = ~np.isnan(mains[:, SCORE])
        box_w = mains[:, X2] - mains[:, X1]
        box_h = mains[:, Y2] - mains[:, Y1]
        rows[:, COL["cx"]] = (mains[:, X1] + box_w / 2) / w
        rows[:, COL["cy"]] = (mains[:, Y1] + box_h / 2) / h
        rows[:, COL["height"]] = box_h / h
        rows[seen, COL["yaw"]] = yaw_degrees(mains[seen])
        # Background = the frame without the face box; from the means, no second pass.
        area = np.where(seen, box_w * box_h / (w * h), 0.0)
        face_b = np.nan_to_num(rows[:, COL["face_brightness"]])
        rest = np.clip(1.0 - area, 1e-6, None)
        rows[:, COL["background_brightness"]] = np.where(
            seen & (area < 0.95), (frame_mean - face_b * area) / rest, np.nan
        )
        return rows
