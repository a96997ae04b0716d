"""Questions about the product on the shopper's page: "does this come in blue?".

The widget tells the gateway which product page the shopper is on, and the
gateway passes it to Rasa as message metadata (``page_context.product_id``, see
``bot.schemas.PageContext``). "This" in the question is that product. The answer
reads colours, sizes and stock from the shop database, so it is always current.
The product id is only the page's claim, which is enough: a catalog's colours
and stock are public.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from aisle.database import session_scope
from aisle.models import Product

logger = logging.getLogger(__name__)

PRODUCT_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# Colour words a shopper may ask for even when this product has none of them.
COLOUR_WORDS = {
    "black", "white", "grey", "navy", "blue", "green", "olive", "yellow", "purple",
    "red", "brown", "beige", "pink", "orange", "gold", "silver", "tan", "cream",
}  # fmt: skip
COLOUR_SYNONYMS = {"gray": "grey"}
SIZE_WORDS = [  # longest first, so "extra large" is not read as "large"
    ("extra small", "XS"), ("x-small", "XS"), ("extra large", "XL"), ("x-large", "XL"),
    ("small", "S"), ("medium", "M"), ("large", "L"),
]  # fmt: skip
LETTER_SIZES = {"xs", "xl", "xxl", "xxxl"}  # unambiguous without the word "size"
_TOKEN = re.compile(r"[a-z0-9./]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class Wanted:
    """What the shopper asked about; ``None`` where they named nothing."""

    colour: str | None = None
    size: str | None = None

    def words(self) -> str:
        parts = [self.colour or "", f"size {self.size}" if self.size else ""]
        return ", ".join(part for part in parts if part)


class ActionAnswerProductQuestion(Action):
    def name(self) -> str:
        return "action_answer_product_question"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        product_id = page_product_id(tracker.latest_message)
        if product_id is None:
            dispatcher.utter_message(response="utter_product_question_no_page")
            return []
        try:
            product = load_product(product_id)
        except SQLAlchemyError:
            logger.exception("Could not read product %s", product_id)
            dispatcher.utter_message(response="utter_search_failed")
            return []
        if product is None:
            dispatcher.utter_message(response="utter_product_not_found")
            return []
        response, values = answer(product, tracker.latest_message.get("text") or "")
        dispatcher.utter_message(response=response, **values)
        return []


def page_product_id(latest_message: dict[str, Any]) -> str | None:
    """The product of the shopper's page, from the message metadata the gateway set."""
    metadata = latest_message.get("metadata")
    context = metadata.get("page_context") if isinstance(metadata, dict) else None
    value = context.get("product_id") if isinstance(context, dict) else None
    return value if isinstance(value, str) and PRODUCT_ID.fullmatch(value) else None


@dataclass(frozen=True)
class ProductFacts:
    """What an answer needs of a product, read in one short session."""

    title: str
    variants: list[tuple[str, str, int]]  # (colour, size, stock), in the shop's order


def load_product(product_id: str) -> ProductFacts | None:
    with session_scope() as session:
        product = session.scalar(
            select(Product).where(Product.id == product_id).options(selectinload(Product.variants))
        )
        if product is None:
            return None
        return ProductFacts(product.title, [(v.colour, v.size, v.stock) for v in product.variants])


def answer(product: ProductFacts, text: str) -> tuple[str, dict[str, Any]]:
    """The response to utter and its values, for the shopper's question ``text``."""
    variants = product.variants
    colours = sorted({colour for colour, _, _ in variants})
    sizes = list(dict.fromkeys(size for _, size, _ in variants))
    wanted = read_wanted(text, colours, sizes)
    values: dict[str, Any] = {
        "product": product.title,
        "colours": _listing(colours),
        "in_stock": _in_stock(variants) or "nothing at the moment",
        "wanted": wanted.words(),
    }
    if (wanted.colour and wanted.colour not in colours) or (
        wanted.size and wanted.size not in sizes
    ):
        return _say(response="utter_product_not_offered", **values)
    if not (wanted.colour or wanted.size):
        return _say(response="utter_product_options", **values)
    left = sum(
        stock
        for colour, size, stock in variants
        if wanted.colour in (None, colour) and wanted.size in (None, size)
    )
    if left > 0:
        return _say(response="utter_product_available", **values, count=left)
    return _say(response="utter_product_sold_out", **values)


def _say(response: str, **values: Any) -> tuple[str, dict[str, Any]]:
    """A response and its values (named like ``utter_message``'s, so content_check sees them)."""
    return response, values


def read_wanted(text: str, colours: list[str], sizes: list[str]) -> Wanted:
    """Finds a colour and a size in the question, the product's own names first."""
    lowered = f" {text.lower()} "
    for phrase, code in SIZE_WORDS:
        lowered = re.sub(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", f" {code.lower()} ", lowered)
    tokens = _TOKEN.findall(lowered)
    colour = next(
        (COLOUR_SYNONYMS.get(t, t) for t in tokens if COLOUR_SYNONYMS.get(t, t) in COLOUR_WORDS),
        None,
    )
    return Wanted(colour=colour, size=_size(lowered, tokens, sizes))


def _size(lowered: str, tokens: list[str], sizes: list[str]) -> str | None:
    for size in sorted(sizes, key=len, reverse=True):  # "5.5 qt" before "5"
        found = re.search(rf"(?<![\w.']){re.escape(size.lower())}(?![\w.])", lowered)
        if found and (len(size) > 1 or size.lower() in tokens):
            return size
    named = re.search(r"\bsize\s+([a-z0-9./]+)", lowered)
    if named:
        return named.group(1).upper()
    return next((t.upper() for t in tokens if t in LETTER_SIZES), None)


def _listing(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _in_stock(variants: list[tuple[str, str, int]]) -> str:
    """``black: S, M; blue: L``, the sizes in stock per colour."""
    by_colour: dict[str, list[str]] = {}
    for colour, size, stock in variants:
        if stock > 0:
            by_colour.setdefault(colour, []).append(size)
    return "; ".join(f"{colour}: {', '.join(sizes)}" for colour, sizes in by_colour.items())
