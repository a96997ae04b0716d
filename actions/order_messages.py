"""Plain-language answers about an order, written from what the database says.

Kept apart from the actions so the wording can be tested (and later translated)
without a conversation around it.
"""

from __future__ import annotations

import datetime as dt

from aisle.order_source import ItemView, OrderView, ShipmentView

# A shipment with no carrier scan for this many days is called out as stuck.
STALE_SCAN_DAYS = 4


def describe_order(order: OrderView, today: dt.date | None = None) -> str:
    """Answers "where is my order?" honestly, including bad news."""
    today = today or dt.date.today()
    lines = [f"Order {order.number}, placed {_day(order.placed_at)}: {_items(order.items)}."]
    if order.status == "cancelled":
        when = f" on {_day(order.cancelled_at)}" if order.cancelled_at else ""
        lines.append(f"This order was cancelled{when}, so nothing will ship.")
    elif not order.shipments:
        lines.append(
            "It hasn't shipped yet: we're preparing it and will email you the tracking number."
        )
    else:
        lines.extend(_describe_shipment(shipment, today) for shipment in order.shipments)
        if len(order.shipments) > 1:
            lines.insert(1, f"It ships in {len(order.shipments)} parcels.")
    return "\n".join(lines)


def is_late(order: OrderView, today: dt.date | None = None) -> bool:
    """Tells whether any parcel is overdue or has not been scanned for days."""
    today = today or dt.date.today()
    return any(_is_late(shipment, today) for shipment in order.shipments)


def _describe_shipment(shipment: ShipmentView, today: dt.date) -> str:
    parts = [_status_sentence(shipment, today)]
    if shipment.tracking_number:  # a platform may ship without tracking
        carrier = f"{shipment.carrier} " if shipment.carrier else ""
        link = f": {shipment.tracking_url}" if shipment.tracking_url else "."
        parts.append(f"{carrier}tracking number {shipment.tracking_number}{link}")
    if shipment.last_scan is not None:
        scan = shipment.last_scan
        parts.append(f"Last scan: {scan.description}, {scan.location}, {_day(scan.occurred_at)}.")
    return " ".join(parts)


def _status_sentence(shipment: ShipmentView, today: dt.date) -> str:
    if shipment.status == "delivered":
        when = f" on {_day(shipment.delivered_at)}" if shipment.delivered_at else ""
        return f"Delivered{when}."
    if shipment.status == "label_created":
        return "A shipping label was created; the carrier hasn't picked the parcel up yet."
    if _is_late(shipment, today):
        expected = shipment.estimated_delivery
        due = f" It was due {_day(expected)}." if expected else ""
        return (
            "I'm sorry, this parcel is running late." + due + " I can connect you with a person "
            "who can chase the carrier."
        )
    expected = shipment.estimated_delivery
    due = f" Expected {_day(expected)}." if expected else ""
    return "On its way." + due


def _is_late(shipment: ShipmentView, today: dt.date) -> bool:
    if shipment.status == "delivered":
        return False
    if shipment.status == "delayed":
        return True
    overdue = shipment.estimated_delivery is not None and shipment.estimated_delivery < today
    last_scan = shipment.last_scan.occurred_at.date() if shipment.last_scan else None
    stale = last_scan is not None and (today - last_scan).days >= STALE_SCAN_DAYS
    return overdue or (shipment.status == "in_transit" and stale)


def _items(items: tuple[ItemView, ...]) -> str:
    return ", ".join(
        f"{item.quantity} x {item.title} ({item.colour}, {item.size})" for item in items
    )


def _day(moment: dt.date | dt.datetime | None) -> str:
    if moment is None:
        return "an unknown date"
    return f"{moment:%a %d %b}"
