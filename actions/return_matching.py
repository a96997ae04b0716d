"""Reading a shopper's own words as answers of the return form.

Shoppers rarely click the buttons: they write "the jacket", "both", "the
second one", "it's way too small", "money back please" or "a medium in blue".
These functions map such text to the choices the form offers, and return None
(or nothing) when the text names none of them, so the form asks again with a
hint instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from actions.ordinals import ORDINALS
from aisle.order_source import ItemView
from aisle.return_policy import Resolution
from aisle.returns import ExchangeOption

_WORD = re.compile(r"[a-z0-9]+")
_ALL = {"all", "everything", "both", "whole"}
# Words that say nothing about which item is meant.
_STOPWORDS = {
    "the",
    "and",
    "for",
    "with",
    "this",
    "that",
    "one",
    "ones",
    "pair",
    "item",
    "items",
    "return",
    "want",
    "like",
    "would",
    "please",
    "back",
    "send",
    "men",
    "mens",
    "women",
    "womens",
    "unisex",
}

# Phrases that name a reason, keyed by the policy's reason (case-folded). A
# reason the shop adds to the policy file is still matched by its own words.
REASON_PHRASES: dict[str, tuple[str, ...]] = {
    "too small": ("too small", "small", "tight", "too short", "smaller", "size up"),
    "too big": ("too big", "big", "large", "loose", "baggy", "too long", "bigger", "size down"),
    "not as described": (
        "not as described",
        "not what",
        "different from",
        "looks different",
        "wrong colour",
        "wrong color",
        "wrong item",
        "not like the picture",
        "misleading",
    ),
    "damaged": (
        "damaged",
        "broken",
        "faulty",
        "defective",
        "torn",
        "ripped",
        "leak",
        "hole",
        "stain",
        "scratched",
        "doesn't work",
        "does not work",
    ),
    "changed my mind": (
        "changed my mind",
        "change of mind",
        "don't like",
        "dont like",
        "don't want",
        "dont want",
        "don't need",
        "dont need",
        "no longer",
    ),
    "arrived late": ("late", "too long to arrive", "took forever"),
    "other": ("other", "something else"),
}

RESOLUTION_PHRASES: dict[Resolution, tuple[str, ...]] = {
    "refund": ("refund", "money back", "my money", "reimburse", "pay me back"),
    "exchange": (
        "exchange",
        "swap",
        "replace",
        "replacement",
        "different size",
        "another size",
        "other size",
        "different colour",
        "different color",
        "another colour",
        "another color",
    ),
    "store_credit": ("store credit", "credit", "voucher", "gift card"),
}

SIZE_WORDS = {
    "extra small": "XS",
    "x small": "XS",
    "small": "S",
    "medium": "M",
    "med": "M",
    "large": "L",
    "extra large": "XL",
    "x large": "XL",
}


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold().replace("'", ""))


def _stem(word: str) -> str:
    """Folds plurals ("boots" -> "boot", "socks" -> "sock") so either form matches."""
    if len(word) > 3 and word.endswith("es") and word[-3] in "sxz":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _has_phrase(text: str, phrase: str) -> bool:
    folded = " ".join(words(text))
    return re.search(rf"\b{re.escape(' '.join(words(phrase)))}\b", folded) is not None


def match_items(text: str, items: Sequence[ItemView], listed: Sequence[ItemView]) -> list[ItemView]:
    """The items of an order that ``text`` names.

    "all"/"both"/"everything" names every item of ``listed`` (the items the
    form offered, in the order it showed them); "the second one" or "2" names
    the item at that position of ``listed``; otherwise any of ``items`` (the
    whole order, so that a shopper naming an item that can't be returned is
    told why) is named by a distinctive word of its title.
    """
    said = words(text)
    if not said:
        return []
    if _ALL & set(said):
        return list(listed)
    return _items_named_by_words(said, items) or _item_at_position(said, listed)


def _items_named_by_words(said: list[str], items: Sequence[ItemView]) -> list[ItemView]:
    stems = {_stem(word) for word in said if word not in _STOPWORDS and len(word) > 2}
    scores = [
        len(stems & {_stem(word) for word in words(item.title) if word not in _STOPWORDS})
        for item in items
    ]
    best = max(scores, default=0)
    if best == 0:
        return []
    # The best-scoring items; a tie between items the text can't tell apart keeps them all.
    return [item for item, score in zip(items, scores, strict=True) if score == best]


def _item_at_position(said: list[str], items: Sequence[ItemView]) -> list[ItemView]:
    for word in said:
        position = ORDINALS.get(word)
        if position is None and word.isdigit() and len(word) <= 2:
            position = int(word) - 1
        if position is not None and -len(items) <= position < len(items):
            return [items[position]]
    return []


def match_reason(text: str, reasons: Sequence[str]) -> str | None:
    """The policy reason that ``text`` gives, or None when it gives none or several."""
    exact = [reason for reason in reasons if _has_phrase(text, reason)]
    if exact:
        return exact[0] if len(exact) == 1 else None
    found = [
        reason
        for reason in reasons
        if any(_has_phrase(text, phrase) for phrase in REASON_PHRASES.get(reason.casefold(), ()))
    ]
    return found[0] if len(found) == 1 else None


def match_resolution(text: str, offered: Sequence[Resolution]) -> Resolution | None:
    """The resolution ``text`` asks for, among those offered, or None."""
    found = [
        resolution
        for resolution in offered
        if any(_has_phrase(text, phrase) for phrase in RESOLUTION_PHRASES[resolution])
    ]
    # "store credit" also contains "credit" only; a refund and store credit together is unclear.
    return found[0] if len(found) == 1 else None


def match_exchange_option(
    text: str, options: Sequence[ExchangeOption], current_colour: str = ""
) -> ExchangeOption | None:
    """The variant ``text`` asks for ("a medium", "size 10 in blue"), or None if unclear.

    When the size named exists in several colours, the colour bought is kept
    unless another colour is named.
    """
    said = " ".join(words(text))
    sizes = set()
    for phrase, size in sorted(SIZE_WORDS.items(), key=lambda pair: -len(pair[0])):
        if _has_phrase(said, phrase):  # "extra large" before "large"
            sizes.add(size)
            said = re.sub(rf"\b{phrase}\b", " ", said)
    sizes |= {option.size for option in options if _has_phrase(said, option.size)}
    colours = {option.colour for option in options if _has_phrase(said, option.colour)}
    fitting = [
        option
        for option in options
        if (not sizes or option.size in sizes) and (not colours or option.colour in colours)
    ]
    if not (sizes or colours) or not fitting:
        return None
    if len(fitting) > 1 and not colours:
        fitting = [option for option in fitting if option.colour == current_colour] or fitting
    return fitting[0] if len(fitting) == 1 else None
