"""Fills an empty shop database with a deterministic demo shop.

One ``random.Random(seed)`` drives every choice and every timestamp is counted
back from ``today``, so the same seed and the same ``today`` give byte-identical
data (on the same Python version). Tables are written one after the other, each
with a single flush, because later tables refer to the ids of earlier ones.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aisle.demo.customers import build_customers
from aisle.demo.fulfilment import Fulfiller
from aisle.demo.orders import build_orders
from aisle.demo.personas import PERSONA_CUSTOMERS, PERSONA_ORDERS
from aisle.demo.products import build_catalog
from aisle.demo.returns import build_returns
from aisle.demo.shipping import Shipping
from aisle.demo.timeline import Timeline
from aisle.models import Base, Customer, Order, Product

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoSummary:
    """How many rows of each kind the generator wrote."""

    products: int
    variants: int
    customers: int
    orders: int
    shipments: int
    returns: int
    refunds: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def generate_shop(
    session: Session,
    *,
    seed: int = 42,
    today: dt.date | None = None,
    n_products: int = 2200,
    n_customers: int = 600,
    n_orders: int = 2500,
) -> DemoSummary:
    """Generates the demo shop into ``session``'s empty database and flushes it.

    The caller commits (``session_scope`` does). ``today`` defaults to the
    current date, the only read of the clock. The persona records of
    ``aisle.demo.personas`` come first: customers 1 and 2, orders 10001-10008.

    Raises:
        ValueError: if the sizes are too small for the personas, or the
            database already has products, customers or orders.
    """
    _check_sizes(n_products, n_customers, n_orders)
    _require_empty(session)
    started = time.perf_counter()
    rng = random.Random(seed)
    timeline = Timeline(today or dt.date.today())

    catalog = build_catalog(rng, timeline, n_products)
    _insert(session, "products", catalog.products)
    _insert(session, "product variants", catalog.variants)

    shoppers = build_customers(rng, timeline, n_customers)
    _insert(session, "customers", [shopper.customer for shopper in shoppers])

    fulfiller = Fulfiller(rng, timeline, Shipping(rng, timeline))
    orders = build_orders(rng, timeline, catalog, shoppers, fulfiller, n_orders)
    _insert(session, "orders", orders)

    drafts = build_returns(rng, timeline, catalog, orders)
    for draft in drafts:
        draft.order.returns.append(draft.request)
    _flush(session, "returns", len(drafts))
    refunded = [draft for draft in drafts if draft.refund is not None]
    for draft in refunded:
        assert draft.refund is not None
        draft.refund.return_id = draft.request.id
        draft.order.refunds.append(draft.refund)
    _flush(session, "return refunds", len(refunded))

    summary = DemoSummary(
        products=len(catalog.products),
        variants=len(catalog.variants),
        customers=len(shoppers),
        orders=len(orders),
        shipments=sum(len(order.shipments) for order in orders),
        returns=len(drafts),
        refunds=sum(len(order.refunds) for order in orders),
    )
    logger.info("Generated the demo shop in %.1f s: %s", time.perf_counter() - started, summary.as_dict())
    return summary


def _check_sizes(n_products: int, n_customers: int, n_orders: int) -> None:
    if n_products < 1:
        raise ValueError("n_products must be at least 1")
    if n_customers <= len(PERSONA_CUSTOMERS):
        raise ValueError(f"n_customers must be more than the {len(PERSONA_CUSTOMERS)} personas")
    if n_orders < len(PERSONA_ORDERS):
        raise ValueError(f"n_orders must be at least the {len(PERSONA_ORDERS)} persona orders")


def _require_empty(session: Session) -> None:
    """Refuses to mix demo data into a shop that already has some."""
    for model in (Product, Customer, Order):
        count = session.scalar(select(func.count()).select_from(model))
        if count:
            raise ValueError(f"generate_shop needs an empty database; {model.__tablename__} has {count} rows")


def _insert(session: Session, label: str, rows: Sequence[Base]) -> None:
    session.add_all(rows)
    _flush(session, label, len(rows))


def _flush(session: Session, label: str, count: int) -> None:
    """Flushes, logging how long the table took: inserts are most of the run time."""
    started = time.perf_counter()
    session.flush()
    logger.info("Inserted %d %s in %.2f s", count, label, time.perf_counter() - started)
