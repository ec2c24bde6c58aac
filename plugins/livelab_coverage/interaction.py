"""Did the anchor answer the audience? ``interaction.questions_answered_ratio`` from the
chat log and the transcript.

The answering rule. A question (``kind: question``, or a line that reads as one; see
:mod:`livelab_coverage.chat`) asked at ``t`` is answered when the anchor's speech addresses
it in ``(t, t + answer_within_s]`` (60 s by default):

- A question with a topic (the chat line's ``topic``, else one found by the keyword lists
  in ``phrases/topics_*.txt``) is answered by a cue of the matching kind
  (:data:`livelab.ANSWERED_BY`: price → price, size → size, shipping → shipping,
  link → a call to action, promotion → promotion) found by the coverage cue detector. When
  the question names a product (its ``product`` key, else a product name or alias in its
  text) and the cue is about a product, they must be the same product.
- A question with no topic is answered when the speech in the window repeats at least
  ``min_shared`` (half, by default) of the question's content words: its words without
  stop words and question words in English (each compared as the coverage matcher does,
  so "fits" answers "fit"), its characters without particles and question words in
  Mandarin. A question with no content word at all ("what?") is answered by any speech
  in the window, as nothing more specific can be asked of the anchor.

Questions the chat log places after the end of the recording are left out (listed in the
details); no question at all leaves the metric unmeasured, never 0.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from livelab import (
    ANSWERED_BY,
    ChatMessage,
    Cue,
    Evidence,
    Findings,
    Messages,
    Transcript,
    clock,
)  # fmt: skip
from livelab_coverage import INTERACTION_METRICS, phrases
from livelab_coverage.chat import language_of, timed_text, topic_of
from livelab_coverage.cues import CoverageCueDetector
from livelab_coverage.match import (
    CARD_HOMOPHONES,
    EN_STOP,
    ZH_STOP,
    MatchOptions,
    PhraseIndex,
    TimedText,
)
from livelab_coverage.normalize import CJK
from livelab_coverage.products import Product

M = Messages("livelab_coverage")

METRIC = INTERACTION_METRICS[0].name


@dataclass(frozen=True, slots=True)
class InteractionOptions:
    """Settings that change the interaction metric.

    ``answer_within_s``: how long after a question the anchor's answer still counts; a
    live room scrolls on, and a viewer waiting longer than a minute has usually left.
    ``min_shared``: share of a topic-less question's content words the answer must repeat.
    """

    answer_within_s: float = 60.0
    min_shared: float = 0.5


@dataclass(frozen=True, slots=True)
class _Answer:
    at: float
    text: str


def measure_interaction(
    messages: Sequence[ChatMessage],
    transcript: Transcript,
    language: str,
    duration_s: float,
    products: Sequence[Product] | None = None,
    options: InteractionOptions | None = None,
) -> Findings:
    """The interaction metric for one session. Pure: no files, no model."""
    options = options or InteractionOptions()
    window = options.answer_within_s
    f = Findings()
    cards = tuple(products or ())
    ids = {p.id for p in cards}
    warnings: list[str] = []
    if not cards:
        warnings.append(
            "the session has no product cards: a price or a product's promotion cannot be "
            "recognised, so questions about them count as unanswered"
        )
    end = duration_s if duration_s and duration_s > 0 else transcript.duration_s
    asked = sorted((m for m in messages if m.kind == "question"), key=lambda m: m.t)
    late = [m for m in asked if end > 0 and m.t > end]
    questions = [m for m in asked if not (end > 0 and m.t > end)]

    spoken = TimedText.from_transcript(transcript, language)
    if questions and not spoken.tokens:
        # As for coverage: no words at all is more likely a recording or recognition
        # problem than an anchor who ignored everyone; leave it unscored, not 0.
        f.set(METRIC, None, M("no_speech", "no speech was recognised in the recording"))
        f.details = {"window_s": window, "asked": len(questions), "warnings": warnings}
        return f
    cues = CoverageCueDetector(cards, language).detect(transcript)
    by_kind: dict[str, list[Cue]] = {}
    for cue in cues:
        by_kind.setdefault(cue.kind, []).append(cue)
    starts = [tok.start for tok in spoken.tokens]

    # A busy room asks "link?" hundreds of times: read each distinct text once.
    @functools.cache
    def topic_in(text: str) -> str | None:
        return topic_of(text)

    @functools.cache
    def product_in(text: str) -> str | None:
        return _named_product(text, cards)

    rows: list[dict[str, Any]] = []
    for q in questions:
        topic = q.topic or topic_in(q.text)
        product = q.product
        if product is not None and cards and product not in ids:
            warnings.append(
                f"question at {clock(q.t)} names product {product!r}, which no product card "
                f"has (cards: {', '.join(sorted(ids))}); any product's answer counts"
            )
            product = None
        if product is None:
            product = product_in(q.text)
        if topic is not None:
            answer = _cue_answer(by_kind.get(ANSWERED_BY[topic], []), q.t, window, product)
        else:
            answer = _content_answer(q.text, spoken, starts, q.t, window, options.min_shared)
        rows.append(
            {
                "t": round(q.t, 2),
                "user": q.user,
                "text": q.text,
                "topic": topic,
                "topic_from": "chat" if q.topic else ("keywords" if topic else None),
                "product": product,
                "answered": answer is not None,
                "answered_at": round(answer.at, 2) if answer else None,
                "cue": answer.text if answer else None,
            }
        )
        if answer is None:
            said = (
                M("unanswered_from", "unanswered question: “{question}” ({user})",
                  question=q.text, user=q.user)
                if q.user
                else M("unanswered", "unanswered question: “{question}”", question=q.text)
            )  # fmt: skip
            f.evidence.append(
                Evidence(q.t, q.t + window, METRIC, said)
            )

    answered = sum(r["answered"] for r in rows)
    f.set(
        METRIC,
        answered / len(rows) if rows else None,
        M("no_questions_before_end",
          "no audience questions in the chat before the recording ends ({late} after it)",
          late=len(late))
        if late
        else M("no_questions", "no audience questions in the chat"),
    )
    f.details = {
        "window_s": window,
        "asked": len(rows),
        "answered": answered,
        "questions": rows,
        "after_the_end": [{"t": round(m.t, 2), "user": m.user, "text": m.text} for m in late],
        "warnings": warnings,
    }
    return f


def _cue_answer(
    cues: Sequence[Cue], t: float, window: float, product: str | None
) -> _Answer | None:
    for cue in cues:  # earliest first
        if cue.t <= t:
            continue
        if cue.t > t + window:
            break
        if product is None or cue.product is None or cue.product == product:
            return _Answer(cue.t, cue.text)
    return None


def _named_product(text: str, cards: Sequence[Product]) -> str | None:
    """The one product a question names by name or alias, if exactly one."""
    if not cards:
        return None
    words = timed_text(text)
    if not words.tokens:
        return None
    index = PhraseIndex(words)
    named = [p.id for p in cards if index.find_any(p.names, homophones=CARD_HOMOPHONES)]
    return named[0] if len(named) == 1 else None


@functools.lru_cache(maxsize=4096)
def content_words(text: str) -> tuple[str, ...]:
    """What a topic-less question is about: English words without stop words and question
    words; Mandarin characters (and numbers) without particles and question words."""
    language = language_of(text)
    words = timed_text(text, language)
    asking = {t for listed in _question_lists(language) for t in listed.terms}
    if language == "zh":
        asking_chars = {c for t in asking for c in t if CJK.match(c)}
        keep = [
            tok.text
            for tok in words.tokens
            if tok.text not in ZH_STOP
            and tok.text not in asking_chars
            and (CJK.match(tok.text) or tok.text[:1].isdigit())
        ]
    else:
        keep = [
            tok.text
            for tok in words.tokens
            if tok.text not in EN_STOP and tok.text not in asking and tok.text.isalnum()
        ]
    return tuple(dict.fromkeys(keep))


def _question_lists(language: str) -> list[phrases.PhraseList]:
    return [phrases.load("questions", "en")] + (
        [phrases.load("questions", "zh")] if language == "zh" else []
    )


def _content_answer(
    text: str,
    spoken: TimedText,
    starts: list[float],
    t: float,
    window: float,
    min_shared: float,
) -> _Answer | None:
    lo = bisect.bisect_right(starts, t)
    hi = bisect.bisect_right(starts, t + window)
    if lo >= hi:
        return None  # the anchor said nothing in the window
    said = spoken.tokens[lo:hi]
    keys = content_words(text)
    if not keys:
        return _Answer(said[0].start, spoken.quote(lo, min(hi - 1, lo + 7)))
    need = max(1, math.ceil(min_shared * len(keys) - 1e-9))
    heard: list[tuple[float, str]] = []  # (when the key was first said, the key)
    bar = MatchOptions().word_similarity
    from rapidfuzz import fuzz

    for key in keys:
        exact = bool(CJK.match(key)) or key.replace(".", "").isdigit()
        at = next(
            (
                tok.start
                for tok in said
                if (tok.text == key if exact else fuzz.ratio(key, tok.text) >= bar)
            ),
            None,
        )
        if at is not None:
            heard.append((at, key))
    if len(heard) < need:
        return None
    heard.sort()
    return _Answer(heard[need - 1][0], "shared words: " + ", ".join(k for _, k in heard))
