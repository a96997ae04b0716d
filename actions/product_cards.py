"""Product cards, details and comparisons of the products a shopper is shown.

The index says which products; the database says what they cost and what is in
stock now (:func:`actions.shown_products.load_products` reads it on every call),
so a card never shows a stale price. Every card carries the buttons "More like
this" and "Details", whose payloads name the product, so a click needs no
guessing about which card was meant.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from actions.shown_products import ShownProduct

FOLLOWUP_INTENT = "product_followup"


def followup_payload(product_id: str, followup: str) -> str:
    """The payload of a card button: the follow-up intent with the product and what to do."""
    entities = json.dumps({"product_id": product_id, "followup": followup})
    return f"/{FOLLOWUP_INTENT}{entities}"


def card(product: ShownProduct) -> dict[str, Any]:
    """One carousel card, as the widget renders it (``type: product_cards``)."""
    return {
        "id": product.id,
        "title": product.title,
        "brand": product.brand,
        "price": float(product.price),
        "currency": product.currency,
        "rating": product.rating,
        "image_url": product.image_url,
        "url": f"/products/{product.id}",
        "in_stock": product.stock > 0,
        "colours": product.colours,
        "buttons": [
            {"title": "More like this", "payload": followup_payload(product.id, "similar")},
            {"title": "Details", "payload": followup_payload(product.id, "details")},
        ],
    }


def cards_message(products: Sequence[ShownProduct]) -> dict[str, Any]:
    """The custom payload of a carousel."""
    return {"type": "product_cards", "products": [card(product) for product in products]}


def sizes_in_stock(product: ShownProduct) -> dict[str, list[str]]:
    """Sizes with stock, by colour (colours with nothing in stock are left out)."""
    by_colour: dict[str, list[str]] = {}
    for variant in product.variants:
        if variant.stock > 0:
            by_colour.setdefault(variant.colour, []).append(variant.size)
    return {colour: _size_order(sizes) for colour, sizes in sorted(by_colour.items())}


def describe(product: ShownProduct) -> str:
    """A few lines a shopper reads before deciding: price, rating, colours, sizes in stock."""
    lines = [
        f"{product.title} by {product.brand}: {_money(product)}, "
        f"rated {product.rating:.1f}/5 ({product.rating_count} reviews).",
        _first_sentences(product.description),
    ]
    lines.append(stock_line(product))
    return "\n".join(line for line in lines if line)


def stock_line(product: ShownProduct) -> str:
    """ "In stock: black in S, M; blue in L." from the variants' stock now."""
    stock = sizes_in_stock(product)
    if not stock:
        return "It is out of stock in every colour and size right now."
    listing = "; ".join(f"{colour} in {', '.join(sizes)}" for colour, sizes in stock.items())
    return f"In stock: {listing}."


def comparison(products: Sequence[ShownProduct]) -> dict[str, Any]:
    """The custom payload of a side-by-side comparison (``type: product_comparison``)."""
    rows = [
        ("Price", [_money(product) for product in products]),
        ("Rating", [f"{product.rating:.1f} ({product.rating_count})" for product in products]),
        ("Brand", [product.brand for product in products]),
        (
            "Colours in stock",
            [", ".join(sizes_in_stock(product)) or "none" for product in products],
        ),
        (
            "Sizes in stock",
            [", ".join(_size_order(_all_sizes(product))) or "none" for product in products],
        ),
    ]
    return {
        "type": "product_comparison",
        "products": [card(product) for product in products],
        "rows": [{"label": label, "values": values} for label, values in rows],
    }


def compare_in_words(first: ShownProduct, second: ShownProduct) -> str:
    """One or two sentences on what differs most: price and rating."""
    parts = []
    difference = float(first.price - second.price)
    if abs(difference) >= 0.01:
        cheaper, dearer = (first, second) if difference < 0 else (second, first)
        parts.append(f"The {cheaper.title} is {_money_of(abs(difference), first.currency)} cheaper")
        parts[-1] += f" than the {dearer.title}."
    else:
        parts.append("They cost the same.")
    if abs(first.rating - second.rating) >= 0.1:
        better = first if first.rating > second.rating else second
        parts.append(f"The {better.title} is rated higher ({better.rating:.1f}/5).")
    return " ".join(parts)


def _all_sizes(product: ShownProduct) -> list[str]:
    return sorted({variant.size for variant in product.variants if variant.stock > 0})


_SIZE_RANK = {"XXS": 0, "XS": 1, "S": 2, "M": 3, "L": 4, "XL": 5, "XXL": 6}


def _size_order(sizes: Sequence[str]) -> list[str]:
    """Sizes as a shop lists them: XS before S before M, 8 before 10."""

    def key(size: str) -> tuple[int, float, str]:
        if size in _SIZE_RANK:
            return (0, _SIZE_RANK[size], size)
        try:
            return (1, float(size), size)
        except ValueError:
            return (2, 0.0, size)

    return sorted(dict.fromkeys(sizes), key=key)


def _money(product: ShownProduct) -> str:
    return _money_of(float(product.price), product.currency)


def _money_of(amount: float, currency: str) -> str:
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)
    return f"{symbol}{amount:,.2f}" if symbol else f"{amount:,.2f} {currency}"


def _first_sentences(text: str, limit: int = 220) -> str:
    """The description's opening, cut at a sentence end so it reads as written."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit)
    return text[: cut + 1] if cut > 0 else text[:limit].rstrip() + "…"
