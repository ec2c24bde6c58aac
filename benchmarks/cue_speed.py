"""How long the cue detector takes per live chunk (livelab record calls it every few seconds).

Run from the checkout: .venv/bin/python benchmarks/cue_speed.py
Chunks are the sample pitch's real transcript (tiny.en, from the session cache or
transcribed once) cut into 3, 5 and 10 s windows, and a Mandarin pitch of the same shape.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from livelab import Segment, Transcript, Word
from livelab.engine.pipeline import transcript_of
from livelab.engine.plugins import load_plugins, pm
from livelab.inputs.session import load_session

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_sessions" / "demo_en"
ZH_CARD = """products:
  - id: baowen-bei
    name: 暖暖保温杯
    aliases: [保温杯]
    price: 19.9
    selling_points:
      - {id: temperature, label: 保温12小时, phrasings: ["保温12小时", "保冷24小时"]}
      - {id: leak-proof, label: 不漏水, phrasings: ["不漏水", "倒过来也不漏"]}
"""
ZH_LINES = [
    "家人们晚上好，欢迎来到直播间",
    "今天给大家带来这款暖暖保温杯",
    "二十四小时保冷，倒过来也不漏水",
    "容量五百毫升，放进车里的杯架刚刚好",
    "原价三十九，今天只要十九块九",
    "而且全国包邮，四十八小时内发货",
    "喜欢的家人们赶紧点击下方小黄车",
]


def chunks(tr: Transcript, width: float) -> list[Transcript]:
    out, t = [], 0.0
    while t < tr.duration_s:
        segs = tuple(s for s in tr.segments if t <= s.start < t + width)
        if segs:
            out.append(Transcript(tr.language, tr.model, segs[-1].end, segs))
        t += width
    return out


def zh_transcript() -> Transcript:
    segs, t = [], 0.0
    for line in ZH_LINES * 3:
        words = tuple(Word(t + i * 0.22, t + (i + 1) * 0.22, c) for i, c in enumerate(line))
        segs.append(Segment(t, words[-1].end, line, words))
        t = words[-1].end + 0.5
    return Transcript("zh", "text", t, tuple(segs))


def measure(detector, tr: Transcript, label: str) -> None:
    for width in (3.0, 5.0, 10.0):
        parts = chunks(tr, width)
        detector.detect(parts[0])  # warm: first call loads nothing, but numpy/rapidfuzz warm up
        times = []
        for _ in range(20):
            for part in parts:
                t0 = time.perf_counter()
                detector.detect(part)
                times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        print(
            f"{label} {width:>4.0f} s chunks: median {statistics.median(times):5.1f} ms, "
            f"p95 {times[int(0.95 * len(times))]:5.1f} ms, max {times[-1]:5.1f} ms "
            f"({len(times)} calls)"
        )


def main() -> None:
    load_plugins()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "demo_en"
        shutil.copytree(SAMPLE, root)
        tr = transcript_of(load_session(root))
        en = pm.hook.livelab_cue_detector(products=root / "products.yaml", language="en")
        measure(en, tr, "en")
        card = Path(tmp) / "zh.yaml"
        card.write_text(ZH_CARD, encoding="utf-8")
        zh = pm.hook.livelab_cue_detector(products=card, language="zh")
        measure(zh, zh_transcript(), "zh")


if __name__ == "__main__":
    main()
