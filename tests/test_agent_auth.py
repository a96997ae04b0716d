"""Agent sign-in through the gateway's real HTTP surface and a real SQLite database.

Every agent page redirects to the login page and every agent API answers 401
without a session; the cookie is HttpOnly and SameSite=Strict; logging out
ends the session on the server, not only in the browser.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from agent_helpers import AGENT_PASSWORD, sign_in
from fastapi.testclient import TestClient
from test_gateway import FakeRasa

from aisle.settings import Settings
from bot.agent_auth import COOKIE_NAME
from bot.app import create_app
from bot.rasa_client import RasaClient

AGENT_APIS = [
    ("GET", "/api/agent/me"),
    ("GET", "/api/handoffs"),
    ("GET", "/api/agent/queue"),
    ("GET", "/api/agent/search?q=parcel"),
    ("GET", "/api/agent/canned-replies"),
    ("GET", "/api/agent/handoffs/1"),
    ("POST", "/api/agent/handoffs/1/claim"),
    ("POST", "/api/agent/handoffs/1/messages"),
    ("POST", "/api/agent/handoffs/1/return"),
    ("POST", "/api/agent/handoffs/1/close"),
]


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    settings = Settings(database_url=db_url, rasa_url="http://rasa.test")
    rasa = RasaClient(settings.rasa_url, 5.0, transport=httpx.MockTransport(FakeRasa().handle))
    with TestClient(create_app(settings, rasa)) as test_client:
        yield test_client


@pytest.mark.parametrize(("method", "path"), AGENT_APIS)
def test_agent_apis_answer_401_without_a_session(
    client: TestClient, method: str, path: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 401
    client.cookies.set(COOKIE_NAME, "forged-token")
    assert client.request(method, path).status_code == 401


def test_agent_page_redirects_to_login_without_a_session(client: TestClient) -> None:
    response = client.get("/agent", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/agent/login"
    login_page = client.get("/agent/login")
    assert login_page.status_code == 200 and "Agent sign-in" in login_page.text


def test_login_sets_a_strict_http_only_cookie(client: TestClient) -> None:
    response = client.post(
        "/api/agent/login", json={"email": "JO@shop.example", "password": AGENT_PASSWORD}
    )
    assert response.status_code == 204
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert client.get("/api/agent/me").json() == {"id": 1, "email": "jo@shop.example", "name": "Jo"}
    assert client.get("/agent").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"email": "jo@shop.example", "password": "wrong password!"},
        {"email": "nobody@shop.example", "password": AGENT_PASSWORD},
    ],
)
def test_wrong_credentials_get_the_same_401(client: TestClient, body: dict[str, str]) -> None:
    response = client.post("/api/agent/login", json=body)
    assert response.status_code == 401
    assert response.json() == {"detail": "Wrong email or password."}
    assert "set-cookie" not in response.headers


def test_login_takes_json_only(client: TestClient) -> None:
    form = {"email": "jo@shop.example", "password": AGENT_PASSWORD}
    assert client.post("/api/agent/login", data=form).status_code == 422


def test_logout_ends_the_session_on_the_server(client: TestClient) -> None:
    sign_in(client)
    token = client.cookies[COOKIE_NAME]
    assert client.post("/api/agent/logout").status_code == 204
    client.cookies.set(COOKIE_NAME, token)  # a stolen copy of the cookie is dead too
    assert client.get("/api/agent/me").status_code == 401
