"""Analytics over a seeded set of conversations whose true figures the test knows."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from aisle.analytics import compute, main
from aisle.tracker_events import Conversation


def turn(
    at: float, intent: str, *actions: str, bot_after: float = 0.2, response: str = ""
) -> list[dict[str, Any]]:
    """A user message at ``at`` seconds, the actions it caused, and one bot answer."""
    events: list[dict[str, Any]] = [
        {
            "event": "user",
            "timestamp": at,
            "text": "...",
            "parse_data": {"intent": {"name": intent}},
        }
    ]
    events += [{"event": "action", "timestamp": at + 0.01, "name": name} for name in actions]
    metadata = {"utter_action": response} if response else {}
    events.append(
        {"event": "bot", "timestamp": at + bot_after, "text": "...", "metadata": metadata}
    )
    return events


# 4 conversations, 8 user turns: 1 handoff (asked for), 2 fallbacks, 3 searches of which 1 found
# nothing, and turn latencies of 100 ms (x4), 200 ms (x3) and 1000 ms (x1).
SEEDED = [
    Conversation(
        "a", [*turn(0, "greet", bot_after=0.1), *turn(5, "track_order", "action_order_status")]
    ),
    Conversation(
        "b",
        [
            *turn(0, "product_search", "action_search_products", bot_after=0.1),
            *turn(
                9, "product_search", "action_search_products", response="utter_no_products_found"
            ),
            *turn(20, "human_handoff", "action_handoff", bot_after=1.0),
        ],
    ),
    Conversation(
        "c",
        [
            *turn(0, "nlu_fallback", response="utter_default", bot_after=0.1),
            *turn(3, "out_of_scope", response="utter_default", bot_after=0.1),
        ],
    ),
    Conversation("d", [*turn(0, "product_search", "action_search_products")]),
    Conversation("silent", [{"event": "action", "timestamp": 0, "name": "action_session_start"}]),
]


def test_the_figures_of_a_known_set() -> None:
    figures = compute(SEEDED)
    assert figures.conversations == 4 and figures.user_turns == 8
    assert figures.containment_rate == 0.75 and figures.handoff_rate == 0.25
    assert figures.handoff_reasons == {"shopper_request": 1}
    assert figures.fallback_rate == 0.25  # 2 of 8 turns
    assert figures.intent_volume == {
        "product_search": 3,
        "greet": 1,
        "track_order": 1,
        "human_handoff": 1,
        "nlu_fallback": 1,
        "out_of_scope": 1,
    }
    assert figures.searches == 3 and figures.zero_result_rate == pytest.approx(0.3333)
    assert figures.turn_latency_ms["p50"] == pytest.approx(150.0, abs=1)
    assert figures.turn_latency_ms["p99"] == pytest.approx(1000.0, abs=60)


def handed_over(at: float, intent: str, reason: str) -> list[dict[str, Any]]:
    """A turn that ended in ``action_handoff``, which stored ``reason`` in its slot."""
    events = turn(at, intent, "action_handoff")
    slot = {"event": "slot", "timestamp": at + 0.02, "name": "handoff_reason", "value": reason}
    return [*events[:-1], slot, events[-1]]


def test_handoff_reasons_are_the_stored_reasons_not_the_intents() -> None:
    conversations = [
        Conversation("caps", handed_over(0, "track_order", "frustration")),
        Conversation("fraud", handed_over(0, "refund_status", "sensitive_topic")),
        Conversation("twice", handed_over(0, "nlu_fallback", "repeated_fallback")),
        Conversation("search", handed_over(0, "product_search", "action_failed")),
        Conversation("again", handed_over(0, "out_of_scope", "frustration")),
        Conversation("asked", handed_over(0, "human_handoff", "shopper_request")),
    ]
    assert compute(conversations).handoff_reasons == {
        "frustration": 2,
        "sensitive_topic": 1,
        "repeated_fallback": 1,
        "action_failed": 1,
        "shopper_request": 1,
    }


def test_no_conversations_gives_zeros_not_errors() -> None:
    figures = compute([])
    assert (figures.conversations, figures.handoff_rate, figures.turn_latency_ms) == (0, 0.0, {})


def test_the_command_reads_a_tracker_store_and_shows_no_personal_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "tracker.db"
    with sqlite3.connect(store) as db:
        db.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, "
            "timestamp FLOAT, intent_name TEXT, action_name TEXT, data TEXT)"
        )
        for conversation in SEEDED:
            for event in conversation.events:
                text = {**event, "text": "alex.rivera@example.com"} if "text" in event else event
                db.execute(
                    "INSERT INTO events (sender_id, type_name, timestamp, data) "
                    "VALUES (?, ?, ?, ?)",
                    (
                        f"shopper-{conversation.sender_id}",
                        event["event"],
                        event["timestamp"],
                        json.dumps(text),
                    ),
                )
    assert main(["--tracker-url", f"sqlite:///{store}", "--json"]) == 0
    output = capsys.readouterr().out
    figures = json.loads(output)
    assert figures["conversations"] == 4 and figures["handoff_rate"] == 0.25
    assert "alex.rivera" not in output and "shopper-" not in output
