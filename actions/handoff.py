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


REASON_BY_INTENT = {"human_handoff": "shopper_request"}
"""Why the conversation is handed over, from the intent that triggered it (data/rules)."""


def handoff_reason(tracker: Tracker) -> str:
    """The agent's first clue: what made the bot hand over."""
    if int(tracker.get_slot("verification_failures") or 0) >= MAX_VERIFICATION_FAILURES:
        return "verification_failed"
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    return REASON_BY_INTENT.get(intent or "", "shopper_request")


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        handoff = build_handoff(tracker, reason=handoff_reason(tracker))
        try:
            with session_scope() as session:
                session.add(handoff)
                session.flush()
                handoff_id = handoff.id
        except SQLAlchemyError:
            logger.exception("Could not store the handoff of %s", tracker.sender_id)
            dispatcher.utter_message(response="utter_handoff_failed")
            return []
        logger.info("Conversation %s handed off as #%d", tracker.sender_id, handoff_id)
        dispatcher.utter_message(response="utter_handoff_created", handoff_id=handoff_id)
        return [SlotSet("handoff_id", float(handoff_id))]


def build_handoff(tracker: Tracker, reason: str) -> Handoff:
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
        context=context_of(tracker),
        created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
    )


def context_of(tracker: Tracker) -> dict[str, Any]:
    """What else an agent may need: intents with confidence, actions tried, the shopper's page."""
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
