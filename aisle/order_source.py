"""Where order facts come from, and the ownership check that guards them.

Actions ask an ``OrderSource`` instead of querying tables directly, so the same
conversations work on the shop's own database today and on a shop platform's
API later. Every source answers ``verify_owner`` before ``get_order`` is used:
no order detail leaves this module for a shopper who has not proved the order
is theirs. ``orders_of`` lists a shopper's other orders, and only for an email
that ``verify_owner`` has already accepted in the conversation.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from aisle.database import session_scope
from aisle.models import Customer, Order, ReturnRequest, Shipment

# Compared against when the order does not exist, so that "no such order" and
# "wrong email" take the same time and give the same answer.
_NO_SUCH_OWNER = "no-such-order@invalid"


@dataclass(frozen=True)
class ScanEvent:
    occurred_at: dt.datetime
    location: str
    description: str


@dataclass(frozen=True)
class ShipmentView:
    carrier: str
    tracking_number: str
    tracking_url: str
    status: str
    shipped_at: dt.datetime | None
    estimated_delivery: dt.date | None
    delivered_at: dt.datetime | None
    last_scan: ScanEvent | None


@dataclass(frozen=True)
class ItemView:
    id: str
    """The source's id of this order line (a returned item names it)."""
    sku: str
    title: str
    colour: str
    size: str
    quantity: int
    unit_price: Decimal
    final_sale: bool
    returned_quantity: int
    """Units already on a return request that was not rejected."""


@dataclass(frozen=True)
class ReturnView:
    rma_number: str
    status: str
    reason: str
    resolution: str
    created_at: dt.datetime
    item_ids: tuple[str, ...]


@dataclass(frozen=True)
class RefundView:
    amount: Decimal
    method: str
    status: str
    created_at: dt.datetime
    paid_at: dt.datetime | None
    rma_number: str | None


@dataclass(frozen=True)
class OrderView:
    """What a verified shopper may be told about one order."""

    number: str
    status: str
    placed_at: dt.datetime
    total: Decimal
    currency: str
    cancelled_at: dt.datetime | None
    items: tuple[ItemView, ...]
    shipments: tuple[ShipmentView, ...]
    returns: tuple[ReturnView, ...]
    refunds: tuple[RefundView, ...]

    @property
    def delivered_at(self) -> dt.datetime | None:
        """When the last parcel arrived, or None while any parcel is still out."""
        if not self.shipments or any(s.delivered_at is None for s in self.shipments):
            return None
        return max(s.delivered_at for s in self.shipments if s.delivered_at is not None)


@dataclass(frozen=True)
class OrderSummary:
    """One line of a shopper's order list: enough to say which order is which."""

    number: str
    status: str
    placed_at: dt.datetime
    total: Decimal
    currency: str
    item_count: int
    """Units ordered, all lines together (two mugs and a kettle: 3)."""
    first_item_title: str
    """The title of the order's first line, or "" for an order without lines."""


class OrderSourceError(Exception):
    """The order source could not answer (unreachable, refused, or sent nonsense).

    Distinct from "no such order" (None / False), so an action can say "I can't
    look that up right now" instead of "that order doesn't exist".
    """


class OrderSource(Protocol):
    def verify_owner(self, order_number: str, email: str) -> bool:
        """Tells whether ``email`` is the email of the order's customer.

        Raises:
            OrderSourceError: The source could not be asked.
        """

    def get_order(self, order_number: str) -> OrderView | None:
        """Returns the order, or None when there is no such order.

        Raises:
            OrderSourceError: The source could not be asked.
        """

    def orders_of(self, email: str, limit: int = 10) -> list[OrderSummary]:
        """Lists the orders placed with ``email``, newest first, at most ``limit``.

        This is how a verified shopper asks about "my other order" or "my last
        order" without typing its number. Call it only for an email the
        shopper has already proved in this conversation (``verify_owner``
        succeeded for one of their orders): the list itself proves nothing,
        and for any other email it would tell a stranger someone's orders.

        Returns:
            The summaries, or [] for an empty email or one without orders.

        Raises:
            ValueError: ``limit`` is below 1.
            OrderSourceError: The source could not be asked.
        """


def normalise_order_number(text: str) -> str:
    """Strips what shoppers type around an order number ("#10482 " -> "10482")."""
    return text.strip().lstrip("#").strip()


def normalise_email(text: str) -> str:
    return text.strip().lower()


def emails_match(expected: str, given: str) -> bool:
    """Compares in constant time, so response timing says nothing about the email."""
    return hmac.compare_digest(normalise_email(expected).encode(), normalise_email(given).encode())


class SqlOrderSource:
    """Orders from the shop's own database (SQLite or PostgreSQL)."""

    def __init__(self, database_url: str | None = None) -> None:
        self._database_url = database_url

    def verify_owner(self, order_number: str, email: str) -> bool:
        with _database_errors(), session_scope(self._database_url) as session:
            owner_email = session.scalar(
                select(Customer.email)
                .join(Order, Order.customer_id == Customer.id)
                .where(Order.number == normalise_order_number(order_number))
            )
        return emails_match(owner_email or _NO_SUCH_OWNER, email) and owner_email is not None

    def get_order(self, order_number: str) -> OrderView | None:
        with _database_errors(), session_scope(self._database_url) as session:
            order = session.scalar(
                select(Order)
                .where(Order.number == normalise_order_number(order_number))
                .options(
                    selectinload(Order.items),
                    selectinload(Order.shipments).selectinload(Shipment.events),
                    selectinload(Order.returns).selectinload(ReturnRequest.items),
                    selectinload(Order.refunds),
                )
            )
            return order_view(order) if order is not None else None

    def orders_of(self, email: str, limit: int = 10) -> list[OrderSummary]:
        """Lists the orders of the customer with ``email``, newest first.

        Only for an email ``verify_owner`` has accepted: see ``OrderSource.orders_of``.

        Raises:
            ValueError: ``limit`` is below 1.
            OrderSourceError: The database could not be read.
        """
        if limit < 1:
            raise ValueError(f"limit must be 1 or more, not {limit}")
        wanted = normalise_email(email)
        if not wanted:
            return []
        with _database_errors(), session_scope(self._database_url) as session:
            orders = session.scalars(
                select(Order)
                .join(Customer, Order.customer_id == Customer.id)
                .where(Customer.email == wanted)
                .order_by(Order.placed_at.desc(), Order.id.desc())
                .limit(limit)
                .options(selectinload(Order.items))
            )
            return [_order_summary(order) for order in orders]


def _order_summary(order: Order) -> OrderSummary:
    return OrderSummary(
        number=order.number,
        status=order.status,
        placed_at=order.placed_at,
        total=order.total,
        currency=order.currency,
        item_count=sum(item.quantity for item in order.items),
        first_item_title=order.items[0].title if order.items else "",
    )


@contextmanager
def _database_errors() -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as error:
        raise OrderSourceError(f"The order database could not be read: {error}") from error


def order_view(order: Order) -> OrderView:
    """What may be said about an order row (its items, returns and refunds loaded)."""
    rma_by_id = {request.id: request.rma_number for request in order.returns}
    returned: dict[int, int] = {}
    for request in order.returns:
        if request.status != "rejected":
            for line in request.items:
                returned[line.order_item_id] = returned.get(line.order_item_id, 0) + line.quantity
    return OrderView(
        number=order.number,
        status=order.status,
        placed_at=order.placed_at,
        total=order.total,
        currency=order.currency,
        cancelled_at=order.cancelled_at,
        items=tuple(
            ItemView(
                id=str(item.id),
                sku=item.sku,
                title=item.title,
                colour=item.colour,
                size=item.size,
                quantity=item.quantity,
                unit_price=item.unit_price,
                final_sale=item.final_sale,
                returned_quantity=returned.get(item.id, 0),
            )
            for item in order.items
        ),
        shipments=tuple(_shipment_view(shipment) for shipment in order.shipments),
        returns=tuple(
            ReturnView(
                rma_number=request.rma_number,
                status=request.status,
                reason=request.reason,
                resolution=request.resolution,
                created_at=request.created_at,
                item_ids=tuple(str(line.order_item_id) for line in request.items),
            )
            for request in order.returns
        ),
        refunds=tuple(
            RefundView(
                amount=refund.amount,
                method=refund.method,
                status=refund.status,
                created_at=refund.created_at,
                paid_at=refund.paid_at,
                rma_number=rma_by_id.get(refund.return_id) if refund.return_id else None,
            )
            for refund in order.refunds
        ),
    )


def _shipment_view(shipment: Shipment) -> ShipmentView:
    last = shipment.events[-1] if shipment.events else None
    return ShipmentView(
        carrier=shipment.carrier,
        tracking_number=shipment.tracking_number,
        tracking_url=shipment.tracking_url,
        status=shipment.status,
        shipped_at=shipment.shipped_at,
        estimated_delivery=shipment.estimated_delivery,
        delivered_at=shipment.delivered_at,
        last_scan=ScanEvent(last.occurred_at, last.location, last.description) if last else None,
    )
