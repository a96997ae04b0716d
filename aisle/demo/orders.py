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

from aisle.demo.customers import random_address, random_name
from aisle.demo.drafts import (
    Address,
    CustomerDraft,
    ItemDraft,
    OrderDraft,
    RefundDraft,
    VariantDraft,
)
from aisle.demo.fulfilment import Fulfiller, Fulfilment
from aisle.demo.personas import FIRST_GENERATED_ORDER_NUMBER, PERSONA_ORDERS, PersonaOrder
from aisle.demo.products import Catalog
from aisle.demo.refunds import refund
from aisle.demo.timeline import Timeline, later

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
    customers: Sequence[CustomerDraft],
    fulfiller: Fulfiller,
    n_orders: int,
) -> list[OrderDraft]:
    """Persona orders, then generated ones up to ``n_orders``.

    Personas get only their fixed orders, so a demo can list them all.
    """
    by_email = {customer.email: customer for customer in customers}
    orders = [
        _persona_order(rng, timeline, catalog, fulfiller, by_email[spec.email], spec)
        for spec in PERSONA_ORDERS
    ]
    persona_emails = {spec.email for spec in PERSONA_ORDERS}
    regulars = [customer for customer in customers if customer.email not in persona_emails]
    orders += _generated_orders(rng, timeline, catalog, regulars, fulfiller, n_orders - len(orders))
    logger.info("Generated %d orders", len(orders))
    return orders


def _persona_order(
    rng: random.Random,
    timeline: Timeline,
    catalog: Catalog,
    fulfiller: Fulfiller,
    customer: CustomerDraft,
    spec: PersonaOrder,
) -> OrderDraft:
    placed_at = timeline.ago(spec.placed_days_ago)
    items = []
    for index, category in enumerate(spec.categories):
        product = rng.choice(catalog.in_category(category) or catalog.products)
        final_sale = spec.final_sale[index] if index < len(spec.final_sale) else False
        items.append(_item(catalog, catalog.pick_variant(rng, product), 1, final_sale))
    fulfilment = fulfiller.for_story(spec.story, placed_at, customer.address.place, spec.carriers)
    return _order(
        rng,
        timeline,
        spec.number,
        customer,
        customer.name,
        customer.address,
        placed_at,
        items,
        fulfilment,
    )


def _generated_orders(
    rng: random.Random,
    timeline: Timeline,
    catalog: Catalog,
    customers: Sequence[CustomerDraft],
    fulfiller: Fulfiller,
    count: int,
) -> list[OrderDraft]:
    """Orders spread over the history, slightly more of them recently, oldest first."""
    placed = sorted(
        timeline.ago(0.02 + (HISTORY_DAYS - 0.02) * rng.random() ** 1.15) for _ in range(count)
    )
    loyalty = list(itertools.accumulate(rng.lognormvariate(0, 1) for _ in customers))
    orders = []
    for index, placed_at in enumerate(tqdm(placed, desc="orders", disable=None, leave=False)):
        customer = rng.choices(customers, cum_weights=loyalty)[0]
        items = _random_items(rng, catalog)
        if rng.random() < GIFT_SHARE:
            name, address = random_name(rng), random_address(rng)
        else:
            name, address = customer.name, customer.address
        fulfilment = fulfiller.for_generated(placed_at, address.place, len(items))
        number = str(FIRST_GENERATED_ORDER_NUMBER + index)
        orders.append(
            _order(rng, timeline, number, customer, name, address, placed_at, items, fulfilment)
        )
    return orders


def _random_items(rng: random.Random, catalog: Catalog) -> list[ItemDraft]:
    """One to four different variants, popular products more often."""
    wanted = rng.choices(ITEM_COUNTS, weights=ITEM_COUNT_WEIGHTS)[0]
    chosen: dict[str, VariantDraft] = {}
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


def _item(catalog: Catalog, variant: VariantDraft, quantity: int, final_sale: bool) -> ItemDraft:
    product = catalog.product(variant.product_id)
    return ItemDraft(
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
    customer: CustomerDraft,
    name: str,
    address: Address,
    placed_at: dt.datetime,
    items: list[ItemDraft],
    fulfilment: Fulfilment,
) -> OrderDraft:
    total = sum((item.unit_price * item.quantity for item in items), Decimal("0.00"))
    refunds: list[RefundDraft] = []
    if fulfilment.cancelled_at is not None:
        refunds.append(_cancellation_refund(rng, timeline, total, fulfilment.cancelled_at))
    return OrderDraft(
        number=number,
        customer=customer,
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
) -> RefundDraft:
    """The whole order back to the card, opened minutes after the cancellation."""
    window_hours = min(0.5, (timeline.now - cancelled_at).total_seconds() / 7200)
    created_at = later(rng, cancelled_at, window_hours / 10, window_hours)
    approved_at = later(rng, created_at, 1, 24)
    return refund(
        rng,
        timeline,
        amount=total,
        method="original_payment",
        created_at=created_at,
        approved_at=approved_at,
    )
