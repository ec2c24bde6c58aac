"""Composite check of the presence analyzer: a 720p recording built from a real face photo where
the face moves, leaves the frame, turns dark, sits off-centre and a product card is held up, all
at known times; every measured ratio is compared with the truth.

Run: .venv/bin/python benchmarks/presence_composite.py [--out /tmp/livelab_presence_bench]

The face is the face_recognition project's obama.jpg (MIT, ../shared/data); the product card is
drawn here (text and shapes: the kind of texture ORB matches on a real label).
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
FACE_PHOTO = ROOT.parent / "shared" / "data" / "faces" / "face_recognition" / "obama.jpg"
# Head and shoulders around the reference face box (349, 142, 268, 267) of obama.jpg.
FACE_CROP = (250, 40, 720, 560)  # x1, y1, x2, y2


def face_cutout(photo: Path = FACE_PHOTO) -> np.ndarray:
    import cv2

    image = cv2.imread(str(photo))
    if image is None:
        raise SystemExit(f"cannot read {photo}")
    x1, y1, x2, y2 = FACE_CROP
    return image[y1:y2, x1:x2].copy()


def product_card(width: int = 300, height: int = 400, seed: int = 7) -> np.ndarray:
    """A product label: coloured blocks, a logo and text, like the front of a box."""
    import cv2

    rng = np.random.default_rng(seed)
    card = np.full((height, width, 3), (235, 240, 245), np.uint8)
    for _ in range(14):
        x, y = int(rng.integers(0, width - 40)), int(rng.integers(0, height - 40))
        w, h = int(rng.integers(20, 110)), int(rng.integers(12, 70))
        colour = tuple(int(c) for c in rng.integers(0, 200, 3))
        cv2.rectangle(card, (x, y), (min(width - 1, x + w), min(height - 1, y + h)), colour, -1)
    cv2.circle(card, (width // 2, 90), 55, (40, 90, 200), -1)
    cv2.circle(card, (width // 2, 90), 30, (250, 250, 250), -1)
    for i, text in enumerate(("AQUA KEEP", "Insulated 750ml", "24h COLD", "12h HOT", "$19.99")):
        cv2.putText(
            card,
            text,
            (18, 190 + 45 * i),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.95 - 0.05 * i,
            (20, 20, 20),
            2,
            cv2.LINE_AA,
        )
    cv2.rectangle(card, (0, 0), (width - 1, height - 1), (30, 30, 30), 3)
    return card


def room(width: int, height: int) -> np.ndarray:
    """A plain mid-grey wall with a soft gradient and a shelf: background, not texture-free."""
    import cv2

    x = np.linspace(0.0, 1.0, width, dtype=np.float32)
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    base = 100 + 40 * x[None, :] + 20 * y
    wall = np.repeat(base[:, :, None], 3, axis=2) * np.array([0.95, 1.0, 1.05], np.float32)
    image = np.clip(wall, 0, 255).astype(np.uint8)
    cv2.rectangle(image, (0, int(height * 0.82)), (width, height), (60, 70, 90), -1)
    return image


@dataclass(frozen=True, slots=True)
class Timeline:
    """What happens when (seconds, half-open intervals). Edges fall between the 2 fps samples
    on purpose, so the check sees the sampling error a real recording has."""

    duration: float = 60.0
    off_camera: tuple[tuple[float, float], ...] = ((12.2, 17.3), (30.1, 33.4))
    dark: tuple[tuple[float, float], ...] = ((20.3, 26.1),)
    off_centre: tuple[tuple[float, float], ...] = ((40.2, 46.4),)
    product: tuple[tuple[float, float], ...] = ((48.3, 54.1),)
    dark_gain: float = 0.18

    @staticmethod
    def inside(t: float, spans: tuple[tuple[float, float], ...]) -> bool:
        return any(a <= t < b for a, b in spans)

    def truth(self) -> dict[str, float]:
        def total(spans: tuple[tuple[float, float], ...]) -> float:
            return sum(b - a for a, b in spans)

        visible = self.duration - total(self.off_camera)
        return {
            "presence.face_visible_ratio": visible / self.duration,
            "presence.centered_ratio": (visible - total(self.off_centre)) / visible,
            "presence.facing_camera_ratio": 1.0,
            "presence.multiple_people_ratio": 0.0,
            "presence.underexposed_ratio": total(self.dark) / self.duration,
            "presence.overexposed_ratio": 0.0,
            "presence.backlit_ratio": 0.0,
            "presence.product_shown_s": total(self.product),
        }


def frames(
    timeline: Timeline, fps: int, size: tuple[int, int], face_height: float = 0.45
) -> Iterator[np.ndarray]:
    """BGR frames of the composite: the face drifts and breathes in scale, events per timeline."""
    import cv2

    width, height = size
    wall = room(width, height)
    face = face_cutout()
    card = product_card()
    card_h = int(height * 0.5)
    card = cv2.resize(card, (int(card.shape[1] * card_h / card.shape[0]), card_h))
    for i in range(int(round(timeline.duration * fps))):
        t = i / fps
        image = wall.copy()
        if not timeline.inside(t, timeline.off_camera):
            scale = (
                face_height * height / face.shape[0] * (1 + 0.05 * math.sin(2 * math.pi * t / 9))
            )
            fw, fh = int(face.shape[1] * scale), int(face.shape[0] * scale)
            sized = cv2.resize(face, (fw, fh), interpolation=cv2.INTER_AREA)
            cx = (
                0.12
                if timeline.inside(t, timeline.off_centre)
                else (0.5 + 0.08 * math.sin(2 * math.pi * t / 7))
            )
            x = int(np.clip(cx * width - fw / 2, 0, width - fw))
            y = int(
                np.clip(
                    height * (0.55 + 0.02 * math.sin(2 * math.pi * t / 5)) - fh / 2, 0, height - fh
                )
            )
            image[y : y + fh, x : x + fw] = sized
        if timeline.inside(t, timeline.product):
            # Held up at the right, slightly tilted, drifting as a hand would.
            angle = 8 * math.sin(2 * math.pi * t / 3)
            ch, cw = card.shape[:2]
            centre = (width * 0.8 + 15 * math.sin(2 * math.pi * t / 2.5), height * 0.5)
            m = cv2.getRotationMatrix2D((cw / 2, ch / 2), angle, 1.0)
            m[:, 2] += (centre[0] - cw / 2, centre[1] - ch / 2)
            cv2.warpAffine(card, m, (width, height), dst=image, borderMode=cv2.BORDER_TRANSPARENT)
        if timeline.inside(t, timeline.dark):
            image = (image.astype(np.float32) * timeline.dark_gain).astype(np.uint8)
        yield image


def encode(
    path: Path,
    source: Iterator[np.ndarray],
    fps: int,
    size: tuple[int, int],
    preset: str = "veryfast",
    on_frame: Callable[[int], None] | None = None,
) -> Path:
    """H.264 (yuv420p) in mp4 through PyAV."""
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"preset": preset, "crf": "23"})
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.thread_type = "AUTO"
        for i, image in enumerate(source):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
            if on_frame is not None:
                on_frame(i)
        for packet in stream.encode():
            out.mux(packet)
    return path


def make_session(
    folder: Path, timeline: Timeline, fps: int = 30, size: tuple[int, int] = (1280, 720)
) -> Path:
    """A session folder: composite recording, the product card image and products.yaml."""
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / "card.png"), product_card())
    (folder / "products.yaml").write_text(
        "products:\n  - id: aquakeep\n    name: AquaKeep bottle\n    image: card.png\n",
        encoding="utf-8",
    )
    (folder / "session.toml").write_text(
        'title = "presence composite"\nlanguage = "en"\nrecording = "composite.mp4"\n'
        'products = "products.yaml"\n',
        encoding="utf-8",
    )
    recording = folder / "composite.mp4"
    if not recording.exists():
        encode(recording, frames(timeline, fps, size), fps, size)
    return folder


def main() -> None:
    from livelab.engine.pipeline import AnalysisOptions, analyze_session
    from livelab.inputs.session import load_session
    from livelab_presence import PresenceAnalyzer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/livelab_presence_bench/composite"))
    parser.add_argument("--fresh", action="store_true", help="re-render the recording")
    args = parser.parse_args()
    if args.fresh and args.out.exists():
        shutil.rmtree(args.out)
    timeline = Timeline()
    t0 = time.perf_counter()
    make_session(args.out, timeline)
    print(f"composite session in {args.out} ({time.perf_counter() - t0:.1f} s to make)")
    analysis = analyze_session(
        load_session(args.out), [PresenceAnalyzer()], AnalysisOptions(use_cache=False)
    )
    run = analysis.runs["presence"]
    if run.findings is None:
        raise SystemExit(f"presence {run.status}: {run.reason}")
    findings = run.findings
    ok = True
    print(f"{'metric':<34} {'truth':>8} {'measured':>9} {'error':>7}  tolerance")
    for name, truth in timeline.truth().items():
        tolerance = 1.0 if name.endswith("_s") else 0.05
        value = findings.metrics.get(name)
        if value is None:
            print(
                f"{name:<34} {truth:>8.3f} {'-':>9} {'':>7}  "
                f"unmeasured: {findings.unmeasured.get(name)}"
            )
            ok = False
            continue
        error = value - truth
        good = abs(error) <= tolerance
        ok &= good
        print(
            f"{name:<34} {truth:>8.3f} {value:>9.3f} {error:>+7.3f}  ±{tolerance} "
            f"{'ok' if good else 'FAIL'}"
        )
    found = [e for e in findings.evidence if e.metric == "presence.face_visible_ratio"]
    print("off-camera spans (truth → found):")
    for a, b in timeline.off_camera:
        best = min(found, key=lambda e: abs(e.start_s - a) + abs(e.end_s - b), default=None)
        if best is None:
            print(f"  {a:.2f}–{b:.2f} → not found  FAIL")
            ok = False
            continue
        good = abs(best.start_s - a) <= 0.5 and abs(best.end_s - b) <= 0.5
        ok &= good
        print(
            f"  {a:.2f}–{b:.2f} → {best.start_s:.2f}–{best.end_s:.2f} "
            f"(errors {best.start_s - a:+.2f} / {best.end_s - b:+.2f} s) {'ok' if good else 'FAIL'}"
        )
    print(f"spurious off-camera spans: {max(0, len(found) - len(timeline.off_camera))}")
    for e in findings.evidence:
        print(f"  evidence: {e.message}")
    print("ALL OK" if ok else "SOME CHECKS FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
