"""Rate limits of the gateway (``bot/rate_limits.py``) on its real HTTP and websocket surface,
counted in the real Redis on 127.0.0.1:6379 (a database of these tests' own), in memory
without Redis, and failing open (with a warning) when Redis does not answer.

Rasa is the fake of ``test_gateway``: the limits are the gateway's, decided before Rasa is asked.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import redis
from agent_helpers import AGENT_PASSWORD
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from test_gateway import FakeRasa

from aisle.settings import Settings
from bot.app import create_app
from bot.rasa_client import RasaClient

REDIS_DB = 12
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

MakeClient = Callable[..., TestClient]


@pytest.fixture(autouse=True)
def clean_redis() -> Iterator[redis.Redis]:
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def make_client(db_url: str) -> Iterator[MakeClient]:
    """Opens gateways on the test database with the given settings; closes them after."""
    opened: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings = Settings(database_url=db_url, rasa_url="http://rasa.test", **overrides)
        rasa = RasaClient(settings.rasa_url, 5.0, transport=httpx.MockTransport(FakeRasa().handle))
        client = TestClient(create_app(settings, rasa))
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def conversation() -> str:
    return f"rl-{uuid.uuid4().hex[:12]}"


def say(client: TestClient, conversation_id: str, text: str = "hi") -> httpx.Response:
    return client.post(f"/api/conversations/{conversation_id}/messages", json={"text": text})


def test_a_session_over_its_limit_gets_429_with_retry_after(
    make_client: MakeClient, clean_redis: redis.Redis
) -> None:
    client = make_client(redis_url=REDIS_URL, rate_limit_session_messages="3/minute")
    chatty, other = conversation(), conversation()

    assert [say(client, chatty).status_code for _ in range(3)] == [200, 200, 200]
    refused = say(client, chatty)

    assert refused.status_code == 429
    body = refused.json()
    assert body["type"] == "error" and body["code"] == "rate_limited"
    assert "wait" in body["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert body["retry_after_seconds"] == int(refused.headers["Retry-After"])
    assert "Traceback" not in refused.text
    assert say(client, other).status_code == 200  # another shopper is not affected
    assert any(chatty.encode() in key for key in clean_redis.keys("aisle-limits*"))


def test_gateways_sharing_redis_share_the_count(make_client: MakeClient) -> None:
    first = make_client(redis_url=REDIS_URL, rate_limit_session_messages="3/minute")
    second = make_client(redis_url=REDIS_URL, rate_limit_session_messages="3/minute")
    shopper = conversation()

    statuses = [say(gateway, shopper).status_code for gateway in (first, second, first, second)]

    assert statuses == [200, 200, 200, 429]


def test_without_redis_each_gateway_counts_in_memory(make_client: MakeClient) -> None:
    first = make_client(rate_limit_session_messages="2/minute")
    second = make_client(rate_limit_session_messages="2/minute")
    shopper = conversation()

    assert [say(first, shopper).status_code for _ in range(3)] == [200, 200, 429]
    assert say(second, shopper).status_code == 200


def test_one_ip_is_limited_across_conversations_unless_exempt(make_client: MakeClient) -> None:
    # TestClient's requests come from the address "testclient".
    limited = make_client(redis_url=REDIS_URL, rate_limit_ip_messages="4/minute")
    exempt = make_client(
        rate_limit_ip_messages="4/minute", rate_limit_exempt_ips="127.0.0.1,testclient"
    )

    assert [say(limited, conversation()).status_code for _ in range(5)][-2:] == [200, 429]
    assert "network" in say(limited, conversation()).json()["message"]
    assert {say(exempt, conversation()).status_code for _ in range(6)} == {200}


def test_redis_down_fails_open_with_a_warning(
    make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(redis_url=DEAD_REDIS_URL, rate_limit_session_messages="3/minute")
    shopper = conversation()

    with caplog.at_level(logging.WARNING, logger="bot.rate_limits"):
        statuses = [say(client, shopper).status_code for _ in range(4)]

    # Answered while Redis is down, and still limited by this gateway's own count.
    assert statuses == [200, 200, 200, 429]
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.rate_limits"]
    assert len(warnings) == 1 and "Redis unavailable" in warnings[0]
    health = client.get("/healthz").json()
    assert health["redis"] == "down" and health["rasa"] == "ok"


def test_websocket_messages_over_the_limit_get_an_error_frame_and_the_socket_stays(
    make_client: MakeClient,
) -> None:
    client = make_client(redis_url=REDIS_URL, rate_limit_session_messages="2/minute")
    shopper = conversation()

    with client.websocket_connect(f"/ws?conversation_id={shopper}") as socket:
        for _ in range(2):
            socket.send_json({"type": "user_message", "text": "hello"})
            frames = [socket.receive_json() for _ in range(4)]  # typing, 2 answers, typing
            assert [frame["type"] for frame in frames] == [
                "typing",
                "bot_message",
                "bot_message",
                "typing",
            ]
        socket.send_json({"type": "user_message", "text": "hello again"})
        error = socket.receive_json()
        assert error["code"] == "rate_limited" and 1 <= error["retry_after_seconds"] <= 60
        socket.send_json({"type": "user_message", "text": ""})  # still open and answering
        assert socket.receive_json()["code"] == "empty_message"


def test_too_many_websocket_connections_from_one_ip_are_closed_with_1013(
    make_client: MakeClient,
) -> None:
    client = make_client(redis_url=REDIS_URL, rate_limit_ip_connections="2/minute")
    for _ in range(2):
        with client.websocket_connect(f"/ws?conversation_id={conversation()}") as socket:
            socket.send_json({"type": "user_message", "text": ""})  # a round trip: counted
            assert socket.receive_json()["code"] == "empty_message"

    with client.websocket_connect(f"/ws?conversation_id={conversation()}") as socket:
        error = socket.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()

    assert error["code"] == "rate_limited" and error["retry_after_seconds"] >= 1
    assert closed.value.code == 1013


def login(client: TestClient, password: str, email: str = "jo@shop.example") -> httpx.Response:
    return client.post("/api/agent/login", json={"email": email, "password": password})


def test_agent_login_is_paused_after_five_failures_even_with_the_right_password(
    make_client: MakeClient,
) -> None:
    client = make_client(redis_url=REDIS_URL)

    failures = [login(client, f"guess number {i}").status_code for i in range(5)]
    paused = login(client, AGENT_PASSWORD)

    assert failures == [401] * 5
    assert paused.status_code == 429
    assert int(paused.headers["Retry-After"]) > 60  # the window is 15 minutes
    assert "Too many failed sign-ins" in paused.json()["detail"]
    assert "set-cookie" not in paused.headers
    # Other accounts are not locked by someone guessing at jo's.
    assert login(client, "wrong", email="someone@shop.example").status_code == 401


def test_a_successful_login_forgets_the_accounts_failures(make_client: MakeClient) -> None:
    client = make_client(redis_url=REDIS_URL)

    for round_ in range(2):
        assert {login(client, f"guess {round_}-{i}").status_code for i in range(4)} == {401}
        assert login(client, AGENT_PASSWORD).status_code == 204


def test_agent_login_failures_are_limited_per_ip_across_emails(make_client: MakeClient) -> None:
    client = make_client(rate_limit_login_failures_ip="3/15 minutes")

    statuses = [login(client, "x", email=f"agent{i}@shop.example").status_code for i in range(4)]

    assert statuses == [401, 401, 401, 429]
