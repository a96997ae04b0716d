"""Who bought what and when, read from the shop database for the recommendations.

The recommendation scoring (:mod:`catalog.recommend`) is pure and takes these
records, so it is tested on hand-made histories and never needs a database;
this module is the only part that reads one. Cancelled orders are left out:
a basket the shopper took back says nothing about what goes together. Returned
items stay in, since the shopper did choose them together (and a returned
product was still bought, so it is still no personal pick).

Example:
    >>> with session_scope() as session:  # doctest: +SKIP
    ...     everything = purchases(session, since=now - dt.timedelta(days=365))
    ...     mine = purchases_of(session, "Alex.Rivera@example.com")
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from aisle.models import Customer, Order, OrderItem, Product
from aisle.order_source import normalise_email

__all__ = ["Purchase", "PurchaseCache", "purchases", "purchases_of"]

logger = logging.getLogger(__name__)

CANCELLED = "cancelled"


@dataclass(frozen=True)
class Purchase:
    """One order line of a placed (not cancelled) order."""

    order_id: int
    customer_id: int
    product_id: str
    quantity: int
    placed_at: dt.datetime
    """As stored: naive UTC."""
    category: str = ""
    """The product's category path now (``"Footwear > Boots > Hiking boots"``), "" if unknown."""


def purchases(session: Session, *, since: dt.datetime | None = None) -> list[Purchase]:
    """Every line of every order not cancelled, oldest order first.

    Args:
        session: A session on the shop database.
        since: Only orders placed at or after this instant (naive UTC, or aware).
    """
    query = _lines()
    if since is not None:
        query = query.where(Order.placed_at >= _naive_utc(since))
    return _read(session, query)


def purchases_of(session: Session, email: str) -> list[Purchase]:
    """The lines of one customer's orders not cancelled, oldest order first.

    The email is matched as the order checks match it (trimmed, any case);
    an empty email matches nobody. Call it only for an email the shopper has
    proved in the conversation: the list is their purchase history.
    """
    wanted = normalise_email(email)
    if not wanted:
        return []
    query = (
        _lines().join(Customer, Order.customer_id == Customer.id).where(Customer.email == wanted)
    )
    return _read(session, query)


def _lines() -> Select[int, int, str, int, dt.datetime, str]:
    """Order lines of orders not cancelled, with the product's category, in a fixed order."""
    return (
        select(
            Order.id,
            Order.customer_id,
            OrderItem.product_id,
            OrderItem.quantity,
            Order.placed_at,
            Product.category,
        )
        .join(OrderItem, OrderItem.order_id == Order.id)
        .outerjoin(Product, Product.id == OrderItem.product_id)
        .where(Order.status != CANCELLED)
        .order_by(Order.placed_at, Order.id, OrderItem.id)
    )


def _read(session: Session, query: Select[int, int, str, int, dt.datetime, str]) -> list[Purchase]:
    return [
        Purchase(order_id, customer_id, product_id, quantity, placed_at, category or "")
        for order_id, customer_id, product_id, quantity, placed_at, category in session.execute(
            query
        )
    ]


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    """The instant as the database stores it (naive UTC)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


class PurchaseCache:
    """All purchases, read again at most every ``ttl_seconds``: one read serves many requests.

    A recommendation asked for in a conversation does not need the order placed
    a second ago, and reading every order line per request would cost more than
    the scoring. Thread-safe; the action server shares one per database.
    """

    def __init__(
        self, ttl_seconds: float = 60.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._read_at: float | None = None
        self._purchases: list[Purchase] = []

    def get(self, session: Session) -> list[Purchase]:
        """The purchases as read at most ``ttl_seconds`` ago (read now with ``session`` if not)."""
        with self._lock:
            now = self._clock()
            if self._read_at is None or now - self._read_at >= self._ttl:
                self._purchases = purchases(session)
                self._read_at = now
            return self._purchases

    def clear(self) -> None:
        """Forgets the purchases, so the next :meth:`get` reads them."""
        with self._lock:
            self._read_at = None
            self._purchases = []
