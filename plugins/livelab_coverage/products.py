"""Product cards as the coverage plugin uses them.

The core reads ``products.yaml`` once, with one set of rules, and hands the cards to
analyzers (:attr:`livelab.Signals.products`); the types and the loader are livelab's
(:class:`livelab.ProductCard`, :func:`livelab.load_products`) and are re-exported here
under the names this plugin has always used.
"""

from __future__ import annotations

from collections.abc import Sequence

from livelab import DEFAULT_MENTIONS, MENTIONS, Promotion, SellingPoint, load_products
from livelab import ProductCard as Product

__all__ = [
    "DEFAULT_MENTIONS",
    "MENTIONS",
    "Product",
    "Promotion",
    "SellingPoint",
    "load_products",
    "vocabulary",
]


def vocabulary(products: Sequence[Product], limit: int = 40) -> list[str]:
    """Words to bias the recogniser with (faster-whisper ``hotwords`` / ``initial_prompt``):
    brand names first — what a small model mangles most — then selling-point phrasings."""
    words: dict[str, None] = {}
    for p in products:
        for name in p.names:
            words.setdefault(name)
    for p in products:
        for sp in p.selling_points:
            for phrase in sp.phrasings[:2]:
                words.setdefault(phrase)
    return list(words)[:limit]
