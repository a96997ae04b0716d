"""Claiming an order row before changing anything that belongs to it.

Returns, cancellations and address changes all read an order, decide, then
write. Claiming first (a no-op UPDATE of the order's row) makes two such
changes of one order run one after the other: on PostgreSQL the UPDATE locks
the row until the transaction ends, so the second change sees what the first
wrote; on SQLite it starts the write transaction at once, which serialises
writers (and keeps pysqlite from committing when a nested savepoint is
released).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aisle.models import Order
from aisle.order_source import normalise_order_number


def claim_order(session: Session, order_number: str, *loads: Any) -> Order:
    """Locks the order and loads it fresh, with ``loads`` (loader options such as selectinload).

    Raises:
        LookupError: there is no such order.
    """
    number = normalise_order_number(order_number)
    session.execute(
        update(Order)
        .where(Order.number == number)
        .values(number=Order.number)
        .execution_options(synchronize_session=False)
    )
    order = session.scalar(
        select(Order)
        .where(Order.number == number)
        .options(*loads)
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise LookupError(f"there is no order {number}")
    return order
