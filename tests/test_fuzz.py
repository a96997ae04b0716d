"""Fuzzing every HTTP endpoint of the gateway from its own OpenAPI spec (schemathesis), and
the websockets with malformed and oversized frames: no 5xx, no stack trace in any body.

The app runs in-process on a real SQLite database with a signed-in agent (so the agent
routes are fuzzed past the login check too); Rasa is ``test_gateway``'s fake, so a few
hundred generated requests take seconds and never touch another test's conversations.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from agent_helpers import add_agent, sign_in
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from starlette.websockets import WebSocketDisconnect
from test_gateway import FakeRasa

from aisle import migrate
from aisle.settings import Settings
from bot.agent_auth import COOKIE_NAME
from bot.app import create_app
from bot.rasa_client import RasaClient

MAX_EXAMPLES = 30
LEAKS = ("Traceback", 'File "/', "sqlalchemy.", "Exception:")


@pytest.fixture
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A gateway of each test's own (the fuzzer's requests leave state behind)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'shop.db'}"
    migrate.upgrade(url)
    add_agent(url)
    # Generous limits: the fuzzer sends hundreds of requests from one address.
    app_settings = Settings(
        database_url=url,
        rasa_url="http://rasa.test",
        rate_limit_session_messages="100000/minute",
        rate_limit_ip_messages="100000/minute",
        rate_limit_login_failures="100000/minute",
        rate_limit_login_failures_ip="100000/minute",
    )
    rasa = RasaClient(app_settings.rasa_url, 5.0, transport=httpx.MockTransport(FakeRasa().handle))
    with TestClient(create_app(app_settings, rasa), raise_server_exceptions=False) as client:
        sign_in(client)
        yield client


def test_no_endpoint_answers_5xx_or_a_stack_trace(gateway: TestClient) -> None:
    """Every operation of the spec, ``MAX_EXAMPLES`` generated requests each."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", gateway.app)
    cookie = gateway.cookies.get(COOKIE_NAME)
    problems: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call(cookies={COOKIE_NAME: cookie} if cookie else None)
            if response.status_code >= 500 or any(leak in response.text for leak in LEAKS):
                problems.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: "
                    f"{response.text[:300]}"
                )

        check()
    assert operations >= 20, operations
    assert not problems, "\n".join(sorted(set(problems)))


@pytest.mark.parametrize(
    "frame",
    [
        b"\x00\xff\xfe binary garbage",
        "\ud800".encode("utf-8", "surrogatepass"),
        '{"type": "user_message", "text": 12}',
        '{"type": "user_message", "text": "hi", "metadata": []}',
        '{"type": "typing", "on": "maybe"}',
        '{"type": "ticket", "email": [], "message": null}',
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        '{"type": "user_message", "text": "' + "x" * 100_000 + '"}',
        "null",
        "",
    ],
)
def test_malformed_widget_frames_get_an_error_frame_and_the_socket_lives(
    gateway: TestClient, frame: str | bytes
) -> None:
    with gateway.websocket_connect("/ws?conversation_id=fuzz-socket-0001") as socket:
        if isinstance(frame, bytes):
            socket.send_bytes(frame)
        else:
            socket.send_text(frame)
        error = socket.receive_json()
        assert error["type"] == "error" and error["message"]
        assert error["code"] != "internal_error"
        assert not any(leak in error["message"] for leak in LEAKS)
        socket.send_json({"type": "user_message", "text": "still there?"})
        frames = [socket.receive_json() for _ in range(4)]
        assert frames[1]["text"] == "You said: still there?"


def test_console_socket_frames_that_are_not_messages_get_an_error(gateway: TestClient) -> None:
    with gateway.websocket_connect("/agent/ws") as socket:
        for frame in ("{", '{"type": "agent_message"}', "[]", "x" * 50_000):
            socket.send_text(frame)
            error = socket.receive_json()
            assert error["type"] == "error" and "Traceback" not in error["message"]


def test_oversized_bodies_are_refused_with_a_clear_413(gateway: TestClient) -> None:
    big = "x" * 200_000
    for path, body in (
        ("/api/conversations/fuzz-body-0001/messages", f'{{"text": "{big}"}}'),
        ("/api/conversations/fuzz-body-0001/ticket", f'{{"email": "a@b.co", "message": "{big}"}}'),
        ("/api/agent/login", f'{{"email": "a@b.co", "password": "{big}"}}'),
    ):
        response = gateway.post(path, content=body, headers={"content-type": "application/json"})
        assert response.status_code == 413, (path, response.text)
        assert response.json()["code"] in ("message_too_long", "request_too_large")
        assert "bytes" in response.json()["message"]


def test_a_websocket_frame_over_the_server_limit_closes_with_1009_or_an_error(
    gateway: TestClient, tmp_path: Path
) -> None:
    """In-process there is no uvicorn frame limit; the gateway's own check answers."""
    with gateway.websocket_connect("/ws?conversation_id=fuzz-socket-0002") as socket:
        socket.send_text("y" * 2_000_000)
        try:
            error = socket.receive_json()
        except WebSocketDisconnect as closed:
            assert closed.code == 1009
        else:
            assert error["code"] == "message_too_long"
