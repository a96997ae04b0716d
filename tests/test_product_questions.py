"""Answers about the product on the shopper's page (actions/product_questions.py).

The wording comes from domain.yml; here the choice of response and its values
are checked on a product of known variants. The stack-level path (widget ->
gateway metadata -> Rasa -> action -> database) is tests/test_widget_context_browser.py.
"""

from __future__ import annotations

import pytest

from actions.product_questions import ProductFacts, Wanted, answer, page_product_id, read_wanted

JACKET = ProductFacts(
    "Storm jacket",
    [("black", "S", 2), ("black", "M", 0), ("black", "L", 4), ("navy", "M", 3)],
)


@pytest.mark.parametrize(
    ("text", "response", "extra"),
    [
        ("does this come in blue?", "utter_product_not_offered", {"wanted": "blue"}),
        ("does it come in navy", "utter_product_available", {"wanted": "navy", "count": 3}),
        ("is this in stock in size M?", "utter_product_available", {"count": 3}),
        ("is this in stock in medium in black", "utter_product_sold_out", {}),
        ("do you have this in a small", "utter_product_available", {"count": 2}),
        ("can i get it in xxl", "utter_product_not_offered", {"wanted": "size XXL"}),
        ("do you have it in size 10", "utter_product_not_offered", {"wanted": "size 10"}),
        ("what colours does this come in", "utter_product_options", {}),
        ("is it in stock? I'm in a hurry", "utter_product_options", {}),
    ],
)
def test_answer_picks_the_response_for_the_question(
    text: str, response: str, extra: dict[str, object]
) -> None:
    chosen, values = answer(JACKET, text)
    assert chosen == response
    assert values["product"] == "Storm jacket"
    assert values["colours"] == "black and navy"
    assert values["in_stock"] == "black: S, L; navy: M"
    for key, value in extra.items():
        assert values[key] == value


def test_gray_is_grey_and_sizes_are_read_whole() -> None:
    assert read_wanted("any in gray?", ["grey"], ["S"]) == Wanted(colour="grey")
    assert read_wanted("the 5.5 qt one", [], ["5", "5.5 qt"]) == Wanted(size="5.5 qt")
    assert read_wanted("extra large please", [], ["L", "XL"]) == Wanted(size="XL")


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [
        ({"page_context": {"product_id": "P01438"}}, "P01438"),
        ({"page_context": {"product_id": "../etc"}}, None),
        ({"page_context": "P01438"}, None),
        ({"client": {"page_context": {"product_id": "P01438"}}}, None),
        (None, None),
    ],
)
def test_the_product_comes_only_from_the_gateways_page_context(
    metadata: object, expected: str | None
) -> None:
    assert page_product_id({"text": "is this in stock", "metadata": metadata}) == expected
