"""A shopper in headless Chromium uses the real assistant: demo page, widget,
gateway, Rasa, actions, seeded shop and catalog index. Screenshots are kept in
tests/artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from aisle.demo.personas import DEMO_CUSTOMER_EMAIL, DEMO_ORDERS
from aisle.stack import Stack

pytestmark = [pytest.mark.stack, pytest.mark.browser]


def say(page: Page, text: str) -> None:
    box = page.get_by_label("Message")
    box.fill(text)
    box.press("Enter")


def test_shopper_searches_and_tracks_an_order(
    browser: Browser, stack: Stack, artifacts_dir: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(stack.config.gateway_url)
    expect(page.get_by_role("heading", name="Aisle demo shop")).to_be_visible()
    expect(page.locator(".product-grid .product")).to_have_count(12)
    page.get_by_role("button", name="Open the Aisle shopping assistant").click()

    say(page, "a warm waterproof jacket for hiking")
    expect(page.locator(".bubble.bot", has_text="Here's what I found")).to_be_visible(
        timeout=60_000
    )
    cards = page.locator(".carousel .card")
    expect(cards).to_have_count(5)
    expect(cards.first.locator("img")).to_have_js_property("complete", True)
    page.screenshot(path=str(artifacts_dir / "stack_search.png"))

    order = DEMO_ORDERS["in_transit"]
    say(page, f"where is my order {order}, email {DEMO_CUSTOMER_EMAIL}")
    expect(page.locator(".bubble.bot", has_text=f"Order {order}")).to_be_visible(timeout=60_000)
    page.screenshot(path=str(artifacts_dir / "stack_order_status.png"))

    with context.expect_page() as product_tab:
        cards.first.get_by_role("link").first.click()
    expect(product_tab.value.locator("table.variants")).to_be_visible()
    context.close()
