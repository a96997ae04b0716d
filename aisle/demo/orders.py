"""Orders of the demo shop: who bought what, when, and where it ships.

Persona orders come first with their fixed numbers; generated orders follow,
numbered in the order they were placed over the last ``HISTORY_DAYS`` days.
Items copy the variant's title, colour, size and price at the time of purchase,
as a real order does. A cancelled order gets its refund here; refunds for
returns come later with the returns.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import random
from collections.abc import Sequence
from decimal import Decimal

from tqdm import tqdm

from aisle.demo.customers import Address, Shopper, random_address, random_name
from aisle.demo.fulfilment import Fulfilment, Fulfiller
from aisle.demo.personas import FIRST_GENERATED_ORDER_NUMBER, PERSONA_ORDERS, PersonaOrder
from aisle.demo.products import Catalog
from aisle.demo.timeline import Timeline, later
from aisle.models import Order, OrderItem, ProductVariant, Refund

logger = logging.getLogger(__name__)

HISTORY_DAYS = 180
ITEM_COUNTS, ITEM_COUNT_WEIGHTS = (1, 2, 3, 4), (50, 30, 14, 6)
QUANTITIES, QUANTITY_WEIGHTS = (1, 2, 3), (85, 12, 3)
FINAL_SALE_SHARE = 0.08
GIFT_SHARE = 0.07
"""Share of orders shipped to someone other than the customer."""


def build_orders(
    rng: random.Random,
    timeline: Timeline,
    catalog: Catalog,
    shoppers: Sequence[Shopper],
    fulfiller: Fulfiller,
    n_orders: int,
) -> list[Order]:
    """Persona orders, then ``n_orders`` minus those generated ones.

    The shoppers must already have ids (flushed), since orders refer to them.
    """
    by_email = {shopper.customer.email: shopper for shopper in shoppers}
    orders = [
        _persona_order(rng, timeline, catalog, fulfiller, by_email[spec.email], spec)
        for spec in PERSONA_ORDERS
    ]
    persona_emails = {spec.email for spec in PERSONA_ORDERS}
    regulars = [shopper for shopper in shoppers if shopper.customer.email not in persona_emails]
    orders += _generated_orders(rng, timeline, catalog, regulars, fulfiller, n_orders - len(orders))
    logger.info("Generated %d orders", len(orders))
    return orders


def _persona_order(
    rng: random.Random,
    timeline: Timeline,
    catalog: Catalog,
    fulfiller: Fulfiller,
    shopper: Shopper,
    spec: PersonaOrder,
) -> Order:
    placed_at = timeline.ago(spec.placed_days_ago)
    items = []
    for index, category in enumerate(spec.categories):
        product = rng.choice(catalog.in_category(category) or catalog.products)
        final_sale = spec.final_sale[index] if index < len(spec.final_sale) else False
        items.append(_item(catalog, catalog.pick_variant(rng, product), 1, final_sale))
    fulfilment = fulfiller.for_story(spec.story, placed_at, shopper.address.place, spec.carriers)
    return _order(rng, timeline, spec.number, shopper, shopper.customer.name, shopper.address, placed_at, items, fulfilment)


def _generated_orders(
    rng: random.Random,
    timeline: Timeline,
    catalog: Catalog,
    shoppers: Sequence[Shopper],
    fulfiller: Fulfiller,
    count: int,
) -> list[Order]:
    """Orders spread over the history, slightly more of them recently, oldest first."""
    placed = sorted(timeline.ago(0.02 + (HISTORY_DAYS - 0.02) * rng.random() ** 1.15) for _ in range(count))
    loyalty = list(itertools.accumulate(rng.lognormvariate(0, 1) for _ in shoppers))
    orders = []
    for index, placed_at in enumerate(tqdm(placed, desc="orders", disable=None, leave=False)):
        shopper = rng.choices(shoppers, cum_weights=loyalty)[0]
        items = _random_items(rng, catalog)
        if rng.random() < GIFT_SHARE:
            name, address = random_name(rng), random_address(rng)
        else:
            name, address = shopper.customer.name, shopper.address
        fulfilment = fulfiller.for_generated(placed_at, address.place, len(items))
        number = str(FIRST_GENERATED_ORDER_NUMBER + index)
        orders.append(_order(rng, timeline, number, shopper, name, address, placed_at, items, fulfilment))
    return orders


def _random_items(rng: random.Random, catalog: Catalog) -> list[OrderItem]:
    """One to four different variants, popular products more often."""
    wanted = rng.choices(ITEM_COUNTS, weights=ITEM_COUNT_WEIGHTS)[0]
    chosen: dict[str, ProductVariant] = {}
    for _ in range(wanted * 3):
        variant = catalog.pick_variant(rng)
        chosen.setdefault(variant.sku, variant)
        if len(chosen) == wanted:
            break
    return [
        _item(
            catalog,
            variant,
            rng.choices(QUANTITIES, weights=QUANTITY_WEIGHTS)[0],
            rng.random() < FINAL_SALE_SHARE,
        )
        for variant in chosen.values()
    ]


def _item(catalog: Catalog, variant: ProductVariant, quantity: int, final_sale: bool) -> OrderItem:
    product = catalog.product(variant.product_id)
    return OrderItem(
        sku=variant.sku,
        product_id=product.id,
        title=product.title,
        colour=variant.colour,
        size=variant.size,
        quantity=quantity,
        unit_price=product.price,
        final_sale=final_sale,
    )


def _order(
    rng: random.Random,
    timeline: Timeline,
    number: str,
    shopper: Shopper,
    name: str,
    address: Address,
    placed_at: dt.datetime,
    items: list[OrderItem],
    fulfilment: Fulfilment,
) -> Order:
    total = sum((item.unit_price * item.quantity for item in items), Decimal("0.00"))
    refunds = []
    if fulfilment.cancelled_at is not None:
        refunds.append(_cancellation_refund(rng, timeline, total, fulfilment.cancelled_at))
    return Order(
        number=number,
        customer_id=shopper.customer.id,
        status=fulfilment.status,
        placed_at=placed_at,
        shipping_name=name,
        shipping_address=address.label,
        shipping_postcode=address.postcode,
        total=total,
        currency="USD",
        cancelled_at=fulfilment.cancelled_at,
        items=items,
        shipments=fulfilment.shipments,
        refunds=refunds,
    )


def _cancellation_refund(
    rng: random.Random, timeline: Timeline, total: Decimal, cancelled_at: dt.datetime
) -> Refund:
    """The whole order back to the card: pending, approved after a day, paid in one to three."""
    window_hours = min(0.5, (timeline.now - cancelled_at).total_seconds() / 7200)
    created_at = later(rng, cancelled_at, window_hours / 10, window_hours)
    paid_at = later(rng, created_at, 24, 72)
    age = timeline.now - created_at
    if paid_at < timeline.now:
        status = "paid"
    elif age > dt.timedelta(days=1):
        status = "approved"
    else:
        status = "pending"
    return Refund(
        amount=total,
        method="original_payment",
        status=status,
        created_at=created_at,
        paid_at=paid_at if status == "paid" else None,
    )
