"""Speech accuracy and transcription overhead on the real speech in ../shared/data.

For every file with ground truth (JFK, LibriSpeech, AISHELL, the GRID clips) it runs the
real pipeline (``load_session`` + ``analyze_session`` with the pace analyzer, no cache)
and prints the error of ``pace.rate_overall`` against ``rate_per_min_over_file``, the
word error rate (character error rate for Mandarin), and the cost of transcription
inside livelab against faster-whisper alone with the same model and settings on the
same audio (best of ``--repeat`` interleaved runs, since this machine is shared).

    .venv/bin/python benchmarks/speech_accuracy.py [--data ../shared/data] [--repeat 3]

Targets (issue 3): rate within ±5% for files of 8 s or more; English WER ≤ 10%;
overhead ≤ 1.2×.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RATE_TARGET = 0.05
WER_TARGET = 0.10
OVERHEAD_TARGET = 1.2
MIN_RATE_FILE_S = 8.0

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
         "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    return " ".join(_ONES[int(d)] for d in str(n))


def normalise_en(text: str) -> list[str]:
    """Lower case, no punctuation, digits as words, letters split from digits ("F2" → f two)."""
    text = text.lower().replace("-", " ")
    text = re.sub(r"(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])", " ", text)
    text = re.sub(r"\d+", lambda m: " " + number_words(int(m.group())) + " ", text)
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return text.split()


def normalise_zh(text: str) -> list[str]:
    """Hanzi, with the recogniser's digits read out as said (12 → 十二)."""
    from livelab import read_zh_number

    text = re.sub(r"\d+(?:\.\d+)?", lambda m: read_zh_number(m.group()), text)
    return re.findall(r"[\u3400-\u9fff]", text)


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def whisper_kwargs(language: str, beam_size: int) -> dict:
    """faster-whisper alone with livelab's first-pass decoding settings (transcribe.py)."""
    from livelab.builtin.whisper import _language_options

    return dict(language=language, beam_size=beam_size, word_timestamps=True, vad_filter=True,
                condition_on_previous_text=False, **_language_options(language))


def cases(data: Path) -> list[dict]:
    truth = json.loads((data / "ground_truth.json").read_text("utf-8"))
    out = []
    for item in truth["speech"]:
        out.append({"file": item["file"], "language": item["language"],
                    "transcript": item["transcript"], "duration_s": item["duration_s"],
                    "rate": item["rate_per_min_over_file"]})
    for item in truth["video"]:
        out.append({"file": item["file"], "language": item["language"],
                    "transcript": item["transcript"], "duration_s": item["duration_s"],
                    "rate": round(item["words"] / item["duration_s"] * 60, 1)})
    return out


def stage(case: dict, data: Path, work: Path) -> Path:
    """Copy the file into a writable session (the cache writes ``.livelab/`` beside it)."""
    src = data / case["file"]
    folder = work / src.stem
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, folder / src.name)
    if case["language"] == "en":
        return folder / src.name  # a bare media file is a session (English by default)
    (folder / "session.toml").write_text(
        f'title = "{src.stem}"\nlanguage = "{case["language"]}"\nrecording = "{src.name}"\n',
        encoding="utf-8")
    return folder


def run(args: argparse.Namespace) -> int:
    from faster_whisper import WhisperModel

    from livelab.engine.pipeline import AnalysisOptions, analyze_session
    from livelab.engine.plugins import load_plugins
    from livelab.inputs.session import load_session
    from livelab.media.decode import decode_audio
    from livelab_pace import PaceAnalyzer

    load_plugins()
    note = "transcribe.py as it is"
    options = AnalysisOptions(use_cache=False, beam_size=args.beam, whisper_threads=args.threads)
    rows = []
    work = Path(tempfile.mkdtemp(prefix="livelab-speech-"))
    try:
        for case in cases(args.data):
            path = stage(case, args.data, work)
            session = load_session(path)
            ours, alone = [], []
            for _ in range(args.repeat):
                analysis = analyze_session(session, [PaceAnalyzer()], options)
                t = analysis.timings
                ours.append(t.get("audio_decode", 0.0) + t.get("transcribe", 0.0))
                transcriber = _transcriber_of(session, options)
                t0 = time.perf_counter()
                audio = decode_audio(session.media)
                model = WhisperModel(transcriber.model_ref, device="cpu", compute_type="int8",
                                     cpu_threads=args.threads)
                segments, _ = model.transcribe(audio, **whisper_kwargs(case["language"], args.beam))
                list(segments)
                alone.append(time.perf_counter() - t0)
            run_ = analysis.runs["pace"]
            findings = run_.findings
            rate = findings.metrics.get("pace.rate_overall") if findings else None
            hyp = analysis.transcript.text if analysis.transcript else ""
            norm = normalise_zh if case["language"] == "zh" else normalise_en
            ref_tokens, hyp_tokens = norm(case["transcript"]), norm(hyp)
            rows.append({
                "file": Path(case["file"]).name, "lang": case["language"],
                "dur": case["duration_s"], "gt_rate": case["rate"], "rate": rate,
                "err": None if rate is None else (rate - case["rate"]) / case["rate"],
                "errs": edit_distance(ref_tokens, hyp_tokens), "ref_len": len(ref_tokens),
                "ours": min(ours), "alone": min(alone), "hyp": hyp,
                "model": analysis.transcript.model if analysis.transcript else "-",
                "status": run_.status if not findings else "",
            })
        code = report(rows, note, args)
        if args.demo:
            code |= demo_check(work, options)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return code


def demo_check(work: Path, options) -> int:  # noqa: ANN001
    """The demo session has timed ground truth: dead air, speech lines, word count."""
    from livelab.engine.pipeline import analyze_session
    from livelab.inputs.session import load_session
    from livelab_pace import PaceAnalyzer

    folder = REPO / "sample_sessions" / "demo_en"
    truth_path = folder / "ground_truth.json"
    if not truth_path.is_file():
        print("demo_en: no ground truth, skipped")
        return 0
    truth = json.loads(truth_path.read_text("utf-8"))
    media = work / "demo" / truth["recording"]
    media.parent.mkdir()
    shutil.copy2(folder / truth["recording"], media)
    analysis = analyze_session(load_session(media), [PaceAnalyzer()], options)
    f = analysis.runs["pace"].findings
    gt_rate = truth["speech_word_count"] / truth["duration_s"] * 60
    rate = f.metrics["pace.rate_overall"]
    spoken = sum(line["end_s"] - line["start_s"] for line in truth["lines"])
    ref = normalise_en(" ".join(line["text"] for line in truth["lines"]))
    hyp = normalise_en(analysis.transcript.text)
    wer = edit_distance(ref, hyp) / len(ref)
    a, b = truth["dead_air_s"]
    spans = [(round(e.start_s, 2), round(e.end_s, 2)) for e in f.evidence]
    print(f"demo_en ({truth['duration_s']:.1f} s): rate {rate:.1f} vs {gt_rate:.1f} "
          f"({(rate - gt_rate) / gt_rate:+.1%}); WER {wer:.1%}; dead air {spans} vs "
          f"[({a}, {b})]; speaking time {f.details['speaking_s']:.1f} s vs "
          f"{spoken:.1f} s of script lines")
    ok = (abs(rate - gt_rate) / gt_rate <= RATE_TARGET and len(spans) == 1
          and abs(spans[0][0] - a) <= 0.3 and abs(spans[0][1] - b) <= 0.3)
    if not ok:
        print("MISSED: demo_en rate or dead air")
    return 0 if ok else 1


def _transcriber_of(session, options):  # noqa: ANN001, ANN202
    from livelab.engine.plugins import pm

    return pm.hook.livelab_transcriber(config=options.transcriber_config(session.language))


def report(rows: list[dict], note: str, args: argparse.Namespace) -> int:
    print(f"speech accuracy — beam {args.beam}, {args.threads} thread(s), "
          f"best of {args.repeat}; {note}")
    head = (f"{'file':34} {'lang':4} {'model':7} {'dur s':>5} {'gt/min':>7} {'rate':>7} "
            f"{'err %':>6} {'WER/CER':>7} {'ours s':>6} {'fw s':>6} {'ratio':>5}")
    print(head)
    print("-" * len(head))
    failures = []
    for r in rows:
        err = "-" if r["err"] is None else f"{r['err'] * 100:+.1f}"
        wer = r["errs"] / max(1, r["ref_len"])
        ratio = r["ours"] / r["alone"] if r["alone"] else float("nan")
        rate = "-" if r["rate"] is None else f"{r['rate']:.1f}"
        print(f"{r['file']:34} {r['lang']:4} {r['model']:7} {r['dur']:5.2f} {r['gt_rate']:7.1f} "
              f"{rate:>7} {err:>6} {wer * 100:6.1f}% {r['ours']:6.2f} {r['alone']:6.2f} "
              f"{ratio:5.2f}")
        if r["dur"] >= MIN_RATE_FILE_S and (r["err"] is None or abs(r["err"]) > RATE_TARGET):
            failures.append(f"{r['file']}: rate error {err}% (target ±{RATE_TARGET:.0%})")
    en = [r for r in rows if r["lang"] == "en"]
    pooled = sum(r["errs"] for r in en) / max(1, sum(r["ref_len"] for r in en))
    long_en = [r for r in en if r["dur"] >= MIN_RATE_FILE_S]
    pooled_long = sum(r["errs"] for r in long_en) / max(1, sum(r["ref_len"] for r in long_en))
    overhead = sum(r["ours"] for r in rows) / sum(r["alone"] for r in rows)
    print("-" * len(head))
    print(f"English WER pooled: all files {pooled:.1%}, files ≥ {MIN_RATE_FILE_S:g} s "
          f"{pooled_long:.1%} (target ≤ {WER_TARGET:.0%})")
    print(f"transcription overhead, livelab (decode + transcribe) / faster-whisper alone "
          f"(decode + load + transcribe): {overhead:.2f}× (target ≤ {OVERHEAD_TARGET}×)")
    for r in rows:
        print(f"  {r['file']}: {r['hyp']!r}")
    if pooled > WER_TARGET:
        failures.append(f"English WER {pooled:.1%} over all files (target ≤ {WER_TARGET:.0%})")
    if overhead > OVERHEAD_TARGET:
        failures.append(f"overhead {overhead:.2f}×")
    for f in failures:
        print("MISSED:", f)
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--beam", type=int, default=5, help="beam size (livelab's default is 5)")
    parser.add_argument("--threads", type=int, default=1, help="whisper CPU threads (default 1)")
    parser.add_argument("--no-demo", dest="demo", action="store_false",
                        help="skip the 90 s sample session (timed dead-air ground truth)")
    args = parser.parse_args()
    if not (args.data / "ground_truth.json").is_file():
        print(f"no ground truth at {args.data}; pass --data", file=sys.stderr)
        return 2
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
