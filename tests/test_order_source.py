"""Ownership checks and order reads, on SQLite and on the local PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect

from aisle import migrate
from aisle.database import get_engine, session_scope
from aisle.demo import generate_shop
from aisle.demo.personas import DEMO_CUSTOMER_EMAIL, DEMO_ORDERS, DEMO_RETURN_RMA
from aisle.order_source import SqlOrderSource

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


def test_migrations_go_down_and_up_again(database_url: str) -> None:
    migrate.downgrade(database_url)
    assert "orders" not in inspect(get_engine(database_url)).get_table_names()
    migrate.upgrade(database_url)
    assert {"orders", "handoffs", "products"} <= set(
        inspect(get_engine(database_url)).get_table_names()
    )
