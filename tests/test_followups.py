"""Reading follow-ups on shown products: which one it is and which products it points at."""

from __future__ import annotations

import pytest

from actions.followups import read_followup


@pytest.mark.parametrize(
    ("text", "operation"),
    [
        ("cheaper", "refine"),
        ("in blue", "refine"),
        ("size 10", "refine"),
        ("under 50", "refine"),
        ("any colour is fine", "refine"),
        ("show more", "more"),
        ("more results please", "more"),
        ("next", "more"),
        ("tell me about the first one", "details"),
        ("more info on number 2", "details"),
        ("does this come in blue?", "details"),
        ("is it available in size 10", "details"),
        ("what sizes does the second one come in", "details"),
        ("compare 1 and 2", "compare"),
        ("what's the difference between the first and the third", "compare"),
        ("more like the second one", "similar"),
        ("show me more like this", "similar"),
        ("something like this but cheaper", "similar"),
        ("what goes with these boots", "complementary"),
        ("what should i wear with the first one", "complementary"),
    ],
)
def test_each_follow_up_is_read_as_what_it_asks(text: str, operation: str) -> None:
    assert read_followup(text, shown=5).operation == operation


@pytest.mark.parametrize(
    ("text", "positions"),
    [
        ("tell me about the first one", (0,)),
        ("details on the 3rd", (2,)),
        ("more like the last one", (4,)),
        ("compare 1 and 2", (0, 1)),
        ("compare the third and the first", (2, 0)),
        ("more info on number 2", (1,)),
        ("compare #2 and #4", (1, 3)),
    ],
)
def test_products_are_named_by_ordinal_or_number(text: str, positions: tuple[int, ...]) -> None:
    assert read_followup(text, shown=5).positions == positions


@pytest.mark.parametrize(
    "text",
    [
        "size 10",
        "in size 9",
        "under 50",
        "between 40 and 60",
        "cheaper than $30",
        "does it come in size 2",
    ],
)
def test_sizes_and_prices_are_never_read_as_positions(text: str) -> None:
    assert read_followup(text, shown=12).positions == ()


def test_a_position_beyond_the_shown_cards_points_at_nothing() -> None:
    assert read_followup("tell me about the fifth one", shown=3).positions == ()
    assert read_followup("compare 1 and 7", shown=3).positions == (0,)


@pytest.mark.parametrize(
    ("text", "move"),
    [
        ("cheaper", "cheaper"),
        ("too pricey", "cheaper"),
        ("more expensive ones", "pricier"),
        ("in blue", "any"),
    ],
)
def test_price_moves(text: str, move: str) -> None:
    assert read_followup(text, shown=5).price == move


def test_this_points_at_the_product_being_looked_at() -> None:
    assert read_followup("does this come in blue?", shown=0).this
    assert read_followup("is it waterproof", shown=0).this
    assert not read_followup("tell me about the first one", shown=5).this


def test_lifted_constraints() -> None:
    assert read_followup("any colour is fine", shown=5).clear == frozenset({"colours"})
    assert read_followup("other brands and any size", shown=5).clear == frozenset(
        {"brands", "sizes"}
    )
