"""Batch grading at class scale: throughput with 1 vs 2 workers, peak memory per worker, and
re-grading with a changed rubric against the first grading (issue 7, items 2 and 6).

Run: .venv/bin/python benchmarks/batch_scale.py [--sessions 20] [--minutes 5] [--workers 1,2]
     [--cache DIR]

The sessions are built once into DIR (default: the user cache folder, livelab/benchmarks/
batch_scale — never inside git): the sample session's recording looped to --minutes with
ffmpeg (stream copy, so the media is real H.264/AAC), its products.yaml, and a per-minute
ops.csv covering the whole recording. Each worker count grades its own fresh copies (no
analysis cache), through livelab.batch.grade.run_batch exactly as `livelab grade` does, with the
default rubric and the default one-thread speech model per worker.

Reported per worker count: wall time, session-minutes graded per wall-minute, and each
worker process's peak RSS (ru_maxrss, read in the worker after its last session). Then the
sessions of the last worker count are re-graded with a changed rubric (one criterion
re-weighted): every analyzer comes from the cache, and the speed-up over that first grading
is reported (target >= 20x). Results are also written as JSON next to the sessions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_sessions" / "demo_en"


def default_cache() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("livelab")) / "benchmarks" / "batch_scale"


def long_recording(cache: Path, minutes: float) -> Path:
    """The sample recording looped to ``minutes`` (built once, then reused)."""
    path = cache / f"pitch_{minutes:g}min.mp4"
    if path.exists():
        return path
    if shutil.which("ffmpeg") is None:
        sys.exit("ffmpeg is needed to build the long recording (apt-get install ffmpeg)")
    cache.mkdir(parents=True, exist_ok=True)
    source = SAMPLE / "pitch.mp4"
    loops = int(minutes * 60 // 89) + 1
    listing = cache / "concat.txt"
    listing.write_text("".join(f"file '{source}'\n" for _ in range(loops)))
    tmp = path.with_suffix(".tmp.mp4")
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing)]
        + ["-t", str(minutes * 60), "-c", "copy", str(tmp)],
        check=True,
    )
    tmp.replace(path)
    return path


def make_sessions(folder: Path, recording: Path, count: int, minutes: float) -> Path:
    """``count`` fresh session folders (no analysis cache) sharing one recording file."""
    if folder.exists():
        shutil.rmtree(folder)
    rows = (SAMPLE / "ops.csv").read_text("utf-8").splitlines()
    header, data = rows[0], rows[1:]
    ops = [header]
    for minute in range(int(minutes + 0.999)):
        fields = data[minute % len(data)].split(",")
        fields[0] = f"{minute:02d}:00"
        ops.append(",".join(fields))
    for i in range(1, count + 1):
        session = folder / f"student{i:02d}"
        session.mkdir(parents=True)
        os.link(recording, session / "pitch.mp4")  # same bytes, no copy; caches are per folder
        for extra in ("products.yaml", "bottle.png"):  # the product card names its image
            shutil.copy(SAMPLE / extra, session / extra)
        (session / "ops.csv").write_text("\n".join(ops) + "\n", "utf-8")
        (session / "session.toml").write_text(
            f'title = "Rehearsal {i}"\nanchor = "Student {i:02d}"\nteam = "Team {1 + i % 4}"\n'
            'language = "en"\nrecording = "pitch.mp4"\nproducts = "products.yaml"\n'
            'ops = "ops.csv"\n',
            "utf-8",
        )
    return folder


def changed_rubric(cache: Path) -> Path:
    text = (ROOT / "rubrics" / "anchor-basics-en.yaml").read_text("utf-8")
    changed = text.replace("id: anchor-basics-en", "id: anchor-basics-en-pace-heavy", 1)
    changed = changed.replace(
        "metric: pace.rate_speaking\n    weight: 10", "metric: pace.rate_speaking\n    weight: 20"
    )
    assert changed.count("weight: 20") >= 1, "rubric layout changed; update the benchmark"
    path = cache / "pace-heavy.yaml"
    path.write_text(changed, "utf-8")
    return path


def grade(sessions: Path, out: Path, workers: int, rubric: str | None = None) -> dict:
    from livelab.batch.grade import BatchOptions, run_batch

    if out.exists():
        shutil.rmtree(out)
    started = time.perf_counter()
    result = run_batch(
        [sessions],
        BatchOptions(out=out, workers=workers, rubric=rubric, history=False),
    )
    wall = time.perf_counter() - started
    failed = [(g.path, g.error) for g in result.graded if not g.ok]
    if failed:
        sys.exit(f"sessions failed: {failed}")
    minutes = sum(g.scorecard["session"]["duration_s"] for g in result.graded) / 60
    statuses = sorted(
        {a["status"] for g in result.graded for a in g.scorecard["analyzers"].values()}
    )
    return {
        "workers": workers,
        "sessions": len(result.graded),
        "session_minutes": round(minutes, 2),
        "wall_s": round(wall, 2),
        "session_minutes_per_wall_minute": round(minutes / (wall / 60), 2),
        "peak_rss_mb_per_worker": sorted(
            round(s["max_rss_kb"] / 1024, 1) for s in result.worker_stats.values()
        ),
        "sessions_per_worker": sorted(int(s["sessions"]) for s in result.worker_stats.values()),
        # CPU time is what the machine spent; robust to other load on a shared machine.
        "cpu_s": round(sum(s["cpu_s"] for s in result.worker_stats.values()), 1),
        "session_minutes_per_cpu_minute": round(
            minutes / (sum(s["cpu_s"] for s in result.worker_stats.values()) / 60), 2
        ),
        "analyzer_statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--cache", type=Path, default=None)
    args = parser.parse_args()
    cache = args.cache or default_cache()
    recording = long_recording(cache, args.minutes)
    counts = [int(w) for w in args.workers.split(",")]
    report: dict = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "sessions": args.sessions,
        "minutes_each": args.minutes,
        "runs": [],
    }
    results_file = cache / "results.json"
    last: tuple[Path, dict] | None = None
    for workers in counts:
        sessions = make_sessions(
            cache / f"class_w{workers}", recording, args.sessions, args.minutes
        )
        run = grade(sessions, cache / f"out_w{workers}", workers)
        report["runs"].append(run)
        print(json.dumps(run), flush=True)
        results_file.write_text(json.dumps(report, indent=2))
        last = (sessions, run)
    assert last is not None
    sessions, first = last
    regrade = grade(sessions, cache / "out_regrade", first["workers"], str(changed_rubric(cache)))
    regrade["speedup_vs_first_grading"] = round(first["wall_s"] / regrade["wall_s"], 1)
    report["regrade_changed_rubric"] = regrade
    print(json.dumps({"regrade": regrade}), flush=True)
    results_file.write_text(json.dumps(report, indent=2))
    print(f"results: {results_file}")


if __name__ == "__main__":
    main()
