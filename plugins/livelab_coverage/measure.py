"""Measure product coverage on a timed transcript: what was said, when, for which product."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from livelab import N_, Evidence, Findings, Highlight, ItemValue, Messages, Transcript
from livelab_coverage import METRICS, phrases
from livelab_coverage.match import (
    CARD_HOMOPHONES,
    CJK,
    LIST_HOMOPHONES,
    Hit,
    MatchOptions,
    PhraseIndex,
    TimedText,
    exact_terms,
)
from livelab_coverage.normalize import number_value, price_digits
from livelab_coverage.products import Product

M = Messages("livelab_coverage")
#: The required mentions as the evidence names them.
MENTION_WORDS = {
    "name": M("mention", "name"),
    "price": M("mention", "price"),
    "promotion": M("mention", "promotion"),
    "call_to_action": M("mention", N_("call to action")),
    "guarantee": M("mention", "guarantee"),
    "usage": M("mention", "usage"),
}


#: Currency codes written as a sign before the amount (¥69); others follow it (69 HKD).
_SIGNS = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def money(value: float, currency: str | None) -> str:
    code = (currency or "").upper()
    if code in _SIGNS:
        return f"{_SIGNS[code]}{value:g}"
    return f"{value:g} {currency}" if currency else f"{value:g}"


def _mention(m: str) -> Any:
    return MENTION_WORDS.get(m) or m.replace("_", " ")

# Tokens after a number that show it is not a price ("24 hours", "750 ml", "10 percent").
_NOT_PRICE_UNITS = frozenset(
    "hours minutes seconds days day weeks months years ml oz percent liters litres "
    "小 分 秒 天 周 个 月 年 毫 升 斤 克 件 瓶 折 号 %".split()
)
METRIC_NAMES = tuple(spec.name for spec in METRICS)
_PROMO_SPLIT = re.compile(r"[;,；，、/]|\band\b")


@dataclass(frozen=True, slots=True)
class CoverageOptions:
    """Settings that change coverage results.

    ``cta_merge_s``: calls to action closer than this (end to start) count as one appeal,
    so "tap the cart below … click the link and order now" is one, not three.
    ``extra_compliance_terms`` / ``extra_cta_phrases``: added to the shipped lists, so a
    rubric can forbid its own words.
    """

    cta_merge_s: float = 5.0
    extra_compliance_terms: tuple[str, ...] = ()
    extra_cta_phrases: tuple[str, ...] = ()
    match: MatchOptions = field(default_factory=MatchOptions)


def mmss(seconds: float) -> str:
    s = max(0, int(round(seconds)))
    return f"{s // 60:02d}:{s % 60:02d}"


def _span(a: float, b: float) -> str:
    return mmss(a) if mmss(a) == mmss(b) else f"{mmss(a)}–{mmss(b)}"


def _has_cjk(text: str) -> bool:
    return bool(CJK.search(text))


def language_warnings(products: Sequence[Product], language: str) -> list[str]:
    """Phrasings the session's language cannot match (an English card for a Mandarin session)."""
    warnings = []
    for p in products:
        for sp in p.selling_points:
            cjk = [_has_cjk(t) for t in sp.phrasings]
            if language == "zh" and not any(cjk):
                warnings.append(
                    f"{p.id}/{sp.id}: no Mandarin phrasing; this session is in Mandarin"
                )
            elif language == "en" and all(cjk):
                warnings.append(
                    f"{p.id}/{sp.id}: only Mandarin phrasings; this session is in English"
                )
    return warnings


@dataclass(slots=True)
class ProductHits:
    """Where each product's things were heard, by product id (and selling point id)."""

    names: dict[str, list[Hit]]
    points: dict[str, dict[str, list[Hit]]]
    prices: dict[str, list[tuple[Hit, float]]]
    promos: dict[str, list[Hit]]


def find_products(index: PhraseIndex, products: Sequence[Product]) -> ProductHits:
    """Every product card's names, selling points, prices and promotion terms in the text.

    Shared by the coverage metrics and the live cue detector, so the simulated audience
    and the scorecard hear the same words."""
    found = ProductHits({}, {}, {}, {})
    for p in products:
        # The card's own words may be heard as homophones (宝温杯 for 保温杯).
        found.names[p.id] = index.find_any(p.names, homophones=CARD_HOMOPHONES)
        found.points[p.id] = {
            sp.id: index.find_any(sp.phrasings, homophones=CARD_HOMOPHONES)
            for sp in p.selling_points
        }
        found.prices[p.id] = price_hits(index.text, p)
        promo_terms = (
            [t.strip() for t in _PROMO_SPLIT.split(p.promotion.terms)] if p.promotion else []
        )
        terms = [t for t in promo_terms if t]
        found.promos[p.id] = index.find_any(terms, homophones=CARD_HOMOPHONES)
    return found


def selling_prices(product: Product) -> set[float]:
    """The prices a buyer pays (regular and promotion); the original price is not one."""
    return {
        x for x in (product.price, product.promotion.price if product.promotion else None)
        if x is not None
    }


def stated_prices(product: Product, found: ProductHits) -> list[Hit]:
    """Where the product's selling price was said: what "price stated" means."""
    paid = selling_prices(product)
    return [h for h, v in found.prices[product.id] if v in paid]


def promotion_hits(product: Product, found: ProductHits) -> list[Hit]:
    """The card's own promotion terms, and its promotion price when it differs from the
    regular one. Generic promotion words ("coupon") are looked up separately."""
    promo_price = product.promotion.price if product.promotion else None
    return [
        *found.promos[product.id],
        *[h for h, v in found.prices[product.id] if v == promo_price and v != product.price],
    ]


#: How a feedback line names a required mention a student did not make.
MENTION_NAMES = {
    "zh": {"name": "品名", "price": "价格", "promotion": "优惠", "call_to_action": "下单引导",
           "guarantee": "售后保障", "usage": "使用方法"},
}  # fmt: skip


def calls_to_action(index: PhraseIndex, language: str, options: CoverageOptions) -> list[Hit]:
    """Calls to action, those closer than ``options.cta_merge_s`` counted as one appeal."""
    listed = (*phrases.load("cta", language).terms, *options.extra_cta_phrases)
    return _merge(index.find_any(listed, homophones=LIST_HOMOPHONES), options.cta_merge_s)


def product_blocks(
    transcript: Transcript, text: TimedText, products: Sequence[Product], found: ProductHits
) -> list[tuple[str, float, float]]:
    """Which product is on air when, as (product id, start, end) spans of the transcript."""
    return _blocks(transcript, _label_segments(transcript, text, products, found))


def owner_of(blocks: list[tuple[str, float, float]]) -> Callable[[float], str | None]:
    """A lookup: the id of the product on air at time ``t``, or None between products."""
    block_starts = [a for _, a, _ in blocks]

    def owner(t: float) -> str | None:
        i = bisect.bisect_right(block_starts, t) - 1
        if i >= 0 and blocks[i][1] <= t < blocks[i][2]:
            return blocks[i][0]
        return None

    return owner


def measure_coverage(
    products: Sequence[Product],
    transcript: Transcript,
    language: str,
    duration_s: float,
    options: CoverageOptions | None = None,
) -> Findings:
    """All coverage metrics for one session. Pure: no files, no model."""
    options = options or CoverageOptions()
    f = Findings()
    text = TimedText.from_transcript(transcript, language)
    if not text.tokens:
        # No words at all is more likely a recording or recognition problem than a pitch
        # that said nothing: leave every metric unscored rather than score it 0.
        for name in METRIC_NAMES:
            f.set(name, None, M("no_speech", "no speech was recognised in the recording"))
        f.details["warnings"] = language_warnings(products, language)
        return f
    index = PhraseIndex(text, options.match)
    f.details["warnings"] = language_warnings(products, language)

    found = find_products(index, products)
    blocks = product_blocks(transcript, text, products, found)
    generic = {
        kind: index.find_any(phrases.load(kind, language).terms, homophones=LIST_HOMOPHONES)
        for kind in ("guarantee", "usage", "promotion")
    }
    ctas = calls_to_action(index, language, options)
    owner = owner_of(blocks)

    names = {p.id: p.name for p in products}
    per_product: dict[str, dict] = {}
    missed: list[dict] = []
    points_total = points_found = 0
    mentions_total = mentions_found = 0
    for p in products:
        info: dict = {"name": p.name}
        # Selling points.
        found_points, missed_points = [], []
        for sp in p.selling_points:
            hits = found.points[p.id][sp.id]
            if hits:
                h = hits[0]
                quote = text.quote(h.first, h.last)
                found_points.append(
                    {
                        "id": sp.id,
                        "label": sp.label,
                        "first_s": round(h.start_s, 2),
                        "quote": quote,
                        "times": len(hits),
                    }
                )
                f.evidence.append(
                    Evidence(
                        h.start_s,
                        h.end_s,
                        "coverage.selling_points_ratio",
                        M("selling_point_said", "{product} — {point}: “{quote}”",
                          product=p.name, point=sp.label, quote=quote),
                    )
                )
            else:
                missed_points.append({"id": sp.id, "label": sp.label})
                f.evidence.append(Evidence(None, None, "coverage.selling_points_ratio",
                                           M("selling_point_missed",
                                             "{product} — never said: {point}",
                                             product=p.name, point=sp.label)))
                missed.append(
                    {"product": p.id, "product_name": p.name, "id": sp.id, "label": sp.label}
                )
        points_total += len(p.selling_points)
        points_found += len(found_points)
        info["selling_points_ratio"] = (
            len(found_points) / len(p.selling_points) if p.selling_points else None
        )
        info["selling_points_found"] = found_points
        info["selling_points_missed"] = missed_points

        # Required mentions.
        def mine(hits: list[Hit], pid: str = p.id) -> list[Hit]:
            return [h for h in hits if owner(h.start_s) == pid]

        mention_hits: dict[str, list[Hit]] = {
            "name": found.names[p.id],
            "price": stated_prices(p, found),
            "promotion": sorted(
                [*promotion_hits(p, found), *mine(generic["promotion"])],
                key=lambda h: h.start_s,
            ),
            "call_to_action": mine(ctas),
            "guarantee": mine(generic["guarantee"]),
            "usage": mine(generic["usage"]),
        }
        mentions: dict[str, dict] = {}
        for m in p.required_mentions:
            hits = mention_hits[m]
            mentions[m] = (
                {
                    "said": True,
                    "first_s": round(hits[0].start_s, 2),
                    "quote": text.quote(hits[0].first, hits[0].last),
                }
                if hits
                else {"said": False}
            )
            mentions_total += 1
            mentions_found += bool(hits)
            if hits and m not in ("price", "call_to_action"):  # those get their own evidence
                h = hits[0]
                f.evidence.append(
                    Evidence(
                        h.start_s,
                        h.end_s,
                        "coverage.required_mentions_ratio",
                        M("mention_said", "{product} — {mention}: “{quote}” at {at:clock}",
                          product=p.name, mention=_mention(m),
                          quote=text.quote(h.first, h.last), at=h.start_s),
                    )
                )
        info["required_mentions"] = mentions
        info["required_mentions_missed"] = [m for m, v in mentions.items() if not v["said"]]
        for m in info["required_mentions_missed"]:
            f.evidence.append(Evidence(None, None, "coverage.required_mentions_ratio",
                                       M("mention_missed", "{product} — {mention} never stated",
                                         product=p.name, mention=_mention(m))))
        for h, value in found.prices[p.id]:
            quote = text.quote(max(0, h.first - 1), h.last)
            f.evidence.append(
                Evidence(
                    h.start_s,
                    h.end_s,
                    "coverage.required_mentions_ratio",
                    M(
                        "price_stated",
                        "{which} stated: “{quote}” at {at:clock} ({product}, {amount})",
                        which=M("price_kind", "original price") if value == p.original_price
                        else M("price_kind", "price"),
                        quote=quote, at=h.start_s, product=p.name,
                        amount=money(value, p.currency),
                    ),
                )
            )
        firsts = [hs[0].start_s for hs in (found.names[p.id], *found.points[p.id].values()) if hs]
        info["first_mention_s"] = round(min(firsts), 2) if firsts else None
        seconds = sum(b - a for pid, a, b in blocks if pid == p.id)
        info["time_s"] = round(seconds, 2)
        info["planned_s"] = p.planned_minutes * 60 if p.planned_minutes else None
        per_product[p.id] = info

    f.details["products"] = per_product
    f.details["missed_selling_points"] = missed
    # What the feedback names as missed: with the product when there are several.
    several = len(products) > 1
    f.missed["coverage.selling_points_ratio"] = [
        f"{m['product_name']}: {m['label']}" if several else m["label"] for m in missed
    ]
    said_as = MENTION_NAMES.get(language, {})
    f.missed["coverage.required_mentions_ratio"] = [
        f"{info['name']}: {said_as.get(m, m.replace('_', ' '))}" if several
        else said_as.get(m, m.replace("_", " "))
        for info in per_product.values()
        for m in info.get("required_mentions_missed", [])
    ]
    f.missed = {k: v for k, v in f.missed.items() if v}

    # Selling points and required mentions.
    f.set(
        "coverage.selling_points_ratio",
        points_found / points_total if points_total else None,
        M("no_selling_points", "no product card lists a selling point"),
    )
    f.set(
        "coverage.required_mentions_ratio",
        mentions_found / mentions_total if mentions_total else None,
        M("no_mentions", "no product card lists required mentions"),
    )

    # When each product was first mentioned, for how long, and in which order.
    mentioned = sorted(
        (info["first_mention_s"], pid)
        for pid, info in per_product.items()
        if info["first_mention_s"] is not None
    )
    nothing = M("no_product_mentioned", "no product was mentioned by name or selling point")
    f.set("coverage.first_mention_s", mentioned[0][0] if mentioned else None, nothing)
    for pid, a, b in blocks:
        f.evidence.append(
            Evidence(
                a,
                b,
                "coverage.time_per_product_s",
                M("on_air", "{product} on air ({seconds:.0f} s)", product=names[pid],
                  seconds=b - a),
            )
        )
    timed = [info["time_s"] for info in per_product.values() if info["time_s"] > 0]
    f.set("coverage.time_per_product_s", sum(timed) / len(timed) if timed else None, nothing)
    plan = [p.id for p in products]
    order = [pid for _, pid in mentioned]
    f.details["order"] = {
        "planned": plan,
        "spoken": order,
        "never_mentioned": [pid for pid in plan if pid not in order],
    }
    if not order:
        f.set("coverage.order_matches_plan", None, nothing)
    else:
        f.set(
            "coverage.order_matches_plan",
            1.0 if order == [pid for pid in plan if pid in order] else 0.0,
        )

    # Calls to action, and whether a price came first.
    for h in ctas:
        owner_id = owner(h.start_s)
        f.evidence.append(
            Evidence(
                h.start_s,
                h.end_s,
                "coverage.cta_per_10min",
                M("cta_for", "call to action: “{quote}” ({product})",
                  quote=text.quote(h.first, h.last), product=names[owner_id])
                if owner_id
                else M("cta", "call to action: “{quote}”", quote=text.quote(h.first, h.last)),
            )
        )
    duration = duration_s if duration_s and duration_s > 0 else transcript.duration_s
    f.set(
        "coverage.cta_per_10min",
        len(ctas) / duration * 600 if duration > 0 else None,
        M("no_duration", "the session has no duration"),
    )
    f.details["duration_s"] = round(duration, 3)  # the rate's length, for the review
    f.details["calls_to_action"] = [
        {
            "start_s": round(h.start_s, 2),
            "quote": text.quote(h.first, h.last),
            "product": owner(h.start_s),
        }
        for h in ctas
    ]
    price_times = {p.id: [h.start_s for h in stated_prices(p, found)] for p in products}
    if not ctas:
        f.set("coverage.price_before_cta", None, M("no_cta", "no call to action was heard"))
    elif not any(p.prices for p in products):
        f.set("coverage.price_before_cta", None, M("no_price", "no product card gives a price"))
    else:
        preceded = 0
        for h in ctas:
            owner_id = owner(h.start_s)
            every = [t for ts in price_times.values() for t in ts]
            times = price_times[owner_id] if owner_id else every
            preceded += any(t <= h.start_s for t in times)
        f.set("coverage.price_before_cta", preceded / len(ctas))

    # Compliance.
    flags = compliance_flags(text, language, options.extra_compliance_terms)
    for h, category in flags:
        kind = {
            "absolute": M("compliance_kind", "absolute claim"),
            "medical": M("compliance_kind", "medical claim"),
        }.get(category) or M("compliance_kind", "banned term")
        f.evidence.append(
            Evidence(
                h.start_s,
                h.end_s,
                "coverage.compliance_flags",
                M("compliance_flag", "{kind}: “{quote}”", kind=kind,
                  quote=text.quote(h.first, h.last)),
            )
        )
    f.set("coverage.compliance_flags", float(len(flags)))
    if flags:
        f.counted["coverage.compliance_flags"] = [h.phrase for h, _c in flags]
    f.details["compliance_flags"] = [
        {
            "start_s": round(h.start_s, 2),
            "term": h.phrase,
            "category": c,
            "quote": text.quote(h.first, h.last),
        }
        for h, c in flags
    ]
    f.evidence.sort(key=lambda e: (e.start_s is not None, e.start_s or 0.0, e.metric))
    f.highlights = highlights(f.evidence)
    f.by_product["coverage.time_per_product_s"] = {
        pid: ItemValue(info["name"], info["time_s"], info["planned_s"])
        for pid, info in per_product.items()
    }
    return f


#: Evidence whose words the transcript marks: metric → (highlight kind, legend label).
HIGHLIGHT_KINDS = {
    "coverage.compliance_flags": ("flag", N_("compliance flag")),
    "coverage.cta_per_10min": ("cta", N_("call to action")),
    "coverage.selling_points_ratio": ("point", N_("selling point")),
    "coverage.required_mentions_ratio": ("mention", N_("key mention")),  # name, price, deal …
}


def highlights(evidence: Sequence[Evidence]) -> list[Highlight]:
    """The transcript spans of the timed evidence of banned terms, calls to action, selling
    points and key mentions (name, price, promotion, …); ``text`` is the evidence message."""
    out = []
    for e in evidence:
        if e.start_s is None or e.metric not in HIGHLIGHT_KINDS:
            continue
        kind, label = HIGHLIGHT_KINDS[e.metric]
        end = e.end_s if e.end_s is not None else e.start_s
        out.append(Highlight(e.start_s, end, kind, label, str(e.message)))
    return out


def compliance_flags(
    text: TimedText, language: str, extra: Sequence[str] = ()
) -> list[tuple[Hit, str]]:
    listed = phrases.load("compliance", language)
    hits = exact_terms(text, (*listed.terms, *extra), listed.exceptions)
    return [(h, listed.category(h.phrase) or "rubric") for h in hits]


def price_hits(text: TimedText, product: Product) -> list[tuple[Hit, float]]:
    """Numbers in the transcript equal to one of the product's prices."""
    forms = {d: price for price in product.prices for d in price_digits(price)}
    toks = text.tokens
    out: list[tuple[Hit, float]] = []
    i = 0
    while i < len(toks):
        value = number_value(toks[i].text)
        if value is None:
            i += 1
            continue
        last = i
        candidates = [(i, toks[i].text)]
        # "19 99" written as two numbers.
        if (
            i + 1 < len(toks)
            and number_value(toks[i + 1].text) is not None
            and len(toks[i + 1].text) == 2
        ):
            candidates.insert(0, (i + 1, toks[i].text + toks[i + 1].text))
        match = None
        for end, written in candidates:
            after = toks[end + 1].text if end + 1 < len(toks) else ""
            if after in _NOT_PRICE_UNITS:
                continue
            v = number_value(written)
            assert v is not None
            for price in product.prices:
                if abs(v - price) < 0.005 or (
                    "." not in written and written in forms and forms[written] == price
                ):
                    match = (end, price)
                    break
            if match:
                break
        if match:
            last, price = match
            out.append((Hit(f"{price:g}", i, last, toks[i].start, toks[last].end, 1.0), price))
        i = last + 1
    return out


def _merge(hits: list[Hit], gap_s: float) -> list[Hit]:
    merged: list[Hit] = []
    for h in hits:
        if merged and h.start_s - merged[-1].end_s <= gap_s:
            m = merged[-1]
            merged[-1] = Hit(
                m.phrase, m.first, max(m.last, h.last), m.start_s, max(m.end_s, h.end_s), m.score
            )
        else:
            merged.append(h)
    return merged


def _label_segments(
    transcript: Transcript, text: TimedText, products: Sequence[Product], found: ProductHits
) -> list[str | None]:
    """Which product each transcript segment talks about (None before the first one)."""
    marks: list[tuple[float, str]] = []
    for p in products:
        marks += [(h.start_s, p.id) for h in found.names[p.id]]
        marks += [(h.start_s, p.id) for hs in found.points[p.id].values() for h in hs]
        # A price shared by two products says nothing about which one is on air.
        shared = {v for q in products if q.id != p.id for v in q.prices}
        marks += [(h.start_s, p.id) for h, v in found.prices[p.id] if v not in shared]
    marks.sort()
    times = [t for t, _ in marks]
    labels: list[str | None] = []
    current: str | None = None
    segs = transcript.segments
    order = [p.id for p in products]
    for i, seg in enumerate(segs):
        end = segs[i + 1].start if i + 1 < len(segs) else float("inf")
        counts: dict[str, int] = {}
        lo, hi = bisect.bisect_left(times, seg.start), bisect.bisect_left(times, end)
        for _, pid in marks[lo:hi]:
            counts[pid] = counts.get(pid, 0) + 1
        if counts:
            # Most marks wins; a tie keeps the product already on air, else the planned order.
            best = max(counts.values())
            tied = [pid for pid, c in counts.items() if c == best]
            current = current if current in tied else min(tied, key=order.index)
        labels.append(current)
    return labels


def _blocks(transcript: Transcript, labels: list[str | None]) -> list[tuple[str, float, float]]:
    """Consecutive segments about one product, as (product id, start, end) time spans."""
    blocks: list[tuple[str, float, float]] = []
    segs = transcript.segments
    for i, (seg, pid) in enumerate(zip(segs, labels, strict=True)):
        if pid is None:
            continue
        end = segs[i + 1].start if i + 1 < len(segs) else seg.end
        if (
            blocks
            and blocks[-1][0] == pid
            and abs(blocks[-1][2] - seg.start) < 1e-6
            or (blocks and blocks[-1][0] == pid and i > 0 and labels[i - 1] == pid)
        ):
            blocks[-1] = (pid, blocks[-1][1], end)
        else:
            blocks.append((pid, seg.start, end))
    return blocks
