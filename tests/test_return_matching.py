"""Shoppers' own words read as answers of the return form."""

from __future__ import annotations

from decimal import Decimal

import pytest

from actions.return_matching import (
    match_exchange_option,
    match_items,
    match_reason,
    match_resolution,
)
from aisle.order_source import ItemView
from aisle.returns import ExchangeOption

POLICY_REASONS = (
    "Too small",
    "Too big",
    "Not as described",
    "Damaged",
    "Changed my mind",
    "Arrived late",
    "Other",
)


def item(item_id: str, title: str, colour: str = "grey", size: str = "M") -> ItemView:
    return ItemView(
        id=item_id,
        sku=f"SKU-{item_id}",
        title=title,
        colour=colour,
        size=size,
        quantity=1,
        unit_price=Decimal("10.00"),
        final_sale=False,
        returned_quantity=0,
    )


JACKET = item("1", "Kestrel Outdoor Pikafield Shell Jacket")
SOCKS = item("2", "Harbor & Pine Roverloft Cushioned Running Socks", "orange", "S")
BOOTS = item("3", "Stridewell Canyoncrest Mid Hiking Boots", "black", "11")
ORDER = [JACKET, SOCKS, BOOTS]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("the jacket", [JACKET]),
        ("i want to return the rain jacket its too small", [JACKET]),
        ("the sock", [SOCKS]),
        ("jacket and boots", [JACKET, BOOTS]),
        ("the hiking boot", [BOOTS]),
        ("all of them", ORDER),
        ("both", ORDER),
        ("the second one", [SOCKS]),
        ("2", [SOCKS]),
        ("the last one", [BOOTS]),
        ("a tent", []),
        ("", []),
    ],
)
def test_items_are_named_by_title_position_or_all(text: str, expected: list[ItemView]) -> None:
    assert match_items(text, ORDER, ORDER) == expected


def test_positions_count_in_the_listed_items_but_titles_in_the_whole_order() -> None:
    listed = [JACKET, BOOTS]  # the socks can't be returned, so the form did not list them
    assert match_items("the second one", ORDER, listed) == [BOOTS]
    assert match_items("the socks", ORDER, listed) == [SOCKS]
    assert match_items("all", ORDER, listed) == listed


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Too small", "Too small"),
        ("too SMALL", "Too small"),
        ("it's way too small for me", "Too small"),
        ("it's too tight", "Too small"),
        ("way too big", "Too big"),
        ("the zip is broken", "Damaged"),
        ("it arrived damaged", "Damaged"),
        ("i changed my mind", "Changed my mind"),
        ("dont like the colour", "Changed my mind"),
        ("it's not what the picture showed, not as described", "Not as described"),
        ("hmm", None),
        ("too big and too small", None),
    ],
)
def test_reasons_are_read_from_plain_words(text: str, expected: str | None) -> None:
    assert match_reason(text, POLICY_REASONS) == expected


def test_a_reason_the_shop_adds_is_matched_by_its_own_words() -> None:
    assert match_reason("wrong size sent", (*POLICY_REASONS, "Wrong size sent")) == (
        "Wrong size sent"
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("refund please", "refund"),
        ("i just want my money back", "refund"),
        ("can i swap it for another size", "exchange"),
        ("store credit is fine", "store_credit"),
        ("a voucher", "store_credit"),
        ("whatever", None),
    ],
)
def test_resolutions_are_read_from_plain_words(text: str, expected: str | None) -> None:
    assert match_resolution(text, ("refund", "exchange", "store_credit")) == expected


def test_a_resolution_the_shop_does_not_offer_is_not_matched() -> None:
    assert match_resolution("exchange it", ("refund", "store_credit")) is None


OPTIONS = [
    ExchangeOption("J-GREY-L", "grey", "L", 9),
    ExchangeOption("J-GREY-S", "grey", "S", 32),
    ExchangeOption("J-BLUE-L", "blue", "L", 2),
    ExchangeOption("J-GREY-XL", "grey", "XL", 38),
]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a small please", "J-GREY-S"),
        ("size L", "J-GREY-L"),  # the colour bought (grey) is kept
        ("large in blue", "J-BLUE-L"),
        ("extra large", "J-GREY-XL"),
        ("XL", "J-GREY-XL"),
        ("blue", "J-BLUE-L"),
        ("red", None),
        ("size 12", None),
    ],
)
def test_exchange_variants_are_read_from_size_and_colour(text: str, expected: str | None) -> None:
    option = match_exchange_option(text, OPTIONS, current_colour="grey")
    assert (option.sku if option else None) == expected
