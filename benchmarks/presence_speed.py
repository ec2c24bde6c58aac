"""Speed of the presence pass against decoding alone, on a 10-minute 720p30 H.264 recording.

Run: .venv/bin/python benchmarks/presence_speed.py [--minutes 10] [--out DIR]
(the recording is made once into DIR, default /tmp/livelab_presence_bench, then reused)

Both runs use livelab.media.decode.VideoPass with the same sampling (2 fps, frames downscaled to 640
wide), in the same process, one after the other: "decode" only iterates the batches; "presence"
feeds every batch to the presence analyzer's frame sink and finishes it, as the core does.
The recording (made once, then reused) is the composite face from presence_composite.py drifting
about the frame, encoded with libx264 preset veryfast (CABAC, B-frames: like a real camera file).
Wall-clock and process CPU time (all threads) are both reported, best of --repeat alternating
runs; the target is presence / decode <= 1.5 (wall).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def recording(folder: Path, minutes: float) -> Path:
    from presence_composite import Timeline, encode, frames

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"speed_{minutes:g}min_720p30.mp4"
    if path.exists():
        return path
    seconds = minutes * 60
    # A few off-camera and dark stretches so every code path is exercised.
    timeline = Timeline(
        duration=seconds,
        off_camera=((seconds * 0.3, seconds * 0.3 + 20),),
        dark=((seconds * 0.6, seconds * 0.6 + 20),),
        off_centre=(),
        product=(),
    )
    partial = path.with_suffix(".partial.mp4")
    t0 = time.perf_counter()

    def progress(i: int) -> None:
        if i % 1800 == 0:
            print(
                f"  encoded {i / 30:.0f} s of {seconds:.0f} s ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )

    encode(partial, frames(timeline, 30, (1280, 720)), 30, (1280, 720), on_frame=progress)
    partial.rename(path)
    return path


def timed(fn) -> tuple[float, float]:  # noqa: ANN001
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    from livelab.api.analysis import Signals
    from livelab.inputs.session import Session
    from livelab.media.decode import FrameOptions, VideoPass
    from livelab_presence import PresenceAnalyzer, PresenceOptions

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--out", type=Path, default=Path("/tmp/livelab_presence_bench"))
    parser.add_argument("--make-only", action="store_true")
    parser.add_argument("--repeat", type=int, default=2, help="best of N alternating runs")
    parser.add_argument("--recording", type=Path, help="measure this file instead")
    parser.add_argument("--detection-width", type=int, help="override PresenceOptions default")
    args = parser.parse_args()
    path = args.recording or recording(args.out, args.minutes)
    if args.make_only:
        return
    options = FrameOptions(sample_fps=2.0)
    settings = PresenceOptions()
    if args.detection_width:
        settings = replace(settings, detection_width=args.detection_width)
    analyzer = PresenceAnalyzer(settings)
    counts: dict[str, int] = {}

    def decode_only() -> None:
        video = VideoPass(path, options)
        counts["decode"] = sum(len(b.times) for b in video.batches())

    findings = {}

    def presence() -> None:
        video = VideoPass(path, options)
        sink = analyzer.frame_sink(video.info)
        n = 0
        for batch in video.batches():
            sink.feed(batch)
            n += len(batch.times)
        counts["presence"] = n
        session = Session(root=path.parent, title="speed", files={"recording": path})
        findings["f"] = sink.finish(
            Signals(session=session, duration_s=video.info.duration_s, video=video.info)
        )

    # Alternate the two passes and keep each one's best: other work on the machine only ever
    # slows a pass down, so the minimum is the fairest estimate of its own cost.
    decode_runs, presence_runs = [], []
    for _ in range(args.repeat):
        decode_runs.append(timed(decode_only))
        presence_runs.append(timed(presence))
    decode_wall, decode_cpu = min(r[0] for r in decode_runs), min(r[1] for r in decode_runs)
    presence_wall = min(r[0] for r in presence_runs)
    presence_cpu = min(r[1] for r in presence_runs)
    print(f"recording: {path}; detection width {settings.detection_width}")
    print(f"best of {args.repeat} alternating runs each; load average {os.getloadavg()[0]:.1f}")
    print(f"{'pass':<10} {'frames':>7} {'wall s':>8} {'cpu s':>8}")
    print(f"{'decode':<10} {counts['decode']:>7} {decode_wall:>8.1f} {decode_cpu:>8.1f}")
    print(f"{'presence':<10} {counts['presence']:>7} {presence_wall:>8.1f} {presence_cpu:>8.1f}")
    print(
        f"presence / decode: wall {presence_wall / decode_wall:.2f}x, "
        f"cpu {presence_cpu / decode_cpu:.2f}x (target <= 1.5x wall)"
    )
    metrics = findings["f"].metrics
    print(
        f"sanity: face_visible_ratio {metrics.get('presence.face_visible_ratio', float('nan')):.3f}"
        f" (truth {1 - 20 / (args.minutes * 60):.3f})"
    )


if __name__ == "__main__":
    main()
