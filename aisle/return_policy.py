"""The shop's returns policy, and whether an ordered item may be returned.

The policy lives in ``aisle/return_policy.yml`` so the shop owner changes it
without touching code; this module checks that file strictly (a typo should
stop the assistant at start-up, not make it promise the wrong thing) and turns
the policy into a yes or no with one sentence the shopper can be shown.

Simplifications, on purpose:

* An order with several parcels is returnable only once every parcel has been
  delivered (``OrderView.delivered_at`` is None until then), and the window
  counts from the last delivery. Per-parcel windows would need each item to
  know its parcel, which the order data does not record.
* Days are calendar days of the stored timestamps (naive UTC); pass ``today``
  in UTC too. The window's last day is the delivery date plus the window, so a
  return is open all of that day.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aisle.order_source import ItemView, OrderView

logger = logging.getLogger(__name__)

DEFAULT_POLICY_FILE = Path(__file__).resolve().parent / "return_policy.yml"

Resolution = Literal["refund", "exchange", "store_credit"]
EligibilityCode = Literal[
    "ok",
    "not_delivered",
    "cancelled",
    "window_closed",
    "final_sale",
    "already_returned",
    "quantity_exceeds",
]


class PolicyError(ValueError):
    """The policy file is missing, is not YAML, or holds a value the shop cannot use."""


class ReturnPolicy(BaseModel):
    """What ``aisle/return_policy.yml`` says; see the comments in that file."""

    # Strict and closed: a misspelt key or "yes" for a flag is an error, not a guess.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    return_window_days: int = Field(ge=0, le=365)
    final_sale_returnable: bool
    resolutions: tuple[Resolution, ...] = Field(min_length=1)
    exchange_requires_stock: bool
    reasons: tuple[str, ...] = Field(min_length=1)
    instructions: str = Field(min_length=1)

    @field_validator("resolutions", "reasons", mode="before")
    @classmethod
    def _lists_are_tuples(cls, value: object) -> object:
        """Reads YAML lists (strict mode would otherwise refuse them for tuples)."""
        return tuple(value) if isinstance(value, list) else value

    @field_validator("resolutions", "reasons")
    @classmethod
    def _no_repeats(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        folded = [value.strip().casefold() for value in values]
        if len(set(folded)) != len(folded):
            raise ValueError("lists the same entry twice")
        if not all(folded):
            raise ValueError("has an empty entry")
        return values

    @field_validator("instructions")
    @classmethod
    def _placeholder_fits(cls, text: str) -> str:
        """Fails now, not when the first shopper opens a return."""
        if "{rma_number}" not in text:
            raise ValueError("must contain the {rma_number} placeholder")
        try:
            text.format(rma_number="RMA-000000")
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(
                "may use no placeholder but {rma_number} (write {{ and }} for braces)"
            ) from error
        return text

    def instructions_for(self, rma_number: str) -> str:
        """Returns the return instructions with the RMA number filled in."""
        return self.instructions.format(rma_number=rma_number)

    def canonical_reason(self, reason: str) -> str | None:
        """Returns the policy's spelling of ``reason`` ("too SMALL " -> "Too small"), or None."""
        wanted = reason.strip().casefold()
        return next((known for known in self.reasons if known.casefold() == wanted), None)


@dataclass(frozen=True)
class Eligibility:
    """Whether some units of an item may be returned, and the sentence that says why."""

    code: EligibilityCode
    explanation: str
    """One plain-English sentence for the shopper."""

    @property
    def allowed(self) -> bool:
        return self.code == "ok"


@dataclass(frozen=True)
class ItemEligibility:
    """One line of an order, whether it may be returned, and how many units at most."""

    item: ItemView
    eligibility: Eligibility
    returnable_quantity: int
    """Units that could still be returned (0 when refused)."""

    @property
    def allowed(self) -> bool:
        return self.eligibility.allowed


def load_return_policy(path: Path | None = None) -> ReturnPolicy:
    """Reads and checks the policy file (default: ``aisle/return_policy.yml``).

    Raises:
        PolicyError: naming the file, and the key at fault when there is one.
    """
    path = path or DEFAULT_POLICY_FILE
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PolicyError(f"Cannot read the return policy {path}: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise PolicyError(f"The return policy {path} is not valid YAML: {error}") from error
    if not isinstance(document, dict):
        raise PolicyError(f"The return policy {path} must be a mapping of keys to values")
    try:
        policy = ReturnPolicy.model_validate(document)
    except ValidationError as error:
        raise PolicyError(f"The return policy {path} is invalid: {_problems(error)}") from error
    logger.info("Loaded the return policy from %s", path)
    return policy


def _problems(error: ValidationError) -> str:
    """Pydantic's errors as ``key: message`` pairs a shop owner can act on."""
    problems = []
    for detail in error.errors():
        key = ".".join(str(part) for part in detail["loc"]) or "(top level)"
        message = "unknown key" if detail["type"] == "extra_forbidden" else detail["msg"]
        problems.append(f"{key}: {message}")
    return "; ".join(problems)


def check_order(order: OrderView, policy: ReturnPolicy, today: dt.date) -> list[ItemEligibility]:
    """Tells, for every line of ``order``, whether it may be returned and how many units."""
    results = []
    for item in order.items:
        refusal = _refusal(order, item, policy, today)
        remaining = 0 if refusal else _remaining(item)
        results.append(ItemEligibility(item, refusal or _ok(order, policy, today), remaining))
    return results


def check_item(
    order: OrderView, item: ItemView, quantity: int, policy: ReturnPolicy, today: dt.date
) -> Eligibility:
    """Tells whether ``quantity`` units of ``item`` (a line of ``order``) may be returned.

    Raises:
        ValueError: if ``quantity`` is not positive (ask the shopper again).
    """
    if quantity < 1:
        raise ValueError(f"a return needs at least one unit, not {quantity}")
    refusal = _refusal(order, item, policy, today)
    if refusal is not None:
        return refusal
    if quantity > _remaining(item):
        return Eligibility("quantity_exceeds", _too_many(item))
    return _ok(order, policy, today)


def last_return_day(order: OrderView, policy: ReturnPolicy) -> dt.date | None:
    """The last day a return may be opened, or None while the order is not delivered."""
    delivered_at = order.delivered_at
    if delivered_at is None:
        return None
    return delivered_at.date() + dt.timedelta(days=policy.return_window_days)


def _refusal(
    order: OrderView, item: ItemView, policy: ReturnPolicy, today: dt.date
) -> Eligibility | None:
    """The first reason no unit of ``item`` may be returned, or None.

    Order-level reasons come first, then the most specific one for the item:
    "already on a return" tells the shopper more than "the window has closed".
    """
    if order.status == "cancelled" or order.cancelled_at is not None:
        return Eligibility("cancelled", _cancelled(order, today))
    delivered_at = order.delivered_at
    if delivered_at is None:
        return Eligibility("not_delivered", _not_delivered(order))
    if _remaining(item) <= 0:
        return Eligibility("already_returned", _already_returned(order, item))
    if item.final_sale and not policy.final_sale_returnable:
        return Eligibility(
            "final_sale", f"{_the(item)} was sold as final sale, so it can't be returned."
        )
    last_day = delivered_at.date() + dt.timedelta(days=policy.return_window_days)
    if today > last_day:
        return Eligibility(
            "window_closed",
            f"The {policy.return_window_days}-day return window for this order closed on "
            f"{_day(last_day, today)} (it was delivered on {_day(delivered_at.date(), today)}).",
        )
    return None


def _remaining(item: ItemView) -> int:
    return max(item.quantity - item.returned_quantity, 0)


def _ok(order: OrderView, policy: ReturnPolicy, today: dt.date) -> Eligibility:
    last_day = last_return_day(order, policy)
    until = f" until {_day(last_day, today)}" if last_day else ""
    return Eligibility("ok", f"This item can be returned{until}.")


def _cancelled(order: OrderView, today: dt.date) -> str:
    when = f" on {_day(order.cancelled_at.date(), today)}" if order.cancelled_at else ""
    return f"This order was cancelled{when}, so there is nothing to return."


def _not_delivered(order: OrderView) -> str:
    if any(shipment.delivered_at for shipment in order.shipments):
        return (
            "Part of this order is still on its way; "
            "its items can be returned once every parcel has arrived."
        )
    return "This order hasn't been delivered yet; its items can be returned once it arrives."


def _already_returned(order: OrderView, item: ItemView) -> str:
    rmas = [
        request.rma_number
        for request in order.returns
        if item.id in request.item_ids and request.status != "rejected"
    ]
    on = f" ({', '.join(rmas)})" if rmas else ""
    if item.quantity == 1:
        return f"{_the(item)} is already on a return{on}."
    return f"All {item.quantity} of {_the(item, lower=True)} are already on a return{on}."


def _too_many(item: ItemView) -> str:
    remaining = _remaining(item)
    bought = f"You bought {item.quantity} of {_the(item, lower=True)}"
    if item.returned_quantity:
        return (
            f"{bought} and {item.returned_quantity} {_is_are(item.returned_quantity)} "
            "already on a return, "
            f"so you can return at most {remaining} more."
        )
    return f"{bought}, so you can return at most {remaining}."


def _is_are(count: int) -> str:
    return "is" if count == 1 else "are"


def _the(item: ItemView, lower: bool = False) -> str:
    return f"{'the' if lower else 'The'} {item.title}"


def _day(day: dt.date, today: dt.date) -> str:
    """Formats as "Mon 12 Oct", with the year only when it is not this year's."""
    year = f" {day.year}" if day.year != today.year else ""
    return f"{day:%a} {day.day} {day:%b}{year}"
