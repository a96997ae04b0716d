"""Product search: the shopper's words in, product cards out.

The catalog index ranks products by meaning; the shop database supplies what
the cards show (price, stock), so prices and stock are always current even if
the index was built earlier. The words' constraints (price, colour, size, brand,
category) are kept in slots (:mod:`actions.search_state`) so that follow-ups
("cheaper", "in blue", "show more") change the same search; a search whose
constraints leave nothing drops the strictest one and says so
(:mod:`catalog.relaxation`). A request with nothing to search for ("find a
product", "what's popular?") gets recommendations (:mod:`actions.recommendations`).
"""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import resources
from actions.escalation import hand_over_after_failure
from actions.product_cards import cards_message
from actions.recommendations import recommend_for
from actions.search_state import SHOWN_SLOT, SearchState, shown_events
from actions.shown_products import load_products
from aisle.settings import get_settings
from catalog import CatalogIndexError
from catalog.relaxation import RelaxedSearch, search_relaxing

logger = logging.getLogger(__name__)

resources.warm_up_in_background()

SEARCH_FAILURES = (CatalogIndexError, SQLAlchemyError, OSError)
"""What a broken index or database raises; the shopper gets an apology and a person."""

# Shorter messages ("find a product", a button payload) carry no description to search for.
MIN_QUERY_WORDS = 2
GENERIC_REQUESTS = {
    "find a product",
    "find product",
    "search",
    "show me products",
    "products",
    "what's popular",
    "whats popular",
    "what is popular",
    "what do you recommend",
    "what would you recommend",
    "recommend something",
    "recommend me something",
    "any recommendations",
    "show me your bestsellers",
    "what are your bestsellers",
    "best sellers",
    "bestsellers",
    "what's trending",
    "whats trending",
    "show me what's trending",
    "show me whats trending",
    "surprise me",
}


class ActionSearchProducts(Action):
    """A new search from the shopper's description, or recommendations when there is none."""

    def name(self) -> str:
        return "action_search_products"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        query = search_query(tracker)
        try:
            if query is None:
                return recommend_for(dispatcher, tracker)
            return new_search(dispatcher, query)
        except SEARCH_FAILURES as error:
            logger.exception("Product search failed for %r", query)
            dispatcher.utter_message(response="utter_search_failed")
            return hand_over_after_failure(dispatcher, tracker, self.name(), error)


def search_query(tracker: Tracker) -> str | None:
    """Returns the shopper's description, or None when they gave none yet."""
    text = (tracker.latest_message.get("text") or "").strip()
    if text.startswith("/") or text.lower().rstrip("?!. ") in GENERIC_REQUESTS:
        return None
    if len(text.split()) < MIN_QUERY_WORDS:
        return None
    return text


def new_search(dispatcher: CollectingDispatcher, query: str) -> list[EventType]:
    """Searches ``query`` inside every constraint its words name, relaxing only to find something.

    The constraints are kept strictly (a tent asked for is never quietly swapped for
    socks), and the shopper is told when one had to go.
    """
    index = resources.catalog_index()
    parsed = index.parse(query)
    relaxed = search_relaxing(index, parsed.text, parsed.filters, get_settings().search_results)
    state = SearchState(parsed.text, relaxed.filters)
    intro = f"Here's what I found for \u201c{query}\u201d:"
    return show_results(dispatcher, state, relaxed, intro)


def show_results(
    dispatcher: CollectingDispatcher, state: SearchState, relaxed: RelaxedSearch, intro: str
) -> list[EventType]:
    """Shows the cards of a search (saying what was relaxed) and stores the search in slots."""
    products = load_products([hit.product_id for hit in relaxed.hits])
    if not products:
        dispatcher.utter_message(response="utter_no_products_found")
        return [*state.slot_events(), SlotSet(SHOWN_SLOT, [])]
    if relaxed.dropped:
        intro = f"{_what_was_dropped(relaxed.dropped)} Here's the closest I have:"
    dispatcher.utter_message(text=intro, json_message=cards_message(products))
    return [*state.slot_events(), *shown_events(products)]


def _what_was_dropped(dropped: tuple[str, ...]) -> str:
    if len(dropped) == 1:
        return f"I found nothing {dropped[0]}, so I left that out."
    listing = ", ".join(dropped[:-1]) + f" and {dropped[-1]}"
    return f"I found nothing matching all of that, so I left out {listing}."
