"""How much of the machine `livelab record` needs: can a laptop record, encode, transcribe and
run the audience in real time, and with how much to spare? (issue 9)

Run from the checkout: .venv/bin/python benchmarks/record_speed.py [--repeat 2]

Records the sample pitch (854x480 25 fps, 89.7 s) as a take twice per repetition, each in a
child process timed with ``os.wait4`` (wall, CPU of all threads, peak RSS):

* ``fast``: ``livelab record --fast`` — as fast as the machine can. Its real-time factor
  (recorded seconds per wall second) is the headroom: above 1, the same work keeps up with a
  live camera; CPU seconds per recorded second is the share of one core a live take needs.
* ``realtime``: the same files played at their own speed, as a student rehearsing over a
  pre-recorded video would: wall ≈ the take's length; CPU per second says how busy it keeps
  the machine while the student speaks.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_sessions" / "demo_en"


def run(folder: Path, fast: bool, source: Path, duration: str | None) -> dict[str, float]:
    cmd = [sys.executable, "-m", "livelab.cli", "record", str(folder)]
    cmd += ["--products", str(SAMPLE / "products.yaml"), "--camera", str(source)]
    cmd += ["--mic", str(source), "--seed", "1", "--no-tui"]
    cmd += (["--fast"] if fast else []) + (["--duration", duration] if duration else [])
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - t0
    if status:
        raise SystemExit(f"failed ({status}): {' '.join(cmd)}")
    recorded = float(_take_seconds(folder))
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "wall_s": round(wall, 2),
        "recorded_s": recorded,
        "realtime_factor": round(recorded / wall, 2),
        "cpu_s": round(cpu, 1),
        "cores_busy": round(cpu / wall, 2),
        "cpu_s_per_recorded_s": round(cpu / recorded, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "load1_before": round(load, 2),
    }


def _take_seconds(folder: Path) -> float:
    import tomllib

    return tomllib.loads((folder / "session.toml").read_text("utf-8"))["take"]["duration_s"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-realtime", action="store_true", help="skip the real-time takes")
    parser.add_argument(
        "--source",
        type=Path,
        default=SAMPLE / "pitch.mp4",
        help="camera and microphone file (default: the sample pitch, 854x480 25 fps)",
    )
    parser.add_argument("--duration", default=None, help="length of each take, e.g. 60s")
    args = parser.parse_args(argv)
    results: dict[str, list[dict[str, float]]] = {"fast": [], "realtime": []}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeat):
            for mode in ("fast", "realtime"):
                if mode == "realtime" and args.no_realtime:
                    continue
                r = run(Path(tmp) / f"{mode}{rep}", mode == "fast", args.source, args.duration)
                results[mode].append(r)
                print(f"rep {rep + 1} {mode}: {json.dumps(r)}", flush=True)
    print(json.dumps({"nproc": os.cpu_count(), **results}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
