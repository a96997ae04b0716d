"""The review page and the dashboard in headless Chromium, on the real stack.

Conversations are real ones (the stack's Rasa writes them to its tracker
store, which the stack's gateway reads); the CSAT rating is a real row in
the stack's shop database. An agent signs in, opens the dashboard (every
chart image loads and has a width), then the review page: filters, opens a
conversation whose first message is HTML (shown as text, never run),
corrects an intent and exports the test story, downloaded as a file.
Screenshots land in tests/artifacts/; the dashboard's is the README's
docs/agent-dashboard.png.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from agent_helpers import AGENT_PASSWORD, add_agent
from playwright.sync_api import Browser, Page, expect

from aisle.csat import record_rating
from aisle.database import session_scope
from aisle.settings import PROJECT_ROOT
from aisle.stack import Stack

pytestmark = [pytest.mark.stack, pytest.mark.browser]

XSS_IMG = '<img src=x onerror="window.__xss = 1"> my order?'
CHARTS_LOADED = """() => {
  const images = [...document.querySelectorAll('img[data-chart]')];
  return images.length > 0 && images.every((img) => img.complete && img.naturalWidth > 0);
}"""


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A page of its own; fails on any page error or console error (e.g. a CSP violation)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None,
    )
    yield page
    context.close()
    assert problems == [], problems


def chat(stack: Stack, *messages: str) -> str:
    sender = f"review-ui-{uuid.uuid4().hex[:10]}"
    with httpx.Client(base_url=stack.config.rasa_url, timeout=60) as rasa:
        for text in messages:
            response = rasa.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
            response.raise_for_status()
    return sender


def sign_in(page: Page, stack: Stack) -> None:
    email = f"reviewer-{uuid.uuid4().hex[:8]}@shop.example"
    add_agent(stack.config.env["AISLE_DATABASE_URL"], email=email, name="Robin")
    page.goto(f"{stack.config.gateway_url}/agent/dashboard")
    expect(page).to_have_url(re.compile(r"/agent/login$"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Agent console")).to_be_visible()


def test_dashboard_and_review_in_the_browser(stack: Stack, page: Page, artifacts_dir: Path) -> None:
    reviewed = chat(stack, XSS_IMG, "hello")
    searched = chat(stack, "a warm waterproof jacket for hiking", "thanks, bye")
    handed_over = chat(stack, "hi", "can i talk to a person")
    chat(stack, "what is your return policy", "how long does shipping take")
    ratings = {reviewed: 2, searched: 5, handed_over: 4}
    with session_scope(stack.config.env["AISLE_DATABASE_URL"]) as session:
        for conversation, rating in ratings.items():
            record_rating(session, conversation, rating, None, "goodbye")

    sign_in(page, stack)
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("#figures")).to_contain_text("Conversations")
    expect(page.locator("#figures")).to_contain_text(re.compile(r"CSAT average\s*\d\.\d\d / 5"))
    page.wait_for_function(CHARTS_LOADED, timeout=30_000)
    widths = page.eval_on_selector_all(
        "img[data-chart]", "images => images.map((img) => img.naturalWidth)"
    )
    assert len(widths) == 5 and min(widths) > 0
    expect(page.locator("#intent-rows")).to_contain_text("greet")
    page.screenshot(path=str(artifacts_dir / "agent_dashboard.png"), full_page=True)
    shutil.copy(
        artifacts_dir / "agent_dashboard.png", PROJECT_ROOT / "docs" / "agent-dashboard.png"
    )

    page.get_by_role("link", name="Review conversations").click()
    page.get_by_label("bad csat").check()
    page.get_by_role("button", name="Show").click()
    rows = page.locator("#review-rows tr")
    expect(rows.first).to_contain_text(XSS_IMG)  # the shopper's HTML as text
    expect(page.locator(f'#review-rows tr[data-conversation-id="{reviewed}"]')).to_have_count(1)
    page.get_by_role("button", name=f"Open conversation {reviewed}").click()
    expect(page.get_by_role("heading", name=f"Conversation {reviewed}")).to_be_visible()
    expect(page.locator("#transcript")).to_contain_text(XSS_IMG)
    assert page.evaluate("window.__xss") is None
    assert page.locator("#transcript img").count() == 0

    page.get_by_label("Intent of shopper message 0").select_option("track_order")
    page.get_by_role("button", name="Export as test story").click()
    expect(page.locator("#story-yaml")).to_contain_text("intent: track_order")
    with page.expect_download() as download_info:
        page.locator("#story-download").click()
    download = download_info.value
    assert download.suggested_filename == f"test_reviewed_{reviewed}.yml"
    saved = Path(download.path()).read_text(encoding="utf-8")
    [story] = yaml.safe_load(saved)["stories"]
    assert [step["intent"] for step in story["steps"] if "user" in step] == [
        "track_order",
        "greet",
    ]
    page.screenshot(path=str(artifacts_dir / "agent_review.png"), full_page=True)
