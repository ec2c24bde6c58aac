"""The cue detector: what in the anchor's speech an audience reacts to, heard with the same
matcher, word lists and product cards as the coverage metrics.

``livelab record``'s simulated audience calls :meth:`CoverageCueDetector.detect` on every
few seconds of speech as it is transcribed; the ``interaction`` analyzer calls it once on
the whole transcript. Sharing the matcher means a viewer in the rehearsal and the scorecard
afterwards agree on whether the price or a call to action was said.

What each kind of :class:`livelab.Cue` holds:

- ``product``: a product's name or alias; ``text`` is the words as recognised.
- ``selling_point``: ``text`` is the selling point's ``id`` on the card (stable, so an
  audience can count each point once; the label is on the card).
- ``price``: the product's regular or promotion price said (not the original price: "it
  was $29.99" does not tell a viewer what to pay); ``text`` is the words as recognised.
- ``promotion``: the card's promotion terms, its promotion price, or a generic promotion
  phrase (``phrases/promotion_*.txt``).
- ``cta``: a call to action (``phrases/cta_*.txt``), merged as the coverage metric merges
  them (appeals closer than ``cta_merge_s`` are one).
- ``size``, ``shipping``: keywords of ``phrases/size_*.txt`` and ``phrases/shipping_*.txt``
  said word for word (sizes with a unit only after a number: "750 ml").

``product`` is the card's id when the cue names it, else the product on air at that moment
(as the coverage metrics attribute calls to action), else ``None``. Without product cards
only the product-independent kinds are found: generic promotion, cta, size, shipping.
"""

from __future__ import annotations

from collections.abc import Sequence

from livelab import Cue, Transcript
from livelab_coverage import phrases
from livelab_coverage.match import LIST_HOMOPHONES, Hit, PhraseIndex, TimedText, keyword_hits
from livelab_coverage.measure import (
    CoverageOptions,
    calls_to_action,
    find_products,
    owner_of,
    product_blocks,
    promotion_hits,
    stated_prices,
)
from livelab_coverage.products import Product


class CoverageCueDetector:
    """Finds :class:`livelab.Cue` s in a transcript (a few seconds of it, or all of it).

    Built once per take: the word lists are loaded here, and ``detect`` does only the
    matching, so it keeps up with live transcription on a laptop that is also encoding
    video (about 5–10 ms for a 5–10 s chunk; see the README).
    """

    def __init__(
        self,
        products: Sequence[Product] = (),
        language: str = "en",
        options: CoverageOptions | None = None,
    ):
        self.products = tuple(products)
        self.language = language
        self.options = options or CoverageOptions()
        self._promotion_terms = phrases.load("promotion", language).terms
        self._size = phrases.load("size", language)
        self._shipping = phrases.load("shipping", language)
        # Loaded now so the first live call pays for no file reading.
        phrases.load("cta", language)

    def detect(self, transcript: Transcript) -> list[Cue]:
        """Every cue in ``transcript``, earliest first (several kinds may share a moment:
        "free shipping" is both a promotion and an answer about shipping)."""
        text = TimedText.from_transcript(transcript, self.language)
        if not text.tokens:
            return []
        index = PhraseIndex(text, self.options.match)
        found: list[tuple[Hit, str, str | None, str]] = []  # hit, kind, product, text

        owner = owner_of([])  # no product on air
        if self.products:
            hits = find_products(index, self.products)
            owner = owner_of(product_blocks(transcript, text, self.products, hits))
            for p in self.products:
                found += [(h, "product", p.id, "") for h in hits.names[p.id]]
                for point_id, point_hits in hits.points[p.id].items():
                    found += [(h, "selling_point", p.id, point_id) for h in point_hits]
                found += [(h, "price", p.id, "") for h in stated_prices(p, hits)]
                found += [(h, "promotion", p.id, "") for h in promotion_hits(p, hits)]
        for kind, kind_hits in (
            ("promotion", index.find_any(self._promotion_terms, homophones=LIST_HOMOPHONES)),
            ("cta", calls_to_action(index, self.language, self.options)),
            ("size", keyword_hits(text, self._size)),
            ("shipping", keyword_hits(text, self._shipping)),
        ):
            found += [(h, kind, owner(h.start_s), "") for h in kind_hits]

        cues: list[Cue] = []
        promotions: list[Hit] = []
        # A product's own promotion terms come first: "free shipping today" on the card and
        # "free shipping" in the generic list are one promotion, about that product.
        for h, kind, product, label in found:
            if kind == "promotion":
                if any(h.first <= o.last and o.first <= h.last for o in promotions):
                    continue
                promotions.append(h)
            cues.append(Cue(h.start_s, kind, product, label or text.quote(h.first, h.last)))
        cues.sort(key=lambda c: (c.t, c.kind))
        return cues
