"""Search as a conversation: refinements, paging, relaxing, details, comparisons, similar items.

Each test runs the real actions with real rasa-sdk trackers on the seeded demo shop
and its index; what the cards must show (prices, colours, stock) is read back from
the shop database, not written into the test.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from action_trackers import run_sync
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from actions.product_followups import ActionProductFollowup
from actions.search import ActionSearchProducts
from aisle.database import session_scope
from aisle.demo.personas import DEMO_CUSTOMER_EMAIL
from aisle.models import Product
from aisle.purchase_history import purchases_of

Slots = dict[str, Any]


def turn(
    action: Any,
    text: str,
    slots: Slots | None = None,
    *,
    intent: str = "product_followup",
    entities: dict[str, str] | None = None,
    page_product: str | None = None,
) -> tuple[Slots, list[dict[str, Any]]]:
    """Runs ``action`` after the shopper's ``text``; returns the slots after it and its messages."""
    metadata = {"page_context": {"product_id": page_product}} if page_product else {}
    tracker = Tracker(
        sender_id="search-conversation",
        slots=dict(slots or {}),
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.99},
            "entities": [{"entity": k, "value": v} for k, v in (entities or {}).items()],
            "metadata": metadata,
        },
        events=[{"event": "user", "text": text}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
    dispatcher = CollectingDispatcher()
    events = run_sync(action.run(dispatcher, tracker, {}))
    after = dict(slots or {})
    after.update({event["name"]: event["value"] for event in events if event["event"] == "slot"})
    return after, dispatcher.messages


def search(text: str) -> tuple[Slots, list[dict[str, Any]]]:
    return turn(ActionSearchProducts(), text, intent="product_search")


def follow(text: str, slots: Slots, **kwargs: Any) -> tuple[Slots, list[dict[str, Any]]]:
    return turn(ActionProductFollowup(), text, slots, **kwargs)


def cards(messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [card for m in messages if m.get("custom") for card in m["custom"].get("products", [])]


def texts(messages: Sequence[dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def products(ids: Sequence[str]) -> list[Product]:
    with session_scope() as session:
        rows = session.scalars(
            select(Product).where(Product.id.in_(ids)).options(selectinload(Product.variants))
        ).all()
        session.expunge_all()
    by_id = {product.id: product for product in rows}
    return [by_id[product_id] for product_id in ids]


def in_stock_colours(product: Product) -> set[str]:
    return {v.colour.lower() for v in product.variants if v.stock > 0}


@pytest.fixture(autouse=True)
def _demo(shop_env: str) -> None:
    """Every test here runs on the seeded demo shop."""


def test_a_search_keeps_its_constraints_in_slots() -> None:
    slots, messages = search("a warm jacket under $150 in size M")
    assert slots["search_max_price"] == 150
    assert slots["search_sizes"] == ["M"]
    assert "jacket" in slots["search_query"]
    shown = products(slots["shown_products"])
    assert shown and all(float(p.price) <= 150 for p in shown)
    assert all(any(v.size == "M" and v.stock > 0 for v in p.variants) for p in shown)
    assert [card["id"] for card in cards(messages)] == slots["shown_products"]


def test_cheaper_lowers_the_price_below_the_middle_of_what_was_shown() -> None:
    slots, _ = search("a warm waterproof jacket for hiking")
    before = sorted(float(p.price) for p in products(slots["shown_products"]))
    refined, messages = follow("cheaper", slots)
    after = products(refined["shown_products"])
    assert after and set(refined["shown_products"]) != set(slots["shown_products"])
    assert all(float(p.price) < before[len(before) // 2] for p in after)
    assert refined["search_max_price"] < before[len(before) // 2]
    assert refined["search_query"] == slots["search_query"]
    assert "under $" in texts(messages)


def test_a_colour_narrows_the_search_and_keeps_the_other_constraints() -> None:
    slots, _ = search("hiking boots under $200")
    refined, messages = follow("in black", slots)
    shown = products(refined["shown_products"])
    assert refined["search_colours"] == ["black"]
    assert refined["search_max_price"] == 200
    assert shown and all("black" in in_stock_colours(p) for p in shown)
    assert all(float(p.price) <= 200 for p in shown)
    assert "black" in texts(messages)


def test_a_size_keeps_only_products_with_that_size_in_stock() -> None:
    slots, _ = search("hiking boots")
    refined, _ = follow("size 10", slots)
    shown = products(refined["shown_products"])
    assert refined["search_sizes"] == ["10"]
    assert shown and all(any(v.size == "10" and v.stock > 0 for v in p.variants) for p in shown)


def test_any_colour_lifts_the_colour() -> None:
    slots, _ = search("a blue rain jacket")
    assert slots["search_colours"] == ["blue"]
    refined, _ = follow("any colour is fine", slots)
    assert refined["search_colours"] == []


def test_show_more_pages_on_without_repeating() -> None:
    slots, _ = search("a warm waterproof jacket for hiking")
    second, _ = follow("show more", slots)
    third, _ = follow("show more", second)
    assert second["search_page"] == 1 and third["search_page"] == 2
    seen = slots["shown_products"] + second["shown_products"] + third["shown_products"]
    assert len(seen) == len(set(seen)) == 3 * len(slots["shown_products"])


def test_no_results_relaxes_the_strictest_filter_and_says_which() -> None:
    slots, messages = search("a tent under $1")
    assert "I found nothing under $1, so I left that out" in texts(messages)
    assert slots["search_max_price"] is None
    assert slots["shown_products"]
    assert any("tent" in p.title.lower() for p in products(slots["shown_products"]))


def test_details_of_the_second_card_name_it_and_its_sizes_in_stock() -> None:
    slots, _ = search("hiking boots")
    second = products(slots["shown_products"])[1]
    after, messages = follow("tell me about the second one", slots)
    assert after["focused_product"] == second.id
    said = texts(messages)
    assert second.title in said and "In stock:" in said
    stocked = sorted({v.size for v in second.variants if v.stock > 0})
    assert all(size in said for size in stocked)
    assert [card["id"] for card in cards(messages)] == [second.id]


def _product_with_and_without_a_colour() -> tuple[Product, str, str]:
    """A demo product, a colour it has in stock, and a common colour it never comes in."""
    with session_scope() as session:
        for product in session.scalars(
            select(Product).options(selectinload(Product.variants)).limit(200)
        ):
            have = in_stock_colours(product)
            lacking = {"purple", "pink", "orange", "yellow"} - {
                v.colour.lower() for v in product.variants
            }
            if have and lacking:
                session.expunge_all()
                return product, sorted(have)[0], sorted(lacking)[0]
    raise AssertionError("the demo shop has no product to ask about")


def test_on_a_product_page_does_this_come_in_a_colour_is_answered_from_stock() -> None:
    product, have, lacking = _product_with_and_without_a_colour()
    _, messages = follow(f"does this come in {have}?", {}, page_product=product.id)
    assert texts(messages).startswith(f"Yes, the {product.title} comes in {have.capitalize()}")
    _, messages = follow(f"does this come in {lacking}?", {}, page_product=product.id)
    assert texts(messages).startswith(f"No, the {product.title} doesn't come in {lacking}")


def test_this_means_the_product_described_last() -> None:
    slots, _ = search("hiking boots")
    focused, _ = follow("tell me about the first one", slots)
    first = products(slots["shown_products"])[0]
    size = next(v.size for v in first.variants)
    _, messages = follow(f"is it available in size {size}", focused)
    assert f"size {size} of the {first.title}" in texts(messages) or f"size {size}" in texts(
        messages
    )


def test_it_without_a_product_to_point_at_asks_which() -> None:
    slots, _ = search("hiking boots")
    _, messages = follow("tell me more about it", slots)
    assert messages[0]["text"] == "Which one do you mean?"
    assert len(messages[0]["buttons"]) == len(slots["shown_products"])
    payload = messages[0]["buttons"][1]["payload"]
    assert (
        json.loads(payload.removeprefix("/product_followup"))["product_id"]
        == slots["shown_products"][1]
    )


def test_compare_puts_two_cards_side_by_side() -> None:
    slots, _ = search("hiking boots")
    first, second = products(slots["shown_products"][:2])
    _, messages = follow("compare 1 and 2", slots)
    table = next(m["custom"] for m in messages if m.get("custom"))
    assert table["type"] == "product_comparison"
    assert [card["id"] for card in table["products"]] == [first.id, second.id]
    prices = next(row for row in table["rows"] if row["label"] == "Price")["values"]
    assert prices == [f"${float(first.price):,.2f}", f"${float(second.price):,.2f}"]
    if first.price != second.price:
        cheaper = first if first.price < second.price else second
        assert f"The {cheaper.title} is $" in texts(messages)


def test_the_more_like_this_button_shows_neighbours_but_not_the_product_itself() -> None:
    slots, _ = search("hiking boots")
    anchor = slots["shown_products"][0]
    after, messages = follow(
        f'/product_followup{{"product_id": "{anchor}", "followup": "similar"}}',
        slots,
        entities={"product_id": anchor, "followup": "similar"},
    )
    shown = after["shown_products"]
    assert shown and anchor not in shown and not set(shown) & set(slots["shown_products"])
    anchor_category = products([anchor])[0].category
    assert sum(p.category == anchor_category for p in products(shown)) >= len(shown) // 2
    assert "Here are products like the" in texts(messages)


def test_cards_carry_more_like_this_and_details_buttons_naming_their_product() -> None:
    _, messages = search("hiking boots")
    for card in cards(messages):
        titles = [button["title"] for button in card["buttons"]]
        assert titles == ["More like this", "Details"]
        for button in card["buttons"]:
            assert (
                json.loads(button["payload"].removeprefix("/product_followup"))["product_id"]
                == card["id"]
            )


@pytest.mark.parametrize("product_id", ["P99999", "1' OR '1'='1", "<script>alert(1)</script>"])
def test_a_button_for_an_unknown_product_says_it_is_gone(product_id: str) -> None:
    _, messages = follow(
        "/product_followup", {}, entities={"product_id": product_id, "followup": "details"}
    )
    assert messages == [{**messages[0], "response": "utter_product_gone"}]


def test_cheaper_on_a_product_page_without_a_search_shows_cheaper_similar_products() -> None:
    product, _, _ = _product_with_and_without_a_colour()
    after, _ = follow("something cheaper", {}, page_product=product.id)
    shown = products(after["shown_products"])
    assert shown and all(p.price < product.price for p in shown)
    assert product.id not in after["shown_products"]


def test_a_verified_shopper_gets_picks_from_their_history_without_what_they_bought() -> None:
    with session_scope() as session:
        bought = {p.product_id for p in purchases_of(session, DEMO_CUSTOMER_EMAIL)}
    assert bought
    slots, messages = turn(
        ActionSearchProducts(),
        "what do you recommend",
        {"verified_email": DEMO_CUSTOMER_EMAIL},
        intent="product_search",
    )
    assert texts(messages).startswith("Here are a few picks for you")
    assert slots["shown_products"] and not set(slots["shown_products"]) & bought


def test_a_shopper_who_proved_nothing_gets_what_is_popular() -> None:
    slots, messages = turn(ActionSearchProducts(), "what do you recommend", intent="product_search")
    assert texts(messages).startswith("Tell me what you're looking for")
    assert slots["shown_products"]


def test_what_goes_with_hiking_boots_comes_from_orders_that_had_both() -> None:
    slots, _ = search("hiking boots")
    boot = products(slots["shown_products"])[0]
    after, messages = follow("what goes with the first one", slots)
    assert texts(messages).startswith(f"Shoppers who bought the {boot.title} often also got")
    shown = products(after["shown_products"])
    assert shown and boot.id not in after["shown_products"]
    assert all(p.category != boot.category for p in shown)
    # The demo's hiking-boot orders come with socks, trekking poles or hiking pants.
    partners = ("Socks", "Trekking poles", "Hiking pants")
    assert sum(p.category.endswith(partners) for p in shown) >= len(shown) // 2


def test_another_kind_of_product_after_a_search_is_a_new_search() -> None:
    slots, _ = search("hiking boots under $300")
    after, _ = follow("a tent under $400", slots)
    assert "tent" in after["search_query"]
    assert after["search_max_price"] == 400
    assert all("tent" in p.title.lower() for p in products(after["shown_products"]))
