"""Hard constraints read from the shopper's words: price, colour, size, brand, category, stock.

"a red rain jacket under $100 in size M" means: only products under 100, with a
red variant of size M in stock. Embeddings rank numbers and sizes poorly, so
they are parsed here and applied as filters (:mod:`catalog.attributes`), and the
price and size phrases are removed from the text that is searched.

Colours, brands and categories are only recognised when the catalog has them
(``Vocabulary``), so "jacket by Northpeak" filters on a real brand and an
unknown word never empties the results.

Example:
    >>> vocabulary = Vocabulary(colours={"red"}, brands={"Northpeak"}, categories=set())
    >>> parsed = parse_query("red Northpeak jacket between 50 and 80 dollars", vocabulary)
    >>> parsed.text, parsed.filters.min_price, parsed.filters.max_price, parsed.filters.colours
    ('red Northpeak jacket', 50.0, 80.0, frozenset({'red'}))
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from catalog.lexical import stem

__all__ = ["ParsedQuery", "SearchFilters", "Vocabulary", "parse_query"]

logger = logging.getLogger(__name__)

_NUMBER = r"[$€£]?\s?(\d+(?:[.,]\d{1,2})?)\s?(?:\$|€|£|usd|eur|gbp|dollars?|bucks|euros?)?"
_BETWEEN = re.compile(rf"\b(?:between|from)\s+{_NUMBER}\s+(?:and|to)\s+{_NUMBER}", re.IGNORECASE)
_MAX = re.compile(
    rf"\b(?:under|below|less than|cheaper than|no more than|not more than|up to|max(?:imum)?|"
    rf"at most|within|<)\s*{_NUMBER}",
    re.IGNORECASE,
)
_MIN = re.compile(
    rf"\b(?:over|above|more than|at least|min(?:imum)?|>)\s*{_NUMBER}",
    re.IGNORECASE,
)
_PRICED_RANGE = re.compile(rf"[$€£]\s?(\d+(?:\.\d{{1,2}})?)\s*(?:-|\u2013|to)\s*{_NUMBER}")
_IN_STOCK = re.compile(
    r"\b(?:in[- ]stock|available(?: now| today)?|ships? (?:now|today)|not sold out)\b",
    re.IGNORECASE,
)
_SIZE = re.compile(
    r"\b(?:in )?(?:a )?size\s+(extra[- ]large|extra[- ]small|x{0,2}[sl]|m|small|medium|large|"
    r"\d{1,2}(?:\.5)?|one size|[a-z]+/[a-z]+)\b"
    r"|\b(xxl|xl|xs)\b"
    r"|\b(twin|full|queen|king)[- ]size(?:d)?\b"
    r"|\bin (?:an? )?(small|medium|large|extra large)\b",
    re.IGNORECASE,
)
_SIZE_WORDS = {
    "small": "S",
    "medium": "M",
    "large": "L",
    "extra large": "XL",
    "extra-large": "XL",
    "extra small": "XS",
    "extra-small": "XS",
    "one size": "One size",
}
_COLOUR_ALIASES = {"gray": "grey", "tan": "beige", "cream": "beige"}


@dataclass(frozen=True)
class SearchFilters:
    """Constraints a result must meet; empty sets and None mean "any"."""

    min_price: float | None = None
    max_price: float | None = None
    colours: frozenset[str] = frozenset()
    sizes: frozenset[str] = frozenset()
    brands: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    in_stock: bool = False

    def __bool__(self) -> bool:
        """True when any constraint is set."""
        return self != SearchFilters()

    def merged(self, other: SearchFilters) -> SearchFilters:
        """Returns these filters with each constraint ``other`` sets taking precedence (slots)."""
        changes = {
            name: getattr(other, name)
            for name in self.__dataclass_fields__
            if getattr(other, name) not in (None, frozenset(), False)
        }
        return replace(self, **changes)


@dataclass(frozen=True)
class Vocabulary:
    """The colours, brands and categories (any level of the path) the catalog has."""

    colours: set[str] = field(default_factory=set)
    brands: set[str] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class ParsedQuery:
    """What to search for (``text``) and the constraints found in the words."""

    text: str
    filters: SearchFilters


def parse_query(query: str, vocabulary: Vocabulary) -> ParsedQuery:
    """Splits a shopper's words into search text and filters; see the module docstring."""
    text = query
    min_price, max_price, text = _prices(text)
    sizes, text = _sizes(text)
    in_stock = bool(_IN_STOCK.search(text)) or bool(sizes)
    text = _IN_STOCK.sub(" ", text)
    filters = SearchFilters(
        min_price=min_price,
        max_price=max_price,
        colours=frozenset(_colours(text, vocabulary.colours)),
        sizes=frozenset(sizes),
        brands=frozenset(_phrases(text, vocabulary.brands)),
        categories=frozenset(_categories(text, vocabulary.categories)),
        in_stock=in_stock,
    )
    cleaned = re.sub(r"\s+", " ", text).strip(" ,.;-") or query.strip()
    if filters:
        logger.debug("parsed %r into %r and %s", query, cleaned, filters)
    return ParsedQuery(cleaned, filters)


def _price(text: str) -> float:
    return float(text.replace(",", "."))


def _prices(text: str) -> tuple[float | None, float | None, str]:
    """Finds a price range, an upper bound or a lower bound, and removes the phrase."""
    for pattern in (_BETWEEN, _PRICED_RANGE):
        match = pattern.search(text)
        if match:
            bounds = sorted((_price(match.group(1)), _price(match.group(2))))
            return bounds[0], bounds[1], _cut(text, match)
    low: float | None = None
    high: float | None = None
    match = _MAX.search(text)
    if match:
        high = _price(match.group(1))
        text = _cut(text, match)
    match = _MIN.search(text)
    if match:
        low = _price(match.group(1))
        text = _cut(text, match)
    return low, high, text


def _sizes(text: str) -> tuple[set[str], str]:
    """Finds size phrases ("size M", "in XL", "queen size") and removes them."""
    sizes = set()
    for match in list(_SIZE.finditer(text)):
        raw = next(group for group in match.groups() if group)
        sizes.add(_normalise_size(raw))
    return sizes, _SIZE.sub(" ", text)


def _normalise_size(raw: str) -> str:
    lowered = raw.lower()
    if lowered in _SIZE_WORDS:
        return _SIZE_WORDS[lowered]
    if lowered in {"twin", "full", "queen", "king"}:
        return lowered.capitalize()
    if "/" in lowered:
        return raw.upper()
    return raw.upper() if lowered.isalpha() else raw


def _colours(text: str, colours: set[str]) -> set[str]:
    """Returns the catalog colours named in ``text`` ("gray" counts as "grey")."""
    found = set()
    lowered = {colour.lower(): colour for colour in colours}
    for word in re.findall(r"[a-z]+", text.lower()):
        word = _COLOUR_ALIASES.get(word, word)
        if word in lowered:
            found.add(lowered[word])
    return found


def _phrases(text: str, names: Iterable[str]) -> set[str]:
    """Returns the names that occur in ``text`` as whole words, ignoring case."""
    lowered = f" {' '.join(re.findall(r'[a-z0-9&]+', text.lower()))} "
    found = set()
    for name in names:
        needle = " ".join(re.findall(r"[a-z0-9&]+", name.lower()))
        if needle and f" {needle} " in lowered:
            found.add(name)
    return found


def _categories(text: str, categories: set[str]) -> set[str]:
    """Returns catalog categories named in ``text``, singular or plural ("tent" -> "Tents")."""
    stems = " " + " ".join(stem(word) for word in re.findall(r"[a-z]+", text.lower())) + " "
    found = {
        category for category in categories if (needle := _stemmed(category)) and needle in stems
    }
    # "rain jackets" also names "Jackets": keep only the most specific category named.
    return {c for c in found if not any(c != o and c.lower() in o.lower() for o in found)}


@lru_cache(maxsize=65536)
def _stemmed(name: str) -> str:
    """Returns `` word word `` of ``name``, plurals stemmed; "" for a name without letters."""
    words = re.findall(r"[a-z]+", name.lower())
    return " " + " ".join(stem(word) for word in words) + " " if words else ""


def _cut(text: str, match: re.Match[str]) -> str:
    return text[: match.start()] + " " + text[match.end() :]
