"""The shopper's CSAT endpoint (``bot.csat_routes``) through the gateway's real HTTP surface.

A real SQLite shop database per test; Rasa is test_gateway's ``FakeRasa`` (an
``httpx.MockTransport``) whose tracker returns the events a test gives it, in
the shape Rasa 3.6 stores a bot message with a custom payload. The real Rasa and
the real widget are exercised by tests/test_widget_csat_browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from agent_helpers import sign_in
from fastapi.testclient import TestClient
from sqlalchemy import select
from test_gateway import FakeRasa
from test_live_handoff import make_client, store_handoff

from aisle.database import session_scope
from aisle.models import CsatRating, Handoff

CONVERSATION = "conv-csat-0001"
URL = f"/api/conversations/{CONVERSATION}/csat"
GOODBYE_EVENT = {
    "event": "bot",
    "text": "Thanks for stopping by. Bye for now!",
    "data": {"custom": {"type": "csat_request", "trigger": "goodbye"}},
    "metadata": {"utter_action": "utter_goodbye"},
}


class TrackerRasa(FakeRasa):
    """A fake Rasa whose tracker API also returns the conversation's events."""

    def tracker_api(self, request: httpx.Request) -> httpx.Response:
        sender = request.url.path.split("/")[2]
        if request.method == "GET":
            body = {"sender_id": sender, "paused": False, "events": self.events.get(sender, [])}
            return httpx.Response(200, json=body)
        return super().tracker_api(request)


@pytest.fixture
def fake_rasa() -> TrackerRasa:
    return TrackerRasa()


@pytest.fixture
def client(db_url: str, fake_rasa: TrackerRasa) -> Iterator[TestClient]:
    with make_client(db_url, fake_rasa) as test_client:
        yield test_client


def ratings(database_url: str) -> list[tuple[str, str, int, str | None]]:
    with session_scope(database_url) as session:
        rows = session.scalars(select(CsatRating).order_by(CsatRating.id))
        return [(r.conversation_id, r.trigger, r.rating, r.comment) for r in rows]


def close_handoff(database_url: str, resolution: str = "resolved") -> None:
    store_handoff(database_url, CONVERSATION)
    with session_scope(database_url) as session:
        handoff = session.scalars(select(Handoff)).one()
        handoff.status, handoff.resolution = "closed", resolution


def test_a_goodbye_is_rated_once(client: TestClient, fake_rasa: TrackerRasa, db_url: str) -> None:
    fake_rasa.events[CONVERSATION] = [{"event": "user", "text": "bye"}, GOODBYE_EVENT]

    first = client.post(URL, json={"trigger": "goodbye", "rating": 4, "comment": " quick, ta "})
    again = client.post(URL, json={"trigger": "goodbye", "rating": 1})

    assert first.status_code == 201, first.text
    assert first.json() == {"trigger": "goodbye", "rating": 4, "message": "Thanks for your rating!"}
    assert again.status_code == 409
    assert again.json()["detail"] == "You have already rated this conversation. Thank you!"
    assert ratings(db_url) == [(CONVERSATION, "goodbye", 4, "quick, ta")]


def test_an_ending_that_did_not_happen_cannot_be_rated(
    client: TestClient, fake_rasa: TrackerRasa, db_url: str
) -> None:
    fake_rasa.events[CONVERSATION] = [
        {"event": "user", "text": "hi"},
        {"event": "bot", "text": "Hi! I'm Aisle.", "data": {"custom": None}},
    ]
    store_handoff(db_url, CONVERSATION)  # waiting, not closed

    for trigger in ("goodbye", "handoff_closed"):
        refused = client.post(URL, json={"trigger": trigger, "rating": 5})
        assert refused.status_code == 409, trigger
        assert "nothing to rate yet" in refused.json()["detail"]
    stranger = client.post(
        "/api/conversations/someone-else-42/csat", json={"trigger": "goodbye", "rating": 5}
    )
    assert stranger.status_code == 409  # an id that said no goodbye: nothing to rate
    assert ratings(db_url) == []


def test_a_closed_handoff_is_rated_but_a_ticket_is_not(client: TestClient, db_url: str) -> None:
    close_handoff(db_url, resolution="ticket")
    refused = client.post(URL, json={"trigger": "handoff_closed", "rating": 2})
    with session_scope(db_url) as session:
        session.scalars(select(Handoff)).one().resolution = "resolved"
    stored = client.post(URL, json={"trigger": "handoff_closed", "rating": 2, "comment": "slow"})

    assert refused.status_code == 409
    assert stored.status_code == 201
    assert ratings(db_url) == [(CONVERSATION, "handoff_closed", 2, "slow")]


def test_the_comment_is_stored_redacted_and_as_text(client: TestClient, db_url: str) -> None:
    close_handoff(db_url)
    comment = "<script>alert(1)</script> mail me: ada@example.com"

    response = client.post(URL, json={"trigger": "handoff_closed", "rating": 3, "comment": comment})

    assert response.status_code == 201

    [(_, _, _, stored)] = ratings(db_url)
    assert stored is not None and stored.startswith("<script>alert(1)</script> mail me: ")
    assert "ada@example.com" not in stored


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"trigger": "goodbye", "rating": 0},
            "The rating must be a whole number from 1 to 5, not 0",
        ),
        ({"trigger": "goodbye", "rating": 6}, "from 1 to 5, not 6"),
        ({"trigger": "goodbye", "rating": "4"}, 'from 1 to 5, not "4"'),
        ({"trigger": "goodbye", "rating": 4.5}, "from 1 to 5, not 4.5"),
        ({"trigger": "goodbye", "rating": True}, "from 1 to 5, not true"),
        ({"trigger": "goodbye"}, "Field required"),
        ({"trigger": "later", "rating": 3}, "'goodbye' or 'handoff_closed'"),
        (
            {"trigger": "goodbye", "rating": 3, "comment": "x" * 1001},
            "The comment is too long (1001 characters); the limit is 1000.",
        ),
        ({"trigger": "goodbye", "rating": 3, "html": "<b>"}, "Extra inputs are not permitted"),
    ],
)
def test_bad_answers_get_a_clear_422(
    client: TestClient,
    fake_rasa: TrackerRasa,
    db_url: str,
    body: dict[str, Any],
    message: str,
) -> None:
    fake_rasa.events[CONVERSATION] = [GOODBYE_EVENT]

    response = client.post(URL, json=body)

    assert response.status_code == 422
    assert message in response.json()["detail"][0]["msg"]
    assert ratings(db_url) == []


def test_a_bad_conversation_id_is_refused(client: TestClient) -> None:
    response = client.post("/api/conversations/x!/csat", json={"trigger": "goodbye", "rating": 3})

    assert response.status_code == 422
    assert response.json()["code"] == "bad_conversation_id"


def test_rasa_down_stores_nothing_and_says_so(
    client: TestClient, fake_rasa: TrackerRasa, db_url: str
) -> None:
    fake_rasa.mode = "down"

    response = client.post(URL, json={"trigger": "goodbye", "rating": 5})

    assert response.status_code == 503
    assert response.json()["detail"].startswith("Your rating cannot be saved right now.")
    assert ratings(db_url) == []


def test_closing_a_handoff_asks_the_shopper_for_a_rating(client: TestClient, db_url: str) -> None:
    sign_in(client)
    store_handoff(db_url, CONVERSATION)
    with client.websocket_connect(f"/ws?conversation_id={CONVERSATION}") as shopper:
        assert shopper.receive_json()["status"] == "waiting"  # connected mid-handoff
        closed = client.post("/api/agent/handoffs/1/close", json={"resolution": "resolved"})
        assert closed.status_code == 204
        assert shopper.receive_json()["status"] == "closed"
        assert shopper.receive_json() == {
            "type": "bot_message",
            "custom": {"type": "csat_request", "trigger": "handoff_closed"},
        }
