"""Export of the catalog as JSON Lines, the input of the catalog index builder.

One object per product, ordered by id, with a fixed set of keys
(``EXPORT_KEYS``); the index builder and its tests read exactly these, so add a
key here only together with them.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import RowMapping, select
from sqlalchemy.orm import Session

from aisle.demo.products import size_sort_key
from aisle.demo.vocabulary import PALETTE
from aisle.models import Product, ProductVariant

logger = logging.getLogger(__name__)

EXPORT_KEYS = (
    "id",
    "title",
    "description",
    "brand",
    "category",
    "price",
    "currency",
    "rating",
    "rating_count",
    "image_url",
    "colours",
    "sizes",
    "in_stock",
    "variants",
)


def export_products_jsonl(session: Session, path: str | Path) -> int:
    """Writes every product as one JSON line to ``path``; returns how many.

    Creates the parent folders. The file is byte-identical for identical data,
    so it can be compared or cached by hash. Reads plain rows, not ORM objects:
    the catalog has tens of thousands of variants.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    variants = _variants_by_product(session)
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for product in session.execute(select(*PRODUCT_COLUMNS).order_by(Product.id)).mappings():
            record = product_record(product, variants.get(product["id"], []))
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    logger.info("Exported %d products to %s", count, path)
    return count


def product_record(product: RowMapping, variants: Sequence[RowMapping]) -> dict[str, Any]:
    """The export object of one product, keys in ``EXPORT_KEYS`` order.

    ``product`` has the product's columns; ``variants`` its variants' columns.
    """
    ordered = sorted(variants, key=_generated_order)
    return {
        "id": product["id"],
        "title": product["title"],
        "description": product["description"],
        "brand": product["brand"],
        "category": product["category"],
        "price": float(product["price"]),
        "currency": product["currency"],
        "rating": product["rating"],
        "rating_count": product["rating_count"],
        "image_url": product["image_url"],
        "colours": sorted({v["colour"] for v in ordered}),
        "sizes": sorted({v["size"] for v in ordered}, key=size_sort_key),
        "in_stock": any(v["stock"] > 0 for v in ordered),
        "variants": [
            {"sku": v["sku"], "colour": v["colour"], "size": v["size"], "stock": v["stock"]}
            for v in ordered
        ],
    }


PRODUCT_COLUMNS = (
    Product.id,
    Product.title,
    Product.description,
    Product.brand,
    Product.category,
    Product.price,
    Product.currency,
    Product.rating,
    Product.rating_count,
    Product.image_url,
)


def _variants_by_product(session: Session) -> dict[str, list[RowMapping]]:
    query = select(
        ProductVariant.product_id,
        ProductVariant.sku,
        ProductVariant.colour,
        ProductVariant.size,
        ProductVariant.stock,
    )
    by_product: dict[str, list[RowMapping]] = defaultdict(list)
    for variant in session.execute(query).mappings():
        by_product[variant["product_id"]].append(variant)
    return by_product


def _generated_order(variant: RowMapping) -> tuple[int, tuple[int, str]]:
    """Colour by colour, each colour's sizes small to large, as generated."""
    colour = variant["colour"]
    colour_rank = PALETTE.index(colour) if colour in PALETTE else len(PALETTE)
    return colour_rank, size_sort_key(variant["size"])
