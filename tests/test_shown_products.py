"""The shown products' read model (actions.shown_products) against the real demo shop.

What ``load_products`` returns is compared with what the ORM reads from the same
SQLite database, so the read model cannot drift from ``aisle.models``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import selectinload

from actions.shown_products import ShownProduct, ShownVariant, load_products
from aisle.database import get_engine, session_scope
from aisle.models import Product, ProductVariant

COLUMNS = (
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
)


@pytest.fixture(autouse=True)
def _shop(writable_demo_shop: str) -> Iterator[None]:
    """Every test here reads (and may write) a private copy of the seeded demo shop."""
    yield
    get_engine(writable_demo_shop).dispose()


def orm_products(ids: Sequence[str]) -> dict[str, Product]:
    with session_scope() as session:
        rows = session.scalars(
            select(Product).where(Product.id.in_(ids)).options(selectinload(Product.variants))
        ).all()
        session.expunge_all()
    return {product.id: product for product in rows}


def some_ids(count: int) -> list[str]:
    """Products with more than one colour first, so colours and stock have something to sum."""
    with session_scope() as session:
        colours = func.count(func.distinct(ProductVariant.colour))
        return list(
            session.scalars(
                select(ProductVariant.product_id)
                .group_by(ProductVariant.product_id)
                .order_by(colours.desc(), ProductVariant.product_id)
                .limit(count)
            )
        )


def test_products_come_in_the_order_of_the_ids_given() -> None:
    ids = some_ids(6)
    wanted = [ids[3], ids[0], ids[5], ids[1], ids[4], ids[2]]
    assert [product.id for product in load_products(wanted)] == wanted
    assert [product.id for product in load_products(tuple(reversed(wanted)))] == wanted[::-1]


def test_unknown_ids_are_skipped() -> None:
    first, second = some_ids(2)
    loaded = load_products(["no-such-product", first, "gone-too", second])
    assert [product.id for product in loaded] == [first, second]
    assert load_products(["no-such-product"]) == []


def test_no_ids_asks_the_database_nothing() -> None:
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(args[2])

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert load_products([]) == []
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements == []


def test_columns_and_variants_are_the_databases() -> None:
    ids = some_ids(10)
    orm = orm_products(ids)
    for product in load_products(ids):
        expected = orm[product.id]
        assert isinstance(product, ShownProduct)
        for column in COLUMNS:
            assert getattr(product, column) == getattr(expected, column), column
        assert isinstance(product.price, Decimal)
        assert product.variants == tuple(
            ShownVariant(v.sku, v.colour, v.size, v.stock) for v in expected.variants
        )
        skus = [variant.sku for variant in product.variants]
        assert skus == sorted(skus) and len(skus) > 1


def test_stock_and_colours_are_the_orm_models() -> None:
    ids = some_ids(10)
    orm = orm_products(ids)
    loaded = load_products(ids)
    assert len(loaded) == 10
    assert any(len(product.colours) > 1 for product in loaded)
    for product in loaded:
        assert product.stock == orm[product.id].stock
        assert product.colours == orm[product.id].colours


def test_a_product_without_variants_has_none() -> None:
    with session_scope() as session:
        session.add(
            Product(
                id="bare-1",
                title="Bare",
                description="Nothing to sell yet.",
                brand="Acme",
                category="Outdoor",
                price=Decimal("9.99"),
                currency="USD",
                rating=4.0,
                rating_count=1,
                image_url="/img/bare.jpg",
                created_at=dt.datetime(2026, 1, 1),
            )
        )
    (product,) = load_products(["bare-1"])
    assert product.variants == () and product.stock == 0 and product.colours == []


def test_a_stock_change_is_seen_by_the_next_load() -> None:
    (product_id,) = some_ids(1)
    (before,) = load_products([product_id])
    first = before.variants[0]
    with session_scope() as session:
        session.execute(
            update(ProductVariant)
            .where(ProductVariant.sku == first.sku)
            .values(stock=first.stock + 7)
        )
    (after,) = load_products([product_id])
    assert after.variants[0] == ShownVariant(first.sku, first.colour, first.size, first.stock + 7)
    assert after.stock == before.stock + 7


@pytest.mark.parametrize(
    "injected",
    [
        "x' OR '1'='1",
        "'); DROP TABLE products; --",
        '" OR 1=1 --',
    ],
)
def test_an_id_with_sql_in_it_is_just_unknown(injected: str) -> None:
    (real,) = some_ids(1)
    products_before = product_count()
    assert load_products([injected]) == []
    assert [product.id for product in load_products([injected, real])] == [real]
    assert product_count() == products_before > 1


def product_count() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Product)) or 0
