"""Product discovery through the widget, in a real browser on the real stack.

The shopper searches, refines, opens a card's details with its button, asks for
more like it and compares two cards; the cards, the comparison table and the
answers come from the real Rasa model, action server and demo shop, and axe-core
checks the carousel and the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from widget_helpers import open_widget, say, serious_violations

from aisle.stack import Stack

pytestmark = [pytest.mark.stack, pytest.mark.browser]

BOT_TIMEOUT_MS = 30_000


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield page
    context.close()
    assert problems == [], problems


def test_search_refine_details_similar_and_compare_in_the_widget(
    stack: Stack, page: Page, artifacts_dir: Path
) -> None:
    open_widget(page, stack)
    say(page, "hiking boots")
    carousels = page.locator(".carousel")
    expect(carousels).to_have_count(1, timeout=BOT_TIMEOUT_MS)
    first_cards = carousels.last.locator(".card")
    expect(first_cards).to_have_count(5)
    first_title = first_cards.first.locator(".card-title").inner_text()

    say(page, "cheaper")
    expect(carousels).to_have_count(2, timeout=BOT_TIMEOUT_MS)
    expect(page.locator(".bubble.bot").last).to_contain_text("under $")

    cards = carousels.last.locator(".card")
    title = cards.first.locator(".card-title").inner_text()
    cards.first.get_by_role("button", name=f"Details: {title}").click()
    expect(page.locator(".bubble.user").last).to_have_text(f"Details: {title}")
    expect(page.locator(".bubble.bot").last).to_contain_text("In stock:", timeout=BOT_TIMEOUT_MS)
    expect(page.locator(".bubble.bot").last).to_contain_text(title)

    page.locator(".carousel").last.get_by_role("button", name=f"More like this: {title}").click()
    expect(page.locator(".bubble.bot").last).to_contain_text(
        f"Here are products like the {title}", timeout=BOT_TIMEOUT_MS
    )
    similar_titles = page.locator(".carousel").last.locator(".card-title").all_inner_texts()
    assert similar_titles and title not in similar_titles and first_title

    say(page, "compare 1 and 2")
    table = page.get_by_role("table", name="Comparison")
    expect(table).to_be_visible(timeout=BOT_TIMEOUT_MS)
    headers = table.locator("thead th").all_inner_texts()
    assert headers == similar_titles[:2]
    expect(table.get_by_role("rowheader", name="Price")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "widget_search_compare.png"))

    assert serious_violations(page) == []
