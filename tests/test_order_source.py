"""Ownership checks and order reads, on SQLite and on the local PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect, select

from aisle import migrate
from aisle.database import get_engine, session_scope
from aisle.demo import generate_shop
from aisle.demo.personas import (
    DEMO_CUSTOMER_EMAIL,
    DEMO_ORDERS,
    DEMO_RETURN_RMA,
    OTHER_CUSTOMER_EMAIL,
    OTHER_CUSTOMER_ORDER,
)
from aisle.models import Customer, Order
from aisle.order_source import OrderSourceError, OrderSummary, SqlOrderSource

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def small_shop(database_url: str) -> str:
    with session_scope(database_url) as session:
        generate_shop(session, seed=7, today=TODAY, n_products=60, n_customers=30, n_orders=80)
    return database_url


def test_owner_is_verified_by_number_and_email(small_shop: str) -> None:
    source = SqlOrderSource(small_shop)
    assert source.verify_owner(DEMO_ORDERS["delivered"], DEMO_CUSTOMER_EMAIL)
    assert source.verify_owner(f" #{DEMO_ORDERS['delivered']}", f" {DEMO_CUSTOMER_EMAIL.upper()} ")


@pytest.mark.parametrize(
    "number, email",
    [
        (DEMO_ORDERS["delivered"], "someone@example.com"),
        ("99999", DEMO_CUSTOMER_EMAIL),
        ("' OR '1'='1", "' OR '1'='1"),
        (DEMO_ORDERS["delivered"], ""),
    ],
    ids=["wrong email", "unknown order", "sql injection", "empty email"],
)
def test_anyone_else_is_refused(small_shop: str, number: str, email: str) -> None:
    assert not SqlOrderSource(small_shop).verify_owner(number, email)


def test_order_view_has_items_and_shipments(small_shop: str) -> None:
    order = SqlOrderSource(small_shop).get_order(DEMO_ORDERS["in_transit"])
    assert order is not None
    assert order.items and order.shipments
    shipment = order.shipments[0]
    assert shipment.tracking_number in shipment.tracking_url
    assert shipment.last_scan is not None
    assert SqlOrderSource(small_shop).get_order("99999") is None


def test_order_view_has_returns_refunds_and_returned_quantities(small_shop: str) -> None:
    order = SqlOrderSource(small_shop).get_order(DEMO_ORDERS["returned"])
    assert order is not None and order.delivered_at is not None
    [request] = order.returns
    assert request.rma_number == DEMO_RETURN_RMA
    assert [refund.rma_number for refund in order.refunds] == [DEMO_RETURN_RMA]
    returned_items = [item for item in order.items if item.returned_quantity]
    assert {item.id for item in returned_items} == set(request.item_ids)


# Listing a verified shopper's orders

ALEX_NEWEST_FIRST = ["10004", "10002", "10007", "10003", "10001", "10005", "10006"]
"""Alex's orders by the personas' ``placed_days_ago``: 0.8, 4.6, 6.4, 11.3, 12.35, 25.55, 45.3."""


def test_orders_of_lists_the_shoppers_orders_newest_first(small_shop: str) -> None:
    source = SqlOrderSource(small_shop)
    summaries = source.orders_of(DEMO_CUSTOMER_EMAIL)
    assert [summary.number for summary in summaries] == ALEX_NEWEST_FIRST
    assert [s.placed_at for s in summaries] == sorted(
        (s.placed_at for s in summaries), reverse=True
    )
    assert {summary.number: summary.status for summary in summaries} == {
        "10001": "delivered",
        "10002": "shipped",
        "10003": "shipped",
        "10004": "processing",
        "10005": "cancelled",
        "10006": "delivered",
        "10007": "shipped",
    }


def test_order_summary_agrees_with_the_order(small_shop: str) -> None:
    source = SqlOrderSource(small_shop)
    [newest] = source.orders_of(DEMO_CUSTOMER_EMAIL, limit=1)
    order = source.get_order(newest.number)
    assert order is not None
    assert newest == OrderSummary(
        number=order.number,
        status=order.status,
        placed_at=order.placed_at,
        total=order.total,
        currency=order.currency,
        item_count=sum(item.quantity for item in order.items),
        first_item_title=order.items[0].title,
    )
    assert newest.number == DEMO_ORDERS["processing"] and newest.item_count == 2


def test_orders_of_keeps_to_the_limit_and_normalises_the_email(small_shop: str) -> None:
    source = SqlOrderSource(small_shop)
    shouted = f"  {DEMO_CUSTOMER_EMAIL.upper()} "
    assert [s.number for s in source.orders_of(shouted, limit=3)] == ALEX_NEWEST_FIRST[:3]
    with pytest.raises(ValueError, match="limit"):
        source.orders_of(DEMO_CUSTOMER_EMAIL, limit=0)


def test_orders_of_another_shopper_shows_only_theirs(small_shop: str) -> None:
    numbers = [s.number for s in SqlOrderSource(small_shop).orders_of(OTHER_CUSTOMER_EMAIL)]
    with session_scope(small_shop) as session:
        sams = session.scalars(
            select(Order.number)
            .join(Customer, Order.customer_id == Customer.id)
            .where(Customer.email == OTHER_CUSTOMER_EMAIL)
        )
        assert sorted(numbers) == sorted(sams)
    assert OTHER_CUSTOMER_ORDER in numbers
    assert not set(numbers) & set(DEMO_ORDERS.values())


@pytest.mark.parametrize(
    "email",
    ["nobody@example.com", "", "   ", "' OR '1'='1", "%", "alex.rivera@%"],
    ids=["unknown", "empty", "blank", "sql injection", "wildcard", "partial wildcard"],
)
def test_orders_of_an_unknown_email_is_empty(small_shop: str, email: str) -> None:
    assert SqlOrderSource(small_shop).orders_of(email) == []


def test_orders_of_on_a_broken_database_is_an_order_source_error(database_url: str) -> None:
    migrate.downgrade(database_url)
    with pytest.raises(OrderSourceError, match="could not be read"):
        SqlOrderSource(database_url).orders_of(DEMO_CUSTOMER_EMAIL)


def test_migrations_go_down_and_up_again(database_url: str) -> None:
    migrate.downgrade(database_url)
    assert "orders" not in inspect(get_engine(database_url)).get_table_names()
    migrate.upgrade(database_url)
    assert {"orders", "handoffs", "products"} <= set(
        inspect(get_engine(database_url)).get_table_names()
    )
