"""The shopper's current search, kept in slots so follow-ups can change one thing at a time.

"a warm jacket under 100", then "cheaper", then "in blue": each follow-up starts
from what is already asked for. The state lives in Rasa slots (not in the action
server's memory) so any action server replica can answer the next message, and the
agent console shows the search a shopper was on when they were handed over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions.shown_products import ShownProduct
from catalog import SearchFilters

QUERY_SLOT = "search_query"
PAGE_SLOT = "search_page"
SHOWN_SLOT = "shown_products"
FOCUSED_SLOT = "focused_product"

_SET_SLOTS = {
    "colours": "search_colours",
    "sizes": "search_sizes",
    "brands": "search_brands",
    "categories": "search_categories",
}
_PRICE_SLOTS = {"min_price": "search_min_price", "max_price": "search_max_price"}
STOCK_SLOT = "search_in_stock"

SEARCH_SLOTS = (
    QUERY_SLOT,
    PAGE_SLOT,
    STOCK_SLOT,
    *_SET_SLOTS.values(),
    *_PRICE_SLOTS.values(),
)


@dataclass(frozen=True)
class SearchState:
    """What the shopper is searching for: the words, the constraints and the page shown."""

    text: str
    filters: SearchFilters = field(default_factory=SearchFilters)
    page: int = 0

    @classmethod
    def from_tracker(cls, tracker: Tracker) -> SearchState | None:
        """Reads the search from the slots; None when the shopper has not searched yet."""
        text = tracker.get_slot(QUERY_SLOT)
        if not text:
            return None

        def names(field: str) -> frozenset[str]:
            return frozenset(str(value) for value in tracker.get_slot(_SET_SLOTS[field]) or [])

        def price(field: str) -> float | None:
            value = tracker.get_slot(_PRICE_SLOTS[field])
            return None if value is None else float(value)

        filters = SearchFilters(
            min_price=price("min_price"),
            max_price=price("max_price"),
            colours=names("colours"),
            sizes=names("sizes"),
            brands=names("brands"),
            categories=names("categories"),
            in_stock=bool(tracker.get_slot(STOCK_SLOT)),
        )
        return cls(str(text), filters, int(tracker.get_slot(PAGE_SLOT) or 0))

    def slot_events(self) -> list[EventType]:
        """Returns the events that store this search."""
        events: list[EventType] = [
            SlotSet(QUERY_SLOT, self.text),
            SlotSet(PAGE_SLOT, float(self.page)),
            SlotSet(STOCK_SLOT, self.filters.in_stock),
        ]
        for name, slot in _SET_SLOTS.items():
            events.append(SlotSet(slot, sorted(getattr(self.filters, name))))
        for name, slot in _PRICE_SLOTS.items():
            events.append(SlotSet(slot, getattr(self.filters, name)))
        return events


def shown_events(products: Sequence[ShownProduct]) -> list[EventType]:
    """Remembers which cards the shopper now sees ("the second one" means the second of these)."""
    return [SlotSet(SHOWN_SLOT, [product.id for product in products]), SlotSet(FOCUSED_SLOT, None)]


def shown_products(tracker: Tracker) -> list[str]:
    """Product ids of the last cards shown, in the order the shopper saw them."""
    return [str(product_id) for product_id in tracker.get_slot(SHOWN_SLOT) or []]
