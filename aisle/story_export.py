"""Turning a real conversation into a conversation test (Rasa's test-story format).

A reviewer finds a conversation that went wrong, exports it, corrects the
labels (the intent the shopper meant, the actions the bot should have run)
and adds it to ``tests/stories/``, where ``aisle.story_replay`` replays it
against the live assistant from then on. The export writes what happened, so
an unedited export of a good conversation replays and passes as it is.

Written per user turn: the text (with the entities the bot found annotated as
``[value](entity)``), the intent, the actions run and the forms started or
ended. Slot values and bot texts are left out: they hold order numbers, RMA
numbers and dates that change between runs; the reviewer adds the ones that
matter as ``slot_was_set`` / ``bot`` steps. Personal data is redacted (see
``export_story``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from aisle.pii import redact
from aisle.settings import PROJECT_ROOT
from aisle.story_replay import IMPLICIT_ACTIONS
from aisle.tracker_events import Conversation

DOMAIN_FILE = PROJECT_ROOT / "domain.yml"


def export_story(
    conversation: Conversation,
    name: str | None = None,
    keep_personal_data: bool = False,
    intents: Mapping[int, str] | None = None,
) -> str:
    """The conversation as a YAML file of one test story.

    Test stories are committed, so a real shopper's emails, phone numbers,
    card numbers and addresses are replaced (``aisle.pii.redact``) unless
    ``keep_personal_data``: the reviewer puts demo data in their place.
    ``intents`` are the reviewer's corrections: user turn number (0 = the
    first message) to the intent the shopper meant.
    """
    corrections = dict(intents or {})
    steps: list[dict[str, Any]] = []
    turn = 0
    for event in conversation.events:
        kind = event.get("event")
        if kind == "user":
            step = _user_step(event)
            if turn in corrections:
                step["intent"] = corrections[turn]
            turn += 1
            if not keep_personal_data:
                step["user"] = redact(step["user"])
            steps.append(step)
        elif kind == "action" and event.get("name") not in IMPLICIT_ACTIONS and steps:
            steps.append({"action": event["name"]})
        elif kind == "active_loop" and steps:
            steps.append({"active_loop": event.get("name")})
    story = {"story": name or f"Reviewed conversation {conversation.sender_id}", "steps": steps}
    document = {"version": "3.1", "stories": [story]}
    return yaml.dump(document, Dumper=_StoryDumper, sort_keys=False, allow_unicode=True, width=100)


def domain_intents(domain_file: Path = DOMAIN_FILE) -> list[str]:
    """The intents a corrected label may name: the ones the assistant is trained on."""
    domain = yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}
    return [str(name) for name in domain.get("intents", [])]


def label_problems(
    conversation: Conversation, intents: Mapping[int, str], known: Iterable[str]
) -> list[str]:
    """What is wrong with a reviewer's corrections, one clear sentence each (empty: fine)."""
    turns = len(conversation.of_type("user"))
    allowed = set(known)
    problems = []
    for turn, intent in sorted(intents.items()):
        if not 0 <= turn < turns:
            problems.append(f"turn {turn}: the conversation has shopper turns 0-{turns - 1}")
        if intent not in allowed:
            problems.append(f"turn {turn}: {intent!r} is not an intent in domain.yml")
    return problems


def _user_step(event: dict[str, Any]) -> dict[str, Any]:
    parse = event.get("parse_data") or {}
    text = str(event.get("text") or "")
    step: dict[str, Any] = {"user": annotate(text, parse.get("entities") or [])}
    intent = (parse.get("intent") or {}).get("name")
    if intent:
        step["intent"] = intent
    return step


def annotate(text: str, entities: list[dict[str, Any]]) -> str:
    """Marks the entities found in ``text`` as ``[value](entity)``, as the test format has them."""
    spans = sorted(
        (entity for entity in entities if _has_span(entity, text)),
        key=lambda entity: int(entity["start"]),
        reverse=True,
    )
    for entity in spans:
        start, end = int(entity["start"]), int(entity["end"])
        text = f"{text[:start]}[{text[start:end]}]({entity['entity']}){text[end:]}"
    return text


def _has_span(entity: dict[str, Any], text: str) -> bool:
    start, end = entity.get("start"), entity.get("end")
    return isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)


class _StoryDumper(yaml.SafeDumper):
    """Writes shopper text as ``user: |`` blocks, the way the content team writes stories."""


def _text_block(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if value.startswith("/") or "\n" in value or len(value) > 60:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value + "\n", style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_StoryDumper.add_representer(str, _text_block)
