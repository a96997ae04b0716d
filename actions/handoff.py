"""Escalation to a person, with everything the bot knew.

The handoff record is what an agent reads first: the transcript, the slots
(verified order, products shown), the latest intent and a one-paragraph
summary, so the shopper never has to repeat themselves.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions.orders import MAX_VERIFICATION_FAILURES
from aisle.database import session_scope
from aisle.models import Handoff

logger = logging.getLogger(__name__)

# Slots an agent needs; anything else in the tracker is bot bookkeeping.
CONTEXT_SLOTS = (
    "verified_order",
    "order_status",
    "order_number",
    "order_request",
    "last_rma",
    "shown_products",
)


REASONS = (
    "shopper_request",
    "verification_failed",
    "sensitive_topic",
    "frustration",
    "repeated_fallback",
    "action_failed",
)
"""Why a conversation is handed over. ``shopper_request`` comes from the intent
(data/rules/rules_handoff.yml), ``verification_failed`` from the order form's
attempt limit, ``action_failed`` from an action that could not reach the database
or the index (``hand_over_after_failure``), the rest from ``escalation_reason``:
the triggers of actions/escalation.py."""

LEAD_IN: dict[str, dict[str, str]] = {
    "sensitive_topic": dict(response="utter_handoff_because_sensitive_topic"),
    "frustration": dict(response="utter_handoff_because_frustration"),
    "repeated_fallback": dict(response="utter_handoff_because_repeated_fallback"),
    "action_failed": dict(response="utter_handoff_because_action_failed"),
}
"""What the shopper is told first, so they know why a person is coming (the
``utter_message`` arguments, written out so ``aisle.content_check`` sees them used)."""


def handoff_reason(tracker: Tracker) -> str:
    """The agent's first clue: what made the bot hand over."""
    escalation = tracker.get_slot("escalation_reason")
    if escalation in REASONS:
        return str(escalation)
    if int(tracker.get_slot("verification_failures") or 0) >= MAX_VERIFICATION_FAILURES:
        return "verification_failed"
    return "shopper_request"


def handoff_evidence(tracker: Tracker, reason: str) -> dict[str, Any]:
    """What shows the reason, for the console's "why handed over" part."""
    evidence = tracker.get_slot("escalation_evidence")
    if reason == tracker.get_slot("escalation_reason") and isinstance(evidence, dict):
        return {**evidence, "reason": reason}
    if reason == "verification_failed":
        failures = int(tracker.get_slot("verification_failures") or 0)
        return {"reason": reason, "trigger": "verification_limit", "failures": failures}
    text = str(tracker.latest_message.get("text") or "")
    return {"reason": reason, "trigger": "asked", "messages": [text] if text else []}


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        reason = handoff_reason(tracker)
        return hand_over(dispatcher, tracker, reason, handoff_evidence(tracker, reason))


def hand_over(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: str, evidence: dict[str, Any]
) -> list[EventType]:
    """Stores the handoff package and tells the shopper honestly what happens next.

    ``action_handoff`` calls it, and so does an action that fails because the
    database or the index is down (``actions.escalation.hand_over_after_failure``):
    it hands over in the same action, so no rule has to follow a failure.
    ``needs_person`` stays set until the next shopper message is checked, so the
    escalation rules that led here still match and the bot waits for the shopper.
    """
    handoff = build_handoff(tracker, reason=reason, evidence=evidence)
    cleared: list[EventType] = [
        SlotSet("escalation_reason", None),
        SlotSet("escalation_evidence", None),
    ]
    try:
        with session_scope() as session:
            session.add(handoff)
            session.flush()
            handoff_id = handoff.id
    except SQLAlchemyError:
        logger.exception("Could not store the handoff of %s", tracker.sender_id)
        dispatcher.utter_message(response="utter_handoff_failed")
        return cleared
    logger.info("Conversation %s handed off as #%d (%s)", tracker.sender_id, handoff_id, reason)
    if reason in LEAD_IN:  # only once a person is really coming
        dispatcher.utter_message(**LEAD_IN[reason])
    dispatcher.utter_message(response="utter_handoff_created", handoff_id=handoff_id)
    return [*cleared, SlotSet("handoff_id", float(handoff_id)), SlotSet("handoff_reason", reason)]


def build_handoff(tracker: Tracker, reason: str, evidence: dict[str, Any] | None = None) -> Handoff:
    """Packs the conversation so far into a handoff record."""
    transcript = transcript_of(tracker)
    slots = {name: tracker.get_slot(name) for name in CONTEXT_SLOTS}
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return Handoff(
        conversation_id=tracker.sender_id,
        status="waiting",
        reason=reason,
        summary=summarise(transcript, slots, intent),
        latest_intent=intent,
        transcript=transcript,
        slots=slots,
        context={
            **context_of(tracker),
            "escalation": evidence or handoff_evidence(tracker, reason),
        },
        created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
    )


def context_of(tracker: Tracker) -> dict[str, Any]:
    """What else an agent may need: intents with confidence, actions tried, the shopper's page.

    ``build_handoff`` adds ``escalation``: the reason and the evidence for it
    (the matched words, the repeated messages, the failing action).
    """
    intents, actions = [], []
    for event in tracker.events:
        if event.get("event") == "user":
            intent = (event.get("parse_data") or {}).get("intent") or {}
            intents.append({"name": intent.get("name"), "confidence": intent.get("confidence")})
        elif event.get("event") == "action" and event.get("name") != "action_listen":
            actions.append(event.get("name"))
    client = (tracker.latest_message.get("metadata") or {}).get("client") or {}
    page = client.get("page") if isinstance(client, dict) else None
    return {"intents": intents, "actions": actions, "page": page if isinstance(page, str) else None}


def transcript_of(tracker: Tracker) -> list[dict[str, Any]]:
    """Shopper and bot messages of the conversation, oldest first."""
    transcript = []
    for event in tracker.events:
        if event.get("event") not in {"user", "bot"} or not event.get("text"):
            continue
        transcript.append(
            {
                "sender": "shopper" if event["event"] == "user" else "bot",
                "text": event["text"],
                "timestamp": event.get("timestamp"),
                "intent": ((event.get("parse_data") or {}).get("intent") or {}).get("name"),
            }
        )
    return transcript


def summarise(transcript: list[dict[str, Any]], slots: dict[str, Any], intent: str | None) -> str:
    """One paragraph an agent can read in five seconds."""
    shopper_lines = [line["text"] for line in transcript if line["sender"] == "shopper"]
    parts = [f"Shopper sent {len(shopper_lines)} message(s); last intent: {intent or 'unknown'}."]
    if slots.get("verified_order"):
        parts.append(
            f"Verified owner of order {slots['verified_order']}"
            f" (status: {slots.get('order_status') or 'not looked up'})."
        )
    else:
        parts.append("No order verified.")
    if slots.get("shown_products"):
        parts.append(f"Products shown: {', '.join(slots['shown_products'])}.")
    substantive = [text for text in shopper_lines if not text.startswith("/")]
    if substantive:
        parts.append(f"First request: \u201c{substantive[0][:200]}\u201d.")
    return " ".join(parts)
