"""When the shopper's constraints leave nothing: drop the strictest one and say which.

"A blue tent under 30 in size XL" may match no product. Answering "nothing found"
leaves the shopper guessing which word was the problem. Instead the strictest
filter (the one whose removal lets the most products back, see :func:`strictest`)
is dropped and the search runs again, until something is found or no filter is
left; the answer names what was dropped ("I found nothing under $30, so I left
that out").

Example:
    >>> relaxed = search_relaxing(index, "tent", SearchFilters(max_price=30), k=5)  # doctest: +SKIP
    >>> relaxed.dropped  # doctest: +SKIP
    ('under $30',)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from catalog.filters import SearchFilters

if TYPE_CHECKING:
    from catalog.index import CatalogIndex, SearchHit

__all__ = ["FILTER_FIELDS", "RelaxedSearch", "describe_filter", "search_relaxing", "without"]

FILTER_FIELDS = ("sizes", "colours", "min_price", "max_price", "brands", "categories", "in_stock")
"""The constraints of :class:`SearchFilters`; of two equally strict ones, the earlier goes first."""


@dataclass(frozen=True)
class RelaxedSearch:
    """Hits, the filters they meet, and what was dropped to find them (empty when nothing was)."""

    hits: list[SearchHit]
    filters: SearchFilters
    dropped: tuple[str, ...] = ()


def search_relaxing(
    index: CatalogIndex, text: str, filters: SearchFilters, k: int, *, offset: int = 0
) -> RelaxedSearch:
    """Searches ``text`` inside ``filters``, dropping the strictest filter while nothing is found.

    ``offset`` skips that many results ("show more"); the filters are not read again
    from ``text``, since the caller keeps them (slots).
    """
    dropped: list[str] = []
    while True:
        hits = index.search(text, k + offset, filters=filters, parse=False)[offset:]
        if hits or not filters or offset:
            return RelaxedSearch(hits, filters, tuple(dropped))
        name = strictest(index, filters)
        dropped.append(describe_filter(filters, name))
        filters = without(filters, name)


def strictest(index: CatalogIndex, filters: SearchFilters) -> str:
    """Returns the set filter to drop first: the one whose removal lets the most products back.

    Ties (e.g. nothing comes back whichever is dropped) go to the filter that on its
    own allows the fewest products. The category is what the shopper is looking for
    ("a tent"), so it goes last: a cheaper tent is a better answer than purple socks.
    """
    active = [name for name in FILTER_FIELDS if _is_set(filters, name)]
    candidates = [name for name in active if name != "categories"] or active
    return min(
        candidates,
        key=lambda name: (
            -index.count(without(filters, name)),
            index.count(_only(filters, name)),
            FILTER_FIELDS.index(name),
        ),
    )


def without(filters: SearchFilters, name: str) -> SearchFilters:
    """Returns ``filters`` with the constraint ``name`` lifted."""
    empty = SearchFilters()
    return replace(filters, **{name: getattr(empty, name)})


def describe_filter(filters: SearchFilters, name: str) -> str:
    """Says a constraint the way a shopper would: "in size 10", "in blue", "under $50"."""
    value = getattr(filters, name)
    if name == "sizes":
        return "in size " + " or ".join(sorted(value))
    if name == "colours":
        return "in " + " or ".join(sorted(value))
    if name == "max_price":
        return f"under ${_amount(value)}"
    if name == "min_price":
        return f"over ${_amount(value)}"
    if name == "brands":
        return "by " + " or ".join(sorted(value))
    if name == "categories":
        return "among " + " or ".join(sorted(category.lower() for category in value))
    return "in stock"


def _amount(value: float) -> str:
    return f"{value:,.2f}".removesuffix(".00")


def _is_set(filters: SearchFilters, name: str) -> bool:
    return getattr(filters, name) not in (None, frozenset(), False)


def _only(filters: SearchFilters, name: str) -> SearchFilters:
    return replace(SearchFilters(), **{name: getattr(filters, name)})
