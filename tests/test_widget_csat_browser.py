"""CSAT in the widget: the shopper rates the end of a conversation in a real browser.

Everything is real: the stack fixture's Rasa server (its ``utter_goodbye``
carries the ``csat_request`` payload), action server and gateway on the seeded
demo shop, Debian's headless Chromium, and the ratings read back from the shop
database. An agent closes a handoff through the console's HTTP API. axe-core
(axe-playwright-python) checks the open form; screenshots land in tests/artifacts/.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from agent_helpers import AGENT_PASSWORD, add_agent
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect
from sqlalchemy import select
from widget_helpers import conversation_of, open_widget, say, serious_violations

from aisle.database import session_scope
from aisle.models import CsatRating
from aisle.stack import Stack

pytestmark = [pytest.mark.stack, pytest.mark.browser]

XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">'
DESKTOP = {"width": 1280, "height": 860}
MOBILE = {"width": 390, "height": 780}


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Pages in contexts of their own; fails on any page error, console error or HTTP error."""
    contexts, problems = [], []

    def make(
        viewport: dict[str, int] = DESKTOP, bypass_csp: bool = False, expected_status: int = 0
    ) -> Page:
        """``expected_status``: an HTTP error the test provokes (and its console line)."""
        context = browser.new_context(viewport=viewport, bypass_csp=bypass_csp)
        contexts.append(context)
        page = context.new_page()
        expected = f"status of {expected_status}"

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error" and not (expected_status and expected in message.text):
                problems.append(f"console: {message.text}")

        def on_response(response: Response) -> None:
            if response.status >= 400 and response.status != expected_status:
                problems.append(f"HTTP {response.status}: {response.url}")

        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", on_console)
        page.on("response", on_response)
        return page

    yield make
    for context in contexts:
        context.close()
    assert problems == [], problems


def say_goodbye(page: Page) -> None:
    say(page, "goodbye")
    expect(page.locator(".bubble.bot", has_text="Bye for now")).to_be_visible(timeout=30_000)


def ratings(stack: Stack, conversation: str) -> list[tuple[str, int, str | None]]:
    with session_scope(stack.config.env["AISLE_DATABASE_URL"]) as session:
        rows = session.scalars(
            select(CsatRating).where(CsatRating.conversation_id == conversation)
        ).all()
        return [(row.trigger, row.rating, row.comment) for row in rows]


def test_goodbye_asks_for_a_rating_that_is_stored(
    stack: Stack, new_page: Callable[..., Page], artifacts_dir: Path
) -> None:
    page = new_page()
    open_widget(page, stack)
    say_goodbye(page)

    form = page.get_by_role("form", name="How was your chat today?")
    expect(form).to_be_visible()
    expect(form.get_by_role("radio")).to_have_count(5)
    form.get_by_role("radio", name="4 out of 5").check()
    form.get_by_label("Comment (optional)").fill("Quick and friendly")
    page.screenshot(path=str(artifacts_dir / "widget_csat_goodbye.png"))
    page.locator("#aisle-panel").screenshot(path=str(artifacts_dir / "widget_csat_panel.png"))
    form.get_by_role("button", name="Send rating").click()

    expect(page.get_by_text("Thank you! You rated this chat 4 out of 5.")).to_be_visible()
    expect(form).to_have_count(0)
    assert ratings(stack, conversation_of(page)) == [("goodbye", 4, "Quick and friendly")]

    page.reload()  # an answered request is not asked again
    page.get_by_role("button", name="Open the Aisle shopping assistant").click()
    expect(page.get_by_label("Message")).to_be_focused()
    expect(page.locator(".csat")).to_have_count(0)


def test_an_unanswered_request_comes_back_after_a_reload_until_declined(
    stack: Stack, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    open_widget(page, stack)
    say_goodbye(page)
    expect(page.get_by_role("form", name="How was your chat today?")).to_be_visible()

    page.reload()
    page.get_by_role("button", name="Open the Aisle shopping assistant").click()
    form = page.get_by_role("form", name="How was your chat today?")
    expect(form).to_have_count(1)  # shown again, once
    form.get_by_role("button", name="No thanks").click()
    expect(page.get_by_text("No problem. Thanks for chatting!")).to_be_visible()

    page.reload()
    page.get_by_role("button", name="Open the Aisle shopping assistant").click()
    expect(page.get_by_label("Message")).to_be_focused()
    expect(page.locator(".csat")).to_have_count(0)
    assert ratings(stack, conversation_of(page)) == []


def test_an_agent_closing_the_handoff_asks_for_a_rating(
    stack: Stack, new_page: Callable[..., Page], artifacts_dir: Path
) -> None:
    gateway = stack.config.gateway_url
    email = f"agent-{uuid.uuid4().hex[:8]}@shop.example"
    add_agent(stack.config.env["AISLE_DATABASE_URL"], email=email, name="Jo")
    page = new_page()
    open_widget(page, stack)
    say(page, "I want to talk to a person")
    expect(page.locator(".handoff-status").last).to_contain_text("in the queue", timeout=30_000)
    conversation = conversation_of(page)

    with httpx.Client(base_url=gateway, timeout=30) as agent:
        login = agent.post("/api/agent/login", json={"email": email, "password": AGENT_PASSWORD})
        assert login.status_code == 204, login.text
        [handoff] = [
            h for h in agent.get("/api/agent/queue").json() if h["conversation_id"] == conversation
        ]
        closed = agent.post(
            f"/api/agent/handoffs/{handoff['id']}/close", json={"resolution": "resolved"}
        )
        assert closed.status_code == 204, closed.text

    expect(page.get_by_text("Jo closed this chat.")).to_be_visible()
    form = page.get_by_role("form", name="How was your chat with our team?")
    expect(form).to_be_visible()
    form.get_by_role("radio", name="5 out of 5").check()
    page.screenshot(path=str(artifacts_dir / "widget_csat_handoff_closed.png"))
    form.get_by_role("button", name="Send rating").click()

    expect(page.get_by_text("Thank you! You rated this chat 5 out of 5.")).to_be_visible()
    assert ratings(stack, conversation) == [("handoff_closed", 5, None)]


def test_a_failed_send_keeps_the_rating_and_the_comment(
    stack: Stack, new_page: Callable[..., Page]
) -> None:
    page = new_page(expected_status=503)
    open_widget(page, stack)
    say_goodbye(page)
    form = page.get_by_role("form", name="How was your chat today?")
    form.get_by_role("radio", name="5 out of 5").check()
    form.get_by_label("Comment (optional)").fill("Lovely")
    down = {"detail": "Your rating cannot be saved right now. Please try again in a moment."}
    page.route("**/csat", lambda route: route.fulfill(status=503, json=down))

    form.get_by_role("button", name="Send rating").click()

    expect(form.get_by_role("alert")).to_have_text(
        "Your rating could not be sent. Please try again."
    )
    expect(form.get_by_role("radio", name="5 out of 5")).to_be_checked()
    expect(form.get_by_label("Comment (optional)")).to_have_value("Lovely")
    conversation = conversation_of(page)
    assert ratings(stack, conversation) == []
    page.unroute("**/csat")
    form.get_by_role("button", name="Send rating").click()
    expect(page.get_by_text("Thank you! You rated this chat 5 out of 5.")).to_be_visible()
    assert ratings(stack, conversation) == [("goodbye", 5, "Lovely")]


def test_an_ending_rated_elsewhere_is_not_asked_again(
    stack: Stack, new_page: Callable[..., Page]
) -> None:
    page = new_page(expected_status=409)
    open_widget(page, stack)
    say_goodbye(page)
    conversation = conversation_of(page)
    elsewhere = httpx.post(  # e.g. in another tab of the same browser
        f"{stack.config.gateway_url}/api/conversations/{conversation}/csat",
        json={"trigger": "goodbye", "rating": 3},
    )
    assert elsewhere.status_code == 201, elsewhere.text
    form = page.get_by_role("form", name="How was your chat today?")
    form.get_by_role("radio", name="1 out of 5").check()
    form.get_by_role("button", name="Send rating").click()

    expect(page.get_by_text("You have already rated this conversation. Thank you!")).to_be_visible()
    expect(form).to_have_count(0)
    page.reload()
    page.get_by_role("button", name="Open the Aisle shopping assistant").click()
    expect(page.get_by_label("Message")).to_be_focused()
    expect(page.locator(".csat")).to_have_count(0)
    assert ratings(stack, conversation) == [("goodbye", 3, None)]


def test_rating_with_the_keyboard_only(stack: Stack, new_page: Callable[..., Page]) -> None:
    page = new_page()
    page.goto(f"{stack.config.gateway_url}/")
    page.get_by_role("button", name="Open the Aisle shopping assistant").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Message")).to_be_focused()
    page.keyboard.type("goodbye")
    page.keyboard.press("Enter")

    form = page.get_by_role("form", name="How was your chat today?")
    expect(form).to_be_visible(timeout=30_000)
    expect(form.get_by_role("radio", name="1 out of 5")).to_be_focused()  # taken to the rating
    page.keyboard.press("Space")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(form.get_by_role("radio", name="4 out of 5")).to_be_checked()
    page.keyboard.press("Tab")
    expect(form.get_by_label("Comment (optional)")).to_be_focused()
    page.keyboard.type("All sorted, thanks")
    page.keyboard.press("Tab")
    expect(form.get_by_role("button", name="Send rating")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_text("Thank you! You rated this chat 4 out of 5.")).to_be_visible()
    expect(page.get_by_label("Message")).to_be_focused()  # focus is not lost with the form
    assert ratings(stack, conversation_of(page)) == [("goodbye", 4, "All sorted, thanks")]


def test_markup_in_the_comment_is_stored_as_text_and_never_runs(
    stack: Stack, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    open_widget(page, stack)
    say_goodbye(page)
    form = page.get_by_role("form", name="How was your chat today?")
    form.get_by_role("radio", name="2 out of 5").check()
    form.get_by_label("Comment (optional)").fill(XSS)
    form.get_by_role("button", name="Send rating").click()

    expect(page.get_by_text("Thank you! You rated this chat 2 out of 5.")).to_be_visible()
    page.wait_for_timeout(300)  # give a stray onerror handler the time to run
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("#aisle-widget script, #aisle-widget img[src='x']").count() == 0
    assert ratings(stack, conversation_of(page)) == [("goodbye", 2, XSS)]


@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "mobile"])
def test_axe_finds_no_serious_violations_with_the_form_open(
    stack: Stack, new_page: Callable[..., Page], artifacts_dir: Path, viewport: dict[str, int]
) -> None:
    page = new_page(viewport, bypass_csp=True)  # axe-core injects inline styles of its own
    open_widget(page, stack)
    say_goodbye(page)
    form = page.get_by_role("form", name="How was your chat today?")
    expect(form).to_be_visible()
    form.get_by_role("button", name="Send rating").click()  # no rating chosen: the error shows
    expect(form.get_by_role("alert")).to_have_text("Please choose a rating from 1 to 5.")
    form.get_by_role("radio", name="3 out of 5").check()

    assert serious_violations(page) == []
    name = "mobile" if viewport == MOBILE else "desktop"
    page.screenshot(path=str(artifacts_dir / f"widget_csat_{name}.png"))
