"""The products a shopper is shown (cards, details, comparisons, picks), as plain values.

A read-only view: the actions only read a shown product's columns and its
variants' stock, and never change or lazy-load anything, so they need no ORM
objects. Loading ``aisle.models.Product`` with ``selectinload(Product.variants)``
cost 1.9-2.1 ms p50 for 10 products and their ~115 variants on SQLite, where two
Core selects on the same tables take 0.41 ms p50; this fetch is part of every
search request, whose budget is 5 ms p50, so the 1.5 ms of ORM object loading is
not spent here. The database stays the source of truth: every call reads it
again (nothing is cached), so prices and stock are current.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal

from sqlalchemy import bindparam, select

from aisle.database import get_engine
from aisle.models import Product, ProductVariant

_PRODUCTS = Product.__table__
_VARIANTS = ProductVariant.__table__


@dataclass(frozen=True, slots=True)
class ShownVariant:
    """One colour and size of a shown product, with its stock when it was read."""

    sku: str
    colour: str
    size: str
    stock: int


@dataclass(frozen=True, slots=True)
class ShownProduct:
    """A product as the shopper sees it, with its variants ordered by sku."""

    id: str
    title: str
    description: str
    brand: str
    category: str
    price: Decimal
    currency: str
    rating: float
    rating_count: int
    image_url: str
    variants: tuple[ShownVariant, ...]

    @property
    def colours(self) -> list[str]:
        """Every colour the product comes in (stock or not), sorted."""
        return sorted({variant.colour for variant in self.variants})

    @property
    def stock(self) -> int:
        """Units in stock over all variants."""
        return sum(variant.stock for variant in self.variants)


# The view's own fields name the columns read, so the two cannot drift apart.
_PRODUCT_COLUMNS = tuple(
    _PRODUCTS.c[field.name] for field in fields(ShownProduct) if field.name != "variants"
)
_VARIANT_COLUMNS = (
    _VARIANTS.c.product_id,
    _VARIANTS.c.sku,
    _VARIANTS.c.colour,
    _VARIANTS.c.size,
    _VARIANTS.c.stock,
)

# Built once: the ids are an expanding parameter, so a call only binds them.
_PRODUCTS_BY_ID = select(*_PRODUCT_COLUMNS).where(
    _PRODUCTS.c.id.in_(bindparam("ids", expanding=True))
)
_VARIANTS_BY_PRODUCT = (
    select(*_VARIANT_COLUMNS)
    .where(_VARIANTS.c.product_id.in_(bindparam("ids", expanding=True)))
    .order_by(_VARIANTS.c.sku)
)


def load_products(product_ids: Sequence[str]) -> list[ShownProduct]:
    """Returns the products in the order of ``product_ids``, skipping ids the shop no longer has."""
    if not product_ids:
        return []
    ids = list(product_ids)
    with get_engine().connect() as connection:
        product_rows = connection.execute(_PRODUCTS_BY_ID, {"ids": ids}).all()
        variant_rows = connection.execute(_VARIANTS_BY_PRODUCT, {"ids": ids}).all()
    variants: dict[str, list[ShownVariant]] = {}
    for product_id, sku, colour, size, stock in variant_rows:
        variants.setdefault(product_id, []).append(ShownVariant(sku, colour, size, stock))
    by_id = {
        row.id: ShownProduct(**row._mapping, variants=tuple(variants.get(row.id, ())))
        for row in product_rows
    }
    return [by_id[product_id] for product_id in ids if product_id in by_id]
