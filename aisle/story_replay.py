"""Replays Rasa test stories against a running Rasa server and its action server.

Rasa 3.6's ``rasa test`` predicts actions without running them, so it cannot
tell that an action crashed or answered wrongly. This harness sends each
``user`` step of a test story to the live assistant and compares what really
happened in that turn with the steps the story lists:

- ``intent`` and annotated entities (``[10001](order_number)``) of the message,
- ``action`` steps: the exact sequence of actions run (``action_listen`` aside),
- ``slot_was_set`` and ``active_loop`` steps: set during the turn, to these values,
- ``bot`` steps (our extension): some bot message of the turn contains this text.

A custom action that emits no events at all counts as failed: Rasa swallows
action-server errors ("the actions events are lost"), and every Aisle action
says or sets something when it works.

Usage: ``python -m aisle.story_replay tests/stories --rasa-url http://127.0.0.1:5005``
"""

from __future__ import annotations

import argparse
import re
import sys
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from aisle.settings import PROJECT_ROOT

# Actions Rasa runs by itself; a story does not list them.
IMPLICIT_ACTIONS = {"action_listen", "action_session_start", "action_extract_slots"}
ENTITY_ANNOTATION = re.compile(r"\[(?P<value>[^\]]+)\]\((?P<entity>[^)]+)\)")


@dataclass
class Turn:
    """One user message and what the story expects in reply."""

    text: str
    intent: str | None
    entities: list[tuple[str, str]]
    actions: list[str] = field(default_factory=list)
    slots: list[tuple[str, Any]] = field(default_factory=list)
    active_loops: list[str | None] = field(default_factory=list)
    bot_texts: list[str] = field(default_factory=list)


@dataclass
class ReplayStory:
    name: str
    source: str
    turns: list[Turn]


@dataclass
class StoryResult:
    story: ReplayStory
    failures: list[str]

    @property
    def passed(self) -> bool:
        return not self.failures


def load_stories(paths: Iterable[Path]) -> list[ReplayStory]:
    """Reads every story of the given files (folders are searched for *.yml)."""
    stories: list[ReplayStory] = []
    for path in _story_files(paths):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for entry in document.get("stories", []):
            stories.append(_parse_story(entry, _shown(path)))
    return stories


def _shown(path: Path) -> str:
    """The path as a failure message names it: relative to the project when inside it."""
    resolved = path.resolve()
    return (
        str(resolved.relative_to(PROJECT_ROOT))
        if resolved.is_relative_to(PROJECT_ROOT)
        else str(path)
    )


def _story_files(paths: Iterable[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.rglob("*.yml")) if path.is_dir() else [path])
    return files


def _parse_story(entry: dict[str, Any], source: str) -> ReplayStory:
    name = entry.get("story", "<unnamed story>")
    turns: list[Turn] = []
    for number, step in enumerate(entry.get("steps", []), start=1):
        if "user" in step:
            turns.append(_parse_user_step(step))
            continue
        if not turns:
            raise ValueError(f"{source}: story {name!r} step {number}: starts before any user step")
        _add_expectation(turns[-1], step, f"{source}: story {name!r} step {number}")
    return ReplayStory(name=name, source=source, turns=turns)


def _parse_user_step(step: dict[str, Any]) -> Turn:
    annotated = str(step["user"]).strip()
    entities = [(m["entity"], m["value"]) for m in ENTITY_ANNOTATION.finditer(annotated)]
    for item in step.get("entities", []) or []:
        entities.extend((str(key), str(value)) for key, value in item.items())
    text = ENTITY_ANNOTATION.sub(lambda m: m["value"], annotated)
    return Turn(text=text, intent=step.get("intent"), entities=entities)


def _add_expectation(turn: Turn, step: dict[str, Any], where: str) -> None:
    if "action" in step:
        turn.actions.append(step["action"])
    elif "slot_was_set" in step:
        for item in step["slot_was_set"]:
            turn.slots.extend(item.items() if isinstance(item, dict) else [(item, _ANY)])
    elif "active_loop" in step:
        turn.active_loops.append(step["active_loop"])
    elif "bot" in step:
        turn.bot_texts.append(str(step["bot"]))
    else:
        raise ValueError(f"{where}: unknown step {step!r}")


class _Anything:
    def __repr__(self) -> str:
        return "<any value>"


_ANY = _Anything()


def check_turn(turn: Turn, events: list[dict[str, Any]], custom_actions: set[str]) -> list[str]:
    """Compares one turn's tracker events (from the user event on) with the story."""
    failures: list[str] = []
    user_event = next((e for e in events if e.get("event") == "user"), None)
    if user_event is None:
        return [f"{turn.text!r}: Rasa recorded no user message"]
    parse = user_event.get("parse_data") or {}
    intent = (parse.get("intent") or {}).get("name")
    if turn.intent and intent != turn.intent:
        failures.append(f"{turn.text!r}: intent {intent!r}, expected {turn.intent!r}")
    found_entities = {(e.get("entity"), str(e.get("value"))) for e in parse.get("entities", [])}
    for entity in turn.entities:
        if entity not in found_entities:
            failures.append(
                f"{turn.text!r}: entity {entity} not extracted ({sorted(found_entities)})"
            )

    actions = [e["name"] for e in events if e.get("event") == "action"]
    actions = [name for name in actions if name not in IMPLICIT_ACTIONS]
    if actions != turn.actions:
        failures.append(f"{turn.text!r}: actions {actions}, expected {turn.actions}")
    failures.extend(_silent_custom_actions(turn, events, custom_actions))

    slots_set = [(e["name"], e.get("value")) for e in events if e.get("event") == "slot"]
    for name, value in turn.slots:
        if not any(n == name and (value is _ANY or _same(v, value)) for n, v in slots_set):
            seen = [v for n, v in slots_set if n == name]
            failures.append(f"{turn.text!r}: slot {name} not set to {value!r} (set to: {seen})")
    loops = [e.get("name") for e in events if e.get("event") == "active_loop"]
    for loop in turn.active_loops:
        if loop not in loops:
            failures.append(f"{turn.text!r}: active_loop {loop!r} not set (saw {loops})")
    bot_texts = [e.get("text") or "" for e in events if e.get("event") == "bot"]
    for expected in turn.bot_texts:
        if not any(expected in text for text in bot_texts):
            failures.append(
                f"{turn.text!r}: no bot message contains {expected!r} (got {bot_texts})"
            )
    return failures


def _silent_custom_actions(
    turn: Turn, events: list[dict[str, Any]], custom_actions: set[str]
) -> list[str]:
    """Custom actions after which nothing happened: their action server call failed."""
    failures = []
    for position, event in enumerate(events):
        if event.get("event") != "action" or event.get("name") not in custom_actions:
            continue
        following = events[position + 1 :]
        next_action = next(
            (i for i, e in enumerate(following) if e.get("event") == "action"), len(following)
        )
        if not following[:next_action]:
            failures.append(
                f"{turn.text!r}: {event['name']} produced no events (action server error?)"
            )
    return failures


def _same(actual: Any, expected: Any) -> bool:
    if isinstance(actual, float) and isinstance(expected, int | float):
        return actual == float(expected)
    if isinstance(expected, list | dict) or expected is None or isinstance(actual, list | dict):
        return bool(actual == expected)
    return str(actual) == str(expected)


class StoryReplayer:
    """Sends stories to a Rasa server (with ``--enable-api``) and checks each turn."""

    def __init__(self, rasa_url: str, custom_actions: set[str], timeout: float = 60.0) -> None:
        self._client = httpx.Client(base_url=rasa_url, timeout=timeout)
        self._custom_actions = custom_actions

    def close(self) -> None:
        self._client.close()

    def replay(self, story: ReplayStory) -> StoryResult:
        conversation_id = f"story-{uuid.uuid4().hex[:12]}"
        failures: list[str] = []
        for turn in story.turns:
            seen = len(self._events(conversation_id))
            response = self._client.post(
                "/webhooks/rest/webhook", json={"sender": conversation_id, "message": turn.text}
            )
            response.raise_for_status()
            events = self._events(conversation_id)[seen:]
            failures.extend(check_turn(turn, _from_user_event(events), self._custom_actions))
        return StoryResult(story=story, failures=failures)

    def _events(self, conversation_id: str) -> list[dict[str, Any]]:
        response = self._client.get(f"/conversations/{conversation_id}/tracker")
        response.raise_for_status()
        events: list[dict[str, Any]] = response.json().get("events", [])
        return events


def _from_user_event(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for position, event in enumerate(events):
        if event.get("event") == "user":
            return events[position:]
    return events


def custom_actions_of(domain_file: Path) -> set[str]:
    """Actions served by the action server, form validators aside (they may say nothing)."""
    domain = yaml.safe_load(domain_file.read_text(encoding="utf-8"))
    return {name for name in domain.get("actions", []) if not name.startswith("validate_")}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m aisle.story_replay",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", type=Path, default=[PROJECT_ROOT / "tests" / "stories"])
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    parser.add_argument("--domain", type=Path, default=PROJECT_ROOT / "domain.yml")
    args = parser.parse_args(argv)
    replayer = StoryReplayer(args.rasa_url, custom_actions_of(args.domain))
    results = [replayer.replay(story) for story in load_stories(args.paths)]
    replayer.close()
    for result in results:
        print(f"{'PASS' if result.passed else 'FAIL'}  {result.story.source}: {result.story.name}")
        for failure in result.failures:
            print(f"      {failure}")
    passed = sum(result.passed for result in results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if results and passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
