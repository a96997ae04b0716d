"""The harness itself: it must fail a turn whose real events differ from the story."""

from __future__ import annotations

from typing import Any

from aisle.story_replay import Turn, _parse_story, check_turn

CUSTOM = {"action_order_status"}


def _turn_events(*extra: dict[str, Any], intent: str = "track_order") -> list[dict[str, Any]]:
    user = {
        "event": "user",
        "text": "where is 10001",
        "parse_data": {
            "intent": {"name": intent},
            "entities": [{"entity": "order_number", "value": "10001"}],
        },
    }
    return [user, *extra, {"event": "action", "name": "action_listen"}]


def _expected(**kwargs: Any) -> Turn:
    return Turn(
        text="where is 10001", intent="track_order", entities=[("order_number", "10001")], **kwargs
    )


def test_matching_turn_passes() -> None:
    events = _turn_events(
        {"event": "action", "name": "action_order_status"},
        {"event": "bot", "text": "Order 10001: Delivered."},
        {"event": "slot", "name": "order_status", "value": "delivered"},
    )
    turn = _expected(
        actions=["action_order_status"],
        slots=[("order_status", "delivered")],
        bot_texts=["Delivered"],
    )
    assert check_turn(turn, events, CUSTOM) == []


def test_wrong_intent_action_slot_and_text_each_fail() -> None:
    events = _turn_events(
        {"event": "action", "name": "utter_default"},
        {"event": "bot", "text": "Sorry?"},
        intent="greet",
    )
    turn = _expected(
        actions=["action_order_status"],
        slots=[("order_status", "delivered")],
        bot_texts=["Delivered"],
    )
    failures = check_turn(turn, events, CUSTOM)
    assert len(failures) == 4
    assert any("intent 'greet'" in failure for failure in failures)


def test_a_custom_action_without_events_counts_as_failed() -> None:
    """Rasa logs a crashed action as executed but drops its events."""
    events = _turn_events({"event": "action", "name": "action_order_status"})
    failures = check_turn(_expected(actions=["action_order_status"]), events, CUSTOM)
    assert failures == [
        "'where is 10001': action_order_status produced no events (action server error?)"
    ]


def test_story_parsing_strips_entity_annotations() -> None:
    story = _parse_story(
        {
            "story": "s",
            "steps": [
                {"user": "order [10001](order_number) please", "intent": "track_order"},
                {"action": "verify_order_form"},
                {"active_loop": None},
                {"slot_was_set": [{"order_number": "10001"}, "shown_products"]},
            ],
        },
        "test.yml",
    )
    [turn] = story.turns
    assert turn.text == "order 10001 please"
    assert turn.entities == [("order_number", "10001")]
    assert turn.actions == ["verify_order_form"]
    assert turn.active_loops == [None]
    assert [name for name, _ in turn.slots] == ["order_number", "shown_products"]
