"""Answers to "does this come in blue?" and "do you have it in size 10?", from live stock.

The answer is read off the product's variants in the shop database, so "yes" means
a variant of that colour (and size) is in stock now, "sold out" means it exists
with no stock, and "no" means the product never comes that way. A colour the whole
catalog lacks is still answered ("purple"): the common colour names are known here.

Example:
    >>> answer_question("does this come in blue?", product, vocabulary)  # doctest: +SKIP
    'Yes, the Trailhead Boot comes in Blue: in stock in 9, 10 and 11.'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from actions.shown_products import ShownProduct, ShownVariant
from catalog.filters import Vocabulary, parse_query

COMMON_COLOURS = frozenset(
    [
        "black",
        "white",
        "grey",
        "gray",
        "blue",
        "navy",
        "red",
        "green",
        "yellow",
        "orange",
        "pink",
        "purple",
        "brown",
        "beige",
        "olive",
        "teal",
        "burgundy",
        "khaki",
        "silver",
        "gold",
        "cream",
    ]
)


def answer_question(text: str, product: ShownProduct, vocabulary: Vocabulary) -> str | None:
    """Answers a colour and/or size question about ``product``; None when none is asked."""
    if text.startswith("/"):
        return None
    filters = parse_query(text, vocabulary).filters
    colours = {colour.lower() for colour in filters.colours} | _common_colours(text)
    sizes = set(filters.sizes)
    if not colours and not sizes:
        return None
    return " ".join(_answer_colour(product, colour, sizes) for colour in sorted(colours)) or (
        _answer_size(product, sizes)
    )


def _common_colours(text: str) -> set[str]:
    words = set(re.findall(r"[a-z]+", text.lower()))
    return {"grey" if word == "gray" else word for word in words & COMMON_COLOURS}


def _answer_colour(product: ShownProduct, colour: str, sizes: set[str]) -> str:
    variants = [v for v in product.variants if v.colour.lower() == colour]
    name = colour.capitalize()
    if not variants:
        others = ", ".join(sorted({v.colour for v in product.variants}))
        return f"No, the {product.title} doesn't come in {colour}; it comes in {others}."
    if sizes:
        variants = [v for v in variants if v.size in sizes]
        if not variants:
            return f"The {product.title} comes in {name}, but not in size {_either(sizes)}."
    stocked = _sizes_in_stock(variants)
    if not stocked:
        return f"The {product.title} comes in {name}, but that is sold out right now."
    return f"Yes, the {product.title} comes in {name}: in stock in {_listing(stocked)}."


def _answer_size(product: ShownProduct, sizes: set[str]) -> str:
    variants = [v for v in product.variants if v.size in sizes]
    if not variants:
        offered = _listing(sorted({v.size for v in product.variants}))
        return (
            f"No, the {product.title} doesn't come in size {_either(sizes)}; it comes in {offered}."
        )
    colours = sorted({v.colour for v in variants if v.stock > 0})
    if not colours:
        return f"Size {_either(sizes)} of the {product.title} is sold out right now."
    return f"Yes, size {_either(sizes)} of the {product.title} is in stock in {_listing(colours)}."


def _sizes_in_stock(variants: Sequence[ShownVariant]) -> list[str]:
    return [v.size for v in variants if v.stock > 0]


def _either(values: set[str]) -> str:
    return " or ".join(sorted(values))


def _listing(items: list[str]) -> str:
    items = list(dict.fromkeys(items))
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" and {items[-1]}"
