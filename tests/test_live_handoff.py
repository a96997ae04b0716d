"""The live handoff through the gateway's real websockets and HTTP API, on a real database.

Rasa is the ``FakeRasa`` of test_gateway (an ``httpx.MockTransport``) that
keeps a tracker per conversation like Rasa does: a paused tracker records the
shopper's message and answers nothing. Its ``on_message`` stores a handoff the
way ``action_handoff`` does. The real Rasa is exercised by the browser round
trip (test_widget_handoff_browser.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from agent_helpers import add_agent, sign_in
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect
from test_gateway import FakeRasa, receive_turn

from aisle import migrate
from aisle.database import session_scope
from aisle.models import Handoff, SupportTicket
from aisle.settings import Settings
from bot.app import create_app
from bot.rasa_client import RasaClient

SHOPPER = "conv-live-0001"
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


def store_handoff(
    database_url: str, conversation_id: str, slots: dict[str, Any] | None = None
) -> None:
    """What ``action_handoff`` writes (actions/handoff.py), for a fake Rasa to call."""
    with session_scope(database_url) as session:
        session.add(
            Handoff(
                conversation_id=conversation_id,
                status="waiting",
                reason="shopper_request",
                summary="Shopper sent 1 message(s); last intent: human_handoff. No order verified.",
                latest_intent="human_handoff",
                transcript=[{"sender": "shopper", "text": "talk to a person"}],
                slots=slots or {},
                context={"intents": [{"name": "human_handoff", "confidence": 0.98}], "actions": []},
                created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
            )
        )


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    migrate.upgrade(url)
    add_agent(url)
    add_agent(url, email="kim@shop.example", name="Kim")
    return url


@pytest.fixture
def fake_rasa(db_url: str) -> FakeRasa:
    rasa = FakeRasa()

    def act(sender: str, text: str) -> None:
        if "person" in text:
            store_handoff(db_url, sender)

    rasa.on_message = act
    return rasa


def make_client(db_url: str, fake_rasa: FakeRasa, redis_url: str | None = None) -> TestClient:
    settings = Settings(database_url=db_url, rasa_url="http://rasa.test", redis_url=redis_url)
    rasa = RasaClient(settings.rasa_url, 5.0, transport=httpx.MockTransport(fake_rasa.handle))
    return TestClient(create_app(settings, rasa))


@pytest.fixture
def client(db_url: str, fake_rasa: FakeRasa) -> Iterator[TestClient]:
    with make_client(db_url, fake_rasa) as test_client:
        sign_in(test_client)
        yield test_client


def escalate(shopper: Any) -> dict[str, Any]:
    """The shopper asks for a person; returns the handoff frame of that turn."""
    shopper.send_json({"type": "user_message", "text": "talk to a person"})
    frames = receive_turn(shopper)
    assert frames[0]["type"] == "bot_message"
    return next(frame for frame in frames if frame["type"] == "handoff")


def test_round_trip_bot_stays_silent_while_a_person_has_the_chat(
    client: TestClient, fake_rasa: FakeRasa, db_url: str
) -> None:
    with (
        client.websocket_connect("/agent/ws") as agent,
        client.websocket_connect(f"/ws?conversation_id={SHOPPER}") as shopper,
    ):
        waiting = escalate(shopper)
        assert waiting["status"] == "waiting" and waiting["queue_position"] == 1
        assert (
            waiting["expected_wait_minutes"] >= 1 and "number 1 in the queue" in waiting["message"]
        )
        assert fake_rasa.events[SHOPPER][-1] == {"event": "pause"}
        assert agent.receive_json() == {"type": "queue_changed"}
        queue = client.get("/api/agent/queue").json()
        assert [(item["conversation_id"], item["status"]) for item in queue] == [
            (SHOPPER, "waiting")
        ]
        handoff_id = queue[0]["id"]

        assert client.post(f"/api/agent/handoffs/{handoff_id}/claim").status_code == 204
        claimed = shopper.receive_json()
        assert (claimed["status"], claimed["agent_name"]) == ("claimed", "Jo")

        shopper.send_json({"type": "typing", "on": True})
        assert agent.receive_json() == {"type": "queue_changed"}  # from the claim
        assert agent.receive_json() == {"type": "typing", "handoff_id": handoff_id, "on": True}
        shopper.send_json({"type": "user_message", "text": "my parcel never came"})
        assert agent.receive_json()["on"] is False
        relayed = agent.receive_json()
        assert (relayed["type"], relayed["sender"], relayed["text"]) == (
            "message",
            "shopper",
            "my parcel never came",
        )

        agent.send_json({"type": "typing", "handoff_id": handoff_id, "on": True})
        assert shopper.receive_json() == {"type": "typing", "on": True, "agent_name": "Jo"}
        agent.send_json({"type": "agent_message", "handoff_id": handoff_id, "text": "I'm on it."})
        # The next frame is the person's: the bot said nothing to "my parcel never came".
        assert shopper.receive_json() == {
            "type": "agent_message",
            "text": "I'm on it.",
            "agent_name": "Jo",
        }
        assert shopper.receive_json() == {"type": "typing", "on": False, "agent_name": "Jo"}
        assert agent.receive_json()["text"] == "I'm on it."

        assert client.post(f"/api/agent/handoffs/{handoff_id}/return").status_code == 204
        assert shopper.receive_json()["status"] == "returned_to_bot"
        shopper.send_json({"type": "user_message", "text": "thanks, bye"})
        assert receive_turn(shopper)[0]["text"] == "You said: thanks, bye"

    recorded = [(e["event"], e.get("text")) for e in fake_rasa.events[SHOPPER]]
    assert recorded == [
        ("user", "talk to a person"),
        ("pause", None),
        ("user", "my parcel never came"),
        ("bot", "I'm on it."),
        ("resume", None),
        ("user", "thanks, bye"),
    ]
    detail = client.get(f"/api/agent/handoffs/{handoff_id}").json()
    assert detail["status"] == "returned_to_bot"
    assert [(m["sender"], m["text"]) for m in detail["messages"]] == [
        ("shopper", "my parcel never came"),
        ("agent", "I'm on it."),
    ]


def test_http_shopper_gets_no_bot_answer_during_a_handoff(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    url = f"/api/conversations/{SHOPPER}/messages"
    first = client.post(url, json={"text": "I want a person"}).json()
    assert first["handoff"]["status"] == "waiting" and first["messages"]
    during = client.post(url, json={"text": "hello?"}).json()
    assert during["messages"] == [] and during["handoff"]["queue_position"] == 1
    assert "No agent is online" in during["handoff"]["message"]


def test_a_closed_handoff_cannot_be_written_to(client: TestClient, db_url: str) -> None:
    store_handoff(db_url, SHOPPER)
    base = "/api/agent/handoffs/1"
    assert client.post(f"{base}/close", json={"resolution": "made_up"}).status_code == 422
    assert client.post(f"{base}/claim").status_code == 204
    assert client.post(f"{base}/claim").status_code == 409
    assert client.post(f"{base}/close", json={"resolution": "resolved"}).status_code == 204
    refused = client.post(f"{base}/messages", json={"text": "one more thing"})
    assert refused.status_code == 409 and "closed" in refused.json()["detail"]
    with client.websocket_connect("/agent/ws") as agent:
        agent.send_json({"type": "agent_message", "handoff_id": 1, "text": "hello?"})
        assert agent.receive_json() == {
            "type": "error",
            "message": "Handoff #1 is closed; claim it first.",
        }
    assert client.post(f"{base}/return").status_code == 409
    assert client.get("/api/agent/handoffs/99").status_code == 404


def test_only_the_claiming_agent_writes(
    client: TestClient, db_url: str, fake_rasa: FakeRasa
) -> None:
    store_handoff(db_url, SHOPPER)
    assert client.post("/api/agent/handoffs/1/claim").status_code == 204
    with make_client(db_url, fake_rasa) as kim:
        sign_in(kim, "kim@shop.example")
        assert kim.post("/api/agent/handoffs/1/messages", json={"text": "hi"}).status_code == 409
        assert kim.post("/api/agent/handoffs/1/return").status_code == 409


def test_agent_websocket_needs_a_session(db_url: str, fake_rasa: FakeRasa) -> None:
    with make_client(db_url, fake_rasa) as anonymous:
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            anonymous.websocket_connect("/agent/ws"),
        ):
            pass
        assert refused.value.code == 1008


def test_handoff_and_messages_survive_a_gateway_restart(db_url: str, fake_rasa: FakeRasa) -> None:
    with make_client(db_url, fake_rasa) as before:
        sign_in(before)
        with before.websocket_connect(f"/ws?conversation_id={SHOPPER}") as shopper:
            escalate(shopper)
        before.post("/api/agent/handoffs/1/claim")
        before.post("/api/agent/handoffs/1/messages", json={"text": XSS})
    with make_client(db_url, fake_rasa) as after:
        sign_in(after)
        with after.websocket_connect(f"/ws?conversation_id={SHOPPER}") as shopper:
            assert shopper.receive_json()["status"] == "claimed"  # told on reconnecting
            shopper.send_json({"type": "user_message", "text": "still there?"})
            after.post("/api/agent/handoffs/1/messages", json={"text": "Yes."})
            assert shopper.receive_json()["text"] == "Yes."
        detail = after.get("/api/agent/handoffs/1").json()
    assert [m["text"] for m in detail["messages"]] == [XSS, "still there?", "Yes."]


def test_context_panel_shows_the_verified_customer_and_products(
    writable_demo_shop: str,
) -> None:
    add_agent(writable_demo_shop)
    store_handoff(
        writable_demo_shop, SHOPPER, slots={"verified_order": "10002", "shown_products": []}
    )
    with make_client(writable_demo_shop, FakeRasa()) as client:
        sign_in(client)
        detail = client.get("/api/agent/handoffs/1").json()
    assert detail["customer"]["email"] == "alex.rivera@example.com"
    assert "10002" in [order["number"] for order in detail["customer"]["orders"]]
    assert detail["intents"] == [{"name": "human_handoff", "confidence": 0.98}]


def test_context_panel_says_why_it_was_handed_over(client: TestClient, db_url: str) -> None:
    """The evidence ``action_handoff`` stored reaches the console's "why handed over" part."""
    evidence = {
        "reason": "frustration",
        "trigger": "repeated_question",
        "messages": ["where is order 10003?", "so where is order 10003 then"],
        "order": "10003",
    }
    with session_scope(db_url) as session:
        session.add(
            Handoff(
                conversation_id="conv-why",
                status="waiting",
                reason="frustration",
                summary="Shopper sent 2 message(s); last intent: track_order.",
                latest_intent="track_order",
                transcript=[],
                slots={},
                context={"intents": [], "actions": [], "escalation": evidence},
                created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
            )
        )
        session.flush()
        handoff_id = session.scalars(
            select(Handoff.id).where(Handoff.conversation_id == "conv-why")
        ).one()
    detail = client.get(f"/api/agent/handoffs/{handoff_id}").json()
    assert detail["reason"] == "frustration"
    assert detail["escalation"] == evidence


def test_search_finds_closed_transcripts_only(client: TestClient, db_url: str) -> None:
    store_handoff(db_url, SHOPPER)
    store_handoff(db_url, "conv-live-0002")
    client.post("/api/agent/handoffs/1/claim")
    client.post("/api/agent/handoffs/1/messages", json={"text": "Your 100% refund is on its way"})
    client.post("/api/agent/handoffs/1/close", json={"resolution": "refund_issued"})
    found = client.get("/api/agent/search", params={"q": "100% REFUND"}).json()
    assert [item["id"] for item in found] == [1]
    assert client.get("/api/agent/search", params={"q": "person"}).json()[0]["id"] == 1
    assert client.get("/api/agent/search", params={"q": "_%"}).json() == []
    with session_scope(db_url) as session:
        assert (
            session.scalars(select(Handoff.resolution).where(Handoff.id == 1)).one()
            == "refund_issued"
        )


def test_after_hours_the_shopper_leaves_a_ticket_instead_of_waiting(
    db_url: str, fake_rasa: FakeRasa
) -> None:
    settings = Settings(
        database_url=db_url,
        rasa_url="http://rasa.test",
        support_hours="sun 00:00-00:01",  # practically never open
        support_timezone="Europe/Berlin",
    )
    rasa = RasaClient(settings.rasa_url, 5.0, transport=httpx.MockTransport(fake_rasa.handle))
    with (
        TestClient(create_app(settings, rasa)) as client,
        client.websocket_connect(f"/ws?conversation_id={SHOPPER}") as shopper,
    ):
        offered = escalate(shopper)
        assert offered["ticket_form"] is True
        assert "works sun 00:00-00:01 (Europe/Berlin)" in offered["message"]
        assert "Leave your email and a message" in offered["message"]

        shopper.send_json({"type": "ticket", "email": "not an email", "message": "hi"})
        assert shopper.receive_json()["code"] == "invalid_message"
        ticket = {"type": "ticket", "email": "Alex@Example.com", "message": "Parcel 10003 is late"}
        shopper.send_json(ticket)
        done = shopper.receive_json()
        assert (done["status"], done["ticket_id"]) == ("closed", 1)
        assert "ticket #1" in done["message"]
        shopper.send_json({"type": "user_message", "text": "ok thanks"})
        assert receive_turn(shopper)[0]["text"] == "You said: ok thanks"  # the bot is back

        again = client.post(f"/api/conversations/{SHOPPER}/ticket", json=ticket)
        assert again.status_code == 409
    assert fake_rasa.events[SHOPPER][-2] == {"event": "resume"}
    with session_scope(db_url) as session:
        stored = session.scalars(select(SupportTicket)).one()
        handoff = session.get(Handoff, stored.handoff_id)
        assert (stored.email, stored.message) == ("alex@example.com", "Parcel 10003 is late")
        assert handoff is not None and (handoff.status, handoff.resolution) == ("closed", "ticket")


@pytest.mark.parametrize(
    "redis_url",
    ["redis://127.0.0.1:6379/5", "redis://127.0.0.1:1/0"],
    ids=["through-redis", "redis-down"],
)
def test_live_chat_through_redis_and_without_it(
    db_url: str, fake_rasa: FakeRasa, redis_url: str
) -> None:
    """With Redis the frames go out and come back through it; with Redis down (nothing
    listens on port 1) this gateway still delivers to its own sockets and counts its agents."""
    with make_client(db_url, fake_rasa, redis_url) as client:
        sign_in(client)
        with (
            client.websocket_connect("/agent/ws") as agent,
            client.websocket_connect(f"/ws?conversation_id={SHOPPER}") as shopper,
        ):
            waiting = escalate(shopper)
            assert waiting["status"] == "waiting" and not waiting.get("ticket_form"), waiting
            assert agent.receive_json() == {"type": "queue_changed"}
            handoff_id = waiting["handoff_id"]
            assert client.post(f"/api/agent/handoffs/{handoff_id}/claim").status_code == 204
            assert shopper.receive_json()["status"] == "claimed"
            agent.send_json({"type": "agent_message", "handoff_id": handoff_id, "text": "Hello"})
            frames = [shopper.receive_json() for _ in range(2)]
            assert {"type": "agent_message", "text": "Hello", "agent_name": "Jo"} in frames
