"""What the widget browser tests do as a shopper on the real stack's demo shop page."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from aisle.stack import Stack


def open_widget(page: Page, stack: Stack) -> None:
    page.goto(f"{stack.config.gateway_url}/")
    page.get_by_role("button", name="Open the Aisle shopping assistant").click()
    expect(page.get_by_role("dialog", name="Aisle shopping assistant")).to_be_visible()


def say(page: Page, text: str) -> None:
    box = page.get_by_label("Message")
    box.fill(text)
    box.press("Enter")


def conversation_of(page: Page) -> str:
    """The conversation id the widget keeps in the page's localStorage."""
    conversation: str = page.evaluate("localStorage.getItem('aisle.conversation_id')")
    return conversation


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page, one line each."""
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
