"""Escalation triggers: when the bot hands over without being asked.

Rasa runs ``action_check_escalation`` after every shopper message, before it
predicts anything (it fills the ``needs_person`` slot's custom mapping in
domain.yml). It reads the message and the recent conversation and names a
reason: a sensitive topic (fraud, chargeback, legal, safety), frustration (a
phrase such as "this is ridiculous", an ALL CAPS message, a repeated
complaint) or a second fallback in a row. ``needs_person`` then makes the
rules in data/rules/rules_handoff.yml hand over, in the middle of a form too;
``escalation_reason`` and ``escalation_evidence`` tell ``action_handoff`` why,
for the handoff package the agent reads.

The phrases and topics are in ``actions/escalation.yml``, beside this module.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.complaints import repeated_complaint

logger = logging.getLogger(__name__)

TRIGGERS_FILE = Path(__file__).with_name("escalation.yml")

ESCALATION_SLOTS = ("needs_person", "escalation_reason", "escalation_evidence")
"""Set together when a trigger fires. ``action_handoff`` clears the reason and the
evidence; ``needs_person`` stays set through the handoff (the rules that led there
still match, so the bot waits) and is cleared at the next message that fires nothing."""

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ANSWERS = frozenset({"utter_default", "action_default_fallback"})
"""What the bot does when it did not understand (data/rules/rules_fallback.yml, config.yml)."""


@dataclass(frozen=True)
class Escalation:
    """Why a person should take over, and what in the conversation shows it."""

    reason: str
    """The handoff reason: ``sensitive_topic``, ``frustration``, ``repeated_fallback``."""
    trigger: str
    """What fired: ``fraud``/``chargeback``/``legal``/``safety``, ``phrase``, ``all_caps``,
    ``repeated_message``, ``repeated_question``, ``fallbacks``."""
    messages: list[str]
    """The shopper's messages that show it, oldest first."""
    matched: str | None = None
    """The words that matched, for a phrase or a topic."""
    order: str | None = None

    def evidence(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}


@dataclass(frozen=True)
class Triggers:
    """The phrases and topics of ``escalation.yml``, compiled."""

    frustration: re.Pattern[str]
    topics: dict[str, re.Pattern[str]]
    caps_min_words: int = 3
    caps_min_letters: int = 12


def _whole_words(patterns: list[str]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\b")


@lru_cache(maxsize=1)
def load_triggers(path: Path = TRIGGERS_FILE) -> Triggers:
    """Reads and compiles ``escalation.yml`` once per process."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    caps = raw.get("all_caps") or {}
    return Triggers(
        frustration=_whole_words(list(raw["frustration_phrases"])),
        topics={topic: _whole_words(list(p)) for topic, p in raw["sensitive_topics"].items()},
        caps_min_words=int(caps.get("min_words", 3)),
        caps_min_letters=int(caps.get("min_letters", 12)),
    )


def _plain(text: str) -> str:
    return text.lower().replace("\u2019", "'")


def sensitive_topic(text: str, triggers: Triggers) -> Escalation | None:
    for topic, pattern in triggers.topics.items():
        match = pattern.search(_plain(text))
        if match:
            return Escalation("sensitive_topic", topic, [text], matched=match.group(0))
    return None


def frustration_phrase(text: str, triggers: Triggers) -> Escalation | None:
    match = triggers.frustration.search(_plain(text))
    return Escalation("frustration", "phrase", [text], matched=match.group(0)) if match else None


def is_all_caps(text: str, triggers: Triggers) -> bool:
    """Shouting: every letter upper case, ignoring emails, numbers and single letters."""
    words = [w for w in text.split() if "@" not in w and not any(c.isdigit() for c in w)]
    letters = [c for w in words for c in w if c.isalpha()]
    return (
        len([w for w in words if sum(c.isalpha() for c in w) > 1]) >= triggers.caps_min_words
        and len(letters) >= triggers.caps_min_letters
        and all(c.isupper() for c in letters)
    )


def repeated_fallback(tracker: Tracker) -> Escalation | None:
    """The bot did not understand this message, nor the one before, which it said so to.

    A form may take a message NLU cannot place (an address, a reason in the
    shopper's words) as an answer; only a fallback the bot answered with its
    "didn't get that" counts.
    """
    latest: dict[str, Any] | None = None
    answers: list[str] = []
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "action" and event.get("name") == "action_handoff":
            return None
        if kind == "action" and latest is not None:
            answers.append(str(event.get("name")))
        elif kind == "bot" and latest is not None:
            answers.append(str((event.get("metadata") or {}).get("utter_action") or ""))
        elif kind == "user":
            if latest is not None:
                if _intent(event) == FALLBACK_INTENT and FALLBACK_ANSWERS & set(answers):
                    texts = [str(event.get("text") or ""), str(latest.get("text") or "")]
                    return Escalation("repeated_fallback", "fallbacks", texts)
                return None
            if _intent(event) != FALLBACK_INTENT:
                return None
            latest = event
    return None


def _intent(event: dict[str, Any]) -> str | None:
    name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
    return str(name) if name else None


def detect(tracker: Tracker, triggers: Triggers | None = None) -> Escalation | None:
    """The first trigger the latest message fires, most serious first."""
    triggers = triggers or load_triggers()
    text = str(tracker.latest_message.get("text") or "")
    if not text or text.startswith("/"):  # a button payload says nothing about the mood
        return None
    found = sensitive_topic(text, triggers) or frustration_phrase(text, triggers)
    if found is None and is_all_caps(text, triggers):
        found = Escalation("frustration", "all_caps", [text])
    if found is None:
        complaint = repeated_complaint(tracker)
        if complaint is not None:
            found = Escalation(
                "frustration", complaint.kind, complaint.messages, order=complaint.order
            )
    return found or repeated_fallback(tracker)


def hand_over_after_failure(
    dispatcher: CollectingDispatcher, tracker: Tracker, action: str, error: BaseException
) -> list[EventType]:
    """Hands over from an action that failed (database or index down), after its apology.

    The handoff is stored by the failing action itself; when the database is
    down too, the shopper is told how to reach support instead of being
    promised a person.
    """
    from actions.handoff import hand_over  # handoff imports orders, which imports this module

    evidence = {"reason": "action_failed", "trigger": action, "error": type(error).__name__}
    return hand_over(dispatcher, tracker, "action_failed", evidence)


class ActionCheckEscalation(Action):
    """Runs after every shopper message (the ``needs_person`` slot mapping) and flags a handoff."""

    def name(self) -> str:
        return "action_check_escalation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        if tracker.is_paused():  # a person has the conversation: nothing to escalate
            return []
        found = detect(tracker)
        if found is None:
            if tracker.get_slot("needs_person"):
                return [SlotSet(slot, None) for slot in ESCALATION_SLOTS]
            return []
        logger.info("Conversation %s needs a person: %s", tracker.sender_id, found.trigger)
        return [
            SlotSet("needs_person", True),
            SlotSet("escalation_reason", found.reason),
            SlotSet("escalation_evidence", found.evidence()),
        ]
