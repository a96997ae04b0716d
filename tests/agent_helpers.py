"""Agent accounts for tests: real accounts in the test's database, signed in through the API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from aisle.agents import create_agent
from aisle.database import session_scope

AGENT_PASSWORD = "a long enough test password"


def add_agent(database_url: str, email: str = "jo@shop.example", name: str = "Jo") -> int:
    with session_scope(database_url) as session:
        return create_agent(session, email, name, AGENT_PASSWORD).id


def sign_in(client: TestClient, email: str = "jo@shop.example") -> None:
    """Signs ``client`` in; its cookie jar keeps the session cookie."""
    response = client.post("/api/agent/login", json={"email": email, "password": AGENT_PASSWORD})
    assert response.status_code == 204, response.text
