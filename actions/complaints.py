"""Repeated complaints: the shopper says the same thing again, or asks again what was answered.

A shopper who repeats a message word for word, or asks about the same order a
second time after the bot already answered, is telling us the answer did not
help. Both are read from the tracker's recent events (since the last handoff,
so a conversation handed back to the bot starts afresh) and named with the
messages that show it, for the agent who takes over.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz
from rasa_sdk import Tracker

SIMILAR_MESSAGE = 90.0
"""rapidfuzz ratio (0-100) from which two messages count as the same message."""

MIN_WORDS = 3
"""Shorter messages ("yes", "ok thanks", an order number) are repeated for good reasons."""

ROUTINE_INTENTS = frozenset(
    {"greet", "goodbye", "affirm", "deny", "thank_you", "inform", "stop", "human_handoff"}
)
"""Intents whose repetition is part of a normal conversation (answers to a form, yes/no)."""

QUESTION_INTENTS = frozenset(
    {"product_search", "product_followup", "shipping_policy", "return_policy", "bot_challenge"}
)
"""Questions the bot answers the same way each time, or browsing ("show more", "show more"):
asked again, even in the same words, they are a shopper re-reading, retrying or paging, not
complaining (order questions are checked by order)."""

ANSWERED_BY = {"track_order": "action_order_status", "refund_status": "action_refund_status"}
"""Order questions and the action that answers them: asked twice about one order is a complaint."""

HANDOFF_ACTION = "action_handoff"

ANOTHER_ORDER = re.compile(r"\b(last|latest|newest|recent|other|another|different|second|new)\b")
"""Without a number, "my last order" or "my other order" may be a different order than before."""


@dataclass(frozen=True)
class Complaint:
    """Why the latest message counts as a repeated complaint, with the messages showing it."""

    kind: str
    """``repeated_message`` or ``repeated_question``."""
    messages: list[str]
    """The earlier message and the latest one, oldest first."""
    order: str | None = None


@dataclass
class _Turn:
    text: str
    intent: str | None
    order: str | None
    actions: list[str] = field(default_factory=list)
    apologised: bool = False
    """The gateway apologised for a failure instead of answering: saying it again is a retry."""


def repeated_complaint(tracker: Tracker) -> Complaint | None:
    """The repeated complaint the latest message makes, if it makes one."""
    turns = list(_recent_turns(tracker.events))
    if len(turns) < 2:
        return None
    latest, earlier = turns[-1], turns[:-1]
    return _repeated_question(latest, earlier, tracker) or _repeated_message(latest, earlier)


def normalise(text: str) -> str:
    """Lower case, punctuation dropped, spaces collapsed: "Where is it??" == "where is it"."""
    words = (word.strip(".") for word in re.findall(r"[\w@.']+", text.lower()))
    return " ".join(word for word in words if word)


def _repeated_message(latest: _Turn, earlier: list[_Turn]) -> Complaint | None:
    text = normalise(latest.text)
    ignored = ROUTINE_INTENTS | QUESTION_INTENTS
    if latest.intent in ignored or len(text.split()) < MIN_WORDS:
        return None
    for turn in reversed(earlier):
        if (
            turn.intent not in ignored
            and not turn.apologised
            and fuzz.ratio(text, normalise(turn.text)) >= SIMILAR_MESSAGE
        ):
            return Complaint("repeated_message", [turn.text, latest.text])
    return None


def _repeated_question(latest: _Turn, earlier: list[_Turn], tracker: Tracker) -> Complaint | None:
    answer = ANSWERED_BY.get(latest.intent or "")
    order = latest.order
    if order is None and not ANOTHER_ORDER.search(latest.text.lower()):
        order = tracker.get_slot("verified_order")
    if answer is None or not order:
        return None
    for turn in reversed(earlier):
        if turn.intent == latest.intent and answer in turn.actions and turn.order == str(order):
            return Complaint("repeated_question", [turn.text, latest.text], order=str(order))
    return None


def _recent_turns(events: list[dict[str, Any]]) -> Iterator[_Turn]:
    """The shopper's turns since the last handoff, each with the actions it led to.

    A turn's ``order`` is the order it was about: the number in the message,
    else the verified order at the time its answer ran (``None`` before that).
    """
    turns: list[_Turn] = []
    verified: str | None = None
    for event in events:
        kind = event.get("event")
        if kind == "slot" and event.get("name") == "verified_order":
            verified = event.get("value")
        elif kind == "user" and event.get("text"):
            turns.append(_user_turn(event))
        elif kind == "action" and turns:
            name = str(event.get("name"))
            if name == HANDOFF_ACTION:
                turns = []
                continue
            turns[-1].actions.append(name)
            if name in ANSWERED_BY.values() and turns[-1].order is None and verified:
                turns[-1].order = str(verified)  # the order the answer was about
        elif kind == "bot" and turns and _is_gateway_apology(event):
            turns[-1].apologised = True
        elif kind == "resume":
            turns = []
    yield from turns


def _user_turn(event: dict[str, Any]) -> _Turn:
    parse = event.get("parse_data") or {}
    number = next(
        (
            str(entity.get("value"))
            for entity in parse.get("entities") or []
            if entity.get("entity") == "order_number"
        ),
        None,
    )
    intent = (parse.get("intent") or {}).get("name")
    text = str(event.get("text"))
    return _Turn(text=text, intent=intent, order=number)


def _is_gateway_apology(event: dict[str, Any]) -> bool:
    """The apology bot/apology.py records when no answer came (the action server was down)."""
    metadata = event.get("metadata") or {}
    return metadata.get("sender") == "gateway" and metadata.get("reason") == "no_answer"
