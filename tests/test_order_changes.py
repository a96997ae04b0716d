"""Cancellations and delivery address changes, on a seeded demo shop in SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from aisle.database import session_scope
from aisle.demo import generate_shop
from aisle.demo.personas import DEMO_ORDERS
from aisle.models import Order, ProductVariant, Refund, Shipment
from aisle.order_changes import (
    EXAMPLE_ADDRESS,
    AddressChange,
    CancelledOrder,
    ChangeRefused,
    NewAddress,
    cancel_order,
    change_address,
    parse_new_address,
)
from aisle.order_source import SqlOrderSource

TODAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 15, 30)
PROCESSING = DEMO_ORDERS["processing"]
NEW_HOME = NewAddress("12 Station Road, Springfield, IL", "62704")


@pytest.fixture
def shop(database_url: str) -> str:
    with session_scope(database_url) as session:
        generate_shop(session, seed=7, today=TODAY, n_products=60, n_customers=30, n_orders=80)
    return database_url


def order_row(url: str, number: str) -> Order:
    with session_scope(url) as session:
        order = session.scalar(select(Order).where(Order.number == number))
        assert order is not None
        return order


def stock_of_items(url: str, number: str) -> dict[str, int]:
    """SKU -> stock, for the variants bought on the order."""
    with session_scope(url) as session:
        order = session.scalar(select(Order).where(Order.number == number))
        assert order is not None
        variants = (session.get(ProductVariant, item.sku) for item in order.items)
        return {v.sku: v.stock for v in variants if v is not None}


def units_bought(url: str, number: str) -> dict[str, int]:
    with session_scope(url) as session:
        order = session.scalar(select(Order).where(Order.number == number))
        assert order is not None
        return {item.sku: item.quantity for item in order.items}


def refunds_of(url: str, number: str) -> list[Refund]:
    with session_scope(url) as session:
        return list(
            session.scalars(
                select(Refund).join(Order).where(Order.number == number).order_by(Refund.id)
            )
        )


def count_refunds(url: str) -> int:
    with session_scope(url) as session:
        return session.scalar(select(func.count()).select_from(Refund)) or 0


def add_parcel(url: str, number: str, status: str, shipped_at: dt.datetime | None) -> None:
    with session_scope(url) as session:
        order = session.scalar(select(Order).where(Order.number == number))
        assert order is not None
        order.shipments.append(
            Shipment(
                carrier="UPS",
                tracking_number=f"1ZTEST{number}{status[:3].upper()}",
                tracking_url="https://www.ups.com/track?tracknum=1ZTEST",
                status=status,
                shipped_at=shipped_at,
                estimated_delivery=None,
                delivered_at=None,
            )
        )


# Cancelling


def test_cancelling_a_processing_order_restocks_and_opens_a_refund(shop: str) -> None:
    order = SqlOrderSource(shop).get_order(PROCESSING)
    assert order is not None and order.status == "processing" and not order.refunds
    bought = units_bought(shop, PROCESSING)
    stock = stock_of_items(shop, PROCESSING)
    with session_scope(shop) as session:
        cancelled = cancel_order(session, f" #{PROCESSING}", now=NOW)
    assert cancelled == CancelledOrder(PROCESSING, NOW, order.total, "USD")
    row = order_row(shop, PROCESSING)
    assert (row.status, row.cancelled_at) == ("cancelled", NOW)
    assert stock_of_items(shop, PROCESSING) == {sku: stock[sku] + n for sku, n in bought.items()}
    [refund] = refunds_of(shop, PROCESSING)
    assert (refund.amount, refund.method, refund.status) == (
        order.total,
        "original_payment",
        "pending",
    )
    assert (refund.return_id, refund.created_at, refund.paid_at) == (None, NOW, None)
    after = SqlOrderSource(shop).get_order(PROCESSING)
    assert after is not None and after.status == "cancelled" and after.cancelled_at == NOW


def test_cancelling_refunds_only_what_was_not_refunded_yet(shop: str) -> None:
    """A partial refund staff already made (a price adjustment) is not paid out twice."""
    total = order_row(shop, PROCESSING).total
    with session_scope(shop) as session:
        order = session.scalar(select(Order).where(Order.number == PROCESSING))
        assert order is not None
        order.refunds.append(
            Refund(
                amount=Decimal("10.00"), method="original_payment", status="paid", created_at=NOW
            )
        )
    with session_scope(shop) as session:
        cancelled = cancel_order(session, PROCESSING, now=NOW)
    assert cancelled.refund_amount == total - Decimal("10.00")
    assert [r.amount for r in refunds_of(shop, PROCESSING)] == [Decimal("10.00"), total - 10]


def test_a_printed_label_does_not_stop_a_cancellation(shop: str) -> None:
    add_parcel(shop, PROCESSING, "label_created", shipped_at=None)
    with session_scope(shop) as session:
        cancel_order(session, PROCESSING, now=NOW)
    assert order_row(shop, PROCESSING).status == "cancelled"


@pytest.mark.parametrize(
    "story, code, explanation",
    [
        (
            "in_transit",
            "already_shipped",
            "Order 10002 has already shipped, so it can't be cancelled any more. "
            "Once it arrives, you may be able to return it instead.",
        ),
        ("delayed", "already_shipped", "Order 10003 has already shipped"),
        ("partially_shipped", "already_shipped", "Order 10007 has already shipped"),
        (
            "delivered",
            "delivered",
            "Order 10001 has already been delivered, so it can't be cancelled any more. "
            "You may be able to return it instead.",
        ),
        ("returned", "delivered", "Order 10006 has already been delivered"),
        ("cancelled", "already_cancelled", "Order 10005 was already cancelled on "),
    ],
)
def test_cancelling_is_refused_once_anything_has_shipped(
    shop: str, story: str, code: str, explanation: str
) -> None:
    number = DEMO_ORDERS[story]
    before = (order_row(shop, number).status, stock_of_items(shop, number), count_refunds(shop))
    with pytest.raises(ChangeRefused) as refused, session_scope(shop) as session:
        cancel_order(session, number, now=NOW)
    assert refused.value.code == code
    assert refused.value.explanation.startswith(explanation)
    assert str(refused.value) == refused.value.explanation
    after = (order_row(shop, number).status, stock_of_items(shop, number), count_refunds(shop))
    assert after == before


def test_a_cancelled_order_says_when_it_was_cancelled(shop: str) -> None:
    with session_scope(shop) as session:
        cancel_order(session, PROCESSING, now=NOW)
    with pytest.raises(ChangeRefused) as refused, session_scope(shop) as session:
        cancel_order(session, PROCESSING)
    assert refused.value.code == "already_cancelled"
    assert refused.value.explanation == (
        "Order 10004 was already cancelled on Mon 23 Nov 2026, so there is nothing to cancel."
    )
    assert len(refunds_of(shop, PROCESSING)) == 1


def test_shipping_is_checked_again_from_the_database(shop: str) -> None:
    """The shopper saw "processing"; the parcel left meanwhile: the database decides."""
    seen = SqlOrderSource(shop).get_order(PROCESSING)
    assert seen is not None and seen.status == "processing"
    add_parcel(
        shop, PROCESSING, "in_transit", shipped_at=NOW
    )  # the order row still says processing
    for change in (
        lambda session: cancel_order(session, PROCESSING),
        lambda session: change_address(session, PROCESSING, NEW_HOME),
    ):
        with pytest.raises(ChangeRefused) as refused, session_scope(shop) as session:
            change(session)
        assert refused.value.code == "already_shipped"
    assert order_row(shop, PROCESSING).status == "processing"


def test_a_rolled_back_cancellation_leaves_nothing(shop: str) -> None:
    stock, refunds = stock_of_items(shop, PROCESSING), count_refunds(shop)
    with pytest.raises(RuntimeError), session_scope(shop) as session:
        cancel_order(session, PROCESSING, now=NOW)
        raise RuntimeError("the conversation failed afterwards")
    row = order_row(shop, PROCESSING)
    assert (row.status, row.cancelled_at) == ("processing", None)
    assert (stock_of_items(shop, PROCESSING), count_refunds(shop)) == (stock, refunds)


def test_an_unknown_order_is_a_lookup_error(shop: str) -> None:
    for number in ("99999", "", "' OR '1'='1"):
        with pytest.raises(LookupError), session_scope(shop) as session:
            cancel_order(session, number)
        with pytest.raises(LookupError), session_scope(shop) as session:
            change_address(session, number, NEW_HOME)


def test_two_cancellations_of_one_order_serialise(shop: str) -> None:
    """The second waits for the first's lock, then sees the cancellation: one refund, one restock.

    The first holds its transaction open while the second starts; without the
    claim, the second would read "processing", refund again and restock twice.
    """
    stock, refunds = stock_of_items(shop, PROCESSING), count_refunds(shop)
    bought = units_bought(shop, PROCESSING)
    first_done = threading.Event()
    outcomes: dict[str, CancelledOrder | ChangeRefused | BaseException] = {}

    def first() -> None:
        try:
            with session_scope(shop) as session:
                outcomes["first"] = cancel_order(session, PROCESSING, now=NOW)
                first_done.set()
                time.sleep(0.5)  # still uncommitted while the second one asks
        except BaseException as error:
            outcomes["first"] = error
            first_done.set()

    def second() -> None:
        first_done.wait(10)
        try:
            with session_scope(shop) as session:
                outcomes["second"] = cancel_order(session, PROCESSING, now=NOW)
        except BaseException as error:
            outcomes["second"] = error

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert isinstance(outcomes["first"], CancelledOrder), outcomes
    assert isinstance(outcomes["second"], ChangeRefused), outcomes
    assert outcomes["second"].code == "already_cancelled"
    assert count_refunds(shop) == refunds + 1
    assert stock_of_items(shop, PROCESSING) == {sku: stock[sku] + n for sku, n in bought.items()}


# Changing the delivery address


def test_the_address_of_an_order_not_shipped_yet_can_be_changed(shop: str) -> None:
    old = order_row(shop, PROCESSING)
    with session_scope(shop) as session:
        change = change_address(session, PROCESSING, parse_new_address(EXAMPLE_ADDRESS))
    assert change == AddressChange(
        number=PROCESSING,
        old_address=old.shipping_address,
        old_postcode=old.shipping_postcode,
        new_address="12 Station Road, Springfield",
        new_postcode="62704",
    )
    row = order_row(shop, PROCESSING)
    assert (row.shipping_address, row.shipping_postcode) == (
        "12 Station Road, Springfield",
        "62704",
    )
    assert row.status == "processing"


@pytest.mark.parametrize(
    "story, code, explanation",
    [
        (
            "in_transit",
            "already_shipped",
            "Order 10002 has already shipped, so its delivery address can't be changed any more. "
            "The carrier may be able to redirect the parcel from its tracking page.",
        ),
        ("partially_shipped", "already_shipped", "Order 10007 has already shipped"),
        (
            "delivered",
            "delivered",
            "Order 10001 has already been delivered, so its delivery address can't be changed.",
        ),
        ("cancelled", "already_cancelled", "Order 10005 was cancelled on "),
    ],
)
def test_the_address_cannot_be_changed_once_anything_has_shipped(
    shop: str, story: str, code: str, explanation: str
) -> None:
    number = DEMO_ORDERS[story]
    before = order_row(shop, number)
    with pytest.raises(ChangeRefused) as refused, session_scope(shop) as session:
        change_address(session, number, NEW_HOME)
    assert refused.value.code == code
    assert refused.value.explanation.startswith(explanation)
    after = order_row(shop, number)
    assert (after.shipping_address, after.shipping_postcode) == (
        before.shipping_address,
        before.shipping_postcode,
    )


def test_markup_and_sql_in_an_address_are_stored_as_text(shop: str) -> None:
    typed = (
        '12 Station Road\'); DROP TABLE orders; -- <script>alert(1)</script> & "x" %s ?, '
        "Springfield, 62704"
    )
    new = parse_new_address(typed)
    assert new.address == typed.removesuffix(", 62704")
    others = {o.number: o.shipping_address for o in all_orders(shop) if o.number != PROCESSING}
    with session_scope(shop) as session:
        change_address(session, PROCESSING, new)
    assert order_row(shop, PROCESSING).shipping_address == new.address
    after = {o.number: o.shipping_address for o in all_orders(shop) if o.number != PROCESSING}
    assert after == others


def all_orders(url: str) -> list[Order]:
    with session_scope(url) as session:
        return list(session.scalars(select(Order)))


# Reading a typed address


@pytest.mark.parametrize(
    "typed, address, postcode",
    [
        (EXAMPLE_ADDRESS, "12 Station Road, Springfield", "62704"),
        (
            "  12   Station Road,\n Springfield,\tIL 62704-1234 ",
            "12 Station Road, Springfield, IL",
            "62704-1234",
        ),
        ("1 Yonge St, Toronto, ON m5e 1e5", "1 Yonge St, Toronto, ON", "M5E 1E5"),
        ("1 Yonge St, Toronto, ON M5E1E5", "1 Yonge St, Toronto, ON", "M5E 1E5"),
        ("12345 Main St, Springfield, 62704", "12345 Main St, Springfield", "62704"),
        (
            "Apt 4B, 512 West 122nd Street, New York, NY 10027, USA",
            "Apt 4B, 512 West 122nd Street, New York, NY, USA",
            "10027",
        ),
        ("7 Rue Saint-Paul, Montréal, QC H2Y 1G6", "7 Rue Saint-Paul, Montréal, QC", "H2Y 1G6"),
        ("1 Ab 62704", "1 Ab", "62704"),  # ten characters: just long enough
    ],
)
def test_a_typed_address_is_split_into_address_and_postcode(
    typed: str, address: str, postcode: str
) -> None:
    assert parse_new_address(typed) == NewAddress(address, postcode)


@pytest.mark.parametrize(
    "typed, hint",
    [
        ("", "too short"),
        ("1 A 62704", "too short"),
        ("12 Station Road, " + "Springfield " * 25 + "62704", "too long ("),
        ("12 Station Road, Springfield", "couldn't find a ZIP code"),
        ("12 Station Road, Springfield, 627041", "couldn't find a ZIP code"),
        ("12 Station Road, Springfield, 62704-12", "couldn't find a ZIP code"),
        ("12345 Main Street, Springfield", "couldn't find a ZIP code"),
        ("Station Road, Springfield, 62704", "couldn't find a house number"),
        ("3rd Avenue, Springfield, 62704", "couldn't find a house number"),
        ("12 34 56, 7, 62704", "add the street and the town"),
        ("12 Station Road\x00, Springfield, 62704", "hidden control character"),
        ("12 Station Road\x1b[2J, Springfield, 62704", "hidden control character"),
        ("12 Station Road\u202e, Springfield, 62704", "hidden control character"),
        ("12 Station\u200b Road, Springfield, 62704", "hidden control character"),
    ],
)
def test_an_unusable_address_gets_a_hint(typed: str, hint: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_new_address(typed)
    message = str(raised.value)
    assert hint in message
    assert message.endswith(".") and message[0].isupper()


def test_length_bounds_are_inclusive() -> None:
    longest = (
        "12 Station Road, " + "x" * (300 - len("12 Station Road, ") - len(", 62704")) + ", 62704"
    )
    assert len(longest) == 300 and parse_new_address(longest).postcode == "62704"
    with pytest.raises(ValueError, match="too long"):
        parse_new_address(longest.replace("12 ", "123 "))


@pytest.mark.parametrize(
    "address, postcode",
    [
        ("", "62704"),
        ("  ", "62704"),
        ("12 Road\x00", "62704"),
        ("12 Road\nSpringfield", "62704"),
        (" 12  Road", "62704"),
        ("1" * 301, "62704"),
        ("12 Road", "ABCDE"),
        ("12 Road", "62704 "),
        ("12 Road", ""),
    ],
)
def test_a_new_address_built_directly_is_checked_too(address: str, postcode: str) -> None:
    with pytest.raises(ValueError):
        NewAddress(address, postcode)
