"""Opening returns (RMAs), the one place that writes return requests.

The conversation decides what the shopper wants; this module decides whether
the shop agrees, from the database inside the caller's transaction, never from
what the caller says it saw earlier. A refused return raises ``ReturnRefused``
with a sentence the bot can show as it is.

Concurrency: ``create_return`` first claims the order's row with a no-op
UPDATE. On PostgreSQL that locks the order, so two returns of the same order
cannot both pass the "not already returned" check; on SQLite it starts the
write transaction at once, which serialises writers and also keeps the
savepoint used for the RMA number nested (pysqlite would otherwise commit the
whole transaction when that savepoint is released).

Gap: ``ReturnRequest`` has no column for the variant an exchange sends, so the
reservation (stock taken down) is recorded but not which return it is for;
``OpenedReturn.exchange_sku`` tells the caller, and a column should follow.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from aisle.models import Order, OrderItem, ProductVariant, Refund, ReturnItem, ReturnRequest
from aisle.order_claim import claim_order
from aisle.order_source import (
    ItemView,
    RefundView,
    order_view,
)
from aisle.return_policy import EligibilityCode, Resolution, ReturnPolicy, check_item

logger = logging.getLogger(__name__)

RMA_PREFIX = "RMA-"
RMA_DIGITS = 6

RefusalCode = EligibilityCode | Literal["unknown_variant", "other_product", "out_of_stock"]
"""Why a return was refused: an eligibility code, or why the exchange cannot be made."""


class ReturnRefused(Exception):
    """The shop does not accept this return; ``explanation`` can be shown to the shopper."""

    def __init__(self, code: RefusalCode, explanation: str) -> None:
        super().__init__(explanation)
        self.code = code
        self.explanation = explanation


@dataclass(frozen=True)
class OpenedReturn:
    """A return just opened: what the shopper is told and what the shop recorded."""

    rma_number: str
    status: str
    reason: str
    resolution: Resolution
    created_at: dt.datetime
    item_ids: tuple[str, ...]
    instructions: str
    """The policy's instructions with the RMA number filled in."""
    refund: RefundView | None
    """The pending refund (refund and store credit); None for an exchange."""
    exchange_sku: str | None
    """The variant reserved for an exchange (not stored on the return: see the module notes)."""


class ExchangeOption(NamedTuple):
    sku: str
    colour: str
    size: str
    stock: int


def create_return(
    session: Session,
    order_number: str,
    items: Sequence[tuple[str, int]],
    reason: str,
    resolution: Resolution,
    policy: ReturnPolicy,
    today: dt.date,
    exchange_sku: str | None = None,
    *,
    now: dt.datetime | None = None,
) -> OpenedReturn:
    """Opens a return of ``items`` (order item id, quantity) of one order.

    Every item is checked again against ``policy`` from the rows in the
    database. An exchange reserves the wanted variant by taking it out of
    stock. The caller owns the transaction: commit to keep the return, roll
    back to drop it and the reservation together (``session_scope`` does both).
    Ownership of the order is the caller's check (``OrderSource.verify_owner``).

    Args:
        reason: one of ``policy.reasons``, in any case.
        exchange_sku: the wanted variant, for (and only for) an exchange.
        now: when the return is opened (default: the clock, naive UTC).

    Raises:
        ReturnRefused: the policy or the stock does not allow this return.
        LookupError: no such order, or an item id that is not on it.
        ValueError: arguments no shopper answer can produce (no items, a
            quantity below one, a reason or resolution the policy lacks).
    """
    lines = _merge_lines(items)
    canonical_reason = _check_request(reason, resolution, policy, exchange_sku)
    order = _claim_order(session, order_number)
    chosen = _eligible_lines(order, lines, policy, today)
    if exchange_sku is not None:
        _reserve_exchange(session, chosen, exchange_sku, policy)
    created_at = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    request = _insert_request(session, order, chosen, canonical_reason, resolution, created_at)
    refund = None if resolution == "exchange" else _open_refund(session, request, chosen)
    logger.info("Opened %s for order %s (%s)", request.rma_number, order.number, resolution)
    return OpenedReturn(
        rma_number=request.rma_number,
        status=request.status,
        reason=request.reason,
        resolution=resolution,
        created_at=created_at,
        item_ids=tuple(str(item.id) for item, _ in chosen),
        instructions=policy.instructions_for(request.rma_number),
        refund=refund,
        exchange_sku=exchange_sku,
    )


def exchange_options(session: Session, order_item_id: str | int) -> list[ExchangeOption]:
    """Lists the other sizes and colours of a bought item's product that are in stock.

    Raises:
        LookupError: if there is no such order item.
    """
    item = _order_item(session, order_item_id)
    variants = session.scalars(
        select(ProductVariant)
        .where(
            ProductVariant.product_id == item.product_id,
            ProductVariant.sku != item.sku,
            ProductVariant.stock > 0,
        )
        .order_by(ProductVariant.colour, ProductVariant.sku)
    )
    return [ExchangeOption(v.sku, v.colour, v.size, v.stock) for v in variants]


def _merge_lines(items: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Item id -> units, adding up an item named twice so its total is what gets checked."""
    lines: dict[str, int] = {}
    for item_id, quantity in items:
        # Rasa keeps numbers in float slots: 2.0 is two units, 1.5 is a mistake.
        if quantity != int(quantity) or quantity < 1:
            raise ValueError(f"a return needs whole units of item {item_id}, not {quantity}")
        key = str(item_id).strip()
        lines[key] = lines.get(key, 0) + int(quantity)
    if not lines:
        raise ValueError("a return needs at least one item")
    return lines


def _check_request(
    reason: str, resolution: Resolution, policy: ReturnPolicy, exchange_sku: str | None
) -> str:
    """Checks what does not need the database; returns the policy's spelling of the reason."""
    canonical = policy.canonical_reason(reason)
    if canonical is None:
        raise ValueError(f"unknown return reason {reason!r}; the policy has {list(policy.reasons)}")
    if resolution not in policy.resolutions:
        raise ValueError(f"the return policy does not offer {resolution!r}")
    if (resolution == "exchange") != (exchange_sku is not None):
        raise ValueError("an exchange_sku is needed for an exchange, and only for one")
    return canonical


def _claim_order(session: Session, order_number: str) -> Order:
    """Locks the order (see the module notes) and loads it fresh with its returns."""
    return claim_order(
        session,
        order_number,
        selectinload(Order.items),
        selectinload(Order.shipments),
        selectinload(Order.returns).selectinload(ReturnRequest.items),
        selectinload(Order.refunds),
    )


def _eligible_lines(
    order: Order, lines: dict[str, int], policy: ReturnPolicy, today: dt.date
) -> list[tuple[OrderItem, int]]:
    """The order's items with their units, once each has passed the policy."""
    view = order_view(order)
    views: dict[str, ItemView] = {item.id: item for item in view.items}
    rows = {str(item.id): item for item in order.items}
    chosen = []
    for item_id, quantity in lines.items():
        if item_id not in views:
            raise LookupError(f"order {order.number} has no item {item_id}")
        eligibility = check_item(view, views[item_id], quantity, policy, today)
        if not eligibility.allowed:
            raise ReturnRefused(eligibility.code, eligibility.explanation)
        chosen.append((rows[item_id], quantity))
    return chosen


def _reserve_exchange(
    session: Session, chosen: list[tuple[OrderItem, int]], sku: str, policy: ReturnPolicy
) -> None:
    """Takes the wanted variant out of stock, one unit per returned unit."""
    variant = session.scalar(
        select(ProductVariant).where(ProductVariant.sku == sku.strip()).with_for_update()
    )
    if variant is None:
        raise ReturnRefused("unknown_variant", f"We couldn't find a size or colour {sku!r}.")
    for item, _ in chosen:
        if item.product_id != variant.product_id:
            raise ReturnRefused(
                "other_product",
                f"An exchange can only be for another size or colour of the {item.title}.",
            )
    needed = sum(quantity for _, quantity in chosen)
    if variant.stock < needed and policy.exchange_requires_stock:
        raise ReturnRefused("out_of_stock", _out_of_stock(chosen[0][0], variant, needed))
    reserved = min(variant.stock, needed)
    if reserved < needed:
        logger.warning("Exchange to %s: %d unit(s) owed until restocked", sku, needed - reserved)
    variant.stock -= reserved
    session.flush()


def _out_of_stock(item: OrderItem, variant: ProductVariant, needed: int) -> str:
    wanted = f"the {item.title} in {variant.colour}, size {variant.size}"
    if variant.stock == 0:
        return f"Sorry, {wanted} is out of stock, so we can't exchange for it right now."
    return f"Sorry, we only have {variant.stock} of {wanted} left, not the {needed} needed."


def _insert_request(
    session: Session,
    order: Order,
    chosen: list[tuple[OrderItem, int]],
    reason: str,
    resolution: Resolution,
    created_at: dt.datetime,
) -> ReturnRequest:
    """Adds the return with the next RMA number, trying once more if that number is taken.

    The next number is the highest one plus one, which two transactions can
    both compute at the same time. The unique constraint on ``rma_number``
    catches the loser; it then takes the number after the winner's. Enough for
    a shop's rate of returns; a database sequence would remove the retry.
    """
    try:
        return _insert_request_once(session, order, chosen, reason, resolution, created_at)
    except IntegrityError:
        logger.warning("An RMA number was taken meanwhile; trying the next one")
        return _insert_request_once(session, order, chosen, reason, resolution, created_at)


def _insert_request_once(
    session: Session,
    order: Order,
    chosen: list[tuple[OrderItem, int]],
    reason: str,
    resolution: Resolution,
    created_at: dt.datetime,
) -> ReturnRequest:
    """Inserts inside a savepoint, so a clash undoes only this insert."""
    request = ReturnRequest(
        rma_number=_next_rma_number(session),
        order_id=order.id,
        status="requested",
        reason=reason,
        resolution=resolution,
        created_at=created_at,
        items=[ReturnItem(order_item_id=item.id, quantity=quantity) for item, quantity in chosen],
    )
    with session.begin_nested():
        session.add(request)
        session.flush()
    return request


def _next_rma_number(session: Session) -> str:
    """The highest RMA number plus one (longest first, so RMA-1000000 beats RMA-999999)."""
    highest = session.scalar(
        select(ReturnRequest.rma_number)
        .where(ReturnRequest.rma_number.like(f"{RMA_PREFIX}%"))
        .order_by(func.length(ReturnRequest.rma_number).desc(), ReturnRequest.rma_number.desc())
        .limit(1)
    )
    last = int(highest.removeprefix(RMA_PREFIX)) if highest else 0
    return f"{RMA_PREFIX}{last + 1:0{RMA_DIGITS}d}"


def _open_refund(
    session: Session, request: ReturnRequest, chosen: list[tuple[OrderItem, int]]
) -> RefundView:
    """A pending refund of the returned units at the price paid; staff approve it on receipt."""
    amount = sum((item.unit_price * quantity for item, quantity in chosen), Decimal("0.00"))
    refund = Refund(
        order_id=request.order_id,
        return_id=request.id,
        amount=amount,
        method="store_credit" if request.resolution == "store_credit" else "original_payment",
        status="pending",
        created_at=request.created_at,
        paid_at=None,
    )
    session.add(refund)
    session.flush()
    return RefundView(
        amount=refund.amount,
        method=refund.method,
        status=refund.status,
        created_at=refund.created_at,
        paid_at=None,
        rma_number=request.rma_number,
    )


def _order_item(session: Session, order_item_id: str | int) -> OrderItem:
    try:
        item = session.get(OrderItem, int(order_item_id))
    except ValueError:
        item = None
    if item is None:
        raise LookupError(f"there is no order item {order_item_id}")
    return item
