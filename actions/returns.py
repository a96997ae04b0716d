"""Returns and exchanges: the return form and opening the return (RMA).

After ``verify_order_form`` has proved the order is the shopper's, the
``return_form`` asks which items, why, and what the shopper wants instead
(refund, exchange for a size or colour in stock, or store credit), then asks
for a yes before anything is written. Every answer can be typed in the
shopper's own words (``return_matching.py``) or clicked as a button. The shop's
policy (``aisle/return_policy.yml``) decides what may be returned; when nothing
can be, the form ends at once and ``action_open_return`` says plainly why.
``aisle/returns.py`` checks everything again from the database when it opens
the return, so the form's view of the order is never trusted for the write.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import resources
from actions.escalation import hand_over_after_failure
from actions.form_turns import (
    FreshStartFormValidation,
    entity_value,
    is_activation,
    is_fresh_answer,
    latest_intent,
    latest_text,
    once_per_run,
)
from actions.orders import say_not_verified
from actions.return_matching import (
    match_exchange_option,
    match_items,
    match_reason,
    match_resolution,
)
from aisle.database import session_scope
from aisle.order_source import ItemView, OrderSourceError, OrderView
from aisle.return_policy import (
    ItemEligibility,
    PolicyError,
    Resolution,
    ReturnPolicy,
    check_order,
    load_return_policy,
)
from aisle.returns import (
    ExchangeOption,
    OpenedReturn,
    ReturnRefused,
    create_return,
    exchange_options,
)

logger = logging.getLogger(__name__)

FORM_NAME = "return_form"
RETURN_SLOTS = (
    "return_items",
    "return_reason",
    "return_resolution",
    "exchange_sku",
    "return_confirmed",
)
RESOLUTION_LABELS: dict[str, str] = {
    "refund": "A refund",
    "exchange": "An exchange (another size or colour)",
    "store_credit": "Store credit",
}
MAX_EXCHANGE_BUTTONS = 8


@dataclass(frozen=True)
class ReturnContext:
    """The verified order and what the policy says about each of its items today."""

    order: OrderView
    policy: ReturnPolicy
    lines: tuple[ItemEligibility, ...]

    @property
    def returnable(self) -> list[ItemView]:
        return [line.item for line in self.lines if line.allowed]

    def chosen(self, item_ids: Sequence[str] | None) -> list[ItemView]:
        wanted = set(item_ids or ())
        return [item for item in self.returnable if item.id in wanted]

    def refusal_of(self, item: ItemView) -> str | None:
        line = next(line for line in self.lines if line.item.id == item.id)
        return None if line.allowed else line.eligibility.explanation

    def refusals(self) -> list[str]:
        """Why items can't be returned, each sentence once ("This order hasn't been delivered")."""
        return list(dict.fromkeys(line.eligibility.explanation for line in self.lines))


def load_context(tracker: Tracker) -> ReturnContext | None:
    """The verified order's return context; None when there is no verified order.

    Raises:
        OrderSourceError: the order source could not be asked.
        PolicyError: the policy file is broken.
    """
    number = tracker.get_slot("verified_order")
    if not number:
        return None
    return once_per_run(("return context", number), lambda: _read_context(number))


def _read_context(number: str) -> ReturnContext | None:
    order = resources.order_source().get_order(number)
    if order is None:
        return None
    policy = load_return_policy()
    today = dt.datetime.now(dt.timezone.utc).date()
    return ReturnContext(order, policy, tuple(check_order(order, policy, today)))


def item_label(item: ItemView) -> str:
    details = ", ".join(part for part in (item.colour, item.size and f"size {item.size}") if part)
    count = f"{item.quantity} x " if item.quantity - item.returned_quantity > 1 else ""
    return f"{count}{item.title}" + (f" ({details})" if details else "")


def list_items(items: Sequence[ItemView]) -> str:
    labels = [item_label(item) for item in items]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def offered_resolutions(context: ReturnContext, items: Sequence[ItemView]) -> list[Resolution]:
    """What the shopper may choose: an exchange only for one item (one product to swap)."""
    return [
        resolution
        for resolution in context.policy.resolutions
        if resolution != "exchange" or len(items) == 1
    ]


def _payload(intent: str, **entities: str) -> str:
    return f"/{intent}{json.dumps(entities)}" if entities else f"/{intent}"


def _exchange_options(item: ItemView) -> list[ExchangeOption]:
    with session_scope() as session:
        return exchange_options(session, item.id)


class ValidateReturnForm(FreshStartFormValidation):
    """Reads the answers of the return form and decides what is still to ask."""

    form_slots = RETURN_SLOTS

    def name(self) -> str:
        return f"validate_{FORM_NAME}"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Nothing to ask when nothing can be returned; the variant only for an exchange."""
        context = load_context(tracker)
        if context is None or not context.returnable:
            return []
        wanted = [slot for slot in domain_slots if slot != "exchange_sku"]
        if tracker.get_slot("return_resolution") == "exchange":
            wanted.insert(wanted.index("return_confirmed"), "exchange_sku")
        return wanted

    # Extraction: which text answers which slot.

    def _answer(self, tracker: Tracker, slot: str, entity: str) -> Any:
        """The shopper's answer for ``slot``, or None when this message doesn't answer it.

        At the form's start, the message that asked for the return ("return the
        jacket, it's too small") answers whatever it can.
        """
        if is_activation(tracker, RETURN_SLOTS):
            return tracker.get_slot("return_request_text")
        if tracker.get_slot("requested_slot") != slot or not is_fresh_answer(tracker):
            return None
        return entity_value(tracker, entity) or latest_text(tracker)

    def extract_return_items(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = self._answer(tracker, "return_items", "return_item")
        return {} if answer is None else {"return_items": answer}

    def extract_return_reason(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = self._answer(tracker, "return_reason", "return_reason")
        return {} if answer is None else {"return_reason": answer}

    def extract_return_resolution(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        answer = self._answer(tracker, "return_resolution", "return_resolution")
        return {} if answer is None else {"return_resolution": answer}

    def extract_exchange_sku(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if is_activation(tracker, RETURN_SLOTS):
            return {}
        answer = self._answer(tracker, "exchange_sku", "exchange_sku")
        return {} if answer is None else {"exchange_sku": answer}

    def extract_return_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if is_activation(tracker, RETURN_SLOTS):
            return {}
        answer = self._answer(tracker, "return_confirmed", "return_confirmed")
        if answer is None:
            return {}
        yes_or_no = {"affirm": True, "deny": False}.get(latest_intent(tracker) or "")
        return {"return_confirmed": answer if yes_or_no is None else yes_or_no}

    # Validation: what the answer means.

    def validate_return_items(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        context = load_context(tracker)
        if value is None or context is None:
            return {"return_items": None}
        quiet = is_activation(tracker, RETURN_SLOTS)
        if isinstance(value, list):  # already validated earlier in this run
            return {"return_items": value}
        by_id = [item for item in context.order.items if item.id == str(value)]
        named = by_id or match_items(str(value), context.order.items, context.returnable)
        refused = [item for item in named if context.refusal_of(item)]
        chosen = [item for item in named if not context.refusal_of(item)]
        if not quiet:
            for item in refused:
                dispatcher.utter_message(text=context.refusal_of(item))
            if not named:
                dispatcher.utter_message(
                    text="Sorry, I couldn't tell which item you mean. "
                    'Please pick one below, or say "all of them".'
                )
        elif refused and not chosen:
            dispatcher.utter_message(text=context.refusal_of(refused[0]))
        return {"return_items": [item.id for item in chosen] or None}

    def validate_return_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if value is None:
            return {"return_reason": None}
        policy = load_return_policy()
        reason = match_reason(str(value), policy.reasons)
        if reason is None and not is_activation(tracker, RETURN_SLOTS):
            dispatcher.utter_message(text="Please pick the reason closest to yours below.")
        return {"return_reason": reason}

    def validate_return_resolution(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        context = load_context(tracker)
        if value is None or context is None:
            return {"return_resolution": None}
        items = context.chosen(tracker.get_slot("return_items"))
        offered = offered_resolutions(context, items)
        if str(value) in offered:
            resolution: Resolution | None = str(value)  # type: ignore[assignment]
        else:
            resolution = match_resolution(str(value), offered)
        quiet = is_activation(tracker, RETURN_SLOTS)
        if resolution is None:
            if not quiet:
                dispatcher.utter_message(text="Please choose one of the options below.")
            return {"return_resolution": None}
        if resolution == "exchange" and not _exchange_options(items[0]):
            dispatcher.utter_message(
                text=f"Sorry, the {items[0].title} isn't in stock in any other size or colour "
                "right now, so I can't exchange it. You can still choose another option."
            )
            return {"return_resolution": None}
        return {"return_resolution": resolution}

    def validate_exchange_sku(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        context = load_context(tracker)
        if value is None or context is None:
            return {"exchange_sku": None}
        items = context.chosen(tracker.get_slot("return_items"))
        if not items:
            return {"exchange_sku": None}
        options = _exchange_options(items[0])
        option = next((o for o in options if o.sku == str(value)), None) or match_exchange_option(
            str(value), options, items[0].colour
        )
        if option is None:
            dispatcher.utter_message(
                text="Sorry, I couldn't match that to a size or colour we have in stock. "
                "Please pick one below."
            )
            return {"exchange_sku": None}
        return {"exchange_sku": option.sku}

    def validate_return_confirmed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if isinstance(value, bool):
            return {"return_confirmed": value}
        if value is not None:
            dispatcher.utter_message(text="Please answer yes or no.")
        return {"return_confirmed": None}


class _ReturnQuestion(Action, ABC):
    """An ``action_ask_*`` of the return form: a question with the order's own choices."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            context = load_context(tracker)
        except (OrderSourceError, PolicyError):
            logger.exception("Return question for %s could not read the order", tracker.sender_id)
            dispatcher.utter_message(response="utter_order_lookup_failed")
            return []
        if context is None:
            say_not_verified(dispatcher, tracker)
            return []
        self.ask(dispatcher, tracker, context)
        return []

    @abstractmethod
    def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: ReturnContext
    ) -> None:
        """Utters the question."""


class ActionAskReturnItems(_ReturnQuestion):
    def name(self) -> str:
        return "action_ask_return_items"

    def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: ReturnContext
    ) -> None:
        items = context.returnable
        buttons = [
            {"title": item_label(item), "payload": _payload("inform", return_item=item.id)}
            for item in items
        ]
        if len(items) > 1:
            buttons.append(
                {"title": "All of them", "payload": _payload("inform", return_item="all")}
            )
        dispatcher.utter_message(
            text=f"Which item from order {context.order.number} would you like to return?",
            buttons=buttons,
        )


class ActionAskReturnReason(_ReturnQuestion):
    def name(self) -> str:
        return "action_ask_return_reason"

    def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: ReturnContext
    ) -> None:
        items = context.chosen(tracker.get_slot("return_items"))
        dispatcher.utter_message(
            text=f"Why are you returning the {list_items(items)}?",
            buttons=[
                {"title": reason, "payload": _payload("inform", return_reason=reason)}
                for reason in context.policy.reasons
            ],
        )


class ActionAskReturnResolution(_ReturnQuestion):
    def name(self) -> str:
        return "action_ask_return_resolution"

    def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: ReturnContext
    ) -> None:
        items = context.chosen(tracker.get_slot("return_items"))
        dispatcher.utter_message(
            text="What would you like instead?",
            buttons=[
                {
                    "title": RESOLUTION_LABELS[resolution],
                    "payload": _payload("inform", return_resolution=resolution),
                }
                for resolution in offered_resolutions(context, items)
            ],
        )


class ActionAskExchangeSku(_ReturnQuestion):
    def name(self) -> str:
        return "action_ask_exchange_sku"

    def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: ReturnContext
    ) -> None:
        items = context.chosen(tracker.get_slot("return_items"))
        if not items:
            return
        item = items[0]
        options = _exchange_options(item)[:MAX_EXCHANGE_BUTTONS]
        dispatcher.utter_message(
            text=f"Which size or colour of the {item.title} would you like instead? "
            "These are in stock:",
            buttons=[
                {
                    "title": f"{option.colour}, size {option.size}",
                    "payload": _payload("inform", exchange_sku=option.sku),
                }
                for option in options
            ],
        )


class ActionAskReturnConfirmed(_ReturnQuestion):
    def name(self) -> str:
        return "action_ask_return_confirmed"

    def ask(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: ReturnContext
    ) -> None:
        items = context.chosen(tracker.get_slot("return_items"))
        resolution = str(tracker.get_slot("return_resolution"))
        dispatcher.utter_message(
            text=f"To confirm: return the {list_items(items)} from order {context.order.number} "
            f"({tracker.get_slot('return_reason')}), "
            f"for {_outcome(context, items, resolution, tracker)}. Shall I open the return?",
            buttons=[
                {"title": "Yes, open the return", "payload": "/affirm"},
                {"title": "No", "payload": "/deny"},
            ],
        )


def _outcome(
    context: ReturnContext, items: Sequence[ItemView], resolution: str, tracker: Tracker
) -> str:
    amount = sum(
        (item.unit_price * (item.quantity - item.returned_quantity) for item in items),
        Decimal("0.00"),
    )
    money = f"{amount:.2f} {context.order.currency}"
    if resolution == "refund":
        return f"a refund of {money} to your original payment method"
    if resolution == "store_credit":
        return f"{money} in store credit"
    sku = tracker.get_slot("exchange_sku")
    option = next((o for o in _exchange_options(items[0]) if o.sku == sku), None)
    wanted = f"{option.colour}, size {option.size}" if option else "the size you chose"
    return f"an exchange for the {items[0].title} in {wanted}"


class ActionOpenReturn(Action):
    """Opens the return the shopper confirmed, or says plainly why it can't be opened."""

    def name(self) -> str:
        return "action_open_return"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        resets: list[EventType] = [SlotSet(slot, None) for slot in RETURN_SLOTS]
        resets.append(SlotSet("return_request_text", None))
        try:
            context = load_context(tracker)
        except (OrderSourceError, PolicyError) as error:
            logger.exception("Return of %s: order could not be read", tracker.sender_id)
            dispatcher.utter_message(response="utter_order_lookup_failed")
            return resets + hand_over_after_failure(dispatcher, tracker, self.name(), error)
        if context is None:
            say_not_verified(dispatcher, tracker)
            return resets
        if not context.returnable:
            dispatcher.utter_message(text=" ".join(context.refusals()))
            dispatcher.utter_message(response="utter_offer_person_for_return")
            return resets
        if tracker.get_slot("return_confirmed") is not True:
            dispatcher.utter_message(response="utter_return_not_opened")
            return resets
        return self._open(dispatcher, tracker, context) + resets

    def _open(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, context: ReturnContext
    ) -> list[EventType]:
        items = context.chosen(tracker.get_slot("return_items"))
        resolution = tracker.get_slot("return_resolution")
        try:
            with session_scope() as session:
                opened = create_return(
                    session,
                    context.order.number,
                    [(item.id, item.quantity - item.returned_quantity) for item in items],
                    reason=str(tracker.get_slot("return_reason")),
                    resolution=resolution,
                    policy=context.policy,
                    today=dt.datetime.now(dt.timezone.utc).date(),
                    exchange_sku=tracker.get_slot("exchange_sku")
                    if resolution == "exchange"
                    else None,
                )
        except ReturnRefused as refused:
            dispatcher.utter_message(text=refused.explanation)
            dispatcher.utter_message(response="utter_offer_person_for_return")
            return []
        except (SQLAlchemyError, LookupError, ValueError) as error:
            logger.exception("Return of order %s could not be opened", context.order.number)
            dispatcher.utter_message(response="utter_return_failed")
            return hand_over_after_failure(dispatcher, tracker, self.name(), error)
        dispatcher.utter_message(text=describe_opened_return(opened, items, context.order))
        return [SlotSet("last_rma", opened.rma_number)]


def describe_opened_return(
    opened: OpenedReturn, items: Sequence[ItemView], order: OrderView
) -> str:
    """What the shopper reads once the return exists: its number, what next, the money."""
    lines = [
        f"Done: I've opened return {opened.rma_number} for the {list_items(items)}.",
        opened.instructions,
    ]
    if opened.refund is not None:
        money = f"{opened.refund.amount:.2f} {order.currency}"
        where = (
            "as store credit"
            if opened.refund.method == "store_credit"
            else "to your original payment method"
        )
        lines.append(f"Your {money} will be refunded {where} once the items reach us.")
    elif opened.exchange_sku:
        lines.append(
            "The replacement is reserved for you and ships as soon as your return reaches us."
        )
    return "\n".join(lines)
