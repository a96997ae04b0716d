"""Returns of delivered orders and the refunds they lead to.

About one delivered order in seventeen comes back within the 30-day window.
How far a return has got follows from its age: parcels take three to eight days
to reach the warehouse and one to four more to be inspected and refunded.
Final-sale items are not returnable, so a return that includes one is rejected.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Sequence
from decimal import Decimal

from aisle.demo import vocabulary as vocab
from aisle.demo.drafts import ItemDraft, OrderDraft, RefundDraft, ReturnDraft, ReturnItemDraft
from aisle.demo.personas import PERSONA_ORDERS, PERSONA_RETURNS, RETURN_WINDOW_DAYS, PersonaReturn
from aisle.demo.products import Catalog
from aisle.demo.refunds import refund
from aisle.demo.timeline import Timeline, between, later

logger = logging.getLogger(__name__)

RETURN_SHARE = 0.06
RESOLUTIONS, RESOLUTION_WEIGHTS = ("refund", "exchange", "store_credit"), (65, 20, 15)
FINAL_SALE_ATTEMPT_SHARE = 0.1
"""Share of returns from orders with a final-sale item that try to return it."""
FAILED_INSPECTION_SHARE = 0.06
SIZED_DEPARTMENTS = ("Apparel", "Footwear")


def build_returns(
    rng: random.Random, timeline: Timeline, catalog: Catalog, orders: Sequence[OrderDraft]
) -> list[ReturnDraft]:
    """Persona returns first, then generated ones numbered by when they were opened."""
    by_number = {order.number: order for order in orders}
    drafts = [
        _persona_return(rng, timeline, by_number[spec.order_number], spec)
        for spec in PERSONA_RETURNS
    ]
    persona_numbers = {spec.number for spec in PERSONA_ORDERS}
    generated = [
        draft
        for order in orders
        if order.number not in persona_numbers
        and (draft := _maybe_return(rng, timeline, catalog, order)) is not None
    ]
    generated.sort(key=lambda draft: (draft.created_at, draft.order.number))
    for number, draft in enumerate(generated, start=len(drafts) + 1):
        draft.rma_number = f"RMA-{number:06d}"
    drafts += generated
    logger.info("Generated %d returns", len(drafts))
    return drafts


def _persona_return(
    rng: random.Random, timeline: Timeline, order: OrderDraft, spec: PersonaReturn
) -> ReturnDraft:
    """Every item of the persona order, at the stage the persona promises."""
    created_at = max(
        timeline.ago(spec.created_days_ago), _delivered_at(order) + dt.timedelta(hours=6)
    )
    lines = [ReturnItemDraft(item, item.quantity) for item in order.items]
    draft = ReturnDraft(
        spec.rma_number, order, spec.status, spec.reason, spec.resolution, created_at, lines
    )
    if spec.status in ("received", "refunded") and spec.resolution != "exchange":
        received_at = later(rng, created_at, 96, 120)
        approved_at = later(rng, received_at, 24, 48)
        if spec.status == "received":
            approved_at = timeline.now + dt.timedelta(days=1)
        draft.refund = _refund(rng, timeline, draft, received_at, approved_at)
    return draft


def _maybe_return(
    rng: random.Random, timeline: Timeline, catalog: Catalog, order: OrderDraft
) -> ReturnDraft | None:
    """A return for a few delivered orders, opened within the return window."""
    if order.status != "delivered" or rng.random() >= RETURN_SHARE:
        return None
    delivered_at = _delivered_at(order)
    window_end = min(
        delivered_at + dt.timedelta(days=RETURN_WINDOW_DAYS), timeline.now - dt.timedelta(hours=1)
    )
    if window_end - delivered_at < dt.timedelta(days=1):
        return None
    created_at = between(rng, delivered_at + dt.timedelta(hours=12), window_end)
    items, final_sale = _returned_items(rng, order.items)
    if not items:
        return None
    reason = _reason(rng, catalog, items)
    resolution = rng.choices(RESOLUTIONS, weights=RESOLUTION_WEIGHTS)[0]
    received_at = later(rng, created_at, 72, 192)
    settled_at = later(rng, received_at, 24, 96)
    if final_sale:
        status = "rejected"
    elif received_at >= timeline.now:
        status = "requested"
    elif rng.random() < FAILED_INSPECTION_SHARE:
        status = "rejected"
    elif resolution == "exchange" or settled_at >= timeline.now:
        status = "received"
    else:
        status = "refunded"
    lines = [ReturnItemDraft(item, _quantity(rng, item)) for item in items]
    draft = ReturnDraft("", order, status, reason, resolution, created_at, lines)
    if status in ("received", "refunded") and resolution != "exchange":
        draft.refund = _refund(rng, timeline, draft, received_at, settled_at)
    return draft


def _returned_items(rng: random.Random, items: Sequence[ItemDraft]) -> tuple[list[ItemDraft], bool]:
    """Which items come back, and whether a final-sale item is among them."""
    final_sale = [item for item in items if item.final_sale]
    returnable = [item for item in items if not item.final_sale]
    if final_sale and (not returnable or rng.random() < FINAL_SALE_ATTEMPT_SHARE):
        return [rng.choice(final_sale)], True
    if not returnable:
        return [], False
    count = 1 if rng.random() < 0.75 else rng.randint(1, len(returnable))
    return rng.sample(returnable, count), False


def _reason(rng: random.Random, catalog: Catalog, items: Sequence[ItemDraft]) -> str:
    """Fit complaints for clothes and shoes, any other reason for anything."""
    departments = {catalog.product(item.product_id).department for item in items}
    if departments & set(SIZED_DEPARTMENTS) and rng.random() < 0.5:
        return rng.choice(vocab.RETURN_REASONS_SIZED)
    return rng.choice(vocab.RETURN_REASONS)


def _quantity(rng: random.Random, item: ItemDraft) -> int:
    """Usually the whole line; now and then only some of several units."""
    if item.quantity == 1 or rng.random() < 0.7:
        return item.quantity
    return rng.randint(1, item.quantity)


def _refund(
    rng: random.Random,
    timeline: Timeline,
    draft: ReturnDraft,
    received_at: dt.datetime,
    approved_at: dt.datetime,
) -> RefundDraft:
    """Money back for the returned units, opened when the parcel arrives."""
    amount = sum((line.item.unit_price * line.quantity for line in draft.items), Decimal("0.00"))
    return refund(
        rng,
        timeline,
        amount=amount,
        method="store_credit" if draft.resolution == "store_credit" else "original_payment",
        created_at=received_at,
        approved_at=approved_at,
    )


def _delivered_at(order: OrderDraft) -> dt.datetime:
    if order.delivered_at is None:
        raise ValueError(f"order {order.number} has not been delivered, so cannot be returned")
    return order.delivered_at
