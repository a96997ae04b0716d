"""Cancelling orders and changing their delivery address: the one place that does either.

The conversation decides what the shopper wants; this module decides whether
the shop agrees, from the database inside the caller's transaction, never from
what the caller says it saw earlier. Both changes are only possible while
nothing has left the warehouse: the order is ``processing`` and none of its
parcels has shipped. A refused change raises ``ChangeRefused`` with a sentence
the bot can show as it is. Ownership of the order is the caller's check
(``OrderSource.verify_owner``).

Concurrency: as in ``aisle.returns``, both changes first claim the order's row
with a no-op UPDATE. On PostgreSQL that locks the order, so two changes of the
same order run one after the other and the second sees what the first wrote
(a second cancellation is refused instead of refunding twice); on SQLite the
UPDATE starts the write transaction at once, which serialises writers.

Gap: a ``processing`` order may already have a printed label (a shipment
``label_created``, not shipped). Cancelling or readdressing the order leaves
that shipment row as it is, since shipments have no "voided" status: the
warehouse must void or reprint the label.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy import update
from sqlalchemy.orm import Session, selectinload

from aisle.models import Order, OrderItem, ProductVariant, Refund
from aisle.order_claim import claim_order

logger = logging.getLogger(__name__)

ChangeRefusalCode = Literal["already_shipped", "already_cancelled", "delivered", "not_changeable"]
"""Why a change was refused; ``not_changeable``: an order status this module does not know."""

Change = Literal["cancel", "address"]
"""Which change is asked for, so a refusal can say what cannot be done."""

ADDRESS_MIN_LENGTH = 10
ADDRESS_MAX_LENGTH = 300
"""Bounds of the whole typed address; the upper one is ``Order.shipping_address``'s length."""
EXAMPLE_ADDRESS = "12 Station Road, Springfield, 62704"
_NO_POSTCODE_HINT = (
    "I couldn't find a ZIP code in that address. Please end it with the ZIP code "
    "(like 62704 or 62704-1234), or the postal code in Canada (like K1A 0B1), "
    f"for example: {EXAMPLE_ADDRESS}."
)

_POSTCODE = re.compile(
    r"(?<![0-9A-Za-z-])"  # a token of its own: not the tail of "A62704" or "1-62704"
    r"(?:(?P<zip>[0-9]{5}(?:-[0-9]{4})?)"
    r"|(?P<fsa>[A-Za-z][0-9][A-Za-z]) ?(?P<ldu>[0-9][A-Za-z][0-9]))"
    r"(?![0-9A-Za-z-])"
)
"""A US ZIP (``62704``, ``62704-1234``) or a Canadian postal code (``K1A 0B1``, any case)."""
_HOUSE_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9]+[A-Za-z]?(?![0-9A-Za-z])")
"""``12``, ``12B``, ``1458``; not ``3rd`` (a street's name)."""
_STREET_NAME = re.compile(r"[^\W\d_]{2}")
"""Two letters in a row, in any script: something that can be a street or town."""
_TYPED_WHITESPACE = frozenset("\t\n\r")
"""Control characters that are only whitespace a shopper typed (collapsed, not refused)."""
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
"""Control, format (zero-width, bidi overrides), surrogate and private-use characters."""


class ChangeRefused(Exception):
    """The shop does not allow this change; ``explanation`` can be shown to the shopper."""

    def __init__(self, code: ChangeRefusalCode, explanation: str) -> None:
        super().__init__(explanation)
        self.code = code
        self.explanation = explanation


@dataclass(frozen=True)
class NewAddress:
    """A delivery address as it goes on an order: the text without its postcode, and the postcode.

    Build one with ``parse_new_address`` from what the shopper typed; building
    one directly is checked too, so no caller can store an unusable address.
    """

    address: str
    """E.g. ``"12 Station Road, Springfield"``, as typed (whitespace collapsed)."""
    postcode: str
    """E.g. ``"62704"``, ``"62704-1234"`` or ``"K1A 0B1"``."""

    def __post_init__(self) -> None:
        if not self.address.strip() or len(self.address) > ADDRESS_MAX_LENGTH:
            raise ValueError(f"an address needs 1 to {ADDRESS_MAX_LENGTH} characters")
        if _control_characters(self.address) or self.address != " ".join(self.address.split()):
            raise ValueError("an address is one line: no control characters or extra whitespace")
        if _POSTCODE.fullmatch(self.postcode) is None:
            raise ValueError(f"{self.postcode!r} is not a ZIP or Canadian postal code")


@dataclass(frozen=True)
class CancelledOrder:
    """An order just cancelled, and the refund opened for it."""

    number: str
    cancelled_at: dt.datetime
    refund_amount: Decimal
    """What goes back to the original payment (pending until staff approve it)."""
    currency: str


@dataclass(frozen=True)
class AddressChange:
    """An order's delivery address before and after the change."""

    number: str
    old_address: str
    old_postcode: str
    new_address: str
    new_postcode: str


def cancel_order(
    session: Session, order_number: str, *, now: dt.datetime | None = None
) -> CancelledOrder:
    """Cancels an order that has not shipped, puts its units back in stock and opens a refund.

    The refund is pending, to the original payment, of the order total less
    whatever was already refunded on the order (normally nothing). The caller
    owns the transaction: commit to keep the cancellation, roll back to undo
    it, the stock and the refund together (``session_scope`` does both).

    Args:
        now: when the order is cancelled (default: the clock, naive UTC).

    Raises:
        ChangeRefused: the order has shipped, was delivered or is already cancelled.
        LookupError: there is no such order.
    """
    order = _claim_order(session, order_number)
    _check_not_shipped(order, "cancel")
    cancelled_at = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    order.status = "cancelled"
    order.cancelled_at = cancelled_at
    _restock(session, order.items)
    amount = _open_refund(session, order, cancelled_at)
    session.flush()
    logger.info("Cancelled order %s; refund of %s %s opened", order.number, amount, order.currency)
    return CancelledOrder(order.number, cancelled_at, amount, order.currency)


def change_address(session: Session, order_number: str, new_address: NewAddress) -> AddressChange:
    """Sends an order that has not shipped to ``new_address`` instead.

    Only the order changes; the customer's own postcode (used elsewhere) stays.
    The caller owns the transaction, as for ``cancel_order``.

    Raises:
        ChangeRefused: the order has shipped, was delivered or is cancelled.
        LookupError: there is no such order.
    """
    order = _claim_order(session, order_number)
    _check_not_shipped(order, "address")
    change = AddressChange(
        number=order.number,
        old_address=order.shipping_address,
        old_postcode=order.shipping_postcode,
        new_address=new_address.address,
        new_postcode=new_address.postcode,
    )
    order.shipping_address = new_address.address
    order.shipping_postcode = new_address.postcode
    session.flush()
    logger.info("Changed the delivery address of order %s", order.number)  # not the address
    return change


def parse_new_address(text: str) -> NewAddress:
    """Checks a delivery address a shopper typed, e.g. "12 Station Road, Springfield, 62704".

    Whitespace is collapsed; anything else is kept as typed (markup or SQL in
    it is only text: it is stored, never interpreted). The postcode is the
    last ZIP (``62704``, ``62704-1234``) or Canadian postal code (``K1A 0B1``)
    in the text; it is taken out of the address, as orders keep it apart.

    Raises:
        ValueError: the text is not a usable address; the message is a hint
            for the shopper saying what to fix.
    """
    if _control_characters(text):
        raise ValueError(
            "Your address contains a hidden control character. "
            f"Please type it again as plain text, for example: {EXAMPLE_ADDRESS}."
        )
    collapsed = " ".join(text.split())
    _check_length(collapsed)
    postcode = _last_postcode(collapsed)
    address = _without(collapsed, postcode)
    if _HOUSE_NUMBER.search(address) is None:
        if postcode.start() == 0:  # "12345 Main St, Springfield": the only number is the house's
            raise ValueError(_NO_POSTCODE_HINT)
        raise ValueError(
            "I couldn't find a house number in that address. "
            f"Please add it before the street, for example: {EXAMPLE_ADDRESS}."
        )
    if _STREET_NAME.search(address) is None:
        raise ValueError(
            f"Please add the street and the town to the address, for example: {EXAMPLE_ADDRESS}."
        )
    return NewAddress(address=address, postcode=_canonical_postcode(postcode))


def _claim_order(session: Session, order_number: str) -> Order:
    """Locks the order (see the module notes) and loads it fresh with what the checks read."""
    return claim_order(
        session,
        order_number,
        selectinload(Order.items),
        selectinload(Order.shipments),
        selectinload(Order.refunds),
    )


def _check_not_shipped(order: Order, change: Change) -> None:
    """Refuses unless the order is processing and nothing of it is on its way or arrived."""
    shipments = order.shipments
    if order.status == "cancelled" or order.cancelled_at is not None:
        raise ChangeRefused("already_cancelled", _already_cancelled(order, change))
    if order.status == "delivered" or (
        shipments and all(s.delivered_at is not None for s in shipments)
    ):
        raise ChangeRefused("delivered", _delivered(order.number, change))
    if order.status == "shipped" or any(_has_left(s.status, s.shipped_at) for s in shipments):
        raise ChangeRefused("already_shipped", _already_shipped(order.number, change))
    if order.status != "processing":
        logger.warning("Order %s has unknown status %r; not changed", order.number, order.status)
        raise ChangeRefused("not_changeable", _not_changeable(order.number, change))


def _has_left(shipment_status: str, shipped_at: dt.datetime | None) -> bool:
    """A parcel has left once it has a ship time or any status beyond a printed label."""
    return shipped_at is not None or shipment_status != "label_created"


def _already_cancelled(order: Order, change: Change) -> str:
    when = order.cancelled_at
    on = f" on {when:%a} {when.day} {when:%b %Y}" if when is not None else ""
    if change == "cancel":
        return f"Order {order.number} was already cancelled{on}, so there is nothing to cancel."
    return f"Order {order.number} was cancelled{on}, so there is no delivery to change."


def _delivered(number: str, change: Change) -> str:
    if change == "cancel":
        return (
            f"Order {number} has already been delivered, so it can't be cancelled any more. "
            "You may be able to return it instead."
        )
    return f"Order {number} has already been delivered, so its delivery address can't be changed."


def _already_shipped(number: str, change: Change) -> str:
    if change == "cancel":
        return (
            f"Order {number} has already shipped, so it can't be cancelled any more. "
            "Once it arrives, you may be able to return it instead."
        )
    return (
        f"Order {number} has already shipped, so its delivery address can't be changed any more. "
        "The carrier may be able to redirect the parcel from its tracking page."
    )


def _not_changeable(number: str, change: Change) -> str:
    what = "cancelled" if change == "cancel" else "given a new delivery address"
    return f"Order {number} can't be {what} here. A member of our team can help with it."


def _restock(session: Session, items: Iterable[OrderItem]) -> None:
    """Adds the ordered units back to their variants' stock.

    One atomic ``stock = stock + n`` per variant, in SKU order, so that an
    exchange reserving the same variant meanwhile neither loses its update nor
    deadlocks with this one.
    """
    units: dict[str, int] = {}
    for item in items:
        units[item.sku] = units.get(item.sku, 0) + item.quantity
    for sku in sorted(units):
        session.execute(
            update(ProductVariant)
            .where(ProductVariant.sku == sku)
            .values(stock=ProductVariant.stock + units[sku])
        )


def _open_refund(session: Session, order: Order, created_at: dt.datetime) -> Decimal:
    """Opens a pending refund of what was paid and not refunded yet; returns its amount."""
    refunded = sum((refund.amount for refund in order.refunds), Decimal("0.00"))
    amount = max(order.total - refunded, Decimal("0.00"))
    if amount == 0:
        logger.warning("Order %s was already refunded in full; no refund opened", order.number)
        return amount
    session.add(
        Refund(
            order_id=order.id,
            return_id=None,
            amount=amount,
            method="original_payment",
            status="pending",
            created_at=created_at,
            paid_at=None,
        )
    )
    return amount


def _control_characters(text: str) -> bool:
    return any(
        unicodedata.category(char) in _REFUSED_CATEGORIES and char not in _TYPED_WHITESPACE
        for char in text
    )


def _check_length(address: str) -> None:
    if len(address) < ADDRESS_MIN_LENGTH:
        raise ValueError(
            "That address looks too short. Please type the house number, street, town "
            f"and ZIP code, for example: {EXAMPLE_ADDRESS}."
        )
    if len(address) > ADDRESS_MAX_LENGTH:
        raise ValueError(
            f"That address is too long ({len(address)} characters; at most "
            f"{ADDRESS_MAX_LENGTH}). Please type just the house number, street, town and ZIP code."
        )


def _last_postcode(address: str) -> re.Match[str]:
    matches = list(_POSTCODE.finditer(address))
    if not matches:
        raise ValueError(_NO_POSTCODE_HINT)
    return matches[-1]


def _without(address: str, postcode: re.Match[str]) -> str:
    """The address with the postcode and the separators around it taken out."""
    before = address[: postcode.start()].rstrip(" ,;")
    after = address[postcode.end() :].lstrip(" ,;")
    return ", ".join(part for part in (before, after) if part)


def _canonical_postcode(postcode: re.Match[str]) -> str:
    if postcode["zip"] is not None:
        return postcode["zip"]
    return f"{postcode['fsa']} {postcode['ldu']}".upper()
