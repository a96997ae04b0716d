"""Order verification (the form every order request goes through) and order status.

``verify_order_form`` collects an order number and an email;
``ValidateVerifyOrderForm`` checks the pair against the order source before
anything about the order is said (status here, refunds in ``refunds.py``). A
failed check gives the same answer whether the order is unknown or the email is
wrong, and after ``MAX_VERIFICATION_FAILURES`` the form ends and the shopper is
offered a person. Failures are also counted per address across conversations
(``actions.verification_limits``): over that limit, a new conversation starts
out of attempts.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import resources
from actions.escalation import hand_over_after_failure
from actions.form_turns import is_activation, is_fresh_answer, latest_text
from actions.order_messages import describe_order, is_late
from actions.verification_limits import client_ip
from aisle.order_source import (
    OrderSourceError,
    OrderView,
    normalise_email,
    normalise_order_number,
)

logger = logging.getLogger(__name__)

MAX_VERIFICATION_FAILURES = 3
MAX_ORDER_BUTTONS = 5
VERIFY_SLOTS = ("order_number", "order_email")
LATEST_ORDER_WORDS = re.compile(r"\b(last|latest|newest|most recent|recent)\b", re.IGNORECASE)
OTHER_ORDER_WORDS = re.compile(
    r"\b(other|another|different|previous|older|which|all) (of )?(my )?(orders?|one|purchases?)\b",
    re.IGNORECASE,
)
ORDER_NUMBER_PATTERN = re.compile(r"^\d{5}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


class ValidateVerifyOrderForm(FormValidationAction):
    def name(self) -> str:
        return "validate_verify_order_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Ends the form (no slots left to ask) once the shopper is out of attempts."""
        if _failures(tracker) >= MAX_VERIFICATION_FAILURES:
            return []
        return domain_slots

    def extract_order_number(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Reads "my last order" and "my other order" for a shopper verified earlier.

        A shopper who proved one order (number + email) may name another one of
        theirs without its number: "my last order" is their newest, "my other
        order" asks again, with their orders as buttons. Everyone else must
        type a number.
        """
        email = tracker.get_slot("verified_email")
        if not email or next(tracker.get_latest_entity_values("order_number"), None):
            return {}
        starting = is_activation(tracker, VERIFY_SLOTS)
        if not starting and not is_fresh_answer(tracker):
            return {}
        said = latest_text(tracker)
        if LATEST_ORDER_WORDS.search(said):
            try:
                orders = resources.order_source().orders_of(email, limit=1)
            except OrderSourceError:
                logger.exception("Order list unavailable for a verified shopper")
                return {}
            return {"order_number": orders[0].number} if orders else {}
        if starting and OTHER_ORDER_WORDS.search(said):
            return {"order_number": None}
        return {}

    def extract_order_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Keeps the email a shopper already proved, so another order needs only its number."""
        email = tracker.get_slot("verified_email")
        if email and not tracker.get_slot("order_email"):
            return {"order_email": email}
        return {}

    def validate_order_number(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"order_number": None}
        number = normalise_order_number(str(value))
        if not ORDER_NUMBER_PATTERN.match(number):
            dispatcher.utter_message(text="Order numbers have 5 digits, like 10482.")
            return {"order_number": None}
        return {"order_number": number}

    def validate_order_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"order_email": None}
        email = normalise_email(str(value))
        if not EMAIL_PATTERN.match(email):
            dispatcher.utter_message(
                text="That doesn't look like an email address (name@example.com)."
            )
            return {"order_email": None}
        return {"order_email": email}

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Validates each slot's format, then checks ownership once both are known."""
        events = await super().get_validation_events(dispatcher, tracker, domain)
        tracker.add_slots(events)
        return events + _verify_ownership(dispatcher, tracker)


def _verify_ownership(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    number = tracker.get_slot("order_number")
    email = tracker.get_slot("order_email")
    if not number or not email or tracker.get_slot("verified_order") == number:
        return []
    if _failures(tracker) >= MAX_VERIFICATION_FAILURES:  # out of attempts: no more guesses
        return [SlotSet("order_number", None), SlotSet("order_email", None)]
    address = client_ip(tracker)
    if not resources.verification_limiter().allows(address):
        logger.info("Order verification refused: too many failures from this address")
        return [
            SlotSet("verification_failures", float(MAX_VERIFICATION_FAILURES)),
            SlotSet("order_number", None),
            SlotSet("order_email", None),
        ]
    try:
        owns_order = resources.order_source().verify_owner(number, email)
    except OrderSourceError:
        logger.exception("Order database unavailable while verifying order %s", number)
        dispatcher.utter_message(response="utter_order_lookup_failed")
        return [SlotSet("order_number", None), SlotSet("order_email", None)]
    if owns_order:
        return [
            SlotSet("verified_order", number),
            SlotSet("verified_email", normalise_email(email)),
        ]
    resources.verification_limiter().record_failure(address)
    failures = _failures(tracker) + 1
    logger.info("Order verification failed (%d of %d)", failures, MAX_VERIFICATION_FAILURES)
    if failures < MAX_VERIFICATION_FAILURES:
        dispatcher.utter_message(response="utter_order_not_verified")
    return [
        SlotSet("verification_failures", float(failures)),
        SlotSet("order_number", None),
        SlotSet("order_email", None),
    ]


def say_not_verified(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """Tells a shopper without a verified order why nothing is said about it."""
    if _failures(tracker) >= MAX_VERIFICATION_FAILURES:
        dispatcher.utter_message(response="utter_verification_limit")
    else:
        dispatcher.utter_message(response="utter_order_not_verified")


def load_verified_order(dispatcher: CollectingDispatcher, tracker: Tracker) -> OrderView | None:
    """The shopper's verified order, or None after telling them why there is none to show."""
    number = tracker.get_slot("verified_order")
    if not number:
        say_not_verified(dispatcher, tracker)
        return None
    try:
        order = resources.order_source().get_order(number)
    except OrderSourceError:
        logger.exception("Order source unavailable while reading order %s", number)
        dispatcher.utter_message(response="utter_order_lookup_failed")
        return None
    if order is None:  # verified a moment ago, deleted since
        dispatcher.utter_message(response="utter_order_not_verified")
    return order


def _failures(tracker: Tracker) -> int:
    return int(tracker.get_slot("verification_failures") or 0)


class ActionOrderStatus(Action):
    """Tells a verified shopper where their order is."""

    def name(self) -> str:
        return "action_order_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        number = tracker.get_slot("verified_order")
        if not number:
            say_not_verified(dispatcher, tracker)
            return []
        try:
            order = resources.order_source().get_order(number)
        except OrderSourceError as error:
            logger.exception("Order database unavailable while reading order %s", number)
            dispatcher.utter_message(response="utter_order_lookup_failed")
            return hand_over_after_failure(dispatcher, tracker, self.name(), error)
        if order is None:  # verified a moment ago, deleted since
            dispatcher.utter_message(response="utter_order_not_verified")
            return [SlotSet("verified_order", None)]
        dispatcher.utter_message(text=describe_order(order))
        if is_late(order):
            dispatcher.utter_message(
                text="Would you like me to connect you with a person about this delay?",
                buttons=[
                    {"title": "Yes, talk to a person", "payload": "/human_handoff"},
                    {"title": "No thanks", "payload": "/deny"},
                ],
            )
        return [SlotSet("order_status", _overall_status(order))]


def _overall_status(order: OrderView) -> str:
    """One word for the conversation tests and the handoff context: the worst parcel's state."""
    if order.status in {"cancelled", "processing", "delivered"} or not order.shipments:
        return order.status
    if is_late(order):
        return "delayed"
    return "in_transit"


class ActionAskOrderNumber(Action):
    """Asks for the order number; a verified shopper picks from their own orders."""

    def name(self) -> str:
        return "action_ask_order_number"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        email = tracker.get_slot("verified_email")
        orders = []
        if email:
            try:
                orders = resources.order_source().orders_of(email, limit=MAX_ORDER_BUTTONS)
            except OrderSourceError:
                logger.exception("Order list unavailable for a verified shopper")
        if not orders:
            dispatcher.utter_message(response="utter_ask_order_number")
            return []
        dispatcher.utter_message(
            text="Which of your orders is it?",
            buttons=[
                {
                    "title": f"{order.number}: {order.first_item_title} ({order.placed_at:%d %b})",
                    "payload": f'/inform{{"order_number": "{order.number}"}}',
                }
                for order in orders
            ],
        )
        return []
