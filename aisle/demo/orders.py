"""Orders of the demo shop: who bought what, when, and where it ships.

Persona orders come first with their fixed numbers; generated orders follow,
numbered in the order they were placed over the last ``HISTORY_DAYS`` days.
Items copy the variant's title, colour, size and price at the time of purchase,
as a real order does. A cancelled order gets its refund here; refunds for
returns come later with the returns.

Generated items are drawn at random (popular products more often), so on their
own they say nothing about what goes together. :func:`add_complements` then
gives some orders one more item that goes with one already in it (boots and
socks, a tent and a sleeping bag, a pan and a knife: :data:`COMPLEMENTS`), so
the shop's order history has the co-purchase structure the recommendations
learn from. It draws from a random source of its own and runs after the returns,
so every other draw of the shop is the same as without it.
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
    ProductDraft,
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
MAX_ITEMS = ITEM_COUNTS[-1]

COMPLEMENTS: dict[str, tuple[str, ...]] = {
    "Footwear > Boots > Hiking boots": (
        "Apparel > Accessories > Socks",
        "Outdoor > Trekking poles",
        "Apparel > Bottoms > Hiking pants",
    ),
    "Footwear > Boots > Winter boots": (
        "Apparel > Accessories > Socks",
        "Apparel > Accessories > Gloves",
        "Apparel > Accessories > Hats & beanies",
    ),
    "Footwear > Boots > Rain boots": (
        "Apparel > Accessories > Socks",
        "Apparel > Jackets > Rain jackets",
    ),
    "Footwear > Shoes > Hiking shoes": (
        "Apparel > Accessories > Socks",
        "Outdoor > Backpacks > Daypacks",
    ),
    "Footwear > Shoes > Trail running shoes": (
        "Apparel > Accessories > Socks",
        "Outdoor > Camp kitchen > Water bottles",
        "Outdoor > Lighting > Headlamps",
    ),
    "Footwear > Shoes > Road running shoes": (
        "Apparel > Accessories > Socks",
        "Apparel > Bottoms > Shorts",
    ),
    "Apparel > Jackets > Rain jackets": ("Apparel > Bottoms > Rain pants",),
    "Apparel > Jackets > Ski jackets": (
        "Apparel > Accessories > Gloves",
        "Apparel > Accessories > Hats & beanies",
        "Apparel > Tops > Base layers",
    ),
    "Apparel > Jackets > Winter parkas": (
        "Apparel > Accessories > Gloves",
        "Apparel > Accessories > Hats & beanies",
    ),
    "Outdoor > Tents": (
        "Outdoor > Sleeping bags",
        "Outdoor > Sleeping pads",
        "Outdoor > Camp kitchen > Stoves",
    ),
    "Outdoor > Sleeping bags": ("Outdoor > Sleeping pads",),
    "Outdoor > Backpacks > Backpacking packs": (
        "Outdoor > Camp kitchen > Water bottles",
        "Outdoor > Lighting > Headlamps",
    ),
    "Outdoor > Camp kitchen > Stoves": ("Outdoor > Camp kitchen > Water bottles",),
    "Home > Kitchen > Cookware": ("Home > Kitchen > Knives",),
    "Home > Kitchen > Pots & Dutch ovens": ("Home > Kitchen > Knives",),
    "Home > Bedding > Duvets & comforters": ("Home > Bedding > Sheets",),
    "Home > Bath > Towels": ("Home > Storage > Baskets",),
}
"""Leaf category -> categories whose products are bought with it (add-on items)."""

COMPLEMENT_SHARE = 0.6
"""Chance that an item of a generated order (not cancelled, under ``MAX_ITEMS`` lines)
whose category has complements brings one of its partners along."""
PARTNERS_PER_PRODUCT = 2
"""Each product's add-ons come from a few fixed partners, as shops bundle the same socks
with the same boots; so a product's co-purchases repeat instead of scattering."""


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


def add_complements(rng: random.Random, catalog: Catalog, orders: Sequence[OrderDraft]) -> int:
    """Adds items that go with ones already there to some generated orders; returns how many.

    Call it with a random source of its own after every other draw of the shop
    (the returns too), so that the rest of the shop stays as without it.
    Persona orders keep their items, cancelled orders are left alone (their
    refund is the total) and no order goes over ``MAX_ITEMS`` lines.
    """
    partners = _partners(rng, catalog)
    persona_numbers = {spec.number for spec in PERSONA_ORDERS}
    added = 0
    for order in orders:
        if order.number in persona_numbers or order.status == "cancelled":
            continue
        for anchor in [item for item in order.items if item.product_id in partners]:
            if len(order.items) < MAX_ITEMS and rng.random() < COMPLEMENT_SHARE:
                added += _add_partner(rng, catalog, order, partners[anchor.product_id])
    logger.info("Added %d complementary items", added)
    return added


def _add_partner(
    rng: random.Random, catalog: Catalog, order: OrderDraft, partners: Sequence[ProductDraft]
) -> int:
    """Adds one of ``partners`` to ``order`` unless it is there already; returns 1 if added."""
    partner = rng.choice(partners)
    if any(item.product_id == partner.id for item in order.items):
        return 0
    item = _item(catalog, catalog.pick_variant(rng, partner), 1, rng.random() < FINAL_SALE_SHARE)
    order.items.append(item)
    order.total += item.unit_price * item.quantity
    return 1


def _partners(rng: random.Random, catalog: Catalog) -> dict[str, list[ProductDraft]]:
    """Each product of a category in ``COMPLEMENTS``: its few fixed add-on partners."""
    by_category = {category: catalog.in_category(category) for category in _complement_targets()}
    partners: dict[str, list[ProductDraft]] = {}
    for product in catalog.products:
        categories = [c for c in COMPLEMENTS.get(product.category, ()) if by_category[c]]
        if categories:
            partners[product.id] = [
                rng.choice(by_category[rng.choice(categories)]) for _ in range(PARTNERS_PER_PRODUCT)
            ]
    return partners


def _complement_targets() -> list[str]:
    return sorted({category for targets in COMPLEMENTS.values() for category in targets})


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
