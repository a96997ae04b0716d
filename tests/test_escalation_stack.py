"""Escalation triggers through the whole assistant, as the widget uses it: gateway HTTP API ->
Rasa -> action server -> the shop database, then the agent API the console reads.

The session's stack serves the triggers; a second stack started without a catalog
index shows an action failing (the index down) on the real services. Each trigger
must leave a waiting handoff with its reason and evidence, pause the conversation,
and tell the shopper why a person is coming and where they stand.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from agent_helpers import AGENT_PASSWORD, add_agent
from sqlalchemy import select

from aisle.database import session_scope
from aisle.demo.personas import DEMO_CUSTOMER_EMAIL, DEMO_ORDERS
from aisle.models import Handoff
from aisle.stack import Stack, isolated_config

pytestmark = pytest.mark.stack


def send(stack: Stack, conversation: str, text: str) -> dict[str, Any]:
    url = f"{stack.config.gateway_url}/api/conversations/{conversation}/messages"
    response = httpx.post(url, json={"text": text}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def bot_text(turn: dict[str, Any]) -> str:
    return "\n".join(message.get("text") or "" for message in turn["messages"])


def handoff_of(stack: Stack, conversation: str) -> Handoff:
    with session_scope(stack.config.env["AISLE_DATABASE_URL"]) as session:
        handoff = session.scalars(
            select(Handoff).where(Handoff.conversation_id == conversation)
        ).one()
        session.expunge(handoff)
        return handoff


def test_asking_about_the_same_late_order_twice_goes_to_a_person_with_both_questions(
    stack: Stack,
) -> None:
    conversation = f"esc-{uuid.uuid4().hex[:12]}"
    late = DEMO_ORDERS["delayed"]
    first = f"where is order {late}? email {DEMO_CUSTOMER_EMAIL}"
    answered = send(stack, conversation, first)
    assert answered.get("handoff") is None and "delay" in bot_text(answered)  # the bot answered
    turn = send(stack, conversation, f"so where is order {late} then")
    said = bot_text(turn)
    assert "sorry this has been frustrating" in said.lower()
    assert "passed our conversation to the support team" in said
    assert turn["handoff"]["status"] == "waiting"
    assert "queue" in turn["handoff"]["message"]  # where they stand, told honestly
    handoff = handoff_of(stack, conversation)
    assert handoff.reason == "frustration"
    evidence = handoff.context["escalation"]
    assert evidence["trigger"] == "repeated_question" and evidence["order"] == late
    assert evidence["messages"] == [first, f"so where is order {late} then"]
    # The bot is quiet now: a person has the conversation.
    assert send(stack, conversation, "hello?")["messages"] == []

    email = f"{conversation}@agents.example"
    add_agent(stack.config.env["AISLE_DATABASE_URL"], email=email)
    with httpx.Client(base_url=stack.config.gateway_url, timeout=10) as agent:
        login = agent.post("/api/agent/login", json={"email": email, "password": AGENT_PASSWORD})
        assert login.status_code == 204, login.text
        queue = agent.get("/api/agent/queue").json()
        detail = agent.get(f"/api/agent/handoffs/{handoff.id}").json()
    assert {"id": handoff.id, "reason": "frustration"}.items() <= next(
        item for item in queue if item["id"] == handoff.id
    ).items()
    assert detail["escalation"]["trigger"] == "repeated_question"


def test_a_fraud_report_in_the_middle_of_a_return_goes_to_a_person(stack: Stack) -> None:
    conversation = f"esc-{uuid.uuid4().hex[:12]}"
    order = DEMO_ORDERS["delivered"]
    started = send(stack, conversation, f"return order {order}, {DEMO_CUSTOMER_EMAIL}")
    assert started.get("handoff") is None
    text = "wait, i never made this purchase, someone used my card"
    said = bot_text(send(stack, conversation, text))
    assert "something a person on our team should look at" in said
    handoff = handoff_of(stack, conversation)
    assert handoff.reason == "sensitive_topic"
    assert handoff.context["escalation"]["trigger"] == "fraud"
    assert handoff.context["escalation"]["messages"] == [text]
    assert handoff.slots["verified_order"] == order  # what the bot knew comes along


@pytest.fixture(scope="module")
def stack_without_index(
    demo_shop: dict[str, Path | str],
    tmp_path_factory: pytest.TempPathFactory,
    free_port: Callable[[], int],
) -> Iterator[Stack]:
    """The real assistant whose catalog index is missing (never built, or its files lost)."""
    folder = tmp_path_factory.mktemp("stack-no-index")
    config = isolated_config(
        folder,
        action_port=free_port(),
        rasa_port=free_port(),
        gateway_port=free_port(),
        env={
            "AISLE_DATABASE_URL": str(demo_shop["database_url"]),
            "AISLE_INDEX_DIR": str(folder / "no-index"),
        },
    )
    with Stack(config) as running:
        yield running


def test_search_with_the_index_down_goes_to_a_person(stack_without_index: Stack) -> None:
    conversation = f"esc-{uuid.uuid4().hex[:12]}"
    turn = send(stack_without_index, conversation, "a warm waterproof jacket for hiking")
    said = bot_text(turn)
    assert "product search isn't available right now" in said  # the apology first
    assert "isn't working on my side, I'm bringing in a person" in said
    assert turn["handoff"]["status"] == "waiting"
    handoff = handoff_of(stack_without_index, conversation)
    assert handoff.reason == "action_failed"
    assert handoff.context["escalation"]["trigger"] == "action_search_products"
    assert send(stack_without_index, conversation, "hello?")["messages"] == []  # a person has it


def test_the_check_after_every_message_never_blocks_a_turn_when_the_action_server_is_down(
    stack_without_index: Stack,
) -> None:
    """The escalation check is an action server call on every turn: without it, Rasa goes on."""
    stack_without_index.service("actions").stop()
    conversation = f"esc-{uuid.uuid4().hex[:12]}"
    started = time.monotonic()
    turn = send(stack_without_index, conversation, "hi")
    assert time.monotonic() - started < 2.0
    assert "I'm Aisle" in bot_text(turn)
