"""Product cards (``products.yaml``): read once per session, validated with one set of
rules, every mistake explained by file, product and key.

The rules: a products file is a mapping with one key, ``products``: a non-empty list of
cards. Each card needs an ``id`` (unique in the file: analyzers, chat messages and
per-product scores refer to it), a ``name`` and at least one selling point (``id``,
``label``, ``phrasings``); ``image`` is a file inside the products file's folder. The
analysis, ``livelab record`` and its simulated audience all read cards through
:func:`read_products` / :func:`load_products`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livelab.api.errors import LivelabError, Problem
from livelab.api.products import (
    DEFAULT_MENTIONS,
    MENTIONS,
    ProductCard,
    ProductsFile,
    Promotion,
    SellingPoint,
)
from livelab.api.transcript import printable
from livelab.i18n import N_, _
from livelab.inputs.yamlfile import load_yaml

_PRODUCT_KEYS = frozenset(
    {
        "id",
        "name",
        "aliases",
        "price",
        "currency",
        "original_price",
        "promotion",
        "selling_points",
        "required_mentions",
        "planned_minutes",
        "image",
    }
)
_POINT_KEYS = frozenset({"id", "label", "phrasings"})
#: Caps that keep matching time bounded whatever a products file holds (10 000 cards took
#: 270 s on a 12 s clip; an 880 KB phrasing 51 s and 2 GB). A live room's rundown is a few
#: dozen products; a phrasing is what a person says in one breath.
MAX_PRODUCTS = 200
MAX_TEXT_CHARS = 200
MAX_LIST = 50
#: Largest product picture read (decoded it is width × height bytes, grey): 50 MP.
MAX_IMAGE_PIXELS = 50_000_000
_PROMOTION_KEYS = frozenset({"price", "terms"})


@dataclass(slots=True)
class _Checker:
    path: Path
    problems: list[Problem] = field(default_factory=list)

    def bad(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.path, message, key))


def load_products(path: Path | str) -> tuple[ProductCard, ...]:
    """Read and validate a products file; raise :class:`livelab.LivelabError` naming the
    file, the product and the key of every problem found."""
    path = Path(path)
    data, _raw = load_yaml(path)
    check = _Checker(path)
    if data is None:
        raise LivelabError(
            [Problem(path, _("is empty; expected a 'products:' list of product cards"))]
        )
    if isinstance(data, dict):
        unknown = sorted(set(data) - {"products"})
        for key in unknown:
            check.bad(str(key), _("unknown key (a products file has one key, 'products')"))
        items = data.get("products")
    else:
        items = None
        check.bad(
            "products", _("the file must be a mapping with a 'products:' list, not {kind}").format(
                kind=_kind(data))
        )
    if items is None and not check.problems:
        check.bad("products", _("missing; expected a 'products:' list of product cards"))
    elif items is not None and not isinstance(items, list):
        check.bad("products", _("must be a list of product cards, not {kind}").format(
            kind=_kind(items)))
    elif isinstance(items, list) and not items:
        check.bad("products", _("is empty; list at least one product card"))
    elif isinstance(items, list) and len(items) > MAX_PRODUCTS:
        raise LivelabError([Problem(path, _(
            "has {n} product cards; a session may list at most {most}"
        ).format(n=len(items), most=MAX_PRODUCTS), "products")])
    products: list[ProductCard] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items if isinstance(items, list) else []):
        product = _product(check, f"products[{i}]", item, path.parent)
        if product is None:
            continue
        if product.id in seen:
            check.bad(
                f"products[{i}].id",
                _("duplicate product id {id} (also products[{n}])").format(
                    id=repr(product.id), n=seen[product.id]),
            )
        seen.setdefault(product.id, i)
        products.append(product)
    if check.problems:
        raise LivelabError(check.problems)
    return tuple(products)


def _kind(value: Any) -> str:
    names = {dict: N_("a mapping"), list: N_("a list"), bool: N_("true/false"),
             int: N_("a number"), float: N_("a number"), str: N_("text"),
             type(None): N_("nothing")}  # fmt: skip
    return _(names[type(value)]) if type(value) in names else type(value).__name__


def _product(check: _Checker, key: str, item: Any, folder: Path) -> ProductCard | None:
    if not isinstance(item, dict):
        check.bad(key, _("a product card must be a mapping of keys, not {kind}").format(
            kind=_kind(item)))
        return None
    raw_id = item.get("id")
    label = (_("product {id}").format(id=repr(raw_id)) if isinstance(raw_id, str)
             and raw_id.strip() else key)  # fmt: skip
    before = len(check.problems)

    def bad(sub: str, message: str) -> None:
        check.bad(f"{key}.{sub}" if sub else key, _("{product}: {message}").format(
            product=label, message=message))

    for unknown in sorted(set(map(str, item)) - _PRODUCT_KEYS):
        bad(unknown, _("unknown key (known: {keys})").format(keys=", ".join(sorted(_PRODUCT_KEYS))))
    pid = _text(bad, item, "id", required=True)
    name = _text(bad, item, "name", required=True)
    aliases = _texts(bad, item, "aliases")
    price = _number(bad, item, "price")
    original = _number(bad, item, "original_price")
    currency = _text(bad, item, "currency")
    planned = _number(bad, item, "planned_minutes")
    if planned is not None and planned <= 0:
        bad("planned_minutes", _("must be more than 0"))
    promotion = None
    promo = item.get("promotion")
    if promo is not None:
        if isinstance(promo, str):
            promotion = Promotion(terms=promo)
        elif not isinstance(promo, dict):
            bad("promotion", _("must be a mapping with 'price' and/or 'terms', not {kind}").format(
                kind=_kind(promo)))
        else:
            for unknown in sorted(set(map(str, promo)) - _PROMOTION_KEYS):
                bad(f"promotion.{unknown}", _("unknown key (known: {keys})").format(
                    keys="price, terms"))

            def pbad(sub: str, message: str) -> None:
                bad(f"promotion.{sub}", message)

            promotion = Promotion(_number(pbad, promo, "price"), _text(pbad, promo, "terms"))
    mentions: tuple[str, ...] = DEFAULT_MENTIONS
    if "required_mentions" in item:
        raw = _texts(bad, item, "required_mentions")
        for j, m in enumerate(raw):
            if m not in MENTIONS:
                bad(
                    f"required_mentions[{j}]",
                    _("unknown mention {mention} (known: {known})").format(
                        mention=repr(m), known=", ".join(MENTIONS)),
                )
        mentions = tuple(dict.fromkeys(raw))
    if "price" in mentions and price is None and (promotion is None or promotion.price is None):
        bad("price", _("required_mentions lists 'price' but the card gives no price"))
    if "promotion" in mentions and promotion is None:
        bad("promotion", _("required_mentions lists 'promotion' but the card has no promotion"))
    points = _points(bad, item.get("selling_points"))
    image = None
    if item.get("image") is not None:
        image = _image(bad, item["image"], folder)
    if len(check.problems) > before:
        return None
    return ProductCard(
        pid, name, aliases, price, currency, original, promotion, points, mentions, planned, image
    )


def _points(bad: Any, raw: Any) -> tuple[SellingPoint, ...]:
    if raw is None:
        bad("selling_points", _("missing; list the product's selling points (id, label, "
                                "phrasings)"))
        return ()
    if not isinstance(raw, list):
        bad("selling_points", _("must be a list of selling points, not {kind}").format(
            kind=_kind(raw)))
        return ()
    if not raw:
        bad("selling_points", _("is empty; a product needs at least one selling point"))
    points: list[SellingPoint] = []
    ids: dict[str, int] = {}
    for j, sp in enumerate(raw):
        where = f"selling_points[{j}]"
        if not isinstance(sp, dict):
            bad(where, _("a selling point must be a mapping (id, label, phrasings), not {kind}")
                .format(kind=_kind(sp)))
            continue

        def spbad(sub: str, message: str, where: str = where) -> None:
            bad(f"{where}.{sub}", message)

        for unknown in sorted(set(map(str, sp)) - _POINT_KEYS):
            spbad(unknown, _("unknown key (known: {keys})").format(keys="id, label, phrasings"))
        sid = _text(spbad, sp, "id", required=True)
        label = _text(spbad, sp, "label") or sid
        phrasings = _texts(spbad, sp, "phrasings") or ((label,) if label else ())
        if "phrasings" in sp and not phrasings and isinstance(sp["phrasings"], list):
            spbad("phrasings", _("is empty; give at least one way a person might say it"))
        if sid in ids:
            spbad("id", _("duplicate selling point id {id} (also selling_points[{n}])").format(
                id=repr(sid), n=ids[sid]))
        ids.setdefault(sid, j)
        points.append(SellingPoint(sid, label, phrasings))
    return tuple(points)


def _image(bad: Any, raw: Any, folder: Path) -> Path | None:
    if not isinstance(raw, str) or not raw.strip():
        bad("image", _("must be a file path relative to the products file, not {kind}").format(
            kind=_kind(raw)))
        return None
    candidate = Path(raw)
    if candidate.is_absolute():
        bad("image", _("{path} is absolute; give a path relative to the products file").format(
            path=repr(raw)))
        return None
    target = (folder / candidate).resolve()
    if not target.is_relative_to(folder.resolve()):
        bad("image", _("{path} points outside the products file's folder").format(path=repr(raw)))
        return None
    if not target.is_file():
        bad("image", _("file {path} does not exist").format(path=repr(raw)))
        return None
    size = image_size(target)
    if size is not None and size[0] * size[1] > MAX_IMAGE_PIXELS:
        bad("image", _("{path} is {width}×{height} pixels; a product picture may have at most "
                       "{most} million (resize it)").format(
            path=repr(raw), width=size[0], height=size[1], most=MAX_IMAGE_PIXELS // 1_000_000))
        return None
    return target


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG's or JPEG's header, without decoding it; None for other
    formats or a header that cannot be read (the decoder's own limit then applies)."""
    import struct

    try:
        with path.open("rb") as f:
            head = f.read(32)
            if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
                w, h = struct.unpack(">II", head[16:24])
                return int(w), int(h)
            if head[:2] != b"\xff\xd8":
                return None
            f.seek(2)
            for _segment in range(1000):  # segments before the frame header
                marker = f.read(2)
                if len(marker) < 2 or marker[0] != 0xFF:
                    return None
                if marker[1] in (0xD8, 0x01) or 0xD0 <= marker[1] <= 0xD7:
                    continue
                (length,) = struct.unpack(">H", f.read(2))
                if 0xC0 <= marker[1] <= 0xCF and marker[1] not in (0xC4, 0xC8, 0xCC):
                    h, w = struct.unpack(">xHH", f.read(5))
                    return int(w), int(h)
                f.seek(length - 2, 1)
    except (OSError, struct.error):
        return None
    return None


def _text(bad: Any, item: dict, key: str, required: bool = False) -> str:
    value = item.get(key)
    if value is None:
        if required:
            bad(key, _("missing (required)"))
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        bad(key, _("must be text, not {kind}").format(kind=_kind(value)))
        return ""
    if len(str(value)) > MAX_TEXT_CHARS:
        bad(key, _("is {n} characters long; at most {most}").format(n=len(str(value)),
                                                                    most=MAX_TEXT_CHARS))
        return ""
    text = printable(str(value)).strip()
    if required and not text:
        bad(key, _("is empty"))
    return text


def _texts(bad: Any, item: dict, key: str) -> tuple[str, ...]:
    value = item.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]  # a single phrasing written without brackets
    if not isinstance(value, list):
        bad(key, _("must be a list of text, not {kind}").format(kind=_kind(value)))
        return ()
    if len(value) > MAX_LIST:
        bad(key, _("has {n} entries; at most {most}").format(n=len(value), most=MAX_LIST))
        return ()
    out: list[str] = []
    for j, v in enumerate(value):
        if isinstance(v, bool) or not isinstance(v, str | int | float) or not str(v).strip():
            bad(f"{key}[{j}]", _("must be non-empty text, not {kind}").format(kind=_kind(v)))
        elif len(str(v)) > MAX_TEXT_CHARS:
            bad(f"{key}[{j}]", _("is {n} characters long; at most {most}").format(
                n=len(str(v)), most=MAX_TEXT_CHARS))
        else:
            out.append(printable(str(v)).strip())
    return tuple(out)


def _number(bad: Any, item: dict, key: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        bad(key, _("must be a number, not {kind} ({value})").format(kind=_kind(value),
                                                                    value=repr(value)))
        return None
    if value < 0:
        bad(key, _("must not be negative"))
        return None
    return float(value)


def read_products(path: Path | str) -> ProductsFile:
    """The products file at ``path`` as analyzers get it: the cards, or, when the file is
    invalid, every problem found (never raises for a user's mistake)."""
    path = Path(path)
    try:
        return ProductsFile(path, load_products(path))
    except LivelabError as exc:
        return ProductsFile(path, (), tuple(exc.problems))
