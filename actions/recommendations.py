"""Recommendations in conversation: picks for a verified shopper, else what sells now.

A shopper who asks "what's popular?" or taps "Find a product" without describing
anything gets cards to start from instead of a bare question. Only a shopper who
proved an order is theirs (the ``verified_email`` slot) gets picks from their own
purchase history: the page's claims and typed emails are not proof.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import resources
from actions.product_cards import cards_message
from actions.search_state import shown_events
from actions.shown_products import ShownProduct, load_products
from aisle.database import session_scope
from aisle.purchase_history import purchases_of
from aisle.settings import get_settings
from catalog.recommend import complementary, personal_picks, popular

PERSONAL_INTRO = "Here are a few picks for you, based on what you've bought before:"
POPULAR_INTRO = "Tell me what you're looking for, or start from what's popular right now:"


def recommend_for(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """Shows personal picks to a verified shopper and popular products to anyone else."""
    limit = get_settings().search_results
    now = datetime.now(timezone.utc)
    email = tracker.get_slot("verified_email")
    with session_scope() as session:
        everything = resources.purchase_cache().get(session)
        history = purchases_of(session, str(email)) if email else []
    if history:
        ids = personal_picks(resources.catalog_index(), history, everything, limit * 2, now=now)
        intro = PERSONAL_INTRO
    else:
        available = resources.catalog_index().available_ids()
        ranked = popular(everything, limit * 2, now=now, available=available)
        ids = [product_id for product_id, _ in ranked]
        intro = POPULAR_INTRO
    products = in_stock(load_products(ids))[:limit]
    if not products:
        dispatcher.utter_message(response="utter_ask_search_query")
        return []
    dispatcher.utter_message(text=intro, json_message=cards_message(products))
    return shown_events(products)


def goes_with(product_ids: Sequence[str], limit: int) -> list[ShownProduct]:
    """Products often bought with ``product_ids`` (recent orders count more), in stock."""
    now = datetime.now(timezone.utc)
    with session_scope() as session:
        everything = resources.purchase_cache().get(session)
    index = resources.catalog_index()
    # The categories let a product nobody has bought yet get what goes with its kind.
    categories = {
        product_id: product.category or ""
        for product_id in product_ids
        if (product := index.product(product_id)) is not None
    }
    scored = complementary(
        everything,
        product_ids,
        limit * 2,
        now=now,
        exclude=product_ids,
        available=index.available_ids(),
        categories=categories,
    )
    return in_stock(load_products([product_id for product_id, _ in scored]))[:limit]


def in_stock(products: Sequence[ShownProduct]) -> list[ShownProduct]:
    """Drops products with nothing left to sell: a pick the shopper cannot buy is noise."""
    return [product for product in products if product.stock > 0]
