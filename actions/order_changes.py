"""Cancelling an order and changing its delivery address, before it ships.

After ``verify_order_form``, ``order_change_form`` asks for the new address
(address changes only) and then for a yes; ``action_change_order`` makes the
change. Whether the order may still change is decided by
``aisle/order_changes.py`` from the database: the form asks it first with a
dry run (the change made and rolled back), so a shopper whose order has
shipped is told so at once instead of after answering questions, and the real
change checks again when it is made.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.escalation import hand_over_after_failure
from actions.form_turns import (
    FreshStartFormValidation,
    is_fresh_answer,
    latest_intent,
    latest_text,
    once_per_run,
)
from actions.orders import load_verified_order, say_not_verified
from aisle.database import session_scope
from aisle.order_changes import (
    ChangeRefused,
    NewAddress,
    cancel_order,
    change_address,
    parse_new_address,
)
from aisle.order_source import OrderView

logger = logging.getLogger(__name__)

FORM_NAME = "order_change_form"
CHANGE_SLOTS = ("new_address", "change_confirmed")


def _requested_change(tracker: Tracker) -> str:
    """``cancel`` or ``address``: what the shopper asked for (the ``order_request`` slot)."""
    return "address" if tracker.get_slot("order_request") == "address" else "cancel"


def _apply_change(number: str, change: str, address: NewAddress | None, *, dry_run: bool) -> Any:
    """Cancels the order or changes its address; a dry run rolls the change back.

    Raises:
        ChangeRefused: the order can't change any more (it has shipped, ...).
        SQLAlchemyError: the database could not be written.
    """
    with session_scope() as session:
        if change == "cancel":
            outcome: Any = cancel_order(session, number)
        elif address is not None:
            outcome = change_address(session, number, address)
        else:
            raise ValueError("an address change needs the new address")
        if dry_run:
            session.rollback()
        return outcome


def refusal_of(number: str, change: str) -> str | None:
    """Why the order can't be changed now, or None when it can."""
    try:
        _apply_change(number, change, NewAddress("1 Dry Run Street", "00000"), dry_run=True)
    except ChangeRefused as refused:
        return refused.explanation
    return None


class ValidateOrderChangeForm(FreshStartFormValidation):
    form_slots = CHANGE_SLOTS

    def name(self) -> str:
        return f"validate_{FORM_NAME}"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Nothing to ask when the order can't change (``action_change_order`` says why)."""
        number = tracker.get_slot("verified_order")
        change = _requested_change(tracker)
        if not number:
            return []
        if (
            once_per_run(("refusal", number, change), lambda: refusal_of(number, change))
            is not None
        ):
            return []
        return ["new_address", "change_confirmed"] if change == "address" else ["change_confirmed"]

    def extract_new_address(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "new_address" or not is_fresh_answer(tracker):
            return {}
        return {"new_address": latest_text(tracker)}

    def extract_change_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "change_confirmed" or not is_fresh_answer(tracker):
            return {}
        answer = {"affirm": True, "deny": False}.get(latest_intent(tracker) or "")
        return {"change_confirmed": latest_text(tracker) if answer is None else answer}

    def validate_new_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"new_address": None}
        try:
            parse_new_address(str(value))
        except ValueError as problem:
            dispatcher.utter_message(text=str(problem))
            return {"new_address": None}
        return {"new_address": " ".join(str(value).split())}

    def validate_change_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, bool):
            return {"change_confirmed": value}
        if value is not None:
            dispatcher.utter_message(text="Please answer yes or no.")
        return {"change_confirmed": None}


class ActionAskChangeConfirmed(Action):
    """Says exactly what will change before the shopper says yes."""

    def name(self) -> str:
        return "action_ask_change_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order = load_verified_order(dispatcher, tracker)
        if order is None:
            return []
        if _requested_change(tracker) == "cancel":
            question = (
                f"Cancel order {order.number} ({_items(order)}, {order.total:.2f} "
                f"{order.currency})? The full amount goes back to your original payment method."
            )
            yes = "Yes, cancel it"
        else:
            question = (
                f"Send order {order.number} to {tracker.get_slot('new_address')} instead of "
                "the address you gave at checkout?"
            )
            yes = "Yes, change the address"
        dispatcher.utter_message(
            text=question,
            buttons=[{"title": yes, "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
        )
        return []


def _items(order: OrderView) -> str:
    return ", ".join(item.title for item in order.items)


class ActionChangeOrder(Action):
    """Cancels the order or changes its address once confirmed; says why not otherwise."""

    def name(self) -> str:
        return "action_change_order"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        resets: list[EventType] = [SlotSet(slot, None) for slot in CHANGE_SLOTS]
        number = tracker.get_slot("verified_order")
        if not number:
            say_not_verified(dispatcher, tracker)
            return resets
        change = _requested_change(tracker)
        try:
            refusal = refusal_of(number, change)
            if refusal is None and tracker.get_slot("change_confirmed") is True:
                self._change(dispatcher, tracker, number, change)
                return resets
        except ChangeRefused as refused:  # changed between the question and the yes
            refusal = refused.explanation
        except (SQLAlchemyError, LookupError, ValueError) as error:
            logger.exception("Order %s could not be changed", number)
            dispatcher.utter_message(response="utter_order_change_failed")
            return resets + hand_over_after_failure(dispatcher, tracker, self.name(), error)
        if refusal is not None:
            dispatcher.utter_message(text=refusal)
            dispatcher.utter_message(response="utter_offer_person_for_change")
        else:
            dispatcher.utter_message(response="utter_order_not_changed")
        return resets

    def _change(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, number: str, change: str
    ) -> None:
        if change == "cancel":
            cancelled = _apply_change(number, "cancel", None, dry_run=False)
            dispatcher.utter_message(
                text=f"Done: order {number} is cancelled. {cancelled.refund_amount:.2f} "
                f"{cancelled.currency} will be refunded to your original payment method; "
                "banks usually show it within 5 business days."
            )
            return
        address = parse_new_address(str(tracker.get_slot("new_address")))
        _apply_change(number, "address", address, dry_run=False)
        dispatcher.utter_message(
            text=f"Done: order {number} will be delivered to {tracker.get_slot('new_address')}. "
            "You'll get the tracking link by email once it ships."
        )
