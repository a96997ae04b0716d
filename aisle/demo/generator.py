"""Fills an empty shop database with a deterministic demo shop.

One ``random.Random(seed)`` drives every choice and every timestamp is counted
back from ``today``, so the same seed and the same ``today`` give byte-identical
data (on the same Python version). The shop is built in memory as drafts first
(products, customers, orders, returns: each step draws from the same random
source in a fixed order), then ``writer`` inserts it in bulk.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from dataclasses import asdict, dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aisle.demo.customers import build_customers
from aisle.demo.drafts import ShopDraft
from aisle.demo.fulfilment import Fulfiller
from aisle.demo.orders import add_complements, build_orders
from aisle.demo.personas import PERSONA_CUSTOMERS, PERSONA_ORDERS
from aisle.demo.products import build_catalog
from aisle.demo.returns import build_returns
from aisle.demo.shipping import Shipping
from aisle.demo.timeline import Timeline
from aisle.demo.writer import write_shop
from aisle.models import Customer, Order, Product

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
    shop = build_shop(
        random.Random(seed),
        Timeline(today or dt.date.today()),
        n_products,
        n_customers,
        n_orders,
        complement_rng=random.Random(f"{seed}:complements"),
    )
    built = time.perf_counter()
    write_shop(session, shop)
    session.flush()
    summary = DemoSummary(
        products=len(shop.products),
        variants=sum(len(product.variants) for product in shop.products),
        customers=len(shop.customers),
        orders=len(shop.orders),
        shipments=sum(len(order.shipments) for order in shop.orders),
        returns=len(shop.returns),
        refunds=sum(len(o.refunds) for o in shop.orders)
        + sum(r.refund is not None for r in shop.returns),
    )
    logger.info(
        "Demo shop built in %.1f s and written in %.1f s: %s",
        built - started,
        time.perf_counter() - built,
        summary.as_dict(),
    )
    return summary


def build_shop(
    rng: random.Random,
    timeline: Timeline,
    n_products: int,
    n_customers: int,
    n_orders: int,
    *,
    complement_rng: random.Random,
) -> ShopDraft:
    """The whole shop in memory; each step draws from ``rng`` in this fixed order.

    The complementary add-on items come last and from ``complement_rng``, so
    adding or tuning them changes no other row of the shop.
    """
    catalog = build_catalog(rng, timeline, n_products)
    customers = build_customers(rng, timeline, n_customers)
    fulfiller = Fulfiller(rng, timeline, Shipping(rng, timeline))
    orders = build_orders(rng, timeline, catalog, customers, fulfiller, n_orders)
    returns = build_returns(rng, timeline, catalog, orders)
    add_complements(complement_rng, catalog, orders)
    return ShopDraft(catalog.products, customers, orders, returns)


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
            raise ValueError(
                f"generate_shop needs an empty database; {model.__tablename__} has {count} rows"
            )
