"""The wording of order answers: honest about cancelled, unshipped and late parcels."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from actions.order_messages import describe_order, is_late
from aisle.order_source import ItemView, OrderView, ScanEvent, ShipmentView

TODAY = dt.date(2026, 11, 23)


def order(status: str, *shipments: ShipmentView, cancelled: dt.datetime | None = None) -> OrderView:
    return OrderView(
        number="10482",
        status=status,
        placed_at=dt.datetime(2026, 11, 1, 9, 30),
        total=Decimal("89.00"),
        currency="USD",
        cancelled_at=cancelled,
        items=(
            ItemView(
                id="1",
                sku="P00001-NAVY-M",
                title="Stormline Rain Jacket",
                colour="navy",
                size="M",
                quantity=1,
                unit_price=Decimal("89.00"),
                final_sale=False,
                returned_quantity=0,
            ),
        ),
        shipments=shipments,
        returns=(),
        refunds=(),
    )


def shipment(status: str, eta: dt.date | None, last_scan_day: int) -> ShipmentView:
    return ShipmentView(
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
        tracking_url="https://www.ups.com/track?tracknum=1Z999AA10123456784",
        status=status,
        shipped_at=dt.datetime(2026, 11, 3),
        estimated_delivery=eta,
        delivered_at=dt.datetime(2026, 11, 6) if status == "delivered" else None,
        last_scan=ScanEvent(
            dt.datetime(2026, 11, last_scan_day, 8), "Reno, NV", "Departed facility"
        ),
    )


def test_in_transit_order_gives_tracking_and_last_scan() -> None:
    text = describe_order(
        order("shipped", shipment("in_transit", TODAY + dt.timedelta(days=2), 22)), TODAY
    )
    assert "On its way" in text and "1Z999AA10123456784" in text and "Reno, NV" in text
    assert not is_late(order("shipped", shipment("in_transit", TODAY, 22)), TODAY)


def test_overdue_or_unscanned_parcels_are_called_late() -> None:
    overdue = order("shipped", shipment("in_transit", TODAY - dt.timedelta(days=1), 22))
    unscanned = order("shipped", shipment("in_transit", TODAY + dt.timedelta(days=3), 10))
    for late in (overdue, unscanned):
        assert is_late(late, TODAY)
        assert "running late" in describe_order(late, TODAY)


def test_cancelled_and_unshipped_orders_say_so() -> None:
    cancelled = order("cancelled", cancelled=dt.datetime(2026, 11, 2))
    assert "was cancelled on Mon 02 Nov" in describe_order(cancelled, TODAY)
    assert "hasn't shipped yet" in describe_order(order("processing"), TODAY)


def test_partial_shipments_are_counted() -> None:
    text = describe_order(
        order("shipped", shipment("delivered", TODAY, 20), shipment("in_transit", TODAY, 22)), TODAY
    )
    assert "ships in 2 parcels" in text and "Delivered" in text and "On its way" in text


def test_a_parcel_without_tracking_says_nothing_about_tracking() -> None:
    untracked = replace(
        shipment("in_transit", TODAY, 22), carrier="", tracking_number="", tracking_url=""
    )
    text = describe_order(order("shipped", untracked), TODAY)
    assert "tracking" not in text and "On its way" in text
