"""Face detector precision and recall on dlib's hand-labelled PASCAL VOC faces (43 faces).

Run: .venv/bin/python benchmarks/face_accuracy.py [--widths native,480,320,256] [--threshold 0.5]

A detection matches a labelled face when each box's centre lies inside the other and their
heights differ by less than 2.5x: dlib's labels are tight squares around eyes and mouth while
CenterFace boxes run from hairline to chin, so IoU alone would punish correct detections.
Each label matches at most one detection (greedy, highest score first). Recall is reported for
labels >= 40 px (the issue's bar) and for all labels; precision counts every detection.
"""

from __future__ import annotations

import argparse
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
DATA = ROOT.parent / "shared" / "data" / "faces" / "dlib_pascalvoc"
MIN_FACE = 40


def labelled_faces(folder: Path = DATA) -> dict[str, np.ndarray]:
    """file name -> (k, 4) labelled boxes x1, y1, x2, y2 from dlib's training/testing XML."""
    faces: dict[str, np.ndarray] = {}
    for xml in ("training.xml", "testing.xml"):
        for image in ET.parse(folder / xml).getroot().iter("image"):
            boxes = [
                [
                    int(b.get("left")),
                    int(b.get("top")),
                    int(b.get("left")) + int(b.get("width")),
                    int(b.get("top")) + int(b.get("height")),
                ]
                for b in image.iter("box")
                if b.get("ignore") != "1"
            ]
            faces[image.get("file")] = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    return faces


def match(labels: np.ndarray, detections: np.ndarray) -> np.ndarray:
    """For each detection, the index of the label it matches, or -1."""
    taken = np.zeros(len(labels), bool)
    result = np.full(len(detections), -1)
    for i in np.argsort(-detections[:, 4]) if len(detections) else []:
        d = detections[i]
        dcx, dcy = (d[0] + d[2]) / 2, (d[1] + d[3]) / 2
        for j, lab in enumerate(labels):
            if taken[j]:
                continue
            lcx, lcy = (lab[0] + lab[2]) / 2, (lab[1] + lab[3]) / 2
            inside = (
                lab[0] <= dcx <= lab[2]
                and lab[1] <= dcy <= lab[3]
                and d[0] <= lcx <= d[2]
                and d[1] <= lcy <= d[3]
            )
            ratio = (d[3] - d[1]) / max(1.0, lab[3] - lab[1])
            if inside and 1 / 2.5 < ratio < 2.5:
                taken[j] = True
                result[i] = j
                break
    return result


def evaluate(detector, input_width: int | None, folder: Path = DATA) -> dict[str, float]:
    """Precision/recall of ``detector`` over the dlib images at ``input_width`` (None: native)."""
    import cv2

    tp = fp = 0
    found_big = big = found_all = total = 0
    seconds = 0.0
    for name, labels in labelled_faces(folder).items():
        image = cv2.imread(str(folder / name))
        t0 = time.perf_counter()
        dets = detector.detect(image, input_width=input_width or image.shape[1])[0]
        seconds += time.perf_counter() - t0
        matched = match(labels, dets)
        tp += int((matched >= 0).sum())
        fp += int((matched < 0).sum())
        heights = labels[:, 3] - labels[:, 1]
        hit = np.isin(np.arange(len(labels)), matched[matched >= 0])
        big += int((heights >= MIN_FACE).sum())
        found_big += int((hit & (heights >= MIN_FACE)).sum())
        total += len(labels)
        found_all += int(hit.sum())
    return {
        "precision": tp / max(1, tp + fp),
        "recall_40px": found_big / max(1, big),
        "recall_all": found_all / max(1, total),
        "faces_40px": big,
        "faces": total,
        "detections": tp + fp,
        "ms_per_image": 1000 * seconds / 9,
    }


def main() -> None:
    from livelab_presence.detector import DetectorOptions, FaceDetector

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="native,480,320,256")
    parser.add_argument("--threshold", type=float, default=DetectorOptions().score_threshold)
    args = parser.parse_args()
    if not DATA.is_dir():
        sys.exit(f"no test data at {DATA}")
    detector = FaceDetector(DetectorOptions(score_threshold=args.threshold))
    print(f"CenterFace via cv2.dnn, score threshold {args.threshold}, images in {DATA}")
    print(
        f"{'input width':>12} {'precision':>9} {'recall>=40px':>12} {'recall all':>10} "
        f"{'detections':>10} {'ms/image':>8}"
    )
    for width in args.widths.split(","):
        w = None if width == "native" else int(width)
        r = evaluate(detector, w)
        print(
            f"{width:>12} {r['precision']:>9.3f} {r['recall_40px']:>7.3f} ({r['faces_40px']:>2}) "
            f"{r['recall_all']:>6.3f} ({r['faces']}) {r['detections']:>8} {r['ms_per_image']:>8.1f}"
        )


if __name__ == "__main__":
    main()
