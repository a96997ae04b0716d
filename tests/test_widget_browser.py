"""Browser tests of the chat widget: real Chromium, real gateway, fake Rasa over real HTTP.

The gateway (``bot.app.create_app``) and a stand-in Rasa (a tiny FastAPI app
answering ``/webhooks/rest/webhook``) are served by uvicorn in background
threads, and Debian's Chromium, driven by Playwright, uses the demo shop like
a shopper would. Screenshots land in ``tests/artifacts/``.

The ``browser`` fixture (tests/conftest.py) launches Debian's Chromium.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from playwright.sync_api import Browser, Page, expect
from widget_helpers import say, serious_violations

from aisle import migrate
from aisle.database import session_scope
from aisle.models import Product, ProductVariant
from aisle.settings import Settings
from bot.app import create_app

XSS = '<img src=x onerror="window.__xss=1">'
CATEGORIES = ["Outdoor > Jackets", "Footwear > Boots", "Home > Lamps", "Kitchen > Kettles"]

pytestmark = pytest.mark.browser

# --- servers ----------------------------------------------------------------


def fake_rasa_app() -> FastAPI:
    """Answers like Rasa's REST channel: an echo, product cards and quick replies."""
    app = FastAPI()

    @app.get("/")
    def hello() -> str:
        return "Hello from Rasa: 3.6 (fake)"

    @app.post("/webhooks/rest/webhook")
    def webhook(body: dict[str, Any]) -> list[dict[str, Any]]:
        sender, text = body["sender"], body["message"]
        if "slow" in text:
            time.sleep(1.5)  # time for the shopper to close the panel before the answer
        answers: list[dict[str, Any]] = [{"recipient_id": sender, "text": f"You said: {text}"}]
        if "compare" in text:
            answers.append({"recipient_id": sender, "custom": comparison_with_markup()})
        if "jacket" in text:
            answers.append({"recipient_id": sender, "custom": product_cards()})
            answers.append(
                {
                    "recipient_id": sender,
                    "text": "Want something else?",
                    "buttons": [
                        {"title": "Show cheaper ones", "payload": "/cheaper"},
                        {"title": "Talk to a person", "payload": "/human_handoff"},
                    ],
                }
            )
        return answers

    return app


def product_cards() -> dict[str, Any]:
    return {
        "type": "product_cards",
        "products": [
            {
                "id": f"p{i}",
                "title": f"Storm rain jacket {i}",
                "price": 79.5 + i,
                "currency": "USD",
                "rating": 4.8 - i / 10,
                "image_url": f"/demo/images/p{i}.svg",
                "url": f"/#product-p{i}",
                "in_stock": i != 2,
            }
            for i in range(1, 5)
        ],
    }


def comparison_with_markup() -> dict[str, Any]:
    """A comparison whose titles, labels and values carry markup, as a hostile catalog might."""
    cards = product_cards()["products"][:2]
    cards[0] = {**cards[0], "title": XSS}
    return {
        "type": "product_comparison",
        "products": cards,
        "rows": [{"label": XSS, "values": [XSS, "$80.50"]}],
    }


@contextmanager
def serve(app: FastAPI, sock: socket.socket | None = None) -> Iterator[str]:
    """Serves ``app`` with uvicorn in a thread; yields its base URL."""
    sock = sock or listening_socket(0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def listening_socket(port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


def seed_shop(database_url: str) -> None:
    migrate.upgrade(database_url)
    with session_scope(database_url) as session:
        for i in range(1, 13):
            product = Product(
                id=f"p{i}",
                title=f"Storm rain jacket {i}" if i < 5 else f"Demo product {i}",
                description="A product of the demo shop.",
                brand="Acme",
                category=CATEGORIES[i % len(CATEGORIES)],
                price=Decimal("49.00") + i,
                currency="USD",
                rating=5.0 - i / 10,
                rating_count=20 + i,
                image_url=f"https://img.example/p{i}.jpg",
                created_at=dt.datetime(2026, 1, 1),
            )
            product.variants = [
                ProductVariant(sku=f"p{i}-M", colour="blue", size="M", stock=0 if i == 2 else 5)
            ]
            session.add(product)


# --- fixtures -----------------------------------------------------------------


@pytest.fixture
def rasa_url() -> Iterator[str]:
    with serve(fake_rasa_app()) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, rasa_url: str) -> Settings:
    database_url = f"sqlite:///{tmp_path / 'shop.db'}"
    seed_shop(database_url)
    return Settings(database_url=database_url, rasa_url=rasa_url, rasa_timeout_seconds=10)


@pytest.fixture
def gateway_url(settings: Settings) -> Iterator[str]:
    with serve(create_app(settings)) as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}") if message.type == "error" else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400
            else None
        ),
    )
    yield page
    context.close()
    assert problems == [], problems  # e.g. a missing asset or a Content-Security-Policy violation


def open_widget(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="Aisle demo shop")).to_be_visible()
    page.get_by_role("button", name="Open the Aisle shopping assistant").click()
    expect(page.get_by_role("dialog", name="Aisle shopping assistant")).to_be_visible()


# --- tests ----------------------------------------------------------------------


def test_shopper_chats_sees_products_and_uses_quick_replies(
    page: Page, gateway_url: str, artifacts_dir: Path
) -> None:
    page.goto(gateway_url)
    page.screenshot(path=str(artifacts_dir / "widget_closed.png"))
    open_widget(page, gateway_url)
    expect(page.locator(".product-grid .product")).to_have_count(12)

    say(page, "rain jacket")
    expect(page.locator(".bubble.user", has_text="rain jacket")).to_be_visible()
    expect(page.locator(".bubble.bot", has_text="You said: rain jacket")).to_be_visible()
    cards = page.locator(".carousel .card")
    expect(cards).to_have_count(4)
    expect(cards.first.get_by_role("link", name="Storm rain jacket 1")).to_have_attribute(
        "href", f"{gateway_url}/#product-p1"
    )
    expect(cards.nth(1).locator(".stock")).to_have_text("Out of stock")
    expect(cards.first.locator("img")).to_have_js_property("complete", True)
    expect(page.locator(".typing")).to_be_hidden()
    page.screenshot(path=str(artifacts_dir / "widget_products.png"))

    page.get_by_role("button", name="Show cheaper ones").click()
    expect(page.locator(".bubble.user", has_text="Show cheaper ones")).to_be_visible()
    expect(page.locator(".bubble.bot", has_text="You said: /cheaper")).to_be_visible()
    expect(page.get_by_role("button", name="Talk to a person")).to_be_disabled()
    page.screenshot(path=str(artifacts_dir / "widget_quick_reply.png"))


def test_message_markup_is_shown_as_text(page: Page, gateway_url: str, artifacts_dir: Path) -> None:
    open_widget(page, gateway_url)

    say(page, XSS)

    expect(page.locator(".bubble.user").last).to_have_text(XSS)
    expect(page.locator(".bubble.bot").last).to_have_text(f"You said: {XSS}")
    page.wait_for_timeout(300)  # give a stray onerror handler the time to run
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img[src='x']").count() == 0
    page.screenshot(path=str(artifacts_dir / "widget_xss.png"))


def test_comparison_table_shows_markup_as_text(page: Page, gateway_url: str) -> None:
    open_widget(page, gateway_url)

    say(page, "compare 1 and 2")
    table = page.get_by_role("table", name="Comparison")
    expect(table).to_be_visible()
    expect(table.locator("thead th").first).to_have_text(XSS)
    expect(table.get_by_role("rowheader").first).to_have_text(XSS)
    expect(table.locator("tbody td").first).to_have_text(XSS)
    page.wait_for_timeout(300)  # give a stray onerror handler the time to run
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img[src='x']").count() == 0


def test_widget_reconnects_after_gateway_restart(page: Page, settings: Settings) -> None:
    sock = listening_socket(0)
    port = sock.getsockname()[1]
    with serve(create_app(settings), sock) as url:
        open_widget(page, url)
        say(page, "first")
        expect(page.locator(".bubble.bot", has_text="You said: first")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Connection lost. Reconnecting…")

    with serve(create_app(settings), listening_socket(port)):
        say(page, "second")  # sent as soon as the widget is connected again
        expect(page.locator(".bubble.bot", has_text="You said: second")).to_be_visible(
            timeout=15_000
        )
        expect(page.get_by_role("status")).to_be_hidden()


def test_unread_badge_counts_answers_that_arrive_while_closed(page: Page, gateway_url: str) -> None:
    open_widget(page, gateway_url)
    say(page, "slow answer please")
    page.keyboard.press("Escape")  # closed before the answer comes

    launcher = page.get_by_role(
        "button", name="Open the Aisle shopping assistant, 1 unread message"
    )
    expect(launcher).to_be_visible(timeout=10_000)
    expect(page.locator(".launcher .badge")).to_have_text("1")
    launcher.click()
    expect(page.locator(".bubble.bot", has_text="You said: slow answer please")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator(".launcher .badge")).to_be_hidden()  # read when the panel was opened
    expect(
        page.get_by_role("button", name="Open the Aisle shopping assistant", exact=True)
    ).to_be_visible()


def test_script_tag_options_set_title_greeting_colour_and_position(
    page: Page, settings: Settings, gateway_url: str, artifacts_dir: Path
) -> None:
    """Another site (another origin) embeds the widget with its own options."""
    other_socket = listening_socket(0)
    # The shop's origin is configured, as an operator would (AISLE_SHOP_ORIGINS): the gateway
    # refuses the widget's socket from any other page.
    settings.shop_origins = f"http://127.0.0.1:{other_socket.getsockname()[1]}"
    embed = (
        '<!doctype html><html lang="en"><head><title>Other shop</title>'
        '<link rel="icon" href="data:,">'
        "</head><body>"
        "<main><h1>Another shop</h1></main>"
        f'<script src="{gateway_url}/static/widget.js" defer data-socket-path="{gateway_url}/ws"'
        ' data-title="Shop helper" data-accent="#1a7f37"'
        ' data-greeting="Hello from the other shop!" data-position="left"></script>'
        "</body></html>"
    )
    other_site = FastAPI()
    other_site.get("/", response_class=HTMLResponse)(lambda: embed)

    with serve(other_site, other_socket) as other_url:
        page.goto(other_url)
        _check_options(page, artifacts_dir)


def _check_options(page: Page, artifacts_dir: Path) -> None:
    launcher = page.get_by_role("button", name="Open the Shop helper shopping assistant")
    box = launcher.bounding_box()
    assert box is not None and box["x"] < 100  # bottom left, not bottom right
    launcher.click()

    panel = page.get_by_role("dialog", name="Shop helper shopping assistant")
    expect(panel.get_by_role("heading", name="Shop helper")).to_be_visible()
    expect(panel.locator(".note")).to_have_text("Hello from the other shop!")
    expect(panel.locator(".panel-header")).to_have_css("background-color", "rgb(26, 127, 55)")
    say(page, "hello")
    expect(panel.locator(".bubble.user")).to_have_css("background-color", "rgb(26, 127, 55)")
    page.screenshot(path=str(artifacts_dir / "widget_options.png"))


@pytest.mark.parametrize(
    "viewport",
    [{"width": 1280, "height": 860}, {"width": 390, "height": 780}],
    ids=["desktop", "mobile"],
)
def test_open_widget_with_messages_passes_axe_and_is_screenshotted(
    browser: Browser, gateway_url: str, artifacts_dir: Path, viewport: dict[str, int]
) -> None:
    context = browser.new_context(viewport=viewport, bypass_csp=True)  # axe injects a script
    try:
        page = context.new_page()
        open_widget(page, gateway_url)
        say(page, "rain jacket")
        expect(page.locator(".carousel .card")).to_have_count(4)
        expect(page.get_by_role("button", name="Show cheaper ones")).to_be_visible()
        expect(page.locator(".presence")).to_have_text("Online")
        panel = page.locator("#aisle-panel").bounding_box()
        assert panel is not None and panel["x"] >= 0
        assert panel["x"] + panel["width"] <= viewport["width"]  # fits a phone's width

        assert serious_violations(page) == []
        name = "mobile" if viewport["width"] < 600 else "desktop"
        page.screenshot(path=str(artifacts_dir / f"widget_session_{name}.png"))
    finally:
        context.close()
