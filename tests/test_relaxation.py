"""Relaxing the filters that leave nothing, on the demo shop's real index."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog import CatalogIndex, SearchFilters
from catalog.relaxation import describe_filter, search_relaxing, strictest


@pytest.fixture(scope="module")
def index(demo_index_dir: Path) -> CatalogIndex:
    return CatalogIndex.load(demo_index_dir)


def test_filters_that_match_something_are_kept(index: CatalogIndex) -> None:
    filters = SearchFilters(max_price=300, categories=frozenset({"Tents"}))
    relaxed = search_relaxing(index, "tent for two", filters, k=5)
    assert relaxed.dropped == () and relaxed.filters == filters
    assert len(relaxed.hits) == 5
    assert all(index.product(hit.product_id).price <= 300 for hit in relaxed.hits)  # type: ignore[union-attr]


def test_the_filter_that_lets_most_back_goes_and_is_named(index: CatalogIndex) -> None:
    filters = SearchFilters(max_price=1, categories=frozenset({"Tents"}))
    relaxed = search_relaxing(index, "tent", filters, k=5)
    assert relaxed.dropped == ("under $1",)
    assert relaxed.filters == SearchFilters(categories=frozenset({"Tents"}))
    assert relaxed.hits and all(
        "Tents" in (index.product(hit.product_id).category or "")  # type: ignore[union-attr]
        for hit in relaxed.hits
    )


def test_the_category_goes_last(index: CatalogIndex) -> None:
    impossible = SearchFilters(
        max_price=1, colours=frozenset({"purple"}), categories=frozenset({"Tents"})
    )
    assert strictest(index, impossible) != "categories"
    relaxed = search_relaxing(index, "tent", impossible, k=5)
    assert "among tents" not in relaxed.dropped
    assert relaxed.filters.categories == frozenset({"Tents"})


def test_a_later_page_is_never_relaxed(index: CatalogIndex) -> None:
    filters = SearchFilters(max_price=1)
    assert search_relaxing(index, "tent", filters, k=5, offset=5).hits == []


def test_descriptions_read_as_a_shopper_would_say_them() -> None:
    filters = SearchFilters(
        min_price=20, max_price=49.5, colours=frozenset({"blue"}), sizes=frozenset({"10"})
    )
    assert describe_filter(filters, "max_price") == "under $49.50"
    assert describe_filter(filters, "min_price") == "over $20"
    assert describe_filter(filters, "colours") == "in blue"
    assert describe_filter(filters, "sizes") == "in size 10"
