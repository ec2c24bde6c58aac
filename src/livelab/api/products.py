"""Product cards (``products.yaml``) as analyzers get them: read once by the core, with one
set of rules (:mod:`livelab.inputs.products`), and handed over in :class:`livelab.Signals`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from livelab.api.errors import LivelabError, Problem

#: What a product card may require the anchor to say.
MENTIONS = ("name", "price", "promotion", "call_to_action", "guarantee", "usage")
DEFAULT_MENTIONS = ("name", "price", "call_to_action")


@dataclass(frozen=True, slots=True)
class SellingPoint:
    """One thing that sells the product: a stable ``id``, how a report calls it, and the
    ways an anchor might say it (``phrasings``; at least the label)."""

    id: str
    label: str
    phrasings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Promotion:
    price: float | None = None
    terms: str = ""


@dataclass(frozen=True, slots=True)
class ProductCard:
    """One product card. ``image`` is resolved relative to the products file."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    price: float | None = None
    currency: str = ""
    original_price: float | None = None
    promotion: Promotion | None = None
    selling_points: tuple[SellingPoint, ...] = ()
    required_mentions: tuple[str, ...] = DEFAULT_MENTIONS
    planned_minutes: float | None = None
    image: Path | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """Every way the card says the product may be called."""
        return (self.name, *self.aliases)

    @property
    def prices(self) -> tuple[float, ...]:
        """Prices whose statement counts as "price stated" for this product."""
        found = [self.price, self.promotion.price if self.promotion else None, self.original_price]
        return tuple(p for p in found if p is not None)


@dataclass(frozen=True, slots=True)
class ProductsFile:
    """A session's products file as the core read it: its cards, or every problem found.

    An invalid file does not stop the analysis: each analyzer decides. :meth:`valid` raises
    the :class:`livelab.LivelabError` naming the file, the product and the key of each
    problem (the analyzer then fails with that message); ``cards`` is empty then.
    """

    path: Path
    cards: tuple[ProductCard, ...] = ()
    problems: tuple[Problem, ...] = ()

    def valid(self) -> tuple[ProductCard, ...]:
        """The cards; raises :class:`livelab.LivelabError` when the file is invalid."""
        if self.problems:
            raise LivelabError(self.problems)
        return self.cards
