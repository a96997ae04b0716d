"""Follow-ups on products: refine the search, page on, details, compare, similar, goes-with.

Everything here starts from what the shopper is looking at: the cards last shown
(``shown_products``), the product last detailed (``focused_product``), the product
page the widget is on (message metadata ``page_context``), and the current search
(:mod:`actions.search_state`). What the follow-up asks for is read from the words
by :mod:`actions.followups`, or given by a card button's payload.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import resources
from actions.escalation import hand_over_after_failure
from actions.followups import FollowUp, read_followup
from actions.product_answers import answer_question
from actions.product_cards import (
    cards_message,
    compare_in_words,
    comparison,
    describe,
    followup_payload,
    stock_line,
)
from actions.recommendations import goes_with
from actions.search import SEARCH_FAILURES, new_search, search_query, show_results
from actions.search_state import FOCUSED_SLOT, SearchState, shown_events, shown_products
from actions.shown_products import ShownProduct, load_products
from aisle.settings import get_settings
from catalog import SearchFilters
from catalog.errors import UnknownProductError
from catalog.relaxation import describe_filter, search_relaxing, without

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Turn:
    """One follow-up message and what it can refer to."""

    dispatcher: CollectingDispatcher
    tracker: Tracker
    text: str
    followup: FollowUp
    shown: list[str]
    clicked: str | None
    """The product of the card button pressed, if the message is a button's payload."""

    @property
    def page_product(self) -> str | None:
        """The product of the page the shopper is on, as the widget reported it."""
        metadata = self.tracker.latest_message.get("metadata") or {}
        context = metadata.get("page_context") or {}
        product_id = context.get("product_id") if isinstance(context, dict) else None
        return str(product_id) if product_id else None

    @property
    def cart_products(self) -> list[str]:
        metadata = self.tracker.latest_message.get("metadata") or {}
        context = metadata.get("page_context") or {}
        lines = context.get("cart") if isinstance(context, dict) else None
        return [str(line["product_id"]) for line in lines or [] if isinstance(line, dict)]

    @cached_property
    def shown_cards(self) -> list[ShownProduct]:
        """The products of the cards shown, read once per turn (several steps need them)."""
        return load_products(self.shown)

    @cached_property
    def constraints(self) -> SearchFilters:
        """The price, colour, size, brand and category the words name, parsed once per turn."""
        if self.text.startswith("/"):  # a button's payload names none
            return SearchFilters()
        return resources.catalog_index().parse(self.text).filters

    @property
    def focused(self) -> str | None:
        value = self.tracker.get_slot(FOCUSED_SLOT)
        return str(value) if value else None

    def say(self, text: str, payload: dict[str, Any] | None = None) -> None:
        self.dispatcher.utter_message(text=text, json_message=payload)


class ActionProductFollowup(Action):
    """Answers intent ``product_followup`` (and the cards' buttons)."""

    def name(self) -> str:
        return "action_product_followup"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        turn = _read_turn(dispatcher, tracker)
        try:
            return HANDLERS[turn.followup.operation](turn)
        except SEARCH_FAILURES as error:
            logger.exception("Product follow-up failed for %r", turn.text)
            dispatcher.utter_message(response="utter_search_failed")
            return hand_over_after_failure(dispatcher, tracker, self.name(), error)


def _read_turn(dispatcher: CollectingDispatcher, tracker: Tracker) -> Turn:
    text = (tracker.latest_message.get("text") or "").strip()
    shown = shown_products(tracker)
    clicked = next(tracker.get_latest_entity_values("product_id"), None)
    asked = next(tracker.get_latest_entity_values("followup"), None)
    followup = read_followup("" if text.startswith("/") else text, len(shown))
    if asked in HANDLERS:
        followup = replace(followup, operation=asked)
    return Turn(dispatcher, tracker, text, followup, shown, str(clicked) if clicked else None)


# --- which product ---------------------------------------------------------------------


def _one_product(turn: Turn) -> str | None:
    """The product the words point at; None when they point at none or at several."""
    if turn.clicked:
        return turn.clicked
    if turn.followup.positions:
        return turn.shown[turn.followup.positions[0]]
    named = _named_card(turn)
    if named:
        return named
    candidates = [turn.page_product, turn.focused] if turn.followup.this else [turn.focused]
    candidates.append(turn.shown[0] if len(turn.shown) == 1 else None)
    if not turn.shown:
        candidates.append(turn.page_product)
    return next((candidate for candidate in candidates if candidate), None)


def _named_card(turn: Turn) -> str | None:
    """A shown card whose title the shopper typed ("the Trailhead boots"), if only one fits.

    Only words that tell the cards apart count: with five boots shown, "the boots"
    names none of them, "the Trailhead" names one.
    """
    if not turn.shown or turn.text.startswith("/"):
        return None
    typed = set(_words(turn.text))
    titles = {product.id: set(_words(product.title)) for product in turn.shown_cards}
    shared = set.intersection(*titles.values()) if len(titles) > 1 else set()
    scores = {
        product_id: len({word for word in words - shared if len(word) > 2} & typed)
        for product_id, words in titles.items()
    }
    best = max(scores.values(), default=0)
    winners = [product_id for product_id, score in scores.items() if score == best]
    return winners[0] if best and len(winners) == 1 else None


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _ask_which(turn: Turn, operation: str) -> list[EventType]:
    """Offers the shown cards as buttons when the words did not say which one."""
    if not turn.shown:
        turn.dispatcher.utter_message(response="utter_ask_which_product")
        return []
    buttons = [
        {"title": product.title, "payload": followup_payload(product.id, operation)}
        for product in turn.shown_cards
    ]
    turn.dispatcher.utter_message(text="Which one do you mean?", buttons=buttons)
    return []


# --- the follow-ups --------------------------------------------------------------------


def details(turn: Turn) -> list[EventType]:
    """Describes one product and answers a colour or size question about it."""
    product_id = _one_product(turn)
    if product_id is None:
        if turn.shown and _names_constraint(turn):
            return refine(turn)  # "do you have it in blue?" right after a search: narrow it
        return _ask_which(turn, "details")
    products = load_products([product_id])
    if not products:
        turn.dispatcher.utter_message(response="utter_product_gone")
        return []
    product = products[0]
    answer = answer_question(turn.text, product, resources.catalog_index().vocabulary)
    text = f"{answer}\n{stock_line(product)}" if answer else describe(product)
    turn.say(text, cards_message([product]))
    return [SlotSet(FOCUSED_SLOT, product.id)]


def compare(turn: Turn) -> list[EventType]:
    """Puts two or three shown products side by side."""
    ids = [turn.shown[position] for position in turn.followup.positions]
    for extra in (turn.clicked, turn.focused if turn.followup.this else None):
        if extra and extra not in ids:
            ids.append(extra)
    if not ids and len(turn.shown) >= 2:
        ids = turn.shown[:2]  # "compare them"
    products = load_products(ids[:3])
    if len(products) < 2:
        turn.dispatcher.utter_message(response="utter_ask_what_to_compare")
        return []
    turn.say(compare_in_words(products[0], products[1]), comparison(products))
    return []


def similar(turn: Turn) -> list[EventType]:
    """Products nearest in meaning to one product, inside any price or colour asked for."""
    product_id = _one_product(turn) or (turn.shown[0] if turn.shown else None)
    if product_id is None:
        return _ask_which(turn, "similar")
    anchor = load_products([product_id])
    if not anchor:
        turn.dispatcher.utter_message(response="utter_product_gone")
        return []
    limit = get_settings().search_results
    exclude = {*turn.shown, product_id}
    try:
        hits = resources.catalog_index().similar(product_id, limit * 6, exclude=exclude)
    except UnknownProductError:  # in the shop but not indexed yet: nothing to be near
        hits = []
    wanted = _similar_filters(turn, anchor[0])
    products = [
        product
        for product in load_products([hit.product_id for hit in hits])
        if _meets(product, wanted)
    ][:limit]
    if not products:
        turn.dispatcher.utter_message(
            text=f"I have nothing else like the {anchor[0].title}{_constraint_words(wanted)}."
        )
        return []
    turn.say(
        f"Here are products like the {anchor[0].title}{_constraint_words(wanted)}:",
        cards_message(products),
    )
    return shown_events(products)


def goes_with_product(turn: Turn) -> list[EventType]:
    """Products often bought together with the one pointed at (or the cart's)."""
    limit = get_settings().search_results
    anchors = _goes_with_anchors(turn)
    if not anchors:
        return _ask_which(turn, "complementary")
    names = load_products(anchors)
    products = goes_with(anchors, limit)
    title = names[0].title if len(names) == 1 else "these"
    if not products:
        turn.dispatcher.utter_message(
            text=f"I don't have enough orders with the {title} yet to say what goes with it."
        )
        return []
    intro = (
        f"Shoppers who bought the {title} often also got:"
        if len(names) == 1
        else "Shoppers who bought these often also got:"
    )
    turn.say(intro, cards_message(products))
    return shown_events(products)


def _goes_with_anchors(turn: Turn) -> list[str]:
    """What "goes with": the product pointed at, else the cart, else the product the words name."""
    product_id = _one_product(turn)
    if product_id:
        return [product_id]
    if turn.cart_products:
        return turn.cart_products
    if turn.shown:
        return [turn.shown[0]]
    described = re.sub(r"^.*?\b(go(es)? (well )?with|match(es)?|pairs? with|for)\b", "", turn.text)
    if len(described.split()) >= 1 and described.strip(" ?.!"):
        hits = resources.catalog_index().search(described.strip(" ?.!"), k=1)
        return [hits[0].product_id] if hits else []
    return []


def more(turn: Turn) -> list[EventType]:
    """The next page of the current search."""
    state = SearchState.from_tracker(turn.tracker)
    if state is None:
        turn.dispatcher.utter_message(response="utter_ask_search_query")
        return []
    limit = get_settings().search_results
    page = replace(state, page=state.page + 1)
    relaxed = search_relaxing(
        resources.catalog_index(), state.text, state.filters, limit, offset=page.page * limit
    )
    if not relaxed.hits:
        turn.say(
            f"That's everything I have for \u201c{state.text}\u201d. You can change the price, "
            "colour or size, or describe something else."
        )
        return []
    return show_results(turn.dispatcher, page, relaxed, "Here are more:")


def refine(turn: Turn) -> list[EventType]:
    """Changes one thing of the current search: "cheaper", "in blue", "size 10", "any colour"."""
    state = SearchState.from_tracker(turn.tracker)
    if state is None:
        return _refine_without_search(turn)
    index = resources.catalog_index()
    changes = turn.constraints
    query = search_query(turn.tracker)
    if query and changes.categories and changes.categories != state.filters.categories:
        return new_search(turn.dispatcher, query)  # "a tent under 50": another product
    filters = _apply_price_move(turn, state.filters.merged(changes))
    filters = _lift(filters, turn.followup.clear)
    if filters == state.filters:
        if query and not _names_constraint(turn):
            return new_search(turn.dispatcher, query)  # a new description, not a change
        turn.dispatcher.utter_message(response="utter_ask_refinement")
        return []
    limit = get_settings().search_results
    relaxed = search_relaxing(index, state.text, filters, limit)
    refined = SearchState(state.text, relaxed.filters)
    intro = f"Here's what I found for \u201c{state.text}\u201d{_constraint_words(relaxed.filters)}:"
    return show_results(turn.dispatcher, refined, relaxed, intro)


def _refine_without_search(turn: Turn) -> list[EventType]:
    """ "Cheaper" on a product page: products like it, within the change."""
    if turn.page_product or turn.focused:
        return similar(replace(turn, followup=replace(turn.followup, this=True)))
    query = search_query(turn.tracker)
    if query:
        return new_search(turn.dispatcher, query)
    turn.dispatcher.utter_message(response="utter_ask_search_query")
    return []


HANDLERS: dict[str, Callable[[Turn], list[EventType]]] = {
    "details": details,
    "compare": compare,
    "similar": similar,
    "complementary": goes_with_product,
    "more": more,
    "refine": refine,
}


# --- filters for follow-ups ------------------------------------------------------------


def _names_constraint(turn: Turn) -> bool:
    """Whether the words name a price, colour, size or brand, or move the price."""
    return bool(turn.constraints) or (turn.followup.price != "any" or bool(turn.followup.clear))


def _apply_price_move(turn: Turn, filters: SearchFilters) -> SearchFilters:
    """ "Cheaper": under the middle price of the cards shown; "pricier": over it."""
    if turn.followup.price == "any":
        return filters
    prices = [float(product.price) for product in turn.shown_cards]
    if not prices:
        return filters
    middle = round(statistics.median(prices), 2)
    if turn.followup.price == "cheaper":
        low = (
            filters.min_price
            if filters.min_price is not None and filters.min_price < middle
            else None
        )
        return replace(filters, max_price=middle - 0.01, min_price=low)
    high = (
        filters.max_price if filters.max_price is not None and filters.max_price > middle else None
    )
    return replace(filters, min_price=middle + 0.01, max_price=high)


def _lift(filters: SearchFilters, names: frozenset[str]) -> SearchFilters:
    for name in names:
        filters = without(filters, name)
    return filters


def _similar_filters(turn: Turn, anchor: ShownProduct) -> SearchFilters:
    """Constraints on similar items: a colour or size named; cheaper / pricier than the anchor."""
    wanted = turn.constraints
    price = float(anchor.price)
    if turn.followup.price == "cheaper":
        wanted = replace(wanted, max_price=min(wanted.max_price or price, price) - 0.01)
    elif turn.followup.price == "pricier":
        wanted = replace(wanted, min_price=max(wanted.min_price or price, price) + 0.01)
    return wanted


def _meets(product: ShownProduct, wanted: SearchFilters) -> bool:
    price = float(product.price)
    if wanted.max_price is not None and price > wanted.max_price:
        return False
    if wanted.min_price is not None and price < wanted.min_price:
        return False
    variants = [v for v in product.variants if v.stock > 0]
    if wanted.colours:
        lowered = {colour.lower() for colour in wanted.colours}
        variants = [v for v in variants if v.colour.lower() in lowered]
    if wanted.sizes:
        variants = [v for v in variants if v.size in wanted.sizes]
    return bool(variants)


def _constraint_words(wanted: SearchFilters) -> str:
    """ " in blue, in size 10, under $80" for the constraints a shopper changes in conversation."""
    names = [
        name
        for name in ("colours", "sizes", "brands", "max_price", "min_price")
        if getattr(wanted, name) not in (None, frozenset())
    ]
    return ",".join(" " + describe_filter(wanted, name) for name in names)
