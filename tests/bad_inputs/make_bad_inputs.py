"""Build the bad-input corpus: broken recordings, hostile manifests, rubrics and product cards.

Each case is a session (folder or file) plus what livelab must say about it. Large or binary
cases are generated, never committed. Run directly to write the corpus to a folder:

    python tests/bad_inputs/make_bad_inputs.py OUT_DIR
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample_sessions" / "demo_en"


@dataclass(frozen=True)
class Case:
    """``path`` is what is analysed. ``expect`` is a fragment of the one-line error (exit 2),
    or ``None`` when the session must still be analysed; then ``analyzer`` names the one
    analyzer that must fail (or not run) with ``expect_reason`` in its reason, and
    ``partial`` says the scorecard must be marked partial (only part could be read)."""

    name: str
    path: Path
    expect: str | None
    analyzer: str = ""
    expect_reason: str = ""
    partial: bool = False


def _encode(path: Path, frames: list[np.ndarray], times: list[float] | None = None,
            audio_s: float = 0.0) -> Path:
    """Encode real H.264 frames (at the given times: variable frame rate) and optional AAC."""
    import av

    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=25)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.time_base = vs.codec_context.time_base = Fraction(1, 1000)
        a = out.add_stream("aac", rate=16000) if audio_s else None
        if a is not None:
            a.layout = "mono"
        for i, img in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            frame.pts = int((times[i] if times else i / 25) * 1000)
            frame.time_base = Fraction(1, 1000)
            for p in vs.encode(frame):
                out.mux(p)
        for p in vs.encode():
            out.mux(p)
        if a is not None:
            tone = (0.1 * np.sin(np.arange(int(audio_s * 16000)) / 3) * 32767).astype(np.int16)
            for i in range(0, len(tone), 1024):
                fr = av.AudioFrame.from_ndarray(tone[i:i + 1024].reshape(1, -1), format="s16",
                                                layout="mono")
                fr.sample_rate, fr.pts = 16000, i
                for p in a.encode(fr):
                    out.mux(p)
            for p in a.encode():
                out.mux(p)
    return path


def _tone_wav(path: Path, seconds: float = 2.0) -> Path:
    """A real WAV file (whatever its name says)."""
    import wave

    tone = (0.1 * np.sin(np.arange(int(seconds * 16000)) / 3) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(tone.tobytes())
    return path


def _session(root: Path, manifest: str, files: dict[str, bytes | Path] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, content in (files or {}).items():
        if isinstance(content, Path):
            shutil.copyfile(content, root / name)
        else:
            (root / name).write_bytes(content)
    (root / "session.toml").write_bytes(manifest.encode("utf-8") if isinstance(manifest, str)
                                        else manifest)
    return root


def build(out: Path) -> list[Case]:
    out.mkdir(parents=True, exist_ok=True)
    pitch = SAMPLE / "pitch.mp4"
    data = pitch.read_bytes()
    cases: list[Case] = []

    def add(name: str, path: Path, expect: str | None, analyzer: str = "",
            reason: str = "", partial: bool = False) -> None:
        cases.append(Case(name, path, expect, analyzer, reason, partial))

    (out / "zero.mp4").write_bytes(b"")
    add("zero-byte mp4", out / "zero.mp4", "file is empty")
    (out / "truncated.mp4").write_bytes(data[: len(data) // 3])
    add("truncated mp4 (first third)", out / "truncated.mp4", None, partial=True)
    (out / "header_only.mp4").write_bytes(data[:4096])
    add("truncated mp4 (4 KiB)", out / "header_only.mp4", "cannot be read as audio/video")
    (out / "corrupt_header.mp4").write_bytes(b"\x00garbage" * 512 + data[4096:])
    add("corrupt header", out / "corrupt_header.mp4", "cannot be read as audio/video")
    (out / "text.mp4").write_text("this is a text file, not a video\n" * 50)
    add("text named .mp4", out / "text.mp4", "cannot be read as audio/video")
    _tone_wav(out / "tone.mp4")
    add("wrong extension (WAV named .mp4)", out / "tone.mp4", None, "presence", "no video track")
    rng = np.random.default_rng(0)
    noise = [rng.integers(0, 255, (120, 160, 3), dtype=np.uint8) for _ in range(1)]
    _encode(out / "one_frame.mp4", noise)
    add("a single frame", out / "one_frame.mp4", None)
    _encode(out / "frame_8k.mp4", [np.full((4320, 7680, 3), 90, np.uint8)])
    add("one 8K frame", out / "frame_8k.mp4", None)
    vfr_times = [0.0, 0.04, 0.5, 0.52, 1.9, 2.0, 3.7]
    _encode(out / "vfr.mp4", [np.full((96, 128, 3), 40 * i % 255, np.uint8) for i in range(7)],
            vfr_times)
    add("variable frame rate", out / "vfr.mp4", None)
    with open(out / "sparse_1g.mp4", "wb") as f:
        f.truncate(1 << 30)
    add("1 GB sparse file as recording", out / "sparse_1g.mp4", "cannot be read as audio/video")

    # Folder cases use a 2-second clip so each analyses in a second or two.
    clip = _encode(out / "clip.mp4", [np.full((72, 96, 3), 60 + i, np.uint8) for i in range(50)])
    good = {"pitch.mp4": clip, "voice.wav": _tone_wav(out / "voice.wav")}
    base = 'title = "t"\nrecording = "pitch.mp4"\naudio = "voice.wav"\n'
    add("non-UTF-8 manifest",
        _session(out / "latin1_manifest",
                 'title = "caf\xe9"\n'.encode("latin-1") + base[10:].encode(), good),
        "not UTF-8")
    add("manifest path ../../etc/passwd",
        _session(out / "escape_dotdot", base + 'ops = "../../etc/passwd"\n', good),
        "points outside the session folder")
    add("manifest absolute path",
        _session(out / "escape_abs", base + 'ops = "/etc/passwd"\n', good), "is an absolute path")
    link_root = _session(out / "escape_symlink", base + 'ops = "ops.csv"\n', good)
    if not (link_root / "ops.csv").exists():
        os.symlink("/etc/passwd", link_root / "ops.csv")
    add("manifest symlink out of the folder", link_root, "points outside the session folder")

    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)) + "products: *i\n"
    add("YAML alias bomb in products.yaml",
        _session(out / "products_bomb", base + 'products = "products.yaml"\n',
                 {**good, "products.yaml": bomb.encode()}), None, "coverage",
        "YAML aliases are not allowed")
    deep = "products: " + "[" * 5000 + "]" * 5000 + "\n"
    add("deeply nested products.yaml",
        _session(out / "products_deep", base + 'products = "products.yaml"\n',
                 {**good, "products.yaml": deep.encode()}), None, "coverage",
        "nested too deeply")
    sparse_ops = out / "ops_sparse"
    _session(sparse_ops, base + 'ops = "ops.csv"\n', good)
    with open(sparse_ops / "ops.csv", "wb") as f:
        f.truncate(1 << 30)
    add("1 GB sparse ops.csv", sparse_ops, None, "ops", "may be at most 256 MiB")
    evil = (SAMPLE / "ops.csv").read_text().replace("aquakeep-bottle", "=HYPERLINK(\"http://x\")")
    add("formula injection in ops.csv",
        _session(out / "ops_formula", base + 'ops = "ops.csv"\n',
                 {**good, "ops.csv": evil.encode()}), None, "ops", "")
    html_card = (SAMPLE / "products.yaml").read_text().replace(
        "name: AquaKeep insulated bottle", 'name: "<script>alert(1)</script>\\u0007\\u001b[2J"')
    add("HTML and control characters in a product name",
        _session(out / "products_html", base + 'products = "products.yaml"\n',
                 {**good, "products.yaml": html_card.encode(),
                  "bottle.png": SAMPLE / "bottle.png"}),
        None, "coverage", "")
    return cases


def build_hostile(out: Path) -> list[Case]:
    """The second corpus: what a hostile or unlucky user did to livelab (issue 19). Each
    case once hung, exhausted memory, wrote outside its folder or crashed."""
    out.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def add(name: str, path: Path, expect: str | None, analyzer: str = "",
            reason: str = "", partial: bool = False) -> None:
        cases.append(Case(name, path, expect, analyzer, reason, partial))

    clip = _encode(out / "clip.mp4", [np.full((72, 96, 3), 60 + i, np.uint8) for i in range(50)])
    voice = _tone_wav(out / "voice.wav")
    good = {"pitch.mp4": clip, "voice.wav": voice}
    base = 'title = "t"\nrecording = "pitch.mp4"\naudio = "voice.wav"\n'
    products = (SAMPLE / "products.yaml").read_text(encoding="utf-8")

    leap = [np.full((72, 96, 3), 30 * i, np.uint8) for i in range(6)]
    _encode(out / "leap.mkv", leap, [0.0, 0.04, 0.08, 0.12, 1e10, 1e10 + 0.04])
    add("timestamps leap to 1e10 s (mkv)", out / "leap.mkv", None, partial=True)
    self_link = out / "self_link.mp4"
    if not self_link.is_symlink():
        os.symlink(self_link.name, self_link)
    add("a recording that links to itself", self_link, "symlink loop")
    add("a 100 KiB session.toml",
        _session(out / "big_manifest", base + "# " + "x" * 100_000 + "\n", good),
        "may be at most 64 KiB")
    links = _session(out / "links", base, good)
    for i in range(20):
        if not (links / f"l{i}").is_symlink():
            os.symlink(".", links / f"l{i}")
    add("20 links to the session folder itself", links, None)
    add("a session folder named summary", _session(out / "summary", base, good), None)

    chat = 'chat = "chat.jsonl"\n'
    long_line = '{"t": 1, "text": "' + "买" * 2_000_000 + '"}\n'
    add("a 6 MB chat line",
        _session(out / "chat_long", base + chat, {**good, "chat.jsonl": long_line.encode()}),
        None, "interaction", "a chat line may be at most 64 KiB")
    long_text = '{"t": 1, "text": "' + "x" * 5000 + '"}\n'
    add("a 5000-character chat message",
        _session(out / "chat_text", base + chat, {**good, "chat.jsonl": long_text.encode()}),
        None, "interaction", "a chat message may be at most 1,000")
    digits = '{"t": ' + "9" * 400 + ', "text": "hi"}\n{"t": "x", "text": "hi"}\n'
    add("a chat t of 400 digits",
        _session(out / "chat_digits", base + chat, {**good, "chat.jsonl": digits.encode()}),
        None, "interaction", "line 1, key 't': must be a number of seconds")

    card = 'products = "products.yaml"\n'
    phrase = products.replace('"leak proof"', '"' + "leak " * 180_000 + '"')
    assert phrase != products
    add("an 880 KB selling-point phrase",
        _session(out / "long_phrase", base + card, {**good, "products.yaml": phrase.encode(),
                                                     "bottle.png": SAMPLE / "bottle.png"}),
        None, "coverage", "characters long; at most 200")
    many = "products:\n" + "".join(
        f"  - {{id: p{i}, name: P{i}, price: 1}}\n" for i in range(10_000))
    add("10 000 product cards",
        _session(out / "many_products", base + card, {**good, "products.yaml": many.encode()}),
        None, "coverage", "has 10000 product cards; a session may list at most 200")
    broken = "products:\n" + "".join(f"  - {{id: p{i}, price: -1}}\n" for i in range(150))
    add("150 invalid cards (the error lists 20 and how many more)",
        _session(out / "broken_cards", base + card, {**good, "products.yaml": broken.encode()}),
        None, "coverage", "more problems (fix these first)")
    huge = _huge_png(out / "huge.png")
    big_picture = products.replace("image: bottle.png", "image: huge.png")
    add("a 30000×30000 px product picture",
        _session(out / "huge_picture", base + card, {**good, "products.yaml": big_picture.encode(),
                                                      "huge.png": huge}),
        None, "coverage", "is 30000×30000 pixels")
    return cases


def _huge_png(path: Path, side: int = 30000) -> Path:
    """A real, valid grey PNG of side × side pixels that compresses to under 1 MB."""
    import struct
    import zlib

    if path.exists():
        return path
    row = b"\x00" + bytes(side)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body)
                     + chunk(b"IEND", b""))
    return path


RUBRIC_BOMB = ("a: &a [x, x, x, x, x, x, x, x, x]\n"
               + "".join(f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
                         for p, c in zip("abcdefgh", "bcdefghi", strict=True))
               + "criteria: *i\n")
RUBRIC_DEEP = "id: x\ntitle: x\ncriteria: " + "[" * 5000 + "]" * 5000 + "\n"


if __name__ == "__main__":
    where = Path(sys.argv[1] if len(sys.argv) > 1 else "bad_inputs_out")
    for case in build(where / "first") + build_hostile(where / "hostile"):
        print(f"{case.name:45} {case.path}")
