"""Product search: the shopper's words in, product cards out.

The catalog index ranks products by meaning; the shop database supplies what
the cards show (price, stock), so prices and stock are always current even if
the index was built earlier.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from actions import resources
from actions.escalation import hand_over_after_failure
from aisle.database import session_scope
from aisle.models import Product
from aisle.settings import get_settings
from catalog import CatalogIndexError

logger = logging.getLogger(__name__)

resources.warm_up_in_background()

# Shorter messages ("find a product", a button payload) carry no description to search for.
MIN_QUERY_WORDS = 2
GENERIC_REQUESTS = {"find a product", "find product", "search", "show me products", "products"}


class ActionSearchProducts(Action):
    def name(self) -> str:
        return "action_search_products"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        query = search_query(tracker)
        if query is None:
            dispatcher.utter_message(response="utter_ask_search_query")
            return []
        try:
            products = find_products(query, get_settings().search_results)
        except (CatalogIndexError, SQLAlchemyError, OSError) as error:
            logger.exception("Product search failed for %r", query)
            dispatcher.utter_message(response="utter_search_failed")
            return hand_over_after_failure(dispatcher, tracker, self.name(), error)
        if not products:
            dispatcher.utter_message(response="utter_no_products_found")
            return [SlotSet("shown_products", [])]
        dispatcher.utter_message(
            text=f"Here's what I found for \u201c{query}\u201d:",
            json_message={"type": "product_cards", "products": products},
        )
        return [SlotSet("shown_products", [product["id"] for product in products])]


def search_query(tracker: Tracker) -> str | None:
    """Returns the shopper's description, or None when they gave none yet."""
    text = (tracker.latest_message.get("text") or "").strip()
    if text.startswith("/") or text.lower().rstrip("?!. ") in GENERIC_REQUESTS:
        return None
    if len(text.split()) < MIN_QUERY_WORDS:
        return None
    return text


def find_products(query: str, limit: int) -> list[dict[str, Any]]:
    """Ranks the catalog for ``query`` and returns card data, best first."""
    hits = resources.catalog_index().search(query, k=limit)
    ids = [hit.product_id for hit in hits]
    with session_scope() as session:
        rows = session.scalars(
            select(Product).where(Product.id.in_(ids)).options(selectinload(Product.variants))
        ).all()
        by_id = {product.id: product for product in rows}
        # An id the database no longer has was deleted after the index was built.
        return [_card(by_id[product_id]) for product_id in ids if product_id in by_id]


def _card(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "title": product.title,
        "brand": product.brand,
        "price": float(product.price),
        "currency": product.currency,
        "rating": product.rating,
        "image_url": product.image_url,
        "url": f"/products/{product.id}",
        "in_stock": product.stock > 0,
        "colours": product.colours,
    }
