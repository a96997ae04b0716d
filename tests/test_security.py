"""Security headers on every answer, CORS only for the configured shop origins, and a
CSRF-safe agent console (cross-site requests and websocket handshakes refused)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from agent_helpers import AGENT_PASSWORD, add_agent, sign_in
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from test_gateway import FakeRasa

from aisle import migrate
from aisle.settings import Settings
from bot.app import create_app
from bot.rasa_client import RasaClient

SHOP = "https://shop.example"
EVIL = "https://evil.example"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    migrate.upgrade(url)
    add_agent(url)
    settings = Settings(database_url=url, rasa_url="http://rasa.test", shop_origins=SHOP)
    rasa = RasaClient(settings.rasa_url, 5.0, transport=httpx.MockTransport(FakeRasa().handle))
    with TestClient(create_app(settings, rasa)) as test_client:
        yield test_client


@pytest.mark.parametrize("path", ["/", "/healthz", "/static/widget.js", "/api/agent/me", "/nope"])
def test_every_answer_has_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"


def test_agent_data_is_not_cached_and_pages_keep_their_csp(client: TestClient) -> None:
    assert client.get("/api/agent/me").headers["cache-control"] == "no-store"
    assert "script-src 'self'" in client.get("/").headers["content-security-policy"]


def test_cors_allows_the_shop_origin_on_the_shopper_api_only(client: TestClient) -> None:
    preflight = {"origin": SHOP, "access-control-request-method": "POST"}
    path = "/api/conversations/sec-test-0001/messages"
    allowed = client.options(path, headers=preflight)
    assert allowed.headers["access-control-allow-origin"] == SHOP
    assert "access-control-allow-credentials" not in allowed.headers
    evil = client.options(path, headers={**preflight, "origin": EVIL})
    assert evil.headers.get("access-control-allow-origin") != EVIL
    agent = client.options("/api/agent/login", headers=preflight)
    assert "access-control-allow-origin" not in agent.headers


def test_cross_site_agent_requests_are_refused(client: TestClient) -> None:
    body = {"email": "jo@shop.example", "password": AGENT_PASSWORD}
    assert client.post("/api/agent/login", json=body, headers={"origin": EVIL}).status_code == 403
    fetch = {"sec-fetch-site": "cross-site"}
    assert client.post("/api/agent/login", json=body, headers=fetch).status_code == 403
    same = {"origin": "http://testserver"}
    assert client.post("/api/agent/login", json=body, headers=same).status_code == 204
    assert client.post("/api/agent/logout", headers={"origin": EVIL}).status_code == 403
    assert client.get("/api/agent/me").status_code == 200  # the forged logout did nothing


def test_console_socket_refuses_another_sites_page_even_with_the_cookie(
    client: TestClient,
) -> None:
    sign_in(client)
    with (
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect("/agent/ws", headers={"origin": EVIL}) as socket,
    ):
        socket.receive_text()
    with client.websocket_connect("/agent/ws", headers={"origin": "http://testserver"}):
        pass


def test_widget_socket_accepts_the_shop_and_refuses_other_origins(client: TestClient) -> None:
    url = "/ws?conversation_id=sec-test-0002"
    with client.websocket_connect(url, headers={"origin": EVIL}) as socket:
        assert "may not open the chat" in socket.receive_json()["message"]
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
    assert closed.value.code == 1008
    with client.websocket_connect(url, headers={"origin": SHOP}) as socket:
        socket.send_json({"type": "user_message", "text": "hi"})
        assert socket.receive_json()["type"] == "typing"
