"""Export of the catalog as JSON Lines, the input of the catalog index builder.

One object per product, ordered by id, with a fixed set of keys
(``EXPORT_KEYS``); the index builder and its tests read exactly these, so add a
key here only together with them.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

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
    so it can be compared or cached by hash.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    query = select(Product).order_by(Product.id).options(selectinload(Product.variants))
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for product in session.scalars(query):
            out.write(json.dumps(product_record(product), ensure_ascii=False) + "\n")
            count += 1
    logger.info("Exported %d products to %s", count, path)
    return count


def product_record(product: Product) -> dict[str, Any]:
    """The export object of one product, keys in ``EXPORT_KEYS`` order."""
    variants = sorted(product.variants, key=_generated_order)
    sizes = sorted({variant.size for variant in variants}, key=size_sort_key)
    return {
        "id": product.id,
        "title": product.title,
        "description": product.description,
        "brand": product.brand,
        "category": product.category,
        "price": float(product.price),
        "currency": product.currency,
        "rating": product.rating,
        "rating_count": product.rating_count,
        "image_url": product.image_url,
        "colours": product.colours,
        "sizes": sizes,
        "in_stock": any(variant.stock > 0 for variant in variants),
        "variants": [
            {"sku": v.sku, "colour": v.colour, "size": v.size, "stock": v.stock} for v in variants
        ],
    }


def _generated_order(variant: ProductVariant) -> tuple[int, tuple[int, str]]:
    """Colour by colour, each colour's sizes small to large, as generated."""
    colour_rank = PALETTE.index(variant.colour) if variant.colour in PALETTE else len(PALETTE)
    return colour_rank, size_sort_key(variant.size)
