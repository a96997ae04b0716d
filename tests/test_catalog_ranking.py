"""Tests of the ranking parts that need no model: BM25 + typos, fusion, filters, attributes."""

from __future__ import annotations

import math
import random

import pytest

import catalog.lexical
from catalog import CatalogProduct
from catalog.attributes import AttributeTable
from catalog.evaluation import ndcg_at_k, recall_at_k
from catalog.filters import SearchFilters, Vocabulary, parse_query
from catalog.fusion import convex_fusion
from catalog.lexical import LexicalIndex, tokenize

VOCABULARY = Vocabulary(
    colours={"red", "navy", "grey"},
    brands={"Northpeak", "Loom & Lark"},
    categories={"Apparel", "Jackets", "Rain jackets", "Tents"},
)


def test_tokenize_drops_stopwords_and_plurals() -> None:
    assert tokenize("The best Jackets for rainy days, with pockets") == [
        "best",
        "jacket",
        "rainy",
        "day",
        "pocket",
    ]


def test_bm25_ranks_the_matching_text_first_and_corrects_typos() -> None:
    lexical = LexicalIndex.build(["Waterproof rain jacket", "Cast iron pan", "Merino socks"])

    assert lexical.correct("waterprof jaket for the trip") == "waterproof jacket for the trip"
    assert int(lexical.scores("merino sock").argmax()) == 2
    assert int(lexical.scores("merrino").argmax()) == 2
    assert lexical.scores("merrino", typo_tolerant=False).max() == 0


def test_bm25_delta_rows_score_like_built_rows() -> None:
    texts = ["Waterproof rain jacket", "Cast iron pan", "Merino socks"]
    built = LexicalIndex.build([*texts, "Red rain pan"])
    delta = LexicalIndex.build(texts)
    delta.set_row(3, "Red rain pan")

    # Same formula, statistics of the base rows only: close, and the same order.
    assert (
        delta.scores("rain pan").argsort().tolist() == built.scores("rain pan").argsort().tolist()
    )
    delta.set_row(4, "Kayak paddle")
    assert int(delta.scores("kayak").argmax()) == 4


@pytest.mark.parametrize("dense_sum_ratio", [0, 10**9])  # sort-and-merge, sum-every-row
def test_bm25_matches_are_the_scored_rows_of_base_and_delta_alike(
    dense_sum_ratio: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(catalog.lexical, "DENSE_SUM_RATIO", dense_sum_ratio)
    lexical = LexicalIndex.build(["Waterproof rain jacket", "Cast iron pan", "Merino rain socks"])
    lexical.set_row(3, "Rain pan lid")
    lexical.set_row(4, "Kayak paddle")

    rows, scores = lexical.matches("rain pan")

    assert rows.tolist() == [0, 1, 2, 3]  # ascending, no row without a matching term

    def bm25(df: int) -> float:  # Lucene BM25 of one term, tf 1, every text 3 terms long
        return math.log(1 + (3 - df + 0.5) / (df + 0.5)) / (1 + 1.5)

    rain, pan = bm25(df=2), bm25(df=1)  # document frequencies of the three built texts
    assert scores.tolist() == pytest.approx([rain, pan, rain, rain + pan], rel=1e-5)
    assert scores[3] > scores[0]  # both words beat one
    assert lexical.matches("kayak")[0].tolist() == [4]
    assert lexical.matches("tent")[0].tolist() == []


def test_fusion_rewards_rows_both_rankers_like() -> None:
    cosines = {1: 0.80, 2: 0.70, 3: 0.40, 4: 0.30}
    fused = convex_fusion(cosines, [(3, 9.0), (4, 8.0), (1, 6.0)], dense_share=0.5, limit=3)

    # 1 is liked by both; 3 is BM25's best; 2 has no lexical match at all.
    assert [row for row, _ in fused] == [1, 3, 4]
    assert fused[0][1] == pytest.approx(0.5 * 0.80 + 0.5 * 6 / 9)


def test_fusion_shares_are_the_extremes_of_each_ranker() -> None:
    cosines = {1: 0.9, 2: 0.5, 3: 0.1}
    lexical = [(3, 5.0), (2, 4.0)]

    assert [row for row, _ in convex_fusion(cosines, lexical, 1.0, 3)] == [1, 2, 3]
    assert [row for row, _ in convex_fusion(cosines, lexical, 0.0, 2)] == [3, 2]
    with pytest.raises(ValueError, match="dense_share"):
        convex_fusion(cosines, lexical, 1.5, 3)


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("rain jacket under $100", "rain jacket", SearchFilters(max_price=100)),
        ("tent between 50 and 80", "tent", SearchFilters(min_price=50, max_price=80)),
        ("$50-$80 tent", "tent", SearchFilters(min_price=50, max_price=80)),
        ("boots over 120 dollars", "boots", SearchFilters(min_price=120)),
        (
            "gray Loom & Lark sweater in size M",
            "gray Loom & Lark sweater",
            SearchFilters(
                colours=frozenset({"grey"}),
                brands=frozenset({"Loom & Lark"}),
                sizes=frozenset({"M"}),
                in_stock=True,
            ),
        ),
        ("socks in stock", "socks", SearchFilters(in_stock=True)),
        ("queen size sheets", "sheets", SearchFilters(sizes=frozenset({"Queen"}), in_stock=True)),
        ("a warm jacket for -10F", "a warm jacket for -10F", SearchFilters()),
    ],
)
def test_parse_query(query: str, text: str, expected: SearchFilters) -> None:
    parsed = parse_query(query, VOCABULARY)

    assert parsed.text == text
    expected_categories = parsed.filters.categories  # categories are tested below
    assert parsed.filters == SearchFilters(
        **{**expected.__dict__, "categories": expected_categories}
    )


def test_parse_query_names_only_the_most_specific_category() -> None:
    assert parse_query("navy rain jackets", VOCABULARY).filters.categories == {"Rain jackets"}
    assert parse_query("a tent", VOCABULARY).filters.categories == {"Tents"}
    assert not parse_query("a warm coat", VOCABULARY).filters.categories


def test_slot_filters_override_parsed_ones() -> None:
    parsed = SearchFilters(max_price=100, colours=frozenset({"red"}))

    merged = parsed.merged(SearchFilters(max_price=60, brands=frozenset({"Northpeak"})))

    assert merged == SearchFilters(
        max_price=60, colours=frozenset({"red"}), brands=frozenset({"Northpeak"})
    )


def _product(product_id: str, price: float, variants: list[tuple[str, str, int]]) -> CatalogProduct:
    return CatalogProduct.model_validate(
        {
            "id": product_id,
            "title": product_id,
            "brand": "Northpeak" if product_id == "A" else "Other",
            "category": "Apparel > Jackets > Rain jackets",
            "price": price,
            "variants": [
                {"sku": f"{product_id}-{c}-{s}", "colour": c, "size": s, "stock": n}
                for c, s, n in variants
            ],
        }
    )


def test_attribute_masks_and_live_stock() -> None:
    table = AttributeTable()
    table.extend(
        [
            _product("A", 90, [("red", "M", 0), ("red", "L", 2)]),
            _product("B", 150, [("navy", "M", 5)]),
            _product("C", 40, [("red", "M", 1)]),
        ]
    )

    def rows(**kwargs: object) -> list[int]:
        return table.mask(SearchFilters(**kwargs)).nonzero()[0].tolist()  # type: ignore[arg-type]

    assert rows(max_price=100) == [0, 2]
    assert rows(colours=frozenset({"red"}), sizes=frozenset({"M"})) == [2]  # A's red M is sold out
    assert rows(brands=frozenset({"northpeak"})) == [0]
    assert rows(categories=frozenset({"Jackets"})) == [0, 1, 2]
    assert table.set_stock("A-red-M", 3)
    assert rows(colours=frozenset({"red"}), sizes=frozenset({"M"})) == [0, 2]
    table.set_price(1, 80)
    table.kill(2)
    assert rows(max_price=100) == [0, 1]
    assert not table.set_stock("nope", 1)


def test_variant_filters_agree_with_reading_every_variant_through_stock_changes() -> None:
    """Colour, size and stock filters read postings and per-row counts, not every variant:
    they must keep meaning "one variant with that colour and size, in stock" while stock
    changes and products are appended in several batches."""
    rng = random.Random(7)
    colours, sizes = ["red", "navy", "grey", "black"], ["S", "M", "L", "10"]
    stock: dict[str, tuple[int, str, str, int]] = {}  # sku -> (row, colour, size, stock)
    table = AttributeTable()
    for batch in range(3):
        products = []
        for offset in range(40):
            row = batch * 40 + offset
            picked = [
                (rng.choice(colours), rng.choice(sizes), rng.choice([0, 0, 1, 4]))
                for _ in range(rng.randint(1, 5))
            ]
            variants = list({(c, s): (c, s, n) for c, s, n in picked}.values())
            products.append(_product(f"P{row}", 50, variants))
            stock.update({f"P{row}-{c}-{s}": (row, c, s, n) for c, s, n in variants})
        table.extend(products)
        for sku in rng.sample(sorted(stock), 15):
            row, colour, size, _ = stock[sku]
            stock[sku] = (row, colour, size, rng.choice([0, 3]))
            assert table.set_stock(sku, stock[sku][3])

        for _ in range(60):
            wanted = SearchFilters(
                colours=frozenset(rng.sample([*colours, "pink"], rng.randint(0, 2))),
                sizes=frozenset(rng.sample(sizes, rng.randint(0, 2))),
                in_stock=rng.random() < 0.5,
            )
            expected = sorted(
                {
                    row
                    for row, colour, size, count in stock.values()
                    if (not wanted.colours or colour in wanted.colours)
                    and (not wanted.sizes or size in wanted.sizes)
                    and (count > 0 or not (wanted.in_stock or wanted.sizes))
                }
            )
            assert table.mask(wanted).nonzero()[0].tolist() == expected, wanted


def test_ndcg_and_recall() -> None:
    labels = {"a": 3, "b": 2, "c": 1}

    assert ndcg_at_k(["a", "b", "c"], labels, 10) == pytest.approx(1.0)
    assert 0 < ndcg_at_k(["c", "b", "a"], labels, 10) < 1
    assert ndcg_at_k(["x"], {}, 10) == 0.0
    assert recall_at_k(["a", "x"], labels, 50) == 0.5  # grade >= 2 counts as relevant
    assert recall_at_k(["a"], labels, 1) == 1.0  # the denominator is capped at k


def test_typo_correction_keeps_the_rest_of_the_text() -> None:
    lexical = LexicalIndex.build(["Basecamp Works camp quilt", "Loom & Lark jacket"])

    assert lexical.correct("quilt by Basecamp Woorks under $300") == (
        "quilt by Basecamp works under $300"
    )
