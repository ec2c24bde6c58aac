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
and transcribes them with the bundled tiny.en model, to show coverage survives the
recogniser (Mandarin needs a Mandarin model, which livelab does not bundle yet).
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
    errors: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in ("tp", "fp", "fn", "flags", "false_flags", "violations", "missed_violations"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors += other.errors

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


def through_speech(pitch: dict, name: str) -> tuple[Tally, float]:
    from livelab.media import decode_audio
    from livelab.transcribe import FasterWhisperTranscriber, TranscriberConfig

    with tempfile.TemporaryDirectory() as tmp:
        wav = speak(pitch["text"], pitch["language"], Path(tmp))
        audio = decode_audio(wav)
    t0 = time.perf_counter()
    transcript = FasterWhisperTranscriber(
        TranscriberConfig(language=pitch["language"], threads=2)
    ).transcribe(audio)
    return score(pitch, transcript, name + " (speech)"), time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--speech",
        action="store_true",
        help="also synthesize the English pitches and transcribe them with tiny.en",
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
    if args.verbose or total.errors:
        for e in total.errors:
            print("  -", e)

    if args.speech:
        speech = Tally()
        seconds = 0.0
        spoken = [p for p in pitches if p.name.startswith("en")]
        for path in spoken:
            pitch = yaml.safe_load(path.read_text(encoding="utf-8"))
            tally, took = through_speech(pitch, path.stem)
            speech.add(tally)
            seconds += took
        print(
            f"through espeak-ng + tiny.en ({len(spoken)} English pitches, {seconds:.1f} s "
            "transcribing)"
        )
        print(speech.line("speech"))
        for e in speech.errors:
            print("  -", e)

    p = total.tp / (total.tp + total.fp) if total.tp + total.fp else 0.0
    r = total.tp / (total.tp + total.fn) if total.tp + total.fn else 0.0
    ff = total.false_flags / total.flags if total.flags else 0.0
    ok = p >= TARGET_PRECISION and r >= TARGET_RECALL and ff <= TARGET_FALSE_FLAGS
    print("targets (precision ≥ 0.9, recall ≥ 0.9, false flags ≤ 5 %):", "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
