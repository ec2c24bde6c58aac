"""End-to-end speed and memory of `livelab analyze` against its irreducible parts (issue 11).

Run (one command; builds the long sessions once, then reuses them):

    .venv/bin/python benchmarks/pipeline.py            # defaults below, ~30 min on 2 cores
    .venv/bin/python benchmarks/pipeline.py --help
    # the run in benchmarks/RESULTS.md (adds e2e with speech on one thread, ~35 min):
    .venv/bin/python benchmarks/pipeline.py --patch threads1

Sessions: benchmarks/make_long_session.py builds N-minute 1280x720 30 fps H.264 + AAC sessions
(the sample pitch's real face and speech, looped and upscaled) into ``$LIVELAB_BENCH_DIR`` or
``~/.cache/livelab-bench`` — never into git.

Every measurement is a separate child process, timed by wall clock from spawn to exit, with its
peak RSS and CPU time from ``os.wait4`` (the child's own rusage):

* ``e2e``        ``livelab analyze SESSION --all --no-cache -q`` (the installed console script);
* ``decode``     ``VideoPass(path, FrameOptions()).batches()`` consumed, nothing else;
* ``transcribe`` ``decode_audio`` + ``WhisperModel(bundled, cpu_threads=N, compute_type="int8")``
                 with N = livelab's default (``whisper_threads_for()``: the cores, at most 4)
                 with FasterWhisperTranscriber's options (beam 5, words, VAD, ...), consumed;
* ``naive``      every frame at full resolution through ``cv2.VideoCapture`` with the same
                 CenterFace detector on each, for the first ``--naive-minutes`` (then scaled
                 linearly to the whole session), plus the transcription measured in the same
                 repetition (sequential, so it adds); scoring is not added (it only makes the
                 naive total larger, so the speed-up shown is conservative);
* ``audio``      ``decode_audio`` alone, and ``features`` whisper's log-Mel features of the whole
                 audio at once vs in 300 s windows (what the peak memory is made of);
* ``--patch``    variants of ``e2e`` monkeypatched in, so the core files stay untouched:
                 ``threads1`` (speech on one thread, as before), ``f32audio`` (audio decoded
                 straight to float32); ``--memory-patch f32audio`` adds an ``e2e`` run with it at
                 ``--memory-patch-minutes``.

Ratios are measured on the ``--minutes`` session with ``--repeat`` interleaved repetitions
(e2e, decode, transcribe, ... in turn, so machine load hits every side alike) and the median is
reported; the load average is recorded next to every run. Peak memory and the real-time factor
come from one ``e2e`` run at each of ``--memory-minutes``. Batch throughput runs ``livelab grade``
on ``--batch-sessions`` fresh copies of the ``--minutes`` session with 1 and 2 workers.
Results: printed as JSON per run and in summary, and written to ``DIR/pipeline_results.json``.
Targets: e2e <= 1.25 x max(decode, transcribe); naive / e2e >= 10; peak RSS at 30 min <= 1.2 x
at 5 min. Attempts are recorded in ``DIR/history-bench.sqlite3``, never the user's history.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
VENV_BIN = Path(sys.executable).parent
SCORECARD = Path(tempfile.gettempdir()) / f"livelab-bench-scorecard-{os.getpid()}.json"


# ---------------------------------------------------------------- children (one measurement each)


#: Variants that --patch can monkeypatch in (comma-separated). The fixes measured in the
#: first run (nonref, halfproducts, chunked) are in the code now.
PATCHES = ("threads1", "f32audio")


def _patch(names: str | None) -> None:
    """Monkeypatch variants into livelab before it runs (the core files stay untouched)."""
    for name in filter(None, (names or "").split(",")):
        if name == "threads1":
            _patch_threads1()
        elif name == "f32audio":
            _patch_f32audio()
        else:
            raise SystemExit(f"unknown --patch {name!r}; known: {', '.join(PATCHES)}")


def _patch_threads1() -> None:
    """Speech on one CTranslate2 thread (the default before: leave a core to the video)."""
    from livelab.engine import pipeline

    pipeline.whisper_threads_for = lambda workers=1: 1


def _patch_f32audio() -> None:
    import av
    import numpy as np

    from livelab.api.errors import MediaError, Problem
    from livelab.engine import pipeline
    from livelab.media import decode as media

    def decode_audio(path: Path) -> np.ndarray:
        # Straight to 16 kHz mono float32 into one growing array: faster-whisper's decoder
        # holds an int16 buffer, a float32 copy and a scaled copy at once.
        with media._open(path) as container:
            if not container.streams.audio:
                raise MediaError([Problem(path, "has no audio track")])
            stream = container.streams.audio[0]
            out = np.empty(int(media._duration(container, stream) * 16000) + 16000, np.float32)
            n = 0
            resampler = av.audio.resampler.AudioResampler(format="flt", layout="mono", rate=16000)

            def put(frames: list) -> None:
                nonlocal out, n
                for frame in frames:
                    samples = frame.to_ndarray().reshape(-1)
                    if n + len(samples) > len(out):
                        out = np.resize(out, max(2 * len(out), n + len(samples)))
                    out[n : n + len(samples)] = samples
                    n += len(samples)

            for frame in container.decode(stream):
                put(resampler.resample(frame))
            put(resampler.resample(None))
        return out[:n]

    media.decode_audio = pipeline.decode_audio = decode_audio


def child_e2e(session: Path, scorecard: Path) -> dict:
    from livelab.cli import cli

    args = ["analyze", str(session), "--all", "--no-cache", "-q", "--json", str(scorecard)]
    try:
        cli.main(args, standalone_mode=False)
    except SystemExit as exc:  # click may still exit
        if exc.code:
            raise
    return {}


def child_decode(session: Path) -> dict:
    from livelab.media.decode import FrameOptions, VideoPass

    video = VideoPass(_recording(session), FrameOptions())
    for _batch in video.batches():
        pass
    return {"frames": video.frames_sampled, "problem": video.problem}


def child_transcribe(session: Path) -> dict:
    from faster_whisper import WhisperModel

    from livelab.builtin.whisper import _language_options
    from livelab.builtin.whisper_models import bundled_model
    from livelab.media.decode import decode_audio

    t0 = time.perf_counter()
    audio = decode_audio(_recording(session))
    t_audio = time.perf_counter() - t0
    path, _name = bundled_model("en")
    from livelab.engine.pipeline import whisper_threads_for

    model = WhisperModel(
        str(path), device="cpu", compute_type="int8", cpu_threads=whisper_threads_for()
    )
    t_load = time.perf_counter() - t0 - t_audio
    segments, _info = model.transcribe(
        audio,
        language="en",
        beam_size=5,
        word_timestamps=True,
        vad_filter=True,
        condition_on_previous_text=False,
        **_language_options("en"),
    )
    words = sum(len(s.words or ()) for s in segments)
    return {"audio_s": t_audio, "load_s": t_load, "words": words}


def child_audio(session: Path) -> dict:
    from livelab.media.decode import decode_audio

    audio = decode_audio(_recording(session))
    return {"audio_mb": audio.nbytes / 1e6}


def child_features(session: Path, chunked: bool) -> dict:
    """Whisper's log-Mel features of the whole audio at once (as faster-whisper computes them
    after VAD), or window by window: how much of the peak memory is that one step."""
    from faster_whisper.feature_extractor import FeatureExtractor

    from livelab.media.decode import SAMPLE_RATE, decode_audio

    audio = decode_audio(_recording(session))
    extractor = FeatureExtractor(feature_size=80)
    from livelab.builtin.whisper import WINDOW_S

    step = WINDOW_S * SAMPLE_RATE if chunked else len(audio)
    frames = 0
    for start in range(0, len(audio), step):
        frames += extractor(audio[start : start + step]).shape[-1]
    return {"feature_frames": frames}


def child_naive(session: Path, minutes: float) -> dict:
    import cv2

    from livelab_presence.detector import FaceDetector

    detector = FaceDetector()
    capture = cv2.VideoCapture(str(_recording(session)))
    limit = int(minutes * 60 * capture.get(cv2.CAP_PROP_FPS))
    frames = faces = 0
    t0 = time.perf_counter()
    while frames < limit:
        ok, frame = capture.read()
        if not ok:
            break
        faces += len(detector.detect(frame)[0])
        frames += 1
    fps = capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    return {
        "video_s": time.perf_counter() - t0,
        "frames": frames,
        "fps": fps,
        "frames_with_face": faces,
    }


def _recording(session: Path) -> Path:
    from livelab.inputs.session import load_session

    return load_session(session).files["recording"]


def run_child(
    kind: str, session: Path, naive_minutes: float, patch: str | None, scorecard: Path | None
) -> None:
    sys.path.insert(0, str(ROOT / "plugins"))
    if kind != "features":  # there "chunked" names the mode, not a patch
        _patch(patch)
    if kind == "e2e":
        out = child_e2e(session, scorecard or SCORECARD)
    elif kind == "decode":
        out = child_decode(session)
    elif kind == "transcribe":
        out = child_transcribe(session)
    elif kind == "audio":
        out = child_audio(session)
    elif kind == "features":
        out = child_features(session, "chunked" in (patch or ""))
    elif kind == "naive":
        out = child_naive(session, naive_minutes)
    else:
        raise SystemExit(f"unknown child {kind!r}")
    print("RESULT " + json.dumps(out), flush=True)


# ---------------------------------------------------------------- parent (spawns and collects)


def measure(cmd: list[str], env: dict[str, str]) -> dict:
    """Run ``cmd``; its wall time, peak RSS (MB) and CPU seconds, with the load average before."""
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{out}")
    result = {}
    for line in out.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "load1_before": round(load, 2),
        **{k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()},
    }


def child_cmd(kind: str, session: Path, naive_minutes: float = 0, patch: str | None = None):
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(session)]
    cmd += ["--naive-minutes", str(naive_minutes)]
    return cmd + (["--patch", patch] if patch else [])


def e2e_cmd(session: Path, patch: str | None = None) -> list[str]:
    # --json only adds writing the scorecard (whose "timings" split the run into its stages).
    scorecard = ["--json", str(SCORECARD)]
    if patch:
        return child_cmd("e2e", session, patch=patch) + scorecard
    cmd = [str(VENV_BIN / "livelab"), "analyze", str(session), "--all", "--no-cache", "-q"]
    return cmd + scorecard


def with_timings(r: dict) -> dict:
    """Add the scorecard's stage timings (audio decode, transcribe, video pass, analyzers)."""
    if SCORECARD.exists():
        sc = json.loads(SCORECARD.read_text())
        r["stages"] = sc.get("timings", {})
        r["status"] = {k: v["status"] for k, v in sc.get("analyzers", {}).items()}
        r["total"] = sc.get("total")
        SCORECARD.unlink()
    return r


def machine() -> dict:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def ratios_phase(session: Path, args, env) -> dict:  # noqa: ANN001
    kinds = ["e2e", "decode", "transcribe"]
    for patch in args.patch:
        kinds.append(f"e2e+{patch}")
        if "f32audio" in patch:  # the only patch that changes decoding
            kinds.append(f"decode+{patch}")
    runs: dict[str, list[dict]] = {k: [] for k in kinds + ["naive"]}
    for rep in range(args.repeat):
        # Rotate the order each repetition so no side always runs first (or last).
        order = kinds[rep % len(kinds) :] + kinds[: rep % len(kinds)]
        if rep == 0 and args.naive_minutes > 0:
            order.append("naive")
        for kind in order:
            base, _, patch = kind.partition("+")
            if base == "e2e":
                cmd = e2e_cmd(session, patch or None)
            else:
                cmd = child_cmd(base, session, args.naive_minutes, patch or None)
            r = with_timings(measure(cmd, env))
            runs[kind].append(r)
            say(f"rep {rep + 1} {kind}: {json.dumps(r)}")
    return runs


def med(runs: list[dict], key: str = "wall_s") -> float:
    return statistics.median(r[key] for r in runs)


def batch_phase(session: Path, args, env) -> dict:  # noqa: ANN001
    out: dict[str, dict] = {}
    minutes = args.minutes * args.batch_sessions
    for workers in args.workers:
        with tempfile.TemporaryDirectory(prefix="livelab-bench-batch-") as tmp:
            folders = []
            for i in range(args.batch_sessions):
                copy = Path(tmp) / f"s{i + 1:02d}"
                # Fresh folders, no analysis cache; the recording is hard-linked, not copied.
                shutil.copytree(session, copy, ignore=shutil.ignore_patterns(".livelab"),
                                copy_function=os.link)  # fmt: skip
                folders.append(str(copy))
            cmd = [str(VENV_BIN / "livelab"), "grade", *folders, "--out", f"{tmp}/out"]
            cmd += ["--workers", str(workers), "--all", "-q"]
            r = measure(cmd, env)
        r["session_min_per_wall_min"] = round(minutes / (r["wall_s"] / 60), 2)
        out[str(workers)] = r
        say(f"batch {workers} worker(s): {json.dumps(r)}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="See the top of benchmarks/pipeline.py for what each measurement is.",
    )
    parser.add_argument("--minutes", type=int, default=5, help="session for ratios/batch (5)")
    parser.add_argument("--memory-minutes", type=int, nargs="*", default=[5, 15, 30])
    parser.add_argument("--repeat", type=int, default=2, help="interleaved repetitions (2)")
    parser.add_argument(
        "--naive-minutes",
        type=float,
        default=2.0,
        help="minutes of video the naive pipeline runs on, then scaled (2)",
    )
    parser.add_argument(
        "--patch",
        nargs="*",
        default=[],
        help="variants: e2e (and decode) with these fixes monkeypatched in, each a "
        f"comma-separated list of: {', '.join(PATCHES)}",
    )
    parser.add_argument(
        "--memory-patch",
        default=None,
        help="also run e2e with these variants at --memory-patch-minutes (e.g. f32audio)",
    )
    parser.add_argument("--memory-patch-minutes", type=int, nargs="*", default=[30])
    parser.add_argument("--batch-sessions", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--dir", type=Path, default=None, help="session cache folder")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("session", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_child(args.child, args.session, args.naive_minutes, ",".join(args.patch), args.json)
        return 0

    from make_long_session import bench_dir, long_session

    folder = bench_dir(args.dir)
    env = dict(os.environ)
    env["LIVELAB_HISTORY_DB"] = str(folder / "history-bench.sqlite3")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "plugins"),
                                                      env.get("PYTHONPATH")]))  # fmt: skip
    lengths = {args.minutes, *args.memory_minutes, *(args.memory_patch_minutes or ())}
    sessions = {m: long_session(m, folder) for m in sorted(lengths)}
    report: dict = {
        "command": " ".join(
            [".venv/bin/python", "benchmarks/pipeline.py", *(argv or sys.argv[1:])]
        ),
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": machine(),
    }
    say(f"machine: {report['machine']}")

    session = sessions[args.minutes]
    runs = ratios_phase(session, args, env)
    report["ratio_runs"] = runs
    seconds = args.minutes * 60
    e2e, dec, tr = med(runs["e2e"]), med(runs["decode"]), med(runs["transcribe"])
    summary = {
        "session_minutes": args.minutes,
        "e2e_s": e2e,
        "decode_s": dec,
        "transcribe_s": tr,
        "e2e_over_max": round(e2e / max(dec, tr), 3),
        "e2e_over_sum": round(e2e / (dec + tr), 3),
        "e2e_cpu_s": med(runs["e2e"], "cpu_s"),
        "decode_cpu_s": med(runs["decode"], "cpu_s"),
        "transcribe_cpu_s": med(runs["transcribe"], "cpu_s"),
        "rtf": round(e2e / seconds, 3),
    }
    if runs["naive"]:
        n = runs["naive"][0]
        scale = seconds / (n["frames"] / n["fps"]) if n["frames"] else 0
        naive_video = n["video_s"] * scale
        naive_total = naive_video + tr
        summary |= {
            "naive_video_s_scaled": round(naive_video, 1),
            "naive_total_s": round(naive_total, 1),
            "naive_over_e2e": round(naive_total / e2e, 2),
            "naive_scaled_from_frames": n["frames"],
        }
    for patch in args.patch:
        pe = med(runs[f"e2e+{patch}"])
        pd = med(runs[f"decode+{patch}"]) if f"decode+{patch}" in runs else dec
        summary |= {
            f"e2e+{patch}_s": pe,
            f"decode+{patch}_s": pd,
            f"e2e+{patch}_over_max": round(pe / max(pd, tr), 3),
            f"e2e+{patch}_over_e2e": round(pe / e2e, 3),
            f"e2e+{patch}_cpu_s": med(runs[f"e2e+{patch}"], "cpu_s"),
        }
    report["summary"] = summary
    say(f"summary: {json.dumps(summary)}")

    memory = {}
    for m in args.memory_minutes:
        e = (
            runs["e2e"][0]
            if m == args.minutes
            else with_timings(measure(e2e_cmd(sessions[m]), env))
        )
        a = measure(child_cmd("audio", sessions[m]), env)
        f = measure(child_cmd("features", sessions[m]), env)
        fc = measure(child_cmd("features", sessions[m], patch="chunked"), env)
        memory[str(m)] = {
            "e2e_wall_s": e["wall_s"],
            "rtf": round(e["wall_s"] / (m * 60), 3),
            "e2e_peak_rss_mb": e["peak_rss_mb"],
            "e2e_cpu_s": e["cpu_s"],
            "load1_before": e["load1_before"],
            "stages": e.get("stages"),
            "score_total": e.get("total"),
            "audio_only_peak_rss_mb": a["peak_rss_mb"],
            "audio_array_mb": a["audio_mb"],
            "features_whole_peak_rss_mb": f["peak_rss_mb"],
            "features_chunked_peak_rss_mb": fc["peak_rss_mb"],
        }
        say(f"memory {m} min: {json.dumps(memory[str(m)])}")
    report["memory"] = memory
    if memory and len(memory) > 1:
        lo, hi = memory[str(min(args.memory_minutes))], memory[str(max(args.memory_minutes))]
        report["memory_growth"] = round(hi["e2e_peak_rss_mb"] / lo["e2e_peak_rss_mb"], 3)

    out = folder / "pipeline_results.json"
    out.write_text(json.dumps(report, indent=2))  # what is measured so far, if a later phase fails
    if args.workers and args.batch_sessions:
        report["batch"] = batch_phase(session, args, env)
        out.write_text(json.dumps(report, indent=2))
    # Last, as it is the slowest and optional: e2e with a proposed memory fix patched in.
    for m in args.memory_patch_minutes if args.memory_patch else ():
        p = with_timings(measure(e2e_cmd(sessions[m], args.memory_patch), env))
        memory.setdefault(str(m), {}).update(
            {
                f"e2e+{args.memory_patch}_wall_s": p["wall_s"],
                f"e2e+{args.memory_patch}_peak_rss_mb": p["peak_rss_mb"],
                f"e2e+{args.memory_patch}_load1_before": p["load1_before"],
                f"e2e+{args.memory_patch}_stages": p.get("stages"),
                f"e2e+{args.memory_patch}_score_total": p.get("total"),
            }
        )
        say(f"memory {m} min with {args.memory_patch}: {json.dumps(memory[str(m)])}")
    report["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    out.write_text(json.dumps(report, indent=2))
    print(json.dumps(report["summary"], indent=2))
    print(json.dumps(report.get("memory"), indent=2))
    print(json.dumps(report.get("batch"), indent=2))
    say(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
