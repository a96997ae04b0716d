"""What a form's validation action needs to know about the turn it runs in.

Rasa runs a form (and so its validation action) after a fresh shopper message,
but also when the form resumes after a digression ("what's your return
policy?" answered in the middle of a return). Only a fresh message may fill a
slot, and only when it is not one of the messages that leave the form (stop,
ask for a person, a policy question): for those, the validation action must
extract nothing, so that Rasa rejects the form and the matching rule runs.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Hashable
from contextvars import ContextVar
from typing import Any, TypeVar

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from aisle.order_source import OrderSourceError
from aisle.return_policy import PolicyError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What one validation run has already read. rasa-sdk calls ``required_slots``
# three times per run and each validator may need the same order, so without
# this one turn reads the order (or dry-runs a change) half a dozen times.
_read_this_run: ContextVar[dict[Hashable, Any] | None] = ContextVar("read_this_run", default=None)


def once_per_run(key: Hashable, read: Callable[[], T]) -> T:
    """``read()``, done once per validation run for ``key`` (every time outside one)."""
    cache = _read_this_run.get()
    if cache is None:
        return read()
    if key not in cache:
        cache[key] = read()
    return cache[key]  # type: ignore[no-any-return]


# Intents that interrupt a form: their rules (data/rules/) stop it, hand over
# or answer a question and then resume the form.
INTERRUPTING_INTENTS = frozenset({"stop", "human_handoff", "return_policy", "shipping_policy"})

# Actions Rasa itself runs after every shopper message, before the form.
_ROUTINE_ACTIONS = frozenset({"action_listen", "action_extract_slots", "action_session_start"})


def is_fresh_answer(tracker: Tracker) -> bool:
    """Tells whether the latest shopper message is new to the form and may fill a slot.

    The validation action sees a temporary tracker ending with the form's own
    ``ActionExecuted``; any other action since the shopper's message (a
    digression's answer) means the form is resuming, not reading an answer.
    """
    form_name = (tracker.active_loop or {}).get("name")
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            # needs_person: an escalation trigger fired (actions/escalation.py) and the
            # handoff rules take over, as for an interrupting intent.
            return latest_intent(tracker) not in INTERRUPTING_INTENTS and not tracker.get_slot(
                "needs_person"
            )
        name = event.get("name") if event.get("event") == "action" else None
        if name and name != form_name and name not in _ROUTINE_ACTIONS:
            return False
    return False


def is_activation(tracker: Tracker, form_slots: Collection[str]) -> bool:
    """Tells whether the form is starting rather than reading an answer.

    Rasa already shows the form as the active loop when it calls the
    validation action at the form's start, so the sign is the requested slot:
    none of this form's slots is being asked yet (a form that ended or was
    stopped leaves ``requested_slot`` empty).
    """
    return tracker.get_slot("requested_slot") not in form_slots


def latest_intent(tracker: Tracker) -> str | None:
    intent = tracker.latest_message.get("intent") or {}
    name = intent.get("name")
    return str(name) if name else None


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def entity_value(tracker: Tracker, entity: str) -> Any:
    """The value of ``entity`` in the latest message (a button payload sets one)."""
    return next(tracker.get_latest_entity_values(entity), None)


class FreshStartFormValidation(FormValidationAction, ABC):
    """Validation of a form whose answers start empty every time the form starts.

    Slots keep their values for the whole conversation, so a second return
    would otherwise reuse the first one's items and never ask. When the order
    can't be read the form ends with an apology instead of asking questions
    nobody can answer.
    """

    form_slots: tuple[str, ...] = ()
    """The slots this form asks for, forgotten when it starts."""

    @abstractmethod
    def name(self) -> str:
        """``validate_<form name>``."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        resets: list[EventType] = []
        if is_activation(tracker, self.form_slots):
            resets = [SlotSet(slot, None) for slot in self.form_slots]
            tracker.add_slots(resets)
        token = _read_this_run.set({})
        try:
            return resets + await super().run(dispatcher, tracker, domain)
        except (OrderSourceError, PolicyError, SQLAlchemyError, LookupError):
            logger.exception("%s could not read the order of %s", self.name(), tracker.sender_id)
            dispatcher.utter_message(response="utter_order_lookup_failed")
            return [*resets, SlotSet("requested_slot", None)]
        finally:
            _read_this_run.reset(token)
