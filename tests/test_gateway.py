"""Unit-level tests of the gateway (``bot/``) through its real HTTP and websocket surface.

The app runs for real (``TestClient`` drives its ASGI interface, lifespan
included) against a real SQLite database made per test. Only Rasa is fake: an
``httpx.MockTransport`` handed to the real ``RasaClient``, so these tests need
no model and run in seconds. The real Rasa server is exercised by the
end-to-end tests, which live elsewhere.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from agent_helpers import add_agent, sign_in
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from aisle import migrate
from aisle.database import session_scope
from aisle.models import Handoff, Product, ProductVariant
from aisle.settings import Settings
from bot.app import create_app
from bot.images import hue_for
from bot.rasa_client import RasaClient

CONVERSATION = "conv-1234-abcd"
XSS = "<script>alert(1)</script>"


class FakeRasa:
    """Stands in for Rasa's REST channel; ``mode`` switches how it behaves."""

    def __init__(self) -> None:
        self.mode = "echo"
        self.requests: list[dict[str, Any]] = []
        self.reply: list[dict[str, Any]] | None = None
        self.events: dict[str, list[dict[str, Any]]] = {}
        """Per conversation, what the tracker recorded: user/bot messages and appended events."""
        self.on_message: Callable[[str, str], None] | None = None
        """Runs like an action would, before the answer (e.g. stores a handoff)."""

    def paused(self, sender: str) -> bool:
        paused = False
        for event in self.events.get(sender, []):
            paused = {"pause": True, "resume": False}.get(event["event"], paused)
        return paused

    def tracker_api(self, request: httpx.Request) -> httpx.Response:
        """Rasa's tracker API: ``GET .../tracker`` and ``POST .../tracker/events``."""
        sender = request.url.path.split("/")[2]
        if request.method == "GET":
            return httpx.Response(200, json={"sender_id": sender, "paused": self.paused(sender)})
        body = json.loads(request.content)
        self.events.setdefault(sender, []).extend(body if isinstance(body, list) else [body])
        return httpx.Response(200, json={"sender_id": sender})

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.mode == "down":
            raise httpx.ConnectError("connection refused", request=request)
        if self.mode == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if self.mode == "error":
            return httpx.Response(500, text="Traceback (most recent call last): boom")
        if request.url.path.startswith("/conversations/"):
            return self.tracker_api(request)
        if request.method == "GET":
            return httpx.Response(200, json={"model_file": "fake.tar.gz"})
        body = json.loads(request.content)
        self.requests.append(body)
        self.events.setdefault(body["sender"], []).append(
            {"event": "user", "text": body["message"]}
        )
        if self.paused(body["sender"]):
            return httpx.Response(
                200, json=[]
            )  # Rasa records, but a paused tracker answers nothing
        if self.on_message is not None:
            self.on_message(body["sender"], body["message"])
        if self.reply is not None:
            return httpx.Response(200, json=self.reply)
        return httpx.Response(
            200,
            json=[
                {"recipient_id": body["sender"], "text": f"You said: {body['message']}"},
                {
                    "recipient_id": body["sender"],
                    "text": "Anything else?",
                    "buttons": [{"title": "Track my order", "payload": "/order_status"}],
                },
            ],
        )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def gateway_db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def settings(gateway_db_url: str) -> Settings:
    return Settings(database_url=gateway_db_url, rasa_url="http://rasa.test", max_message_chars=50)


@pytest.fixture
def fake_rasa() -> FakeRasa:
    return FakeRasa()


@pytest.fixture
def client(settings: Settings, fake_rasa: FakeRasa) -> Iterator[TestClient]:
    rasa = RasaClient(settings.rasa_url, 5.0, transport=httpx.MockTransport(fake_rasa.handle))
    with TestClient(create_app(settings, rasa)) as test_client:
        yield test_client


def add_product(database_url: str, product_id: str, rating: float, **fields: Any) -> None:
    values: dict[str, Any] = {
        "title": f"Product {product_id}",
        "description": "A product.",
        "brand": "Acme",
        "category": "Outdoor > Jackets",
        "price": Decimal("19.99"),
        "currency": "USD",
        "rating_count": 10,
        "image_url": f"https://img.example/{product_id}.jpg",
        "created_at": dt.datetime(2026, 1, 1),
        **fields,
    }
    with session_scope(database_url) as session:
        product = Product(id=product_id, rating=rating, **values)
        product.variants = [ProductVariant(sku=f"{product_id}-M", colour="red", size="M", stock=3)]
        session.add(product)


def add_handoff(
    database_url: str, created_at: dt.datetime, text: str = "Where is my parcel?"
) -> None:
    with session_scope(database_url) as session:
        session.add(
            Handoff(
                conversation_id=CONVERSATION,
                status="waiting",
                reason="shopper_asked",
                summary=f"Shopper wrote: {text}",
                latest_intent="order_status",
                transcript=[
                    {"sender": "shopper", "text": text, "timestamp": "2026-01-01T10:00:00"},
                    {"sender": "bot", "text": "Let me get a person.", "timestamp": 1767261600.0},
                ],
                slots={"order_number": "10482"},
                created_at=created_at,
            )
        )


def receive_turn(ws: Any) -> list[dict[str, Any]]:
    """Reads frames from typing-on to typing-off; returns the ones in between."""
    assert ws.receive_json() == {"type": "typing", "on": True}
    frames = []
    while (frame := ws.receive_json()) != {"type": "typing", "on": False}:
        frames.append(frame)
    return frames


# --- relaying ---------------------------------------------------------------


def test_http_message_is_relayed_and_answers_returned(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    response = client.post(
        f"/api/conversations/{CONVERSATION}/messages",
        json={"text": "  rain jacket  ", "metadata": {"page": "/"}},
    )

    assert response.status_code == 200
    assert response.json() == {
        "messages": [
            {"text": "You said: rain jacket", "buttons": None, "image": None, "custom": None},
            {
                "text": "Anything else?",
                "buttons": [{"title": "Track my order", "payload": "/order_status"}],
                "image": None,
                "custom": None,
            },
        ],
        "handoff": None,
    }
    # The gateway tags each message with an id, so a replica can recognise it after fail-over.
    assert len(fake_rasa.requests[0]["metadata"].pop("message_id")) == 32
    assert fake_rasa.requests == [
        {
            "sender": CONVERSATION,
            "message": "rain jacket",
            "metadata": {"channel": "http", "client": {"page": "/"}, "client_ip": "testclient"},
        }
    ]


def test_the_shopper_cannot_set_the_address_the_order_check_counts(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    """The gateway's ``client_ip`` is the connection's; a shopper's own stays under ``client``."""
    client.post(
        f"/api/conversations/{CONVERSATION}/messages",
        json={"text": "10001", "metadata": {"client_ip": "203.0.113.9"}},
    )
    metadata = fake_rasa.requests[0]["metadata"]
    assert metadata["client_ip"] == "testclient"
    assert metadata["client"] == {"client_ip": "203.0.113.9"}


def test_websocket_turn_sends_typing_and_bot_messages(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    with client.websocket_connect(f"/ws?conversation_id={CONVERSATION}") as ws:
        ws.send_json({"type": "user_message", "text": "hello"})
        frames = receive_turn(ws)

    assert frames == [
        {"type": "bot_message", "text": "You said: hello"},
        {
            "type": "bot_message",
            "text": "Anything else?",
            "buttons": [{"title": "Track my order", "payload": "/order_status"}],
        },
    ]
    assert len(fake_rasa.requests[0]["metadata"].pop("message_id")) == 32
    assert fake_rasa.requests[0]["metadata"] == {
        "channel": "websocket",
        "client": {},
        "client_ip": "testclient",
    }


def test_product_cards_pass_through_with_unsafe_urls_removed(
    client: TestClient, fake_rasa: FakeRasa
) -> None:
    fake_rasa.reply = [
        {
            "image": "javascript:alert(1)",
            "custom": {
                "type": "product_cards",
                "products": [
                    {
                        "id": "p1",
                        "title": "Rain jacket",
                        "price": 79.5,
                        "currency": "EUR",
                        "rating": 4.6,
                        "image_url": "data:image/svg+xml,<svg/>",
                        "url": "javascript:alert(1)",
                        "in_stock": False,
                    },
                    {"id": "p2", "title": "Boots", "price": "120.00", "url": "/#product-p2"},
                ],
            },
        }
    ]

    response = client.post(f"/api/conversations/{CONVERSATION}/messages", json={"text": "jackets"})

    (message,) = response.json()["messages"]
    assert message["image"] is None
    first, second = message["custom"]["products"]
    assert (first["url"], first["image_url"], first["in_stock"]) == (None, None, False)
    assert second["url"] == "/#product-p2"


# --- validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (json.dumps({"type": "user_message", "text": "   "}), "empty_message"),
        (json.dumps({"type": "user_message", "text": "x" * 51}), "message_too_long"),
        ("{not json", "invalid_json"),
        ("[1, 2]", "invalid_message"),
        (json.dumps({"type": "user_message"}), "invalid_message"),
        (json.dumps({"text": "hi", "metadata": {"k": "v" * 5000}}), "metadata_too_large"),
    ],
)
def test_websocket_validation_error_keeps_socket_open(
    client: TestClient, fake_rasa: FakeRasa, frame: str, code: str
) -> None:
    with client.websocket_connect(f"/ws?conversation_id={CONVERSATION}") as ws:
        ws.send_text(frame)
        error = ws.receive_json()
        ws.send_json({"type": "user_message", "text": "still there?"})
        frames = receive_turn(ws)

    assert error["type"] == "error"
    assert error["code"] == code
    assert error["message"]
    assert frames[0] == {"type": "bot_message", "text": "You said: still there?"}
    assert [request["message"] for request in fake_rasa.requests] == ["still there?"]


def test_too_long_message_error_names_the_limit(client: TestClient) -> None:
    with client.websocket_connect(f"/ws?conversation_id={CONVERSATION}") as ws:
        ws.send_json({"type": "user_message", "text": "x" * 51})
        error = ws.receive_json()

    assert error["message"] == "The message is too long (51 characters); the limit is 50."


@pytest.mark.parametrize(
    "conversation_id", ["", "short", "bad id with spaces", "x" * 65, "a/b/c/d/e"]
)
def test_websocket_refuses_bad_conversation_id(client: TestClient, conversation_id: str) -> None:
    with client.websocket_connect("/ws", params={"conversation_id": conversation_id}) as ws:
        error = ws.receive_json()
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()

    assert error["code"] == "bad_conversation_id"
    assert "8 to 64" in error["message"]
    assert closed.value.code == 1008


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (json.dumps({"text": ""}), 422, "empty_message"),
        (json.dumps({"text": "x" * 51}), 413, "message_too_long"),
        ("{not json", 422, "invalid_json"),
        (json.dumps({"txt": "hi"}), 422, "invalid_message"),
        ("x" * 200_000, 413, "message_too_long"),
    ],
)
def test_http_validation_errors(client: TestClient, body: str, status: int, code: str) -> None:
    response = client.post(
        f"/api/conversations/{CONVERSATION}/messages",
        content=body,
        headers={"content-type": "application/json"},
    )

    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"]


def test_http_refuses_bad_conversation_id(client: TestClient, fake_rasa: FakeRasa) -> None:
    response = client.post("/api/conversations/nope/messages", json={"text": "hi"})

    assert response.status_code == 422
    assert response.json()["code"] == "bad_conversation_id"
    assert fake_rasa.requests == []


# --- Rasa down ----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["down", "timeout", "error"])
def test_rasa_down_gives_503_and_a_clear_message(
    client: TestClient, fake_rasa: FakeRasa, mode: str
) -> None:
    fake_rasa.mode = mode

    response = client.post(f"/api/conversations/{CONVERSATION}/messages", json={"text": "hi"})

    assert response.status_code == 503
    assert response.json() == {
        "type": "error",
        "code": "assistant_unavailable",
        "message": "The assistant is temporarily unavailable. Please retry in a moment.",
    }


def test_rasa_down_over_websocket_then_back(client: TestClient, fake_rasa: FakeRasa) -> None:
    fake_rasa.mode = "error"
    with client.websocket_connect(f"/ws?conversation_id={CONVERSATION}") as ws:
        ws.send_json({"type": "user_message", "text": "hi"})
        down = receive_turn(ws)
        fake_rasa.mode = "echo"
        ws.send_json({"type": "user_message", "text": "hi again"})
        back = receive_turn(ws)

    assert down == [
        {
            "type": "error",
            "code": "assistant_unavailable",
            "message": "The assistant is temporarily unavailable. Please retry in a moment.",
        }
    ]
    assert "Traceback" not in json.dumps(down)
    assert back[0]["text"] == "You said: hi again"


def test_rasa_not_listening_at_all(settings: Settings, free_port: Callable[[], int]) -> None:
    """The real transport (with its connection retries) against a closed port."""
    settings = settings.model_copy(update={"rasa_url": f"http://127.0.0.1:{free_port()}"})
    with TestClient(create_app(settings)) as client:
        response = client.post(f"/api/conversations/{CONVERSATION}/messages", json={"text": "hi"})

    assert response.status_code == 503
    assert response.json()["code"] == "assistant_unavailable"


def test_rasa_answering_garbage_gives_502(client: TestClient, fake_rasa: FakeRasa) -> None:
    fake_rasa.reply = {"not": "a list"}  # type: ignore[assignment]

    response = client.post(f"/api/conversations/{CONVERSATION}/messages", json={"text": "hi"})

    assert response.status_code == 502
    assert response.json()["code"] == "assistant_error"


@pytest.mark.anyio
async def test_is_ready_falls_back_to_root_without_the_http_api() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/status":
            return httpx.Response(404)
        return httpx.Response(200, text="Hello from Rasa: 3.6.21")

    async with RasaClient("http://rasa.test", 5.0, transport=httpx.MockTransport(handler)) as rasa:
        assert await rasa.is_ready()


# --- pages ----------------------------------------------------------------------


def test_agent_console_is_a_shell_without_shopper_text(
    client: TestClient, gateway_db_url: str
) -> None:
    """Shopper text reaches the console only through the JSON API (rendered with textContent)."""
    add_handoff(gateway_db_url, dt.datetime(2026, 1, 2, 9, 0), text=XSS)
    add_agent(gateway_db_url)
    sign_in(client)

    page = client.get("/agent")

    assert page.status_code == 200
    assert "Agent console" in page.text and "/static/console.js" in page.text
    assert "alert(1)" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_handoffs_api_lists_newest_first(client: TestClient, gateway_db_url: str) -> None:
    add_handoff(gateway_db_url, dt.datetime(2026, 1, 1, 9, 0), text="older")
    add_handoff(gateway_db_url, dt.datetime(2026, 1, 2, 9, 0), text=XSS)
    add_agent(gateway_db_url)
    sign_in(client)

    handoffs = client.get("/api/handoffs").json()

    assert [h["transcript"][0]["text"] for h in handoffs] == [XSS, "older"]
    assert set(handoffs[0]) == {
        "id",
        "conversation_id",
        "created_at",
        "status",
        "reason",
        "summary",
        "latest_intent",
        "transcript",
    }


def test_shop_page_lists_products_by_rating(client: TestClient, gateway_db_url: str) -> None:
    add_product(gateway_db_url, "p-low", 3.1)
    add_product(gateway_db_url, "p-high", 4.9, title=f"Best {XSS}")

    page = client.get("/")

    assert page.status_code == 200
    assert "Aisle demo shop" in page.text
    assert page.text.index("p-high") < page.text.index("p-low")
    assert XSS not in page.text
    assert '<script src="/static/widget.js" defer' in page.text
    assert "/demo/images/p-high.svg" in page.text  # off-site images are replaced offline


def test_product_page_shows_variants_and_escapes_text(
    client: TestClient, gateway_db_url: str
) -> None:
    add_product(gateway_db_url, "p-1", 4.2, description=f"Warm. {XSS}")

    page = client.get("/products/p-1")

    assert page.status_code == 200
    assert "Product p-1" in page.text and "Acme" in page.text
    assert "<td>red</td><td>M</td><td>3</td>" in page.text
    assert XSS not in page.text and "&lt;script&gt;" in page.text
    assert client.get("/products/p-unknown").status_code == 404
    assert client.get("/products/bad%20id").status_code == 422


def test_shop_page_renders_without_database(settings: Settings, tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'nothing-here.db'}"
    with TestClient(create_app(settings.model_copy(update={"database_url": missing}))) as client:
        page = client.get("/")

    assert page.status_code == 200
    assert "not available" in page.text
    assert not (tmp_path / "nothing-here.db").exists()


def test_widget_assets_are_served(client: TestClient) -> None:
    script = client.get("/static/widget.js").text
    assert "attachShadow" in script
    assert "innerHTML" not in script  # messages are rendered with textContent only
    assert ".launcher" in client.get("/static/widget.css").text


# --- health -----------------------------------------------------------------------


def test_healthz_all_ok(client: TestClient) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"gateway": "ok", "rasa": "ok", "database": "ok"}


def test_healthz_reports_rasa_down(client: TestClient, fake_rasa: FakeRasa) -> None:
    fake_rasa.mode = "down"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"gateway": "ok", "rasa": "down", "database": "ok"}


def test_healthz_reports_database_down(
    settings: Settings, fake_rasa: FakeRasa, tmp_path: Path
) -> None:
    settings = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'gone.db'}"})
    rasa = RasaClient(settings.rasa_url, 5.0, transport=httpx.MockTransport(fake_rasa.handle))
    with TestClient(create_app(settings, rasa)) as client:
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] == "down"


# --- placeholder images -------------------------------------------------------------


def test_placeholder_svg_escapes_category(client: TestClient, gateway_db_url: str) -> None:
    add_product(gateway_db_url, "p-1", 4.0, category='<b>"Tools&Co</b> > Hammers')

    response = client.get("/demo/images/p-1.svg")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "<b>" not in response.text
    assert "&lt;b&gt;&quot;Tools&amp;Co&lt;/b&gt;" in response.text
    svg = ET.fromstring(response.text)  # well-formed XML
    label = svg.find("{http://www.w3.org/2000/svg}text")
    assert label is not None and label.text == '<b>"Tools&Co</b>'
    assert f"hsl({hue_for('p-1')}, 55%, 62%)" in response.text


@pytest.mark.parametrize(
    "path", ["/demo/images/unknown.svg", "/demo/images/bad.id.svg", "/demo/images/a%20b.svg"]
)
def test_placeholder_svg_404(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_hue_is_stable_and_in_range() -> None:
    assert hue_for("p-1") == hue_for("p-1")
    assert all(0 <= hue_for(f"p{i}") < 360 for i in range(100))
