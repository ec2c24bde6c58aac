"""Build the bundled English sample session ``sample_sessions/demo_en``.

Makes ``demo_en/pitch.mp4`` (a ~90 s mock live-selling rehearsal), the product
card ``demo_en/bottle.png`` shown in it, and ``demo_en/ground_truth.json``
from two inputs only:

* ``demo_en/script.txt`` - the pitch, one sentence per line, written the way
  Whisper writes it ("$19.99", "10%"); ``SPOKEN_FORMS`` below says how the
  synthesizer is told to say those few tokens;
* the public-domain NASA portrait of astronaut Eileen Collins that ships in
  scikit-image (``skimage.data.astronaut()``), filmed with a slow Ken-Burns
  pan/zoom plus a gentle bob so it behaves like a webcam.

Two deliberate faults are planted for the analyzers to find:

* dead air: a ``DEAD_AIR_S`` silence after the line ``DEAD_AIR_AFTER``;
* off camera: for ``OFF_CAMERA_S`` seconds, starting just before the line
  ``OFF_CAMERA_AT`` is spoken, the face leaves the frame and only the product
  card is shown.

Every other pause is shorter than 1 s, and the speech stops ``TAIL_S`` before
the end of the file.

Prerequisites
-------------
* Debian packages ``flite`` (CMU Flite 2.2, voice ``slt``) and ``ffmpeg``
  (with libx264 and the native AAC encoder):
  ``apt-get install -y flite ffmpeg``
* Python >= 3.9 with ``numpy``, ``pillow``, ``scikit-image`` (for the photo)
  and ``opencv-python`` (or ``opencv-python-headless``; only ``warpAffine`` is
  used, any 4.x or 5.x works):
  ``python3 -m venv /tmp/mkvenv && /tmp/mkvenv/bin/pip install numpy pillow
  scikit-image opencv-python-headless``

Usage
-----
``python sample_sessions/make_demo_en.py`` (from the repository root, with the
venv above). It overwrites the three outputs; ``products.yaml``, ``ops.csv``
and ``session.toml`` are written by hand and left alone.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from skimage import data as skdata

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "demo_en"

# --- speech --------------------------------------------------------------
VOICE = "slt"  # CMU ARCTIC "slt": US English, female (matches the photo)
DURATION_STRETCH = 1.15  # slows flite down: ~168 wpm while talking, ~148 wpm with pauses
SAMPLE_RATE = 16000  # flite's slt voice speaks at 16 kHz
SPOKEN_FORMS = {  # written form in script.txt -> what the synthesizer is told
    "$29.99": "twenty-nine ninety-nine",
    "$19.99": "nineteen ninety-nine",
    "10%": "ten percent",
    "30-day": "thirty-day",
}
LEAD_IN_S = 0.6  # silence before the first word
TAIL_S = 1.2  # silence after the last word
PAUSES_S = (0.45, 0.6, 0.5, 0.75, 0.55, 0.85, 0.5)  # between sentences, cycled
DEAD_AIR_AFTER = "Take it to the gym, to the office, or on a long hike."
DEAD_AIR_S = 4.3
NOISE_FLOOR_RMS = 10 ** (-62 / 20)  # faint room hiss, so silence is not digital zero
SPEECH_TRIM_LEVEL = 300 / 32768  # |sample| below this at a clip's edges is trimmed
SILENCE_DBFS = -45.0  # used only to measure the ground truth
WORD_RE = re.compile(r"[A-Za-z0-9']+(-[A-Za-z0-9']+)*")

# --- picture ---------------------------------------------------------------
W, H, FPS = 854, 480, 25
FACE_XY = (224.5, 113.5)  # centre of the face in astronaut.png (512 x 512)
ZOOM = (2.0, 2.3)  # output pixels per photo pixel: a head-and-shoulders close-up
OFF_CAMERA_AT = "The original price is $29.99, but today the Aqua Keep bottle is only $19.99."
OFF_CAMERA_LEAD_S = 0.4  # the card appears this long before that line starts
OFF_CAMERA_S = 5.6
CRF = 27

# --- look ------------------------------------------------------------------
TEAL = (18, 128, 132)
INK = (33, 37, 41)
RED = (214, 40, 57)


def font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's bundled FreeType font, so no system font is needed."""
    return ImageFont.load_default(size=size)


# ---------------------------------------------------------------------------
# audio
# ---------------------------------------------------------------------------
def spoken(line: str) -> str:
    for written, said in SPOKEN_FORMS.items():
        line = line.replace(written, said)
    return line


def synthesize(text: str, tmp: Path) -> np.ndarray:
    """One sentence through flite, as float32 in [-1, 1], edges trimmed."""
    wav_path = tmp / "line.wav"
    subprocess.run(
        ["flite", "-voice", VOICE, "--setf", f"duration_stretch={DURATION_STRETCH}",
         "-t", text, "-o", str(wav_path)],
        check=True,
    )
    with wave.open(str(wav_path)) as w:
        assert w.getframerate() == SAMPLE_RATE and w.getnchannels() == 1
        x = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float32) / 32768
    loud = np.nonzero(np.abs(x) > SPEECH_TRIM_LEVEL)[0]
    margin = int(0.02 * SAMPLE_RATE)
    return x[max(loud[0] - margin, 0): loud[-1] + margin]


def build_audio(lines: list[str], tmp: Path) -> tuple[np.ndarray, list[tuple[float, float]], int]:
    """Speak the lines with pauses between them.

    Returns the samples (padded to a whole number of video frames, with a faint
    noise floor), each line's (start_s, end_s) and the number of video frames.
    """
    sr = SAMPLE_RATE
    parts = [np.zeros(int(LEAD_IN_S * sr), np.float32)]
    spans = []
    t = LEAD_IN_S
    for i, line in enumerate(lines):
        clip = synthesize(spoken(line), tmp)
        spans.append((t, t + len(clip) / sr))
        parts.append(clip)
        t += len(clip) / sr
        if i == len(lines) - 1:
            gap = TAIL_S
        elif line == DEAD_AIR_AFTER:
            gap = DEAD_AIR_S
        else:
            gap = PAUSES_S[i % len(PAUSES_S)]
        parts.append(np.zeros(int(round(gap * sr)), np.float32))
        t += gap
    audio = np.concatenate(parts)
    # pad to a whole number of video frames
    n_frames = math.ceil(len(audio) / sr * FPS)
    audio = np.pad(audio, (0, int(round(n_frames / FPS * sr)) - len(audio)))
    rng = np.random.default_rng(20261120)
    audio = audio + rng.normal(0, NOISE_FLOOR_RMS, len(audio)).astype(np.float32)
    return np.clip(audio, -1, 1), spans, n_frames


def write_wav(path: Path, x: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes((x * 32767).astype(np.int16).tobytes())


def silences(x: np.ndarray, min_s: float = 0.3) -> list[tuple[float, float]]:
    """Runs of 20 ms frames quieter than SILENCE_DBFS, at least min_s long."""
    hop = int(0.02 * SAMPLE_RATE)
    n = len(x) // hop
    rms = np.sqrt(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    quiet = 20 * np.log10(rms) < SILENCE_DBFS
    runs, start = [], None
    for i, q in enumerate(np.append(quiet, False)):
        if q and start is None:
            start = i
        elif not q and start is not None:
            if (i - start) * 0.02 >= min_s:
                runs.append((start * 0.02, i * 0.02))
            start = None
    return runs


# ---------------------------------------------------------------------------
# picture
# ---------------------------------------------------------------------------
def draw_card() -> Image.Image:
    """The product card shown while the anchor is off camera."""
    img = Image.new("RGB", (W, H), (238, 244, 243))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((24, 24, W - 24, H - 24), 28, fill=(255, 255, 255), outline=(200, 215, 214), width=2)
    # the bottle
    cx, top = 200, 70
    d.rounded_rectangle((cx - 34, top, cx + 34, top + 46), 10, fill=(60, 64, 70))  # cap
    d.rectangle((cx - 26, top + 40, cx + 26, top + 62), fill=(160, 168, 172))  # neck ring
    d.rounded_rectangle((cx - 62, top + 58, cx + 62, top + 360), 46, fill=TEAL)  # body
    d.rounded_rectangle((cx - 44, top + 90, cx - 28, top + 320), 8, fill=(96, 186, 186))  # shine
    d.text((cx, top + 210), "AQUA\nKEEP", font=font(26), fill=(255, 255, 255), anchor="mm", align="center")
    # the text
    x = 330
    d.text((x, 62), "AquaKeep", font=font(52), fill=INK)
    d.text((x, 122), "insulated bottle  ·  750 ml", font=font(26), fill=(90, 98, 104))
    d.text((x, 168), "$19.99", font=font(72), fill=TEAL)
    was = d.textbbox((x + 262, 200), "$29.99", font=font(32))
    d.text(was[:2], "$29.99", font=font(32), fill=(150, 156, 160), anchor="lt")
    mid = (was[1] + was[3]) // 2
    d.line((was[0] - 3, mid, was[2] + 3, mid), fill=(150, 156, 160), width=3)
    d.rounded_rectangle((x, 272, x + 470, 322), 12, fill=RED)
    d.text((x + 16, 297), "Buy 2, get 10% off  ·  free shipping", font=font(26), fill=(255, 255, 255), anchor="lm")
    for k, line in enumerate(("Cold 24 h / hot 12 h", "Leak-proof lid", "Dishwasher safe", "30-day free returns")):
        y = 350 + 25 * k
        d.ellipse((x + 2, y - 4, x + 10, y + 4), fill=TEAL)
        d.text((x + 20, y), line, font=font(21), fill=INK, anchor="lm")
    return img


def draw_overlay() -> np.ndarray:
    """Live-room chrome drawn over the camera picture (RGBA)."""
    img = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((18, 18, 98, 50), 8, fill=RED + (235,))
    d.text((58, 34), "LIVE", font=font(22), fill=(255, 255, 255, 255), anchor="mm")
    d.rounded_rectangle((18, H - 62, 372, H - 18), 12, fill=(0, 0, 0, 150))
    d.text((34, H - 40), "AquaKeep insulated bottle  ·  $19.99", font=font(21), fill=(255, 255, 255, 255), anchor="lm")
    return np.asarray(img)


def camera(photo: np.ndarray, t: float, total: float) -> np.ndarray:
    """The photo as a hand-held webcam: slow zoom/pan, gentle bob and sway."""
    zoom = 0.5 - 0.5 * math.cos(2 * math.pi * t / total)  # 0 -> 1 -> 0: zoom in, then out
    scale = ZOOM[0] + (ZOOM[1] - ZOOM[0]) * zoom
    scale *= 1 + 0.006 * math.sin(2 * math.pi * 0.31 * t)  # breathing
    angle = 0.9 * math.sin(2 * math.pi * 0.13 * t)  # degrees of sway
    # source point that lands on the frame centre: near the face, drifting
    cx = FACE_XY[0] + 10 * math.sin(2 * math.pi * t / 37)
    cy = FACE_XY[1] + 22 + 6 * math.sin(2 * math.pi * t / 23)
    half_w, half_h = W / 2 / scale + 6, H / 2 / scale + 6
    cx = min(max(cx, half_w), 512 - half_w)
    cy = min(max(cy, half_h), 512 - half_h)
    m = cv2.getRotationMatrix2D((cx, cy), angle, scale)
    m[:, 2] += (W / 2 - cx, H / 2 - cy + 5 * math.sin(2 * math.pi * 0.42 * t))  # bob
    return cv2.warpAffine(photo, m, (W, H), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)


def composite(base: np.ndarray, overlay: np.ndarray) -> np.ndarray:
    a = overlay[:, :, 3:4].astype(np.float32) / 255
    return (base * (1 - a) + overlay[:, :, :3] * a).astype(np.uint8)


# ---------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT_DIR, help="session folder (default: %(default)s)")
    args = ap.parse_args()
    out: Path = args.out
    for tool in ("flite", "ffmpeg"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found: apt-get install -y {tool}")

    lines = [l.strip() for l in (out / "script.txt").read_text(encoding="utf-8").splitlines() if l.strip()]
    assert DEAD_AIR_AFTER in lines and OFF_CAMERA_AT in lines

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        audio, spans, n_frames = build_audio(lines, tmp)
        duration = n_frames / FPS
        wav = tmp / "pitch.wav"
        write_wav(wav, audio)

        card_img = draw_card()
        card_img.save(out / "bottle.png", optimize=True)
        card = np.asarray(card_img)
        overlay = draw_overlay()
        photo = skdata.astronaut()  # RGB, 512 x 512

        off_start = round((spans[lines.index(OFF_CAMERA_AT)][0] - OFF_CAMERA_LEAD_S) * FPS)
        off_end = off_start + round(OFF_CAMERA_S * FPS)

        ffmpeg = subprocess.Popen(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
             "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", str(FPS), "-i", "pipe:0",
             "-i", str(wav),
             "-map", "0:v", "-map", "1:a",
             "-c:v", "libx264", "-preset", "slow", "-crf", str(CRF), "-pix_fmt", "yuv420p",
             "-c:a", "aac", "-b:a", "64k", "-ar", "44100", "-ac", "1",
             "-map_metadata", "-1", "-fflags", "+bitexact", "-movflags", "+faststart",
             "-t", f"{duration:.3f}", str(out / "pitch.mp4")],
            stdin=subprocess.PIPE,
        )
        for f in range(n_frames):
            if off_start <= f < off_end:
                frame = card
            else:
                frame = composite(camera(photo, f / FPS, duration), overlay)
            ffmpeg.stdin.write(np.ascontiguousarray(frame).tobytes())
        ffmpeg.stdin.close()
        if ffmpeg.wait():
            raise SystemExit("ffmpeg failed")

    quiet = silences(audio)
    inner = [(a, b) for a, b in quiet if a > spans[0][0] and b < spans[-1][1]]
    dead = max(inner, key=lambda s: s[1] - s[0])
    others = [b - a for a, b in inner if (a, b) != dead]
    text = "\n".join(lines)
    truth = {
        "recording": "pitch.mp4",
        "duration_s": round(duration, 2),
        "speech_word_count": sum(1 for _ in WORD_RE.finditer(text)),
        "word_regex": WORD_RE.pattern,
        "speech_span_s": [round(spans[0][0], 2), round(spans[-1][1], 2)],
        "dead_air_s": [round(dead[0], 2), round(dead[1], 2)],
        "longest_other_pause_s": round(max(others), 2),
        "silence_rule": f"20 ms RMS frames below {SILENCE_DBFS:g} dBFS",
        "off_camera_s": [off_start / FPS, off_end / FPS],
        "omitted_selling_point": "dishwasher-safe",
        "product": "aquakeep-bottle",
        "tts": f"CMU Flite, voice {VOICE}, duration_stretch {DURATION_STRETCH}",
        "lines": [
            {"start_s": round(a, 2), "end_s": round(b, 2), "text": line}
            for (a, b), line in zip(spans, lines)
        ],
    }
    (out / "ground_truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in truth.items() if k != "lines"}, indent=2))


if __name__ == "__main__":
    main()
