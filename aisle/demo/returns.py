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
from dataclasses import dataclass
from decimal import Decimal

from aisle.demo import vocabulary as vocab
from aisle.demo.personas import PERSONA_ORDERS, PERSONA_RETURNS, RETURN_WINDOW_DAYS, PersonaReturn
from aisle.demo.products import Catalog
from aisle.demo.timeline import Timeline, between, later
from aisle.models import Order, OrderItem, Refund, ReturnItem, ReturnRequest

logger = logging.getLogger(__name__)

RETURN_SHARE = 0.06
RESOLUTIONS, RESOLUTION_WEIGHTS = ("refund", "exchange", "store_credit"), (65, 20, 15)
FINAL_SALE_ATTEMPT_SHARE = 0.1
"""Share of returns from orders with a final-sale item that try to return it."""
FAILED_INSPECTION_SHARE = 0.06
SIZED_DEPARTMENTS = ("Apparel", "Footwear")


@dataclass
class ReturnDraft:
    """A return request and the refund it has led to so far, before either has an id."""

    order: Order
    request: ReturnRequest
    refund: Refund | None


def build_returns(
    rng: random.Random, timeline: Timeline, catalog: Catalog, orders: Sequence[Order]
) -> list[ReturnDraft]:
    """Persona returns first, then generated ones numbered by when they were opened.

    The orders must already be flushed: return items refer to order item ids.
    """
    by_number = {order.number: order for order in orders}
    drafts = [_persona_return(rng, timeline, by_number[spec.order_number], spec) for spec in PERSONA_RETURNS]
    persona_numbers = {spec.number for spec in PERSONA_ORDERS}
    generated = [
        draft
        for order in orders
        if order.number not in persona_numbers
        and (draft := _maybe_return(rng, timeline, catalog, order)) is not None
    ]
    generated.sort(key=lambda draft: (draft.request.created_at, draft.order.number))
    for number, draft in enumerate(generated, start=len(drafts) + 1):
        draft.request.rma_number = f"RMA-{number:06d}"
    drafts += generated
    logger.info("Generated %d returns", len(drafts))
    return drafts


def _persona_return(rng: random.Random, timeline: Timeline, order: Order, spec: PersonaReturn) -> ReturnDraft:
    """Every item of the persona order, at the stage the persona promises."""
    created_at = max(timeline.ago(spec.created_days_ago), _delivered_at(order) + dt.timedelta(hours=6))
    request = _request(order, spec.status, spec.reason, spec.resolution, created_at, order.items, None)
    request.rma_number = spec.rma_number
    refund = None
    if spec.status in ("received", "refunded") and spec.resolution != "exchange":
        received_at = later(rng, created_at, 96, 120)
        paid_at = later(rng, received_at, 24, 48) if spec.status == "refunded" else None
        refund = _refund(order, request, received_at, paid_at)
    return ReturnDraft(order, request, refund)


def _maybe_return(rng: random.Random, timeline: Timeline, catalog: Catalog, order: Order) -> ReturnDraft | None:
    """A return for a few delivered orders, opened within the return window."""
    if order.status != "delivered" or rng.random() >= RETURN_SHARE:
        return None
    delivered_at = _delivered_at(order)
    window_end = min(delivered_at + dt.timedelta(days=RETURN_WINDOW_DAYS), timeline.now - dt.timedelta(hours=1))
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
    request = _request(order, status, reason, resolution, created_at, items, rng)
    refund = None
    if status in ("received", "refunded") and resolution != "exchange":
        refund = _refund(order, request, received_at, settled_at if status == "refunded" else None)
        if status == "received" and timeline.now - received_at > (settled_at - received_at) / 2:
            refund.status = "approved"
    return ReturnDraft(order, request, refund)


def _returned_items(rng: random.Random, items: Sequence[OrderItem]) -> tuple[list[OrderItem], bool]:
    """Which items come back, and whether a final-sale item is among them."""
    final_sale = [item for item in items if item.final_sale]
    returnable = [item for item in items if not item.final_sale]
    if final_sale and (not returnable or rng.random() < FINAL_SALE_ATTEMPT_SHARE):
        return [rng.choice(final_sale)], True
    if not returnable:
        return [], False
    count = 1 if rng.random() < 0.75 else rng.randint(1, len(returnable))
    return rng.sample(returnable, count), False


def _reason(rng: random.Random, catalog: Catalog, items: Sequence[OrderItem]) -> str:
    """Fit complaints for clothes and shoes, any other reason for anything."""
    departments = {catalog.product(item.product_id).category.split(" > ")[0] for item in items}
    if departments & set(SIZED_DEPARTMENTS) and rng.random() < 0.5:
        return rng.choice(vocab.RETURN_REASONS_SIZED)
    return rng.choice(vocab.RETURN_REASONS)


def _request(
    order: Order,
    status: str,
    reason: str,
    resolution: str,
    created_at: dt.datetime,
    items: Sequence[OrderItem],
    rng: random.Random | None,
) -> ReturnRequest:
    """The return row; with ``rng`` some multi-unit lines come back only in part."""
    return ReturnRequest(
        order_id=order.id,
        status=status,
        reason=reason,
        resolution=resolution,
        created_at=created_at,
        items=[ReturnItem(order_item_id=item.id, quantity=_quantity(rng, item)) for item in items],
    )


def _quantity(rng: random.Random | None, item: OrderItem) -> int:
    if rng is None or item.quantity == 1 or rng.random() < 0.7:
        return item.quantity
    return rng.randint(1, item.quantity)


def _refund(
    order: Order, request: ReturnRequest, created_at: dt.datetime, paid_at: dt.datetime | None
) -> Refund:
    """Money back for the returned units: pending until paid, paid once ``paid_at`` is set."""
    prices = {item.id: item.unit_price for item in order.items}
    amount = sum((prices[line.order_item_id] * line.quantity for line in request.items), Decimal("0.00"))
    return Refund(
        order_id=order.id,
        amount=amount,
        method="store_credit" if request.resolution == "store_credit" else "original_payment",
        status="paid" if paid_at is not None else "pending",
        created_at=created_at,
        paid_at=paid_at,
    )


def _delivered_at(order: Order) -> dt.datetime:
    delivered = [s.delivered_at for s in order.shipments if s.delivered_at is not None]
    if not delivered:
        raise ValueError(f"order {order.number} has no delivered shipment to return")
    return max(delivered)

