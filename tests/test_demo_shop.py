"""Tests of the demo shop generator and its JSONL export.

The default-size shop is generated once for the module (about two seconds) and
shared by the read-only tests; tests that need another shop use small sizes.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session, selectinload

from aisle.demo import EXPORT_KEYS, DemoSummary, export_products_jsonl, generate_shop, personas
from aisle.demo.products import size_sort_key
from aisle.demo.vocabulary import ARCHETYPES, SIZE_ORDER
from aisle.models import (
    Base,
    Customer,
    Order,
    OrderItem,
    Product,
    ProductVariant,
    Refund,
    ReturnItem,
    ReturnRequest,
    Shipment,
    ShipmentEvent,
)

TODAY = dt.date(2025, 6, 1)
NOW = dt.datetime(2025, 6, 1)
SMALL = {"n_products": 150, "n_customers": 40, "n_orders": 120}
TABLES = (
    Product,
    ProductVariant,
    Customer,
    Order,
    OrderItem,
    Shipment,
    ShipmentEvent,
    ReturnRequest,
    ReturnItem,
    Refund,
)
TRACKING_FORMATS = {
    "UPS": r"1Z[A-Z0-9]{6}\d{10}",
    "FedEx": r"[1-9]\d{11}",
    "USPS": r"9400\d{18}",
    "DHL": r"\d{10}",
}


@dataclass
class Shop:
    session: Session
    summary: DemoSummary
    export: Path


def _new_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    return engine


def _generate(folder: Path, **options: Any) -> tuple[Engine, Session, DemoSummary, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    engine = _new_engine(folder / "shop.db")
    session = Session(engine)
    summary = generate_shop(session, **{"seed": 42, "today": TODAY, **options})
    session.commit()
    export = folder / "export" / "products.jsonl"
    export_products_jsonl(session, export)
    return engine, session, summary, export


def _dump(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every demo table, in primary-key order."""
    dump = {}
    for model in TABLES:
        table = Base.metadata.tables[model.__tablename__]
        rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
        dump[table.name] = [tuple(row) for row in rows]
    return dump


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """The default-size shop for seed 42 and ``TODAY``; read-only for the tests."""
    engine, session, summary, export = _generate(tmp_path_factory.mktemp("default-shop"))
    yield Shop(session, summary, export)
    session.close()
    engine.dispose()


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh, empty SQLite shop database."""
    engine = _new_engine(tmp_path / "fresh.db")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def orders(shop: Shop) -> list[Order]:
    """Every order of the default shop, children loaded up front."""
    return _orders(shop)


def _orders(shop: Shop) -> list[Order]:
    """Every order with its items, parcels, scans, returns and refunds loaded up front."""
    query = (
        select(Order)
        .order_by(Order.id)
        .options(
            selectinload(Order.items),
            selectinload(Order.shipments).selectinload(Shipment.events),
            selectinload(Order.returns),
            selectinload(Order.refunds),
        )
    )
    return list(shop.session.scalars(query))


def _order(shop: Shop, number: str) -> Order:
    return shop.session.scalars(select(Order).where(Order.number == number)).one()


# --- Size and determinism ----------------------------------------------------


def test_default_shop_meets_the_promised_sizes(shop: Shop) -> None:
    counts = shop.summary.as_dict()
    assert counts["products"] >= 2000
    assert counts["customers"] >= 500
    assert counts["orders"] >= 2000
    assert counts["variants"] > counts["products"]
    assert counts["shipments"] > 0 and counts["returns"] > 0 and counts["refunds"] > 0
    assert list(counts) == [
        "products",
        "variants",
        "customers",
        "orders",
        "shipments",
        "returns",
        "refunds",
    ]


def test_summary_matches_the_database(shop: Shop) -> None:
    def count(model: type[Base]) -> int:
        return shop.session.scalar(select(func.count()).select_from(model)) or 0

    assert shop.summary == DemoSummary(
        products=count(Product),
        variants=count(ProductVariant),
        customers=count(Customer),
        orders=count(Order),
        shipments=count(Shipment),
        returns=count(ReturnRequest),
        refunds=count(Refund),
    )


def test_same_seed_and_day_give_identical_shops(shop: Shop, tmp_path: Path) -> None:
    engine, session, summary, export = _generate(tmp_path)
    try:
        assert summary == shop.summary
        assert export.read_bytes() == shop.export.read_bytes()
        assert _dump(session) == _dump(shop.session)
    finally:
        session.close()
        engine.dispose()


def test_another_seed_gives_another_shop(tmp_path: Path) -> None:
    *_, first = _generate(tmp_path / "a", **SMALL)
    *_, second = _generate(tmp_path / "b", **SMALL, seed=7)
    assert first.read_bytes() != second.read_bytes()


def test_timestamps_follow_today_and_nothing_else(tmp_path: Path) -> None:
    """Moving ``today`` moves every instant by the same amount: no clock is read."""
    shift = dt.timedelta(days=10)
    engine_a, early, *_ = _generate(tmp_path / "a", **SMALL)
    engine_b, late, *_ = _generate(tmp_path / "b", **SMALL, today=TODAY + shift)
    try:

        def shifted(value: Any) -> Any:
            return value + shift if isinstance(value, dt.date) else value

        early_dump, late_dump = _dump(early), _dump(late)
        for table, rows in early_dump.items():
            assert [tuple(shifted(v) for v in row) for row in rows] == late_dump[table], table
    finally:
        for session, engine in ((early, engine_a), (late, engine_b)):
            session.close()
            engine.dispose()


def test_refuses_a_database_that_is_not_empty(engine: Engine) -> None:
    with Session(engine) as session:
        generate_shop(session, today=TODAY, **SMALL)
        with pytest.raises(ValueError, match="empty database"):
            generate_shop(session, today=TODAY, **SMALL)


def test_rejects_sizes_too_small_for_the_personas(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(ValueError, match="n_orders"):
        generate_shop(session, today=TODAY, n_products=50, n_customers=10, n_orders=3)


# --- Orders, shipments, returns ----------------------------------------------


def test_order_totals_equal_their_items(shop: Shop, orders: list[Order]) -> None:
    for order in orders:
        assert 1 <= len(order.items) <= 4
        assert order.total == sum(item.unit_price * item.quantity for item in order.items)


def test_items_copy_their_variant(shop: Shop) -> None:
    rows = shop.session.execute(
        select(OrderItem, ProductVariant, Product)
        .join(ProductVariant, OrderItem.sku == ProductVariant.sku)
        .join(Product, OrderItem.product_id == Product.id)
    ).all()
    assert rows
    for item, variant, product in rows:
        assert (item.colour, item.size) == (variant.colour, variant.size)
        assert (item.title, item.unit_price) == (product.title, product.price)
    final_sale_share = sum(item.final_sale for item, _, _ in rows) / len(rows)
    assert 0.04 < final_sale_share < 0.12


def test_orders_are_numbered_in_the_order_they_were_placed(shop: Shop, orders: list[Order]) -> None:
    numbers = [int(order.number) for order in orders]
    assert numbers == list(range(10001, 10001 + len(orders)))
    generated = [o for o in orders if int(o.number) >= personas.FIRST_GENERATED_ORDER_NUMBER]
    assert [o.placed_at for o in generated] == sorted(o.placed_at for o in generated)
    assert NOW - dt.timedelta(days=181) < generated[0].placed_at
    assert generated[-1].placed_at < NOW


def test_statuses_have_the_promised_mix(shop: Shop, orders: list[Order]) -> None:
    statuses = collections.Counter(order.status for order in orders)
    assert set(statuses) == {"delivered", "shipped", "processing", "cancelled"}
    assert statuses["delivered"] > len(orders) / 2
    shipments = collections.Counter(s.status for o in orders for s in o.shipments)
    assert set(shipments) == {"delivered", "in_transit", "delayed", "label_created"}
    partial = [
        o for o in orders if sorted(s.status for s in o.shipments) == ["delivered", "in_transit"]
    ]
    assert len(partial) > 1 and all(o.status == "shipped" for o in partial)
    returns = collections.Counter(r.status for r in shop.session.scalars(select(ReturnRequest)))
    assert set(returns) == {"requested", "received", "refunded", "rejected"}
    assert 0.03 < sum(returns.values()) / statuses["delivered"] < 0.09
    refunds = collections.Counter(r.status for r in shop.session.scalars(select(Refund)))
    assert set(refunds) == {"pending", "approved", "paid"}


def test_order_status_agrees_with_its_shipments(shop: Shop, orders: list[Order]) -> None:
    today = NOW.date()
    for order in orders:
        kinds = sorted(s.status for s in order.shipments)
        assert order.placed_at < NOW
        if order.status == "cancelled":
            assert kinds == [] and order.cancelled_at is not None
            assert order.placed_at < order.cancelled_at < NOW
            continue
        assert order.cancelled_at is None
        if order.status == "processing":
            assert kinds in ([], ["label_created"])
        elif order.status == "delivered":
            assert kinds and set(kinds) == {"delivered"}
        else:
            assert {"in_transit", "delayed"} & set(kinds)
        for shipment in order.shipments:
            if shipment.status == "in_transit":
                assert (
                    shipment.estimated_delivery is not None and shipment.estimated_delivery >= today
                )
            if shipment.status == "delayed":
                assert (
                    shipment.estimated_delivery is not None and shipment.estimated_delivery < today
                )
                assert NOW - shipment.events[-1].occurred_at >= dt.timedelta(days=3)


def test_shipments_have_plausible_tracking_and_scans(shop: Shop) -> None:
    shipments = list(shop.session.scalars(select(Shipment).options(selectinload(Shipment.events))))
    assert len({s.tracking_number for s in shipments}) == len(shipments)
    for shipment in shipments:
        assert re.fullmatch(TRACKING_FORMATS[shipment.carrier], shipment.tracking_number)
        assert shipment.tracking_url.startswith("https://")
        assert shipment.tracking_url.endswith(shipment.tracking_number)
        times = [event.occurred_at for event in shipment.events]
        assert times == sorted(set(times)) and times[-1] < NOW
        assert all(re.fullmatch(r"[A-Za-z .]+, [A-Z]{2}", e.location) for e in shipment.events)
        if shipment.status == "label_created":
            assert shipment.shipped_at is None and len(times) == 1
            continue
        assert 2 <= len(times) <= 6
        assert times[0] == shipment.shipped_at
        if shipment.status == "delivered":
            assert shipment.events[-1].description == "Delivered"
            assert times[-1] == shipment.delivered_at
        else:
            assert shipment.delivered_at is None


def test_returns_and_refunds_are_consistent(shop: Shop) -> None:
    returns = list(shop.session.scalars(select(ReturnRequest).order_by(ReturnRequest.id)))
    assert [r.rma_number for r in returns] == [f"RMA-{n:06d}" for n in range(1, len(returns) + 1)]
    for request in returns:
        order = request.order
        assert order.status == "delivered"
        delivered_at = max(s.delivered_at for s in order.shipments if s.delivered_at is not None)
        assert delivered_at < request.created_at < NOW
        assert request.created_at - delivered_at <= dt.timedelta(days=personas.RETURN_WINDOW_DAYS)
        items = {item.id: item for item in order.items}
        assert request.items and all(line.order_item_id in items for line in request.items)
        assert all(
            1 <= line.quantity <= items[line.order_item_id].quantity for line in request.items
        )
    for refund in shop.session.scalars(select(Refund)):
        assert refund.amount > 0 and refund.created_at < NOW
        assert (refund.status == "paid") == (refund.paid_at is not None)
        assert refund.paid_at is None or refund.created_at < refund.paid_at < NOW


def test_customers_have_unique_example_emails_and_us_postcodes(shop: Shop) -> None:
    customers = list(shop.session.scalars(select(Customer)))
    emails = [c.email for c in customers]
    assert len(set(emails)) == len(emails)
    for customer in customers:
        assert re.fullmatch(r"[a-z0-9._]+@example\.(com|org|net)", customer.email)
        assert re.fullmatch(r"\d{5}", customer.postcode)


# --- Personas ----------------------------------------------------------------


def test_demo_customer_is_the_first_customer(shop: Shop) -> None:
    alex = shop.session.get(Customer, 1)
    assert alex is not None
    assert (alex.name, alex.email, alex.postcode) == (
        personas.DEMO_CUSTOMER_NAME,
        personas.DEMO_CUSTOMER_EMAIL,
        personas.DEMO_CUSTOMER_POSTCODE,
    )
    assert sorted(o.number for o in alex.orders) == sorted(personas.DEMO_ORDERS.values())
    for order in alex.orders:
        assert order.shipping_address == personas.DEMO_CUSTOMER_ADDRESS
        assert order.shipping_postcode == personas.DEMO_CUSTOMER_POSTCODE


def test_demo_orders_tell_their_stories(shop: Shop) -> None:
    def order(key: str) -> Order:
        return _order(shop, personas.DEMO_ORDERS[key])

    delivered = order("delivered")
    assert delivered.status == "delivered" and [s.status for s in delivered.shipments] == [
        "delivered"
    ]
    assert any(item.final_sale for item in delivered.items)
    assert not all(item.final_sale for item in delivered.items)

    in_transit = order("in_transit")
    assert in_transit.status == "shipped" and [s.status for s in in_transit.shipments] == [
        "in_transit"
    ]
    assert in_transit.shipments[0].estimated_delivery == TODAY + dt.timedelta(days=2)

    delayed = order("delayed")
    assert delayed.status == "shipped" and [s.status for s in delayed.shipments] == ["delayed"]
    assert delayed.shipments[0].estimated_delivery == TODAY - dt.timedelta(days=3)
    assert (NOW - delayed.shipments[0].events[-1].occurred_at).days == 5

    processing = order("processing")
    assert processing.status == "processing" and processing.shipments == []

    cancelled = order("cancelled")
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None
    assert [(r.status, r.amount) for r in cancelled.refunds] == [("paid", cancelled.total)]

    returned = order("returned")
    assert returned.status == "delivered"
    assert [(r.rma_number, r.status) for r in returned.returns] == [
        (personas.DEMO_RETURN_RMA, "refunded")
    ]
    assert [(r.status, r.amount) for r in returned.refunds] == [("paid", returned.total)]

    partial = order("partially_shipped")
    assert partial.status == "shipped"
    assert [s.status for s in partial.shipments] == ["delivered", "in_transit"]


def test_other_customer_owns_only_their_orders(shop: Shop) -> None:
    sam = shop.session.scalars(
        select(Customer).where(Customer.email == personas.OTHER_CUSTOMER_EMAIL)
    ).one()
    assert sam.id == 2 and sam.postcode == personas.OTHER_CUSTOMER_POSTCODE
    assert sorted(o.number for o in sam.orders) == [
        personas.OTHER_CUSTOMER_ORDER,
        personas.OTHER_CUSTOMER_OLD_ORDER,
    ]
    request = sam.orders[0].returns[0]
    assert (request.rma_number, request.status) == (personas.OTHER_CUSTOMER_RMA, "requested")


# --- Catalog and export ------------------------------------------------------


def _exported(shop: Shop) -> list[dict[str, Any]]:
    return [json.loads(line) for line in shop.export.read_text(encoding="utf-8").splitlines()]


def test_export_has_exactly_the_agreed_keys(shop: Shop) -> None:
    records = _exported(shop)
    assert len(records) == shop.summary.products
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)
    assert records[0]["id"] == "P00001"
    for record in records:
        assert list(record) == list(EXPORT_KEYS)
        assert [list(v) for v in record["variants"]] == [["sku", "colour", "size", "stock"]] * len(
            record["variants"]
        )


def test_export_values_describe_the_products(shop: Shop) -> None:
    for record in _exported(shop):
        variants = record["variants"]
        assert record["image_url"] == f"/demo/images/{record['id']}.svg"
        assert record["currency"] == "USD"
        assert isinstance(record["price"], float) and f"{record['price']:.2f}"[-2:] in ("99", "00")
        assert 2.5 <= record["rating"] <= 5.0 and round(record["rating"], 1) == record["rating"]
        assert record["colours"] == sorted({v["colour"] for v in variants})
        assert 1 <= len(record["colours"]) <= 4
        assert record["sizes"] == sorted({v["size"] for v in variants}, key=size_sort_key)
        assert record["in_stock"] == any(v["stock"] > 0 for v in variants)
        for variant in variants:
            assert 0 <= variant["stock"] <= 40
            assert re.fullmatch(rf"{record['id']}-[A-Z]+-[A-Z0-9_]+", variant["sku"])


def test_catalog_has_four_departments_and_some_stock_outs(shop: Shop) -> None:
    records = _exported(shop)
    departments = collections.Counter(r["category"].split(" > ")[0] for r in records)
    assert set(departments) == {"Apparel", "Footwear", "Outdoor", "Home"}
    assert 0 < sum(not r["in_stock"] for r in records) < len(records) / 10
    stock = [v["stock"] for r in records for v in r["variants"]]
    assert 0.05 < stock.count(0) / len(stock) < 0.3


def test_descriptions_support_semantic_search(shop: Shop) -> None:
    """A query like "warm waterproof jacket for hiking" has clearly matching products."""
    matches = [
        r
        for r in _exported(shop)
        if "> Jackets >" in r["category"]
        and "waterproof" in r["description"].lower()
        and "warm" in r["description"].lower()
        and "hiking" in r["description"].lower()
    ]
    assert len(matches) >= 10
    for record in _exported(shop):
        sentences = re.findall(r"[.!?](?:\s|$)", record["description"])
        assert 2 <= len(sentences) <= 4, record["description"]


def test_every_size_scale_follows_the_master_size_order() -> None:
    for archetype in ARCHETYPES:
        for scale in archetype.size_scales:
            assert all(size in SIZE_ORDER for size in scale), archetype.category
            assert list(scale) == sorted(scale, key=size_sort_key), archetype.category


def test_export_creates_folders_and_counts(shop: Shop, tmp_path: Path) -> None:
    target = tmp_path / "nested" / "again" / "products.jsonl"
    assert export_products_jsonl(shop.session, target) == shop.summary.products
    assert target.read_bytes() == shop.export.read_bytes()
