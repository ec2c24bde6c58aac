"""Build (once) a long livelab session for benchmarks: N minutes of 1280x720 30 fps H.264 + AAC.

Run: .venv/bin/python benchmarks/make_long_session.py --minutes 5 15 30 [--dir DIR]

The picture and sound are the sample session's real pitch (sample_sessions/demo_en/pitch.mp4:
a real presenter's moving face and 90 s of English speech), looped and upscaled from 854x480 25 fps
to 1280x720 30 fps. A 5-minute unit is encoded once with libx264 ``-preset veryfast`` (CABAC,
B-frames: like a camera file) and AAC; the longer sessions are that unit concatenated with stream
copy, so a 30-minute session costs seconds instead of a 30-minute encode. The session folder gets
session.toml, products.yaml and bottle.png copied from the sample, the sample's ops.csv rows
repeated for every minute and its chat lines repeated with every loop, so every analyzer runs.

Sessions go to ``--dir``, else ``$LIVELAB_BENCH_DIR``, else ``~/.cache/livelab-bench`` (never into
the repository) and are reused when present: ``DIR/long_<N>min/``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_sessions" / "demo_en"
UNIT_MINUTES = 5
RECORDING = "session.mp4"


def bench_dir(explicit: Path | None = None) -> Path:
    """Where generated media live: outside git, reused between runs."""
    if explicit is not None:
        return explicit
    env = os.environ.get("LIVELAB_BENCH_DIR")
    return Path(env) if env else Path.home() / ".cache" / "livelab-bench"


def _ffmpeg(args: list[str]) -> None:
    # nice: the encode is set-up, not a measurement; leave the CPU to whoever is measuring.
    cmd = ["nice", "-n", "10", "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args]
    subprocess.run(cmd, check=True)


def unit(folder: Path) -> Path:
    """The 5-minute 720p30 recording every session is made of (encoded once)."""
    path = folder / f"unit_{UNIT_MINUTES}min_720p30.mp4"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.mp4")
    t0 = time.perf_counter()
    print(f"encoding {UNIT_MINUTES} min of 1280x720 30 fps H.264 into {path} ...", flush=True)
    _ffmpeg(
        [
            "-stream_loop", "-1", "-i", str(SAMPLE / "pitch.mp4"),
            "-t", str(UNIT_MINUTES * 60),
            "-vf", "scale=1280:720:flags=bicubic,fps=30",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "96k", "-ar", "44100", "-ac", "1",
            "-movflags", "+faststart", str(partial),
        ]
    )  # fmt: skip
    partial.rename(path)
    print(f"  encoded in {time.perf_counter() - t0:.0f} s", flush=True)
    return path


def _ops(minutes: int) -> str:
    """The sample's per-minute operations rows, repeated to cover every minute of the session."""
    header, *rows = (SAMPLE / "ops.csv").read_text("utf-8").splitlines()
    out = [header]
    for minute in range(minutes):
        fields = rows[minute % len(rows)].split(",")
        fields[0] = f"{minute:02d}:00"
        out.append(",".join(fields))
    return "\n".join(out) + "\n"


def _chat(minutes: int) -> str:
    """The sample's chat lines at the same moments of every loop of the pitch (the unit loops
    the 89.68 s pitch, and the session repeats the unit), so the interaction analyzer runs."""
    import json

    from livelab.media.decode import probe

    loop = probe(SAMPLE / "pitch.mp4").duration_s
    lines = [json.loads(x) for x in (SAMPLE / "chat.jsonl").read_text("utf-8").splitlines()]
    out = []
    for unit_start in range(0, minutes * 60, UNIT_MINUTES * 60):
        k = 0
        while k * loop < UNIT_MINUTES * 60:
            for line in lines:
                t = k * loop + line["t"]
                if t < UNIT_MINUTES * 60:
                    out.append(json.dumps({**line, "t": round(unit_start + t, 2)}))
            k += 1
    return "\n".join(out) + "\n"


def long_session(minutes: int, folder: Path | None = None) -> Path:
    """The session folder ``long_<minutes>min`` (a multiple of 5 minutes), built if missing."""
    if minutes % UNIT_MINUTES:
        raise SystemExit(f"--minutes must be multiples of {UNIT_MINUTES}, not {minutes}")
    folder = bench_dir(folder)
    session = folder / f"long_{minutes}min"
    recording = session / RECORDING
    if not recording.exists():
        source = unit(folder)
        session.mkdir(parents=True, exist_ok=True)
        partial = session / f"{RECORDING}.partial.mp4"
        if minutes == UNIT_MINUTES:
            shutil.copyfile(source, partial)
        else:
            listing = session / "concat.txt"
            listing.write_text(f"file '{source}'\n" * (minutes // UNIT_MINUTES))
            _ffmpeg(
                ["-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy",
                 "-movflags", "+faststart", str(partial)]
            )  # fmt: skip
            listing.unlink()
        partial.rename(recording)
    for name in ("products.yaml", "bottle.png"):  # the product card names its image
        if not (session / name).exists():
            shutil.copyfile(SAMPLE / name, session / name)
    (session / "ops.csv").write_text(_ops(minutes))
    (session / "chat.jsonl").write_text(_chat(minutes), "utf-8")
    toml = (SAMPLE / "session.toml").read_text().replace('"pitch.mp4"', f'"{RECORDING}"')
    toml = toml.replace("rehearsal 1", f"{minutes}-minute benchmark", 1)
    (session / "session.toml").write_text(toml)
    return session


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, nargs="+", default=[5, 15, 30])
    parser.add_argument("--dir", type=Path, default=None, help="cache folder for the sessions")
    args = parser.parse_args(argv)
    for m in args.minutes:
        print(long_session(m, args.dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
