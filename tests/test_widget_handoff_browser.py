"""The whole human handoff in two browser pages: a shopper's widget and an agent's console.

Everything is real: the stack fixture's Rasa server, action server and
gateway on a seeded demo shop, and Debian's Chromium. The shopper escalates,
sees their place in the queue, the agent signs in and claims, they chat both
ways with typing indicators, the bot stays silent (Rasa's tracker is paused
but records both sides), the agent hands back and the bot answers again.
Screenshots of both pages land in tests/artifacts/.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from agent_helpers import AGENT_PASSWORD, add_agent
from playwright.sync_api import Browser, Page, expect
from widget_helpers import say

from aisle.stack import Stack

pytestmark = [pytest.mark.stack, pytest.mark.browser]

XSS_SCRIPT = "<script>window.__xss = 1</script>"
XSS_IMG = '<img src=x onerror="window.__xss = 2">'


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Opens pages in contexts of their own (separate cookies); fails on any page error."""
    contexts, problems = [], []

    def make() -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None,
        )
        return page

    yield make
    for context in contexts:
        context.close()
    assert problems == [], problems  # e.g. a Content-Security-Policy violation


@pytest.fixture
def agent_email(stack: Stack) -> str:
    email = f"agent-{uuid.uuid4().hex[:8]}@shop.example"
    add_agent(stack.config.env["AISLE_DATABASE_URL"], email=email, name="Jo")
    return email


def sign_in(page: Page, stack: Stack, email: str) -> None:
    page.goto(f"{stack.config.gateway_url}/agent")
    expect(page).to_have_url(re.compile(r"/agent/login$"))  # no session: the login page
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Agent console")).to_be_visible()


def tracker(stack: Stack, conversation_id: str) -> dict[str, Any]:
    response = httpx.get(f"{stack.config.rasa_url}/conversations/{conversation_id}/tracker")
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def test_handoff_round_trip_in_the_widget_and_the_console(
    stack: Stack, new_page: Callable[[], Page], agent_email: str, artifacts_dir: Path
) -> None:
    shopper, agent = new_page(), new_page()
    shopper.goto(f"{stack.config.gateway_url}/")
    shopper.get_by_role("button", name="Open the Aisle shopping assistant").click()
    say(shopper, "hello")
    bot_bubbles = shopper.locator(".bubble.bot")
    expect(bot_bubbles.first).to_be_visible(timeout=30_000)

    say(shopper, "I want to talk to a person")
    expect(shopper.get_by_text("support team")).to_be_visible(timeout=30_000)
    queue_note = shopper.locator(".handoff-status").last
    expect(queue_note).to_contain_text(re.compile(r"number \d+ in the queue"))
    handoff_id = re.search(r"#(\d+)", bot_bubbles.last.inner_text())
    assert handoff_id, bot_bubbles.last.inner_text()
    conversation = shopper.evaluate("localStorage.getItem('aisle.conversation_id')")
    assert tracker(stack, conversation)["paused"] is True

    ticket_form = shopper.get_by_role("form", name="Leave a message for the support team")
    expect(ticket_form).to_be_visible()  # nobody online yet: a ticket instead of a dead wait
    shopper.screenshot(path=str(artifacts_dir / "handoff_shopper_nobody_online.png"))

    sign_in(agent, stack, agent_email)
    expect(queue_note).to_contain_text("expected wait")  # an agent came online
    expect(ticket_form).to_be_hidden()
    agent.get_by_role("button", name=f"Claim #{handoff_id[1]}").click()
    expect(agent.locator("#context")).to_contain_text("human_handoff")
    why = agent.get_by_role("region", name="Why handed over")
    expect(why).to_contain_text("shopper request")
    expect(why).to_contain_text("The shopper asked for a person")
    expect(why.locator(".why-messages")).to_contain_text("I want to talk to a person")
    expect(shopper.get_by_text("Jo from the support team has joined the chat.")).to_be_visible()

    answers_before = bot_bubbles.count()
    shopper.get_by_label("Message").fill("my parcel is lost")
    expect(agent.locator("#shopper-typing")).to_be_visible()
    shopper.get_by_label("Message").press("Enter")
    expect(agent.locator("#chat-log .from-shopper").last).to_have_text(
        re.compile("my parcel is lost$")
    )
    agent.get_by_label("Reply").fill("Sorry to hear that, I'm checking the carrier now.")
    expect(shopper.locator(".typing")).to_be_visible()
    agent.get_by_label("Reply").press("Enter")
    expect(shopper.locator(".bubble.agent")).to_contain_text("checking the carrier")
    expect(agent.locator("#chat-log .from-agent").last).to_contain_text("checking the carrier")
    time.sleep(1.0)  # give a (wrong) bot answer time to show up
    assert bot_bubbles.count() == answers_before  # the bot said nothing while Jo had the chat
    shopper.screenshot(path=str(artifacts_dir / "handoff_shopper_with_agent.png"))
    agent.screenshot(path=str(artifacts_dir / "handoff_console.png"), full_page=True)

    events = tracker(stack, conversation)["events"]
    texts = [(e["event"], e.get("text")) for e in events if e["event"] in ("user", "bot")]
    assert ("user", "my parcel is lost") in texts  # Rasa recorded both sides
    assert ("bot", "Sorry to hear that, I'm checking the carrier now.") in texts

    agent.get_by_role("button", name="Hand back to the bot").click()
    expect(shopper.get_by_text("Jo handed you back to the assistant.")).to_be_visible()
    assert tracker(stack, conversation)["paused"] is False
    say(shopper, "hello")
    expect(bot_bubbles).to_have_count(answers_before + 1, timeout=30_000)  # the bot is back
    shopper.screenshot(path=str(artifacts_dir / "handoff_shopper_back_to_bot.png"))
    expect(agent.locator("#chat-heading")).to_contain_text("returned to bot")


def test_shopper_markup_never_runs_in_the_console(
    stack: Stack, new_page: Callable[[], Page], agent_email: str, artifacts_dir: Path
) -> None:
    conversation = f"xss-{uuid.uuid4().hex[:12]}"
    url = f"{stack.config.gateway_url}/api/conversations/{conversation}/messages"
    first = httpx.post(url, json={"text": f"I want to talk to a person {XSS_IMG}"}, timeout=60)
    handoff_id = first.json()["handoff"]["handoff_id"]
    for text in (XSS_SCRIPT, XSS_IMG):
        assert httpx.post(url, json={"text": text}, timeout=60).json()["messages"] == []

    agent = new_page()
    sign_in(agent, stack, agent_email)
    agent.get_by_role("button", name=f"Claim #{handoff_id}").click()
    log = agent.locator("#chat-log")
    expect(log.locator(".from-shopper .line-text").last).to_have_text(XSS_IMG)
    expect(log).to_contain_text(XSS_SCRIPT)
    assert agent.evaluate("window.__xss") is None
    assert log.locator("script, img").count() == 0
    expect(agent.locator(".why-messages")).to_contain_text(XSS_IMG)  # the evidence, as text
    assert agent.locator("#context script, #context img").count() == 0
    agent.screenshot(path=str(artifacts_dir / "handoff_console_xss.png"), full_page=True)
    agent.get_by_label("Resolution").select_option("spam")
    agent.get_by_role("button", name="Close").click()
    expect(agent.locator("#chat-heading")).to_contain_text("closed")
