"""A stable widget session in a real browser: history after a reload or a drop, offline typing.

Everything is real: the stack fixture's Rasa, action server and gateway on the seeded
demo shop, Debian's headless Chromium. What reached the bot is read from Rasa's
tracker (``GET /conversations/{id}/tracker``), the gateway's only record of a turn.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect
from widget_helpers import conversation_of, open_widget, say

from aisle.stack import Stack

pytestmark = [pytest.mark.stack, pytest.mark.browser]

BOT_TIMEOUT_MS = 30_000


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A browser context of its own; fails on any page error or console error."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # Going offline makes Chromium log the socket it cannot open; that is the test's doing.
        if message.type == "error" and "ERR_INTERNET_DISCONNECTED" not in message.text:
            problems.append(f"console: {message.text}")

    context.on("console", on_console)
    context.on("weberror", lambda error: problems.append(f"page error: {error.error}"))
    yield context
    context.close()
    assert problems == [], problems


def user_texts(stack: Stack, conversation: str) -> list[str]:
    """The shopper messages Rasa's tracker holds, in order."""
    response = httpx.get(
        f"{stack.config.rasa_url}/conversations/{conversation}/tracker",
        params={"include_events": "ALL"},
        timeout=10,
    )
    response.raise_for_status()
    events: list[dict[str, Any]] = response.json()["events"]
    return [event["text"] for event in events if event["event"] == "user"]


def log_lines(page: Page) -> list[str]:
    """Every message bubble's class and text, in the order shown."""
    lines: list[str] = page.locator("#aisle-panel .bubble").evaluate_all(
        "nodes => nodes.map(n => "
        "`${n.classList.contains('user') ? 'user' : 'bot'}: ${n.textContent}`)"
    )
    return lines


def chat_a_little(page: Page) -> list[str]:
    say(page, "hello")
    expect(page.locator(".bubble.bot")).not_to_have_count(0, timeout=BOT_TIMEOUT_MS)
    say(page, "show me rain jackets")
    expect(page.locator(".carousel .card").first).to_be_visible(timeout=BOT_TIMEOUT_MS)
    expect(page.locator(".typing")).to_be_hidden(timeout=BOT_TIMEOUT_MS)
    lines = log_lines(page)
    assert [line for line in lines if line.startswith("user")] == [
        "user: hello",
        "user: show me rain jackets",
    ]
    return lines


def test_reload_shows_the_conversation_so_far(stack: Stack, context: BrowserContext) -> None:
    page = context.new_page()
    open_widget(page, stack)
    before = chat_a_little(page)
    cards = page.locator(".carousel .card-title").all_inner_texts()

    page.reload()
    page.get_by_role("button", name="Open the Aisle shopping assistant").click()

    expect(page.locator(".carousel .card")).to_have_count(len(cards))
    assert log_lines(page) == before
    assert page.locator(".carousel .card-title").all_inner_texts() == cards
    expect(page.locator(".presence")).to_have_text("Online")

    say(page, "thanks")  # the restored conversation goes on where it was
    expect(page.locator(".bubble.user")).to_have_count(3)
    # Acked means the turn is over and in the tracker (the typing dots may not have shown yet).
    expect(page.locator(".bubble.user.pending")).to_have_count(0, timeout=BOT_TIMEOUT_MS)
    assert user_texts(stack, conversation_of(page)) == ["hello", "show me rain jackets", "thanks"]


def test_a_dropped_socket_reconnects_without_duplicates(
    stack: Stack, context: BrowserContext
) -> None:
    page = context.new_page()
    open_widget(page, stack)
    before = chat_a_little(page)
    page.locator(".bubble").first.evaluate("node => { node.dataset.probe = 'kept'; }")

    context.set_offline(True)
    expect(page.locator(".presence")).to_have_text("Offline")
    context.set_offline(False)
    expect(page.locator(".presence")).to_have_text("Online", timeout=15_000)
    page.wait_for_timeout(500)  # the history frame comes right after the socket opens

    assert log_lines(page) == before
    expect(page.locator(".carousel")).to_have_count(1)
    # Nothing was redrawn (a screen reader would read it all out again): the old nodes stay.
    expect(page.locator(".bubble[data-probe='kept']")).to_have_count(1)


def test_a_message_typed_offline_reaches_the_bot_once(
    stack: Stack, context: BrowserContext
) -> None:
    page = context.new_page()
    open_widget(page, stack)
    say(page, "hello")
    expect(page.locator(".bubble.bot")).not_to_have_count(0, timeout=BOT_TIMEOUT_MS)
    expect(page.locator(".typing")).to_be_hidden(timeout=BOT_TIMEOUT_MS)
    bot_before = page.locator(".bubble.bot").count()

    context.set_offline(True)
    expect(page.locator(".presence")).to_have_text("Offline")
    expect(page.get_by_role("status")).to_contain_text("You're offline")
    say(page, "show me rain jackets")
    expect(page.locator(".bubble.user.pending")).to_have_text("show me rain jackets")
    page.wait_for_timeout(1500)  # long enough for a retry loop to try (and fail) to send
    context.set_offline(False)

    expect(page.locator(".carousel")).to_have_count(1, timeout=BOT_TIMEOUT_MS)
    expect(page.locator(".bubble.user.pending")).to_have_count(0, timeout=BOT_TIMEOUT_MS)
    expect(page.locator(".presence")).to_have_text("Online")
    expect(page.get_by_role("status")).to_be_hidden()
    page.wait_for_timeout(1000)  # a second copy of the answer would have arrived by now
    assert [line for line in log_lines(page) if line.startswith("user")] == [
        "user: hello",
        "user: show me rain jackets",
    ]
    assert page.locator(".bubble.bot").count() > bot_before
    expect(page.locator(".carousel")).to_have_count(1)
    assert user_texts(stack, conversation_of(page)) == ["hello", "show me rain jackets"]


def test_a_message_typed_offline_survives_a_reload(stack: Stack, context: BrowserContext) -> None:
    page = context.new_page()
    open_widget(page, stack)
    say(page, "hello")
    expect(page.locator(".typing")).to_be_hidden(timeout=BOT_TIMEOUT_MS)
    expect(page.locator(".bubble.bot")).not_to_have_count(0, timeout=BOT_TIMEOUT_MS)

    context.set_offline(True)
    expect(page.locator(".presence")).to_have_text("Offline")
    say(page, "show me rain jackets")
    expect(page.locator(".bubble.user.pending")).to_have_count(1)
    context.set_offline(False)
    page.reload()  # before it could be sent, or just after: either way it is sent once

    expect(page.locator(".carousel")).to_have_count(1, timeout=BOT_TIMEOUT_MS)
    expect(page.locator(".bubble.user.pending")).to_have_count(0, timeout=BOT_TIMEOUT_MS)
    page.get_by_role("button", name="Open the Aisle shopping assistant").click()
    assert [line for line in log_lines(page) if line.startswith("user")] == [
        "user: hello",
        "user: show me rain jackets",
    ]
    assert user_texts(stack, conversation_of(page)) == ["hello", "show me rain jackets"]


def test_history_shows_markup_as_text(stack: Stack, context: BrowserContext) -> None:
    markup = '<img src=x onerror="window.__xss = 1"><b>bold</b>'
    page = context.new_page()
    open_widget(page, stack)
    say(page, markup)
    expect(page.locator(".typing")).to_be_hidden(timeout=BOT_TIMEOUT_MS)

    page.reload()
    page.get_by_role("button", name="Open the Aisle shopping assistant").click()
    expect(page.locator(".bubble.user")).to_have_text(markup)
    page.wait_for_timeout(300)  # give a stray onerror handler the time to run
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("#aisle-widget b, #aisle-widget img[src='x']").count() == 0


def test_new_conversation_starts_afresh(stack: Stack, context: BrowserContext) -> None:
    page = context.new_page()
    open_widget(page, stack)
    chat_a_little(page)
    old = conversation_of(page)

    page.get_by_role("button", name="New conversation").click()

    new = conversation_of(page)
    assert new != old
    expect(page.locator("#aisle-panel .bubble, #aisle-panel .carousel")).to_have_count(0)
    expect(page.locator(".note")).to_have_text(
        ["Hi! I'm Aisle. Ask me about products, orders or returns."]
    )
    expect(page.get_by_label("Message")).to_be_focused()
    say(page, "hello")
    expect(page.locator(".bubble.bot")).not_to_have_count(0, timeout=BOT_TIMEOUT_MS)
    expect(page.locator(".typing")).to_be_hidden(timeout=BOT_TIMEOUT_MS)

    page.reload()  # the new conversation is the one restored
    page.get_by_role("button", name="Open the Aisle shopping assistant").click()
    expect(page.locator(".bubble.user")).to_have_text(["hello"])
    assert user_texts(stack, new) == ["hello"]
    assert user_texts(stack, old) == ["hello", "show me rain jackets"]  # kept, not reset
