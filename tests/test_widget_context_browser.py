"""Page context in a real browser: the page's product and cart reach Rasa as message metadata.

Everything is real: the stack fixture's Rasa, action server and gateway on the
seeded demo shop, and Debian's headless Chromium; the metadata is read back from
Rasa's tracker, and the bot's answers about "this" product are checked against the
shop database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from aisle.database import session_scope
from aisle.models import Product
from aisle.stack import Stack

pytestmark = [pytest.mark.stack, pytest.mark.browser]

BOT_TIMEOUT_MS = 30_000


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    yield page
    context.close()
    assert problems == [], problems


def jacket_without_blue(stack: Stack) -> tuple[str, str, int]:
    """A product with size M in stock and no blue variant: its id, title and M stock."""
    with session_scope(stack.config.env["AISLE_DATABASE_URL"]) as session:
        products = session.scalars(
            select(Product).options(selectinload(Product.variants)).order_by(Product.id)
        ).all()
        for product in products:
            colours = {variant.colour for variant in product.variants}
            in_m = sum(v.stock for v in product.variants if v.size == "M")
            if "blue" not in colours and in_m > 0:
                return product.id, product.title, in_m
    raise AssertionError("The demo shop has no product without blue and with M in stock")


def ask(page: Page, text: str) -> str:
    """Sends ``text``; returns the bot's answer to it."""
    answers = page.locator(".bubble.bot")
    before = answers.count()
    box = page.get_by_label("Message")
    box.fill(text)
    box.press("Enter")
    expect(answers).to_have_count(before + 1, timeout=BOT_TIMEOUT_MS)
    return answers.last.inner_text()


def last_user_metadata(stack: Stack, page: Page) -> dict[str, Any]:
    conversation = page.evaluate("localStorage.getItem('aisle.conversation_id')")
    response = httpx.get(
        f"{stack.config.rasa_url}/conversations/{conversation}/tracker",
        params={"include_events": "ALL"},
        timeout=10,
    )
    response.raise_for_status()
    users = [e for e in response.json()["events"] if e["event"] == "user"]
    metadata: dict[str, Any] = users[-1]["metadata"]
    return metadata


def test_a_product_page_sends_its_product_and_the_bot_answers_from_it(
    stack: Stack, page: Page
) -> None:
    product_id, title, _ = jacket_without_blue(stack)
    page.goto(f"{stack.config.gateway_url}/products/{product_id}")
    page.get_by_role("button", name="Open the Aisle shopping assistant").click()

    answer = ask(page, "does this come in blue?")
    assert last_user_metadata(stack, page)["page_context"] == {
        "product_id": product_id,
        "cart": [],
    }
    assert answer.startswith(f"No, the {title} doesn't come in blue"), answer


def test_the_bot_answers_a_size_question_about_the_page_product(stack: Stack, page: Page) -> None:
    product_id, title, _ = jacket_without_blue(stack)
    page.goto(f"{stack.config.gateway_url}/products/{product_id}")
    page.get_by_role("button", name="Open the Aisle shopping assistant").click()

    answer = ask(page, "is this available in size M?")
    assert answer.startswith(f"Yes, size M of the {title} is in stock"), answer


def test_the_page_sets_product_and_cart_with_set_context(stack: Stack, page: Page) -> None:
    product_id, _, _ = jacket_without_blue(stack)
    page.goto(f"{stack.config.gateway_url}/")  # a page without data-product-id
    page.get_by_role("button", name="Open the Aisle shopping assistant").click()

    page.evaluate(
        "([id]) => window.Aisle.setContext({product_id: id, cart: [{product_id: id, quantity: 2},"
        " {product_id: '<script>', quantity: 1}]})",
        [product_id],
    )
    ask(page, "does this come in blue?")
    assert last_user_metadata(stack, page)["page_context"] == {
        "product_id": product_id,
        "cart": [{"product_id": product_id, "quantity": 2}],  # the bad line was left out
    }
