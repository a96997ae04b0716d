"""The gateway's side of a stable widget session (``bot.history``, ``bot.ws``).

``history_items`` is checked on tracker events shaped like Rasa 3.6's; the socket
protocol (history on connecting, acks, a resent message never run twice) against
the real stack over a real websocket.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from aisle.stack import Stack
from bot.history import history_items


def test_history_items_rebuild_the_log_from_tracker_events() -> None:
    events: list[dict[str, Any]] = [
        {"event": "action", "name": "action_session_start"},
        {"event": "user", "text": "hi <b>there</b>", "metadata": {"message_id": "m-00000001"}},
        {
            "event": "bot",
            "text": "Which one?",
            "data": {"buttons": [{"title": "The blue one", "payload": '/choose{"c":"blue"}'}]},
        },
        {"event": "user", "text": '/choose{"c":"blue"}', "metadata": {}},
        {"event": "bot", "text": None, "data": {"image": "javascript:alert(1)"}},  # nothing left
        {
            "event": "bot",
            "text": "Hello, Ana here",
            "metadata": {"sender": "agent", "agent_name": "Ana"},
        },
        {"event": "slot", "name": "colour", "value": "blue"},
        {"event": "bot", "text": "Here:", "data": {"custom": {"type": "other"}, "image": "/a.png"}},
    ]

    items = [item.model_dump(exclude_none=True) for item in history_items(events)]

    assert items == [
        {"type": "user_message", "text": "hi <b>there</b>", "message_id": "m-00000001"},
        {
            "type": "bot_message",
            "text": "Which one?",
            "buttons": [{"title": "The blue one", "payload": '/choose{"c":"blue"}'}],
        },
        {"type": "user_message", "text": "The blue one"},  # the button's title, as it was shown
        {"type": "agent_message", "text": "Hello, Ana here", "agent_name": "Ana"},
        # split as Rasa's REST channel splits it live: text, custom payload, image
        {"type": "bot_message", "text": "Here:"},
        {"type": "bot_message", "custom": {"type": "other"}},
        {"type": "bot_message", "image": "/a.png"},
    ]


def test_history_drops_malformed_carousels_and_unsafe_links() -> None:
    events = [
        {
            "event": "bot",
            "text": None,
            "data": {"custom": {"type": "product_cards", "products": 3}},
        },
        {
            "event": "bot",
            "text": None,
            "data": {
                "custom": {
                    "type": "product_cards",
                    "products": [{"id": "p1", "title": "T", "price": 1, "url": "javascript:x"}],
                }
            },
        },
    ]
    items = history_items(events)
    assert len(items) == 1
    assert items[0].model_dump()["custom"]["products"][0]["url"] is None


# --- over the socket, against the real stack -----------------------------------------------


def _frames_until(socket: Any, kind: str) -> list[dict[str, Any]]:
    frames = []
    while True:
        frame = json.loads(socket.recv(timeout=60))
        frames.append(frame)
        if frame["type"] == kind:
            return frames


def _socket_url(stack: Stack, conversation: str) -> str:
    base = stack.config.gateway_url.replace("http", "ws", 1)
    return f"{base}/ws?conversation_id={conversation}&history=1"


def _tracker_user_events(stack: Stack, conversation: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{stack.config.rasa_url}/conversations/{conversation}/tracker",
        params={"include_events": "ALL"},
        timeout=10,
    )
    response.raise_for_status()
    return [event for event in response.json()["events"] if event["event"] == "user"]


@pytest.mark.stack
def test_a_resent_message_is_answered_from_the_tracker_not_run_twice(stack: Stack) -> None:
    conversation, message_id = uuid.uuid4().hex, uuid.uuid4().hex
    frame = {"type": "user_message", "text": "show me rain jackets", "message_id": message_id}

    def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
        with connect(_socket_url(stack, conversation)) as socket:
            assert (_frames_until(socket, "history"))[-1]["messages"] == []
            socket.send(json.dumps(frame))
            first = _frames_until(socket, "ack")
        with connect(_socket_url(stack, conversation)) as socket:
            history = (_frames_until(socket, "history"))[-1]
            socket.send(json.dumps({**frame, "resent": True}))
            again = _frames_until(socket, "ack")
        return first, again, history

    first, again, history = scenario()

    answers = [f for f in first if f["type"] == "bot_message"]
    assert answers, first
    assert first[-1] == {"type": "ack", "message_id": message_id}
    assert again == [*answers, {"type": "ack", "message_id": message_id}]  # no typing: no turn
    assert history["complete"] is True
    assert history["messages"][0] == {
        "type": "user_message",
        "text": "show me rain jackets",
        "message_id": message_id,
    }
    assert history["messages"][1:] == answers
    users = _tracker_user_events(stack, conversation)
    assert [event["metadata"]["message_id"] for event in users] == [message_id]


@pytest.mark.stack
def test_a_resent_message_that_never_arrived_is_run(stack: Stack) -> None:
    conversation, message_id = uuid.uuid4().hex, uuid.uuid4().hex
    frame = {"type": "user_message", "text": "hello", "message_id": message_id, "resent": True}

    def scenario() -> list[dict[str, Any]]:
        with connect(_socket_url(stack, conversation)) as socket:
            _frames_until(socket, "history")
            socket.send(json.dumps(frame))
            return _frames_until(socket, "ack")

    frames = scenario()

    assert frames[0] == {"type": "typing", "on": True}
    assert any(f["type"] == "bot_message" for f in frames)
    assert [e["text"] for e in _tracker_user_events(stack, conversation)] == ["hello"]


@pytest.mark.stack
def test_a_refused_message_names_its_id_so_the_widget_drops_it(stack: Stack) -> None:
    conversation, message_id = uuid.uuid4().hex, uuid.uuid4().hex
    frame = {"type": "user_message", "text": "   ", "message_id": message_id}

    def scenario() -> dict[str, Any]:
        with connect(_socket_url(stack, conversation)) as socket:
            _frames_until(socket, "history")
            socket.send(json.dumps(frame))
            return (_frames_until(socket, "error"))[-1]

    error = scenario()

    assert error["code"] == "empty_message"
    assert error["message_id"] == message_id
