"""Recommendations from order history: goes-with, popular now, and picks for one shopper.

Pure functions over purchase records (``aisle.purchase_history.Purchase`` or
anything with the same fields), so they are tested on hand-made histories and
never touch a database; the caller reads the purchases (cached: they change
slowly) and passes the index's :meth:`~catalog.index.CatalogIndex.available_ids`
as ``available`` so that nothing sold out or delisted is offered.

- :func:`complementary`: products bought in the same orders as the given ones,
  each order weighted by its age (half-life 90 days), divided by how often each
  candidate is bought at all (cosine), without the given products' own leaf
  categories (boots with boots are "similar", not "goes with"); a short list is
  filled with what is bought with their categories.
- :func:`popular`: units sold, weighted by age (half-life 14 days): what sells now.
- :func:`personal_picks`: embedding neighbours of what a shopper bought (recent
  purchases weigh more) blended with what goes with it; never what they bought.

Every list is best first, ties broken by product id, so the same history gives
the same list.

Example:
    >>> history, stock = purchases(session), index.available_ids()  # doctest: +SKIP
    >>> complementary(history, ["P01111"], 2, now=now, available=stock)  # doctest: +SKIP
    [('P01665', 0.445), ('P01537', 0.188)]

    (A demo hiking boot: its hiking pants and socks.)
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar, Protocol, overload

import numpy as np

from catalog.errors import UnknownProductError

if TYPE_CHECKING:
    from catalog.index import CatalogIndex

__all__ = [
    "CATEGORY_SHARE",
    "COMPLEMENTARY_HALF_LIFE_DAYS",
    "PERSONAL_HALF_LIFE_DAYS",
    "POPULAR_HALF_LIFE_DAYS",
    "SIMILAR_SHARE",
    "SUPPORT",
    "PurchaseLog",
    "PurchaseRecord",
    "complementary",
    "decay",
    "personal_picks",
    "popular",
]

COMPLEMENTARY_HALF_LIFE_DAYS = 90.0
"""What goes together changes slowly: an order half a year old still counts a quarter."""
POPULAR_HALF_LIFE_DAYS = 14.0
"""Trending means the last few weeks: a sale two months ago counts 1/16."""
PERSONAL_HALF_LIFE_DAYS = 90.0
"""How fast a shopper's own purchases lose weight in their picks."""
SIMILAR_SHARE = 0.6
"""Weight of embedding similarity in a personal pick's score; what goes with their
purchases gets the rest (each side scaled to 0-1 first, see :func:`personal_picks`)."""
PERSONAL_PRODUCTS = 20
"""How many of a shopper's products feed their picks: those with the most decayed
purchases, so mostly the recent ones (older ones add little)."""
CANDIDATES = 50
"""Candidates each side (similar, complementary) brings to the personal blend (at least k)."""
SUPPORT = 1.0
"""Shared (decayed) orders at which a co-purchase's cosine counts half: damps one-off pairs."""
CATEGORY_SHARE = 0.5
"""Weight of "bought with this kind of product" added to "bought with this product" (whose
damped cosine is at most 1). Most products share few orders, so a product's own list is
mostly one-off baskets (boots and a duvet, bought together once); what the whole category is
bought with (boots and socks) outranks those, and a real partner of the product has both."""
_DIGITS = 12
"""Scores are compared rounded, so sums that differ only by float noise tie, by id."""


class PurchaseRecord(Protocol):
    """One order line: what :mod:`catalog.recommend` needs to know about a purchase."""

    @property
    def order_id(self) -> int: ...

    @property
    def product_id(self) -> str: ...

    @property
    def quantity(self) -> int: ...

    @property
    def placed_at(self) -> dt.datetime: ...

    @property
    def category(self) -> str: ...


def decay(placed_at: dt.datetime, now: dt.datetime, half_life_days: float) -> float:
    """The weight of something that happened at ``placed_at``: 1 now, 1/2 a half-life ago.

    Naive datetimes are read as UTC (as the shop database stores them), so a
    naive order time and an aware ``now`` compare. Future times weigh 1.

    Raises:
        ValueError: ``half_life_days`` is not above 0.
    """
    if not half_life_days > 0:
        raise ValueError(f"half_life_days must be above 0, got {half_life_days}")
    age_days = (_utc(now) - _utc(placed_at)).total_seconds() / 86_400
    return float(0.5 ** (max(age_days, 0.0) / half_life_days))


def complementary(
    purchases: Sequence[PurchaseRecord],
    product_ids: Collection[str],
    k: int,
    *,
    now: dt.datetime,
    half_life_days: float = COMPLEMENTARY_HALF_LIFE_DAYS,
    exclude: Collection[str] = (),
    available: Collection[str] | None = None,
    categories: Mapping[str, str] | None = None,
    fill: bool = True,
) -> list[tuple[str, float]]:
    """Products bought together with ``product_ids``, best first, with their scores.

    Each order holding one of ``product_ids`` counts once for every other
    product in it, weighted by :func:`decay`. A count alone would put the shop's
    best-sellers on top of every list, so it is divided by the geometric mean of
    the two sides' (decayed) order counts, the cosine of the two order sets:
    ``together / sqrt(orders with the given products * orders with the
    candidate)``. One shared order is weak evidence (a product bought once, with
    the given one, would score as high as a real pair), so the cosine is scaled
    by ``together / (together + SUPPORT)``: 1/2 for one shared order, 3/4 for three.

    Left out: the given products, ``exclude``, products of the given products'
    leaf categories (another pair of boots is a similar product, not one that
    goes with boots; sibling categories such as pans and knives stay), and, when
    ``available`` is given, every product not in it.

    Most products share few orders (on the demo shop 372 of the 1,802 products
    ever bought have at most one partner, a product never bought has none), so
    with ``fill`` every candidate also gets :data:`CATEGORY_SHARE` times what
    is bought with any product of the given products' leaf categories (the same
    score, with all of those products as the given ones, scaled so the best is
    1): the kind's partners outrank one-off baskets, and a product never bought
    still gets what goes with its kind.

    Args:
        purchases: Order lines of the orders to learn from (not cancelled); a
            :class:`PurchaseLog`, or any sequence (turned into one, once per object).
        product_ids: What the shopper looks at or has in the cart.
        k: Results wanted (fewer when fewer products were ever bought with them).
        now: The instant ages are counted from.
        half_life_days: Age at which an order counts half.
        exclude: Products never to return.
        available: The only products that may be returned, e.g.
            ``index.available_ids()`` (in stock, still listed).
        categories: Product id -> category path, for products the purchases do
            not name (a product never bought has no category in them).
        fill: Add what is bought with their categories (see above).

    Raises:
        ValueError: ``k`` is below 1 or ``half_life_days`` is not above 0.
    """
    _check_k(k)
    log = PurchaseLog.of(purchases)
    weights = log.order_weights(now, half_life_days)
    seeds = set(product_ids)
    category_of = {**log.categories, **{p: c for p, c in (categories or {}).items() if c}}
    seed_categories = {category_of[p] for p in seeds if category_of.get(p)}
    banned = seeds | set(exclude)

    def allowed(product_id: str) -> bool:
        return (
            product_id not in banned
            and (available is None or product_id in available)
            and category_of.get(product_id, "") not in seed_categories
        )

    scores = _co_purchases(
        weights, log.orders_with(seeds), log.products_in, log.order_weight_of, skip=seeds
    )
    if fill and seed_categories:
        kind = _category_scores(log, weights, category_of, seed_categories)
        for product_id, score in kind.items():
            scores[product_id] = scores.get(product_id, 0.0) + CATEGORY_SHARE * score
    return _best({p: score for p, score in scores.items() if allowed(p)}, k)


def _co_purchases(
    weights: np.ndarray,
    seed_rows: np.ndarray,
    members: Callable[[int], Iterable[str]],
    orders_weight: Callable[[str, np.ndarray], float],
    *,
    skip: Collection[str],
) -> dict[str, float]:
    """Damped cosine of each product's orders with the seed orders, for the products in them.

    ``together / sqrt(seed orders * member's orders) * together / (together + SUPPORT)``,
    every order counted with its weight in ``weights``.
    """
    seed_weight = float(weights[seed_rows].sum())
    together: dict[str, float] = defaultdict(float)
    for row, weight in zip(seed_rows.tolist(), weights[seed_rows].tolist(), strict=True):
        for member in members(row):
            if member not in skip:
                together[member] += weight
    return {
        member: count
        / math.sqrt(seed_weight * orders_weight(member, weights))
        * count
        / (count + SUPPORT)
        for member, count in together.items()
    }


def _category_scores(
    log: PurchaseLog,
    weights: np.ndarray,
    category_of: Mapping[str, str],
    seed_categories: set[str],
) -> dict[str, float]:
    """What is bought with any product of ``seed_categories``, scaled so the best is 1.

    The same damped cosine as for the given products, with every product of
    their categories as the seed ("bought with hiking boots" rather than "with
    these boots").
    """
    peers = {product_id for product_id, c in category_of.items() if c in seed_categories}
    scores = _co_purchases(
        weights, log.orders_with(peers), log.products_in, log.order_weight_of, skip=peers
    )
    top = max(scores.values(), default=0.0)
    if top <= 0:
        return {}
    return {product_id: score / top for product_id, score in scores.items()}


def popular(
    purchases: Sequence[PurchaseRecord],
    k: int,
    *,
    now: dt.datetime,
    half_life_days: float = POPULAR_HALF_LIFE_DAYS,
    exclude: Collection[str] = (),
    available: Collection[str] | None = None,
) -> list[tuple[str, float]]:
    """The best-selling products of late, best first, with their decayed units sold.

    Every unit counts :func:`decay` of its order's age, so ten sold this week
    beat fifty sold three months ago (with the 14-day half-life). For a shopper
    the shop knows nothing about.

    Raises:
        ValueError: ``k`` is below 1 or ``half_life_days`` is not above 0.
    """
    _check_k(k)
    log = PurchaseLog.of(purchases)
    units = log.units(now, half_life_days)
    banned = set(exclude)
    ranked: list[tuple[str, float]] = []
    for code in np.lexsort((np.arange(len(units)), -np.round(units, _DIGITS))).tolist():
        product_id = log.product_ids[code]
        if units[code] <= 0 or len(ranked) == k:
            break
        if product_id in banned or (available is not None and product_id not in available):
            continue
        ranked.append((product_id, float(units[code])))
    return ranked


def personal_picks(
    index: CatalogIndex,
    history: Sequence[PurchaseRecord],
    all_purchases: Sequence[PurchaseRecord],
    k: int,
    *,
    now: dt.datetime,
    similar_share: float = SIMILAR_SHARE,
    half_life_days: float = PERSONAL_HALF_LIFE_DAYS,
) -> list[str]:
    """Products for a verified shopper from what they bought, best first.

    Two lists are blended: the embedding neighbours of the shopper's products
    (:meth:`~catalog.index.CatalogIndex.similar_to_many`, each product weighted
    by :func:`decay` of its purchases, so last week's boots count more than last
    year's lamp) and :func:`complementary` of the same products. Each list's
    scores are scaled to 0-1 (cosines from the lowest candidate's to the best's,
    complementary scores divided by the best), then added with ``similar_share``
    and ``1 - similar_share``: on the demo shop about 2 of 10 picks come from the
    complementary side, more when its evidence is strong. A product the shopper
    ever bought is never picked, nor one out of stock or not in the index.

    Returns:
        Up to ``k`` product ids; [] for a shopper without purchases (offer
        :func:`popular` instead).

    Raises:
        ValueError: ``k`` is below 1 or ``similar_share`` is not within 0 to 1.
    """
    _check_k(k)
    if not 0 <= similar_share <= 1:
        raise ValueError(f"similar_share must be within 0 and 1, got {similar_share}")
    weights: dict[str, float] = defaultdict(float)
    for purchase in history:
        weights[purchase.product_id] += decay(purchase.placed_at, now, half_life_days)
    if not weights:
        return []
    bought = set(weights)
    recent = sorted(weights, key=lambda p: (-weights[p], p))[:PERSONAL_PRODUCTS]
    available = index.available_ids() - bought
    pool = max(CANDIDATES, k)
    try:
        hits = index.similar_to_many(
            recent, pool, exclude=bought, weights=[max(weights[p], 1e-12) for p in recent]
        )
    except UnknownProductError:  # nothing they bought is still in the catalog
        hits = []
    similar = {hit.product_id: hit.score for hit in hits if hit.product_id in available}
    goes_with = dict(complementary(all_purchases, bought, pool, now=now, available=available))
    blended: dict[str, float] = defaultdict(float)
    for share, scores in ((similar_share, _spread(similar)), (1 - similar_share, goes_with)):
        top = max(scores.values(), default=0.0)
        for product_id, score in scores.items():
            if top > 0:
                blended[product_id] += share * score / top
    return [product_id for product_id, _ in _best(blended, k)]


def _spread(cosines: Mapping[str, float]) -> dict[str, float]:
    """Cosines moved so that the lowest candidate's is 0.

    The fifty nearest products' cosines all lie close together (0.7 to 0.8, say);
    divided by the best one they would all be near 1 and outweigh every
    complementary product, whose scores fall from 1 towards 0.
    """
    low = min(cosines.values(), default=0.0)
    return {product_id: cosine - low for product_id, cosine in cosines.items()}


class PurchaseLog(Sequence[PurchaseRecord]):
    """Purchases with the lookups the scoring needs, built once and then shared.

    Scoring straight from a list of order lines means grouping them by order and
    dating every order at each call (7-11 ms for the demo's 5,100 lines);
    a log does that once, so a call costs well under a millisecond. It is a
    sequence of the same records, and :meth:`of` keeps the log of the last
    sequence it was asked for, so passing the same (cached, unchanged) list to
    every call builds it once.
    """

    _last: ClassVar[tuple[Sequence[PurchaseRecord], PurchaseLog] | None] = None
    _last_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, purchases: Iterable[PurchaseRecord]) -> None:
        self._purchases = list(purchases)
        self.product_ids: list[str] = sorted({p.product_id for p in self._purchases})
        """Every product bought, sorted: a product's position is its code."""
        self._code = {product_id: code for code, product_id in enumerate(self.product_ids)}
        order_row: dict[int, int] = {}
        days: list[float] = []
        products: list[set[str]] = []
        for purchase in self._purchases:
            row = order_row.setdefault(purchase.order_id, len(order_row))
            if row == len(days):
                days.append(_days(purchase.placed_at))
                products.append(set())
            products[row].add(purchase.product_id)
        self._order_days = np.asarray(days, dtype=np.float64)
        self._order_products = [tuple(sorted(items)) for items in products]
        orders_of: dict[str, list[int]] = defaultdict(list)
        for row, items in enumerate(self._order_products):
            for product_id in items:
                orders_of[product_id].append(row)
        self._orders_of = {p: np.asarray(rows, dtype=np.int64) for p, rows in orders_of.items()}
        self._line_code = np.asarray(
            [self._code[p.product_id] for p in self._purchases], dtype=np.int64
        )
        self._line_order = np.asarray(
            [order_row[p.order_id] for p in self._purchases], dtype=np.int64
        )
        self._line_quantity = np.asarray([p.quantity for p in self._purchases], dtype=np.float64)
        self.categories: dict[str, str] = {
            p.product_id: p.category for p in self._purchases if p.category
        }
        """Product id -> category path, as the purchases name it."""

    @classmethod
    def of(cls, purchases: Sequence[PurchaseRecord]) -> PurchaseLog:
        """``purchases`` itself if it is a log, else the log of it (kept for the next call).

        The kept log belongs to that very sequence object and its length: do not
        change a sequence after passing it (a fresh ``purchases()`` list is a new one).
        """
        if isinstance(purchases, PurchaseLog):
            return purchases
        with cls._last_lock:
            last = cls._last
            if last is not None and last[0] is purchases and len(last[1]) == len(purchases):
                return last[1]
            log = cls(purchases)
            cls._last = (purchases, log)
            return log

    def __len__(self) -> int:
        return len(self._purchases)

    @overload
    def __getitem__(self, index: int) -> PurchaseRecord: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[PurchaseRecord]: ...

    def __getitem__(self, index: int | slice) -> PurchaseRecord | Sequence[PurchaseRecord]:
        return self._purchases[index]

    def order_weights(self, now: dt.datetime, half_life_days: float) -> np.ndarray:
        """Each order's :func:`decay` weight, by order row."""
        if not half_life_days > 0:
            raise ValueError(f"half_life_days must be above 0, got {half_life_days}")
        ages = np.maximum(_days(now) - self._order_days, 0.0)
        return np.asarray(0.5 ** (ages / half_life_days), dtype=np.float64)

    def orders_with(self, product_ids: Iterable[str]) -> np.ndarray:
        """Rows of the orders holding any of ``product_ids``, ascending."""
        rows = [self._orders_of[p] for p in product_ids if p in self._orders_of]
        if not rows:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate(rows))

    def products_in(self, order_row: int) -> tuple[str, ...]:
        """The distinct products of one order, sorted."""
        return self._order_products[order_row]

    def order_weight_of(self, product_id: str, weights: np.ndarray) -> float:
        """The summed ``weights`` of the orders holding ``product_id`` (0 if never bought)."""
        rows = self._orders_of.get(product_id)
        return 0.0 if rows is None else float(weights[rows].sum())

    def units(self, now: dt.datetime, half_life_days: float) -> np.ndarray:
        """Units sold per product code, each weighted by its order's :func:`decay`."""
        weights = self.order_weights(now, half_life_days)[self._line_order] * self._line_quantity
        return np.bincount(self._line_code, weights=weights, minlength=len(self.product_ids))


def _best(scores: Mapping[str, float], k: int) -> list[tuple[str, float]]:
    """The ``k`` highest scores, ties (to float noise) broken by product id."""
    ranked = sorted(scores.items(), key=lambda item: (-round(item[1], _DIGITS), item[0]))
    return ranked[:k]


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")


_EPOCH = dt.datetime(1970, 1, 1)


def _days(moment: dt.datetime) -> float:
    """Days since 1970 (UTC) of ``moment``; naive is read as UTC."""
    return (_utc(moment) - _EPOCH).total_seconds() / 86_400


def _utc(moment: dt.datetime) -> dt.datetime:
    """The instant as naive UTC (the shop database's convention)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
