"""What a follow-up about products asks for: "cheaper", "tell me about the first one", ...

The NLU model only says that a message follows up on products (intent
``product_followup``); which follow-up it is and which product it points at are
read here from the words, by rules a content editor can read. One intent with a
parser is sturdier than an intent per follow-up: "in blue" (narrow the search)
and "does this come in blue?" (a question about one product) differ by a single
word, which a classifier trained on a few dozen examples gets wrong, a rule does not.

Example:
    >>> read_followup("compare the first and the third", shown=5)
    FollowUp(operation='compare', positions=(0, 2), this=False, price='any', clear=frozenset())
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from actions.ordinals import ORDINALS

__all__ = ["FollowUp", "Operation", "read_followup"]

Operation = Literal["details", "compare", "similar", "complementary", "more", "refine"]
PriceMove = Literal["any", "cheaper", "pricier"]

# Checked in this order: "show more like this" is a similar-items request, not a next page.
_OPERATIONS: tuple[tuple[Operation, re.Pattern[str]], ...] = (
    (
        "compare",
        re.compile(r"\b(compare|comparison|versus|vs\.?|difference between|which is better)\b"),
    ),
    (
        "complementary",
        re.compile(
            r"\b(go(es)? (well )?with|to go with|match(es|ing)? (with )?|pairs? (well )?with|"
            r"wear with|complete the look|accessor(y|ies) for|what else do i need)\b"
        ),
    ),
    (
        "similar",
        re.compile(
            r"\b((more|something|anything) like|similar|like (this|that) one|alternatives?)\b"
        ),
    ),
    (
        "details",
        re.compile(
            r"\b(tell me (more )?about|more (info|information|details)|details?|describe|specs|"
            r"what (sizes|colou?rs)|which (sizes|colou?rs)|sizes? (do you have|are there|in stock)|"
            r"(is|does|do|can|will) (it|this|that|this one|that one|the \w+ one)\b|"
            r"(do you have|have you got|got) (it|this|that|this one|that one|the \w+ one)\b|"
            r"(comes?|available) in)"
        ),
    ),
    (
        "more",
        re.compile(
            r"\b(show (me )?more|more (results|options|of (these|those|them))|next( page| ones)?|"
            r"other options|anything else|see more|load more|what else)\b"
        ),
    ),
)
_CHEAPER = re.compile(
    r"\b(cheaper|less expensive|lower price|(more )?affordable|budget|"
    r"too (expensive|pricey))\b"
)
_PRICIER = re.compile(r"\b(more expensive|pricier|higher end|premium|better quality|fancier)\b")
_CLEAR = {
    "colours": re.compile(r"\b(any|other|different) colou?rs?\b"),
    "sizes": re.compile(r"\b(any|other|different) sizes?\b"),
    "brands": re.compile(r"\b(any|other|different) brands?\b"),
}
_THIS = re.compile(r"\b(this|it|this one|that one|that)\b")
_ORDINAL = re.compile(r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)\b")
_NUMBERED = re.compile(r"(?:\b(?:number|no\.?|option|item)\s*|#)(\d{1,2})\b")
_BARE_NUMBER = re.compile(
    r"(?<![$€£\d.,])\b(\d{1,2})\b(?![.,]?\d|\s*(?:\$|€|£|dollars?|bucks|euros?))"
)


@dataclass(frozen=True)
class FollowUp:
    """One follow-up: what to do, on which shown products (0-based), and how to move the price."""

    operation: Operation
    positions: tuple[int, ...] = ()
    this: bool = False
    """The words say "this" / "it": the product looked at (the page's, or the last detailed)."""
    price: PriceMove = "any"
    clear: frozenset[str] = frozenset()
    """Constraints the shopper lifted ("any colour"): names of SearchFilters fields."""


def read_followup(text: str, shown: int) -> FollowUp:
    """Reads ``text`` as a follow-up on ``shown`` products (the number of cards last shown)."""
    lowered = text.lower()
    operation = _operation(lowered)
    return FollowUp(
        operation=operation,
        positions=_positions(
            lowered, shown, numbers=operation in {"compare", "details", "similar"}
        ),
        this=bool(_THIS.search(lowered)),
        price=_price_move(lowered),
        clear=frozenset(name for name, pattern in _CLEAR.items() if pattern.search(lowered)),
    )


def _operation(lowered: str) -> Operation:
    for operation, pattern in _OPERATIONS:
        if pattern.search(lowered):
            return operation
    return "refine"


def _price_move(lowered: str) -> PriceMove:
    if _CHEAPER.search(lowered):
        return "cheaper"
    if _PRICIER.search(lowered):
        return "pricier"
    return "any"


def _positions(lowered: str, shown: int, *, numbers: bool) -> tuple[int, ...]:
    """Positions named by ordinals ("the second"), "number 2", or bare numbers ("compare 1 and 3").

    Bare numbers count only for requests about products, and only up to the number of
    cards shown, so "size 10" or "under 50" are never read as the tenth product.
    """
    found: list[tuple[int, int]] = []
    for match in _ORDINAL.finditer(lowered):
        position = ORDINALS[match.group(1)]
        position = shown + position if position < 0 else position
        found.append((match.start(), position))
    for match in _NUMBERED.finditer(lowered):
        found.append((match.start(), int(match.group(1)) - 1))
    if numbers and not found and not re.search(r"\bsize\b", lowered):
        found.extend(
            (match.start(), int(match.group(1)) - 1) for match in _BARE_NUMBER.finditer(lowered)
        )
    positions: list[int] = []
    for _, position in sorted(found):
        if 0 <= position < shown and position not in positions:
            positions.append(position)
    return tuple(positions)
