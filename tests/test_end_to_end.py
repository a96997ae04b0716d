"""The whole assistant, as a shopper's widget uses it: gateway websocket and HTTP
API -> Rasa server -> action server -> seeded shop database and catalog index."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from agent_helpers import AGENT_PASSWORD, add_agent
from sqlalchemy import select
from websockets.sync.client import connect

from aisle.database import session_scope
from aisle.demo.personas import DEMO_CUSTOMER_EMAIL, DEMO_ORDERS
from aisle.models import Handoff
from aisle.stack import Stack

pytestmark = pytest.mark.stack


def chat_over_websocket(stack: Stack, conversation_id: str, text: str) -> list[dict[str, Any]]:
    """Sends one message through the widget's websocket; returns the bot messages of the turn."""
    url = stack.config.gateway_url.replace("http", "ws") + f"/ws?conversation_id={conversation_id}"
    with connect(url, open_timeout=10) as socket:
        socket.send(json.dumps({"type": "user_message", "text": text}))
        messages: list[dict[str, Any]] = []
        while True:
            envelope = json.loads(socket.recv(timeout=60))
            if envelope["type"] == "bot_message":
                messages.append(envelope)
            elif envelope["type"] == "error":
                pytest.fail(f"gateway error: {envelope}")
            elif envelope["type"] == "typing" and not envelope["on"] and messages:
                return messages


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(message.get("text") or "" for message in messages)


def test_order_status_for_a_seeded_order(stack: Stack) -> None:
    conversation = f"e2e-{uuid.uuid4().hex[:12]}"
    order = DEMO_ORDERS["in_transit"]
    answer = texts(
        chat_over_websocket(
            stack, conversation, f"where is my order {order}? email {DEMO_CUSTOMER_EMAIL}"
        )
    )
    assert f"Order {order}" in answer
    assert "tracking number" in answer


def test_order_status_needs_the_right_email(stack: Stack) -> None:
    conversation = f"e2e-{uuid.uuid4().hex[:12]}"
    order = DEMO_ORDERS["in_transit"]
    answer = texts(
        chat_over_websocket(stack, conversation, f"where is order {order}? email x@example.com")
    )
    assert f"Order {order}" not in answer
    assert "couldn't find an order with that number and email" in answer


def test_product_search_over_http(stack: Stack) -> None:
    conversation = f"e2e-{uuid.uuid4().hex[:12]}"
    response = httpx.post(
        f"{stack.config.gateway_url}/api/conversations/{conversation}/messages",
        json={"text": "I need waterproof hiking boots"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    messages = response.json()["messages"]
    cards = next(m["custom"] for m in messages if m.get("custom"))
    assert cards["type"] == "product_cards"
    titles = [product["title"].lower() for product in cards["products"]]
    assert sum("boot" in title for title in titles) >= 3, titles


def test_handoff_creates_a_record_with_the_transcript(stack: Stack) -> None:
    conversation = f"e2e-{uuid.uuid4().hex[:12]}"
    chat_over_websocket(stack, conversation, "hello")
    answer = texts(chat_over_websocket(stack, conversation, "I want to talk to a person"))
    assert "support team" in answer
    with session_scope(stack.config.env["AISLE_DATABASE_URL"]) as session:
        handoff = session.scalars(
            select(Handoff).where(Handoff.conversation_id == conversation)
        ).one()
        shopper_lines = [line["text"] for line in handoff.transcript if line["sender"] == "shopper"]
    assert shopper_lines == ["hello", "I want to talk to a person"]
    assert f"#{handoff.id}" in answer
    assert httpx.get(f"{stack.config.gateway_url}/agent/login", timeout=10).status_code == 200
    email = f"{conversation}@agents.example"
    add_agent(stack.config.env["AISLE_DATABASE_URL"], email=email)
    with httpx.Client(base_url=stack.config.gateway_url, timeout=10) as agent:
        login = agent.post("/api/agent/login", json={"email": email, "password": AGENT_PASSWORD})
        assert login.status_code == 204, login.text
        assert agent.get("/agent").status_code == 200
        queue = agent.get("/api/agent/queue").json()
    assert conversation in [item["conversation_id"] for item in queue]
