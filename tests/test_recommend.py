"""Recommendations: neighbours in the catalog index, co-purchases, popularity, personal picks.

The scoring is tested on small hand-made order histories where the right answer
is known, and on the seeded demo shop and its real index (similar products,
the co-purchase structure the demo generator plants, personal picks). The
purchase reads run on SQLite and on the local PostgreSQL.
"""

from __future__ import annotations

import collections
import datetime as dt
import statistics
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from aisle.database import get_engine, session_scope
from aisle.demo import generate_shop
from aisle.demo import orders as demo_orders
from aisle.demo.orders import COMPLEMENTS
from aisle.models import Base, Customer, Order, OrderItem, Product, ProductVariant
from aisle.purchase_history import Purchase, PurchaseCache, purchases, purchases_of
from catalog import CatalogError, CatalogIndex, UnknownProductError
from catalog.recommend import (
    CANDIDATES,
    PurchaseLog,
    complementary,
    decay,
    personal_picks,
    popular,
)

NOW = dt.datetime(2026, 12, 1, 12, 0)
BOOTS = "Footwear > Boots > Hiking boots"
SOCKS = "Apparel > Accessories > Socks"
PANS = "Home > Kitchen > Cookware"
KNIVES = "Home > Kitchen > Knives"
MUGS = "Home > Kitchen > Coffee & tea"
SMALL_SHOP = {"n_products": 300, "n_customers": 60, "n_orders": 400}


# --- hand-made histories ------------------------------------------------------------------


class History:
    """Builds order lines: ``add(days_ago, "A", "B")`` is one order of A and B."""

    def __init__(self, categories: dict[str, str] | None = None) -> None:
        self.lines: list[Purchase] = []
        self._categories = categories or {}
        self._orders = 0

    def add(self, days_ago: float, *products: str, customer: int = 1, quantity: int = 1) -> None:
        self._orders += 1
        placed_at = NOW - dt.timedelta(days=days_ago)
        for product_id in products:
            category = self._categories.get(product_id, "")
            self.lines.append(
                Purchase(self._orders, customer, product_id, quantity, placed_at, category)
            )


def _ids(ranked: list[tuple[str, float]]) -> list[str]:
    return [product_id for product_id, _ in ranked]


def test_complementary_ranks_the_planted_partner_first() -> None:
    history = History()
    for days in (3, 10, 20):
        history.add(days, "A", "B")
    for other in ("C", "D", "E", "F"):
        history.add(5, "A", other)
    history.add(2, "B", "G")

    ranked = complementary(history.lines, ["A"], 5, now=NOW)

    assert _ids(ranked)[0] == "B"
    assert set(_ids(ranked)) == {"B", "C", "D", "E", "F"}  # never A itself, never G
    assert [score for _, score in ranked] == sorted((s for _, s in ranked), reverse=True)


def test_the_same_co_purchases_long_ago_rank_below_recent_ones() -> None:
    history = History()
    for days in (300, 310):
        history.add(days, "A", "OLD")
    for days in (5, 6):
        history.add(days, "A", "NEW")

    ranked = complementary(history.lines, ["A"], 5, now=NOW)

    assert _ids(ranked) == ["NEW", "OLD"]
    # With a half-life far longer than the ages, the two pairs count the same.
    flat = complementary(history.lines, ["A"], 5, now=NOW, half_life_days=1e9)
    assert flat[0][1] == pytest.approx(flat[1][1])


def test_a_best_seller_does_not_top_every_list() -> None:
    history = History()
    for days in range(40):  # X sells in 40 orders, 4 of them with A
        if days % 10 == 0:
            history.add(days, "A", "X")
        else:
            history.add(days, "X", f"Z{days}")
    for days in (1, 2, 3):
        history.add(days, "A", "B")

    together = collections.Counter(
        line.product_id for line in history.lines if line.order_id in _orders_with(history, "A")
    )
    assert together["X"] > together["B"]  # by count alone the best-seller would win

    assert _ids(complementary(history.lines, ["A"], 2, now=NOW)) == ["B", "X"]


def _orders_with(history: History, product_id: str) -> set[int]:
    return {line.order_id for line in history.lines if line.product_id == product_id}


def test_products_of_the_same_leaf_category_are_similar_not_complementary() -> None:
    categories = {"boot-1": BOOTS, "boot-2": BOOTS, "sock": SOCKS, "pan": PANS, "knife": KNIVES}
    history = History(categories)
    for days in (1, 2, 3, 4):
        history.add(days, "boot-1", "boot-2")
    history.add(5, "boot-1", "sock")
    for days in (1, 2):
        history.add(days, "pan", "knife")

    assert _ids(complementary(history.lines, ["boot-1"], 5, now=NOW)) == ["sock"]
    # Knives share the pan's parent category (Kitchen), not its leaf: they go with it.
    assert _ids(complementary(history.lines, ["pan"], 5, now=NOW)) == ["knife"]
    # A product the history never names gets its category from the caller.
    history.add(1, "boot-3", "boot-1")
    assert "boot-1" not in _ids(
        complementary(history.lines, ["boot-3"], 5, now=NOW, categories={"boot-3": BOOTS})
    )


def test_a_short_list_is_filled_from_the_categories_bought_with_theirs() -> None:
    categories = {"boot-1": BOOTS, "boot-2": BOOTS, "mug": MUGS}
    categories |= {f"sock-{n}": SOCKS for n in (1, 2, 3)}
    history = History(categories)
    for days in (1, 2, 3):
        history.add(days, "boot-1", "sock-1")
    history.add(4, "boot-2", "sock-2")
    for days in range(5, 10):
        history.add(days, "sock-3")  # the best-selling sock, never with boots
    history.add(2, "mug", "sock-1")
    history.add(3, "mug")

    # A boot nobody bought yet: no order of its own, so what goes with boots fills in,
    # most often bought with boots first; the best-selling sock was never bought with any.
    new_boot = complementary(history.lines, ["boot-9"], 3, now=NOW, categories={"boot-9": BOOTS})
    assert _ids(new_boot) == ["sock-1", "sock-2"]
    assert (
        complementary(
            history.lines, ["boot-9"], 3, now=NOW, categories={"boot-9": BOOTS}, fill=False
        )
        == []
    )

    # Its own partner first, then the fill, scored below it.
    ranked = complementary(history.lines, ["boot-2"], 3, now=NOW)
    assert _ids(ranked) == ["sock-2", "sock-1"]
    assert ranked[0][1] > ranked[1][1]
    assert _ids(complementary(history.lines, ["boot-2"], 3, now=NOW, fill=False)) == ["sock-2"]


def test_complementary_keeps_to_exclude_available_and_breaks_ties_by_id() -> None:
    history = History()
    history.add(1, "A", "D", "C", "B")

    assert _ids(complementary(history.lines, ["A"], 5, now=NOW)) == ["B", "C", "D"]
    assert _ids(complementary(history.lines, ["A"], 5, now=NOW, exclude={"C"})) == ["B", "D"]
    assert _ids(complementary(history.lines, ["A"], 5, now=NOW, available={"D", "A"})) == ["D"]
    assert complementary(history.lines, ["never-bought"], 5, now=NOW) == []
    with pytest.raises(ValueError, match="k must be"):
        complementary(history.lines, ["A"], 0, now=NOW)


def test_a_recent_best_seller_beats_an_old_one_with_more_sales() -> None:
    history = History()
    for days in range(60, 90):  # 30 sold two to three months ago
        history.add(days, "OLD")
    for days in range(1, 11):  # 10 sold in the last ten days
        history.add(days, "NEW")
    history.add(1, "TWO", quantity=2)
    history.add(1, "ONE")

    ranked = popular(history.lines, 4, now=NOW)

    assert _ids(ranked) == ["NEW", "TWO", "ONE", "OLD"]
    assert sum(line.quantity for line in history.lines if line.product_id == "OLD") == 30
    assert _ids(popular(history.lines, 2, now=NOW, exclude={"NEW"})) == ["TWO", "ONE"]
    assert _ids(popular(history.lines, 5, now=NOW, available={"OLD", "ONE"})) == ["ONE", "OLD"]
    # Over a long enough half-life, total sales win again.
    assert _ids(popular(history.lines, 1, now=NOW, half_life_days=1e9)) == ["OLD"]


def test_popular_breaks_ties_by_id() -> None:
    history = History()
    history.add(3, "B", "C", "A")

    assert _ids(popular(history.lines, 3, now=NOW)) == ["A", "B", "C"]


def test_decay_halves_per_half_life_and_reads_naive_times_as_utc() -> None:
    aware_now = NOW.replace(tzinfo=dt.timezone.utc)
    assert decay(NOW - dt.timedelta(days=14), aware_now, 14) == pytest.approx(0.5)
    assert decay(NOW - dt.timedelta(days=28), NOW, 14) == pytest.approx(0.25)
    assert decay(NOW + dt.timedelta(days=1), NOW, 14) == 1.0
    with pytest.raises(ValueError, match="half_life_days"):
        decay(NOW, NOW, 0)


def test_a_purchase_log_is_built_once_per_list() -> None:
    history = History()
    history.add(1, "A", "B")

    first = PurchaseLog.of(history.lines)
    assert PurchaseLog.of(history.lines) is first
    assert PurchaseLog.of(first) is first
    assert PurchaseLog.of(list(history.lines)) is not first
    assert list(first) == history.lines


# --- the demo shop and its index ------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_index(demo_index_dir: Path) -> CatalogIndex:
    """The demo catalog's index, read-only for the tests."""
    return CatalogIndex.load(demo_index_dir)


@pytest.fixture(scope="module")
def demo_purchases(demo_shop: dict[str, Path | str]) -> list[Purchase]:
    with session_scope(str(demo_shop["database_url"])) as session:
        return purchases(session)


def _category(index: CatalogIndex, product_id: str) -> str:
    product = index.product(product_id)
    assert product is not None and product.category
    return product.category


def _first_in(index: CatalogIndex, category: str, count: int = 1) -> list[str]:
    found = [pid for pid in index.ids if _category(index, pid) == category]
    assert len(found) >= count
    return found[:count]


@pytest.mark.parametrize(
    "category",
    ["Apparel > Jackets > Rain jackets", BOOTS, "Outdoor > Tents", PANS, "Home > Bedding > Sheets"],
)
def test_similar_products_are_of_the_same_kind(demo_index: CatalogIndex, category: str) -> None:
    kind = " > ".join(category.split(" > ")[:2])  # "Apparel > Jackets", "Outdoor > Tents"
    for product_id in _first_in(demo_index, category, 3):
        hits = demo_index.similar(product_id, 10)

        assert len(hits) == 10 and product_id not in {hit.product_id for hit in hits}
        assert [hit.rank for hit in hits] == list(range(1, 11))
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
        same_kind = [h for h in hits if _category(demo_index, h.product_id).startswith(kind)]
        assert len(same_kind) >= 7, [_category(demo_index, h.product_id) for h in hits]


def test_similar_leaves_out_products_out_of_stock(demo_index_dir: Path) -> None:
    index = CatalogIndex.load(demo_index_dir)  # a private copy: this test changes stock
    jacket = _first_in(index, "Apparel > Jackets > Rain jackets")[0]
    nearest = index.similar(jacket, 5)[0].product_id
    product = index.product(nearest)
    assert product is not None

    for variant in product.variants:
        assert index.set_stock(variant.sku, 0)

    assert nearest not in {hit.product_id for hit in index.similar(jacket, 50)}
    assert nearest not in index.available_ids()
    assert index.similar(jacket, 5, in_stock=False)[0].product_id == nearest
    sold_out = set(index.ids) - index.available_ids()
    assert len(sold_out) > 1  # the demo catalog has sold-out products of its own
    for product_id in index.ids[:50]:
        assert not sold_out & {hit.product_id for hit in index.similar(product_id, 20)}


def test_similar_keeps_to_exclude_and_refuses_an_unknown_product(demo_index: CatalogIndex) -> None:
    boot = _first_in(demo_index, BOOTS)[0]
    first_two = [hit.product_id for hit in demo_index.similar(boot, 2)]

    hits = demo_index.similar(boot, 5, exclude=first_two)

    assert not set(first_two) & {hit.product_id for hit in hits}
    with pytest.raises(UnknownProductError, match="P99999"):
        demo_index.similar("P99999")
    assert issubclass(UnknownProductError, CatalogError)
    with pytest.raises(ValueError, match="k must be"):
        demo_index.similar(boot, 0)


def test_similar_to_many_finds_the_kind_the_weights_favour(demo_index: CatalogIndex) -> None:
    boots = _first_in(demo_index, BOOTS, 3)
    pan = _first_in(demo_index, PANS)[0]
    given = [*boots, pan]

    by_boots = demo_index.similar_to_many(given, 10, weights=[1, 1, 1, 0.1])
    by_pan = demo_index.similar_to_many(given, 10, weights=[0.1, 0.1, 0.1, 3])

    assert not set(given) & {hit.product_id for hit in by_boots + by_pan}
    assert sum(_category(demo_index, h.product_id).startswith("Footwear") for h in by_boots) >= 7
    assert sum(_category(demo_index, h.product_id).startswith("Home") for h in by_pan) >= 7
    # An id no longer in the catalog is skipped; with none left, it is an error.
    assert demo_index.similar_to_many([*boots, "P99999"], 5) == demo_index.similar_to_many(boots, 5)
    with pytest.raises(UnknownProductError):
        demo_index.similar_to_many(["P99998", "P99999"])
    with pytest.raises(ValueError, match="empty"):
        demo_index.similar_to_many([])


def test_the_demo_shop_buys_socks_with_hiking_boots(
    demo_purchases: list[Purchase], demo_index: CatalogIndex
) -> None:
    """The demo's add-on items show: boots bought in 3+ orders have a complement in their top 5."""
    pairs = {(line.order_id, line.product_id) for line in demo_purchases}
    orders = collections.Counter(product_id for _, product_id in pairs)
    boots = sorted(
        pid
        for pid in orders
        if orders[pid] >= 3 and demo_index.product(pid) and _category(demo_index, pid) == BOOTS
    )
    assert len(boots) >= 10

    tops = {
        boot: [
            _category(demo_index, pid)
            for pid in _ids(complementary(demo_purchases, [boot], 5, now=NOW))
        ]
        for boot in boots
    }

    with_complement = [b for b, cats in tops.items() if set(cats) & set(COMPLEMENTS[BOOTS])]
    assert len(with_complement) >= 0.8 * len(boots), tops
    # Most of what is listed is a partner kind (socks, poles, pants), not a one-off basket.
    listed = [category for cats in tops.values() for category in cats]
    assert sum(c in COMPLEMENTS[BOOTS] for c in listed) >= 0.7 * len(listed), tops
    assert {c for c in listed if c in COMPLEMENTS[BOOTS]} == set(COMPLEMENTS[BOOTS]), tops
    assert all(BOOTS not in cats for cats in tops.values())


def test_personal_picks_lean_to_the_shoppers_kind_and_skip_what_they_bought(
    demo_purchases: list[Purchase], demo_index: CatalogIndex
) -> None:
    jackets = _first_in(demo_index, "Apparel > Jackets > Insulated jackets", 3)
    history = History({pid: _category(demo_index, pid) for pid in jackets})
    history.add(30, jackets[0])
    history.add(5, jackets[1], jackets[2], customer=1)

    picks = personal_picks(demo_index, history.lines, demo_purchases, 10, now=NOW)

    assert len(picks) == 10 and not set(picks) & set(jackets)
    assert set(picks) <= demo_index.available_ids()
    apparel = [p for p in picks if _category(demo_index, p).startswith("Apparel > Jackets")]
    assert len(apparel) >= 6, [_category(demo_index, p) for p in picks]
    assert personal_picks(demo_index, [], demo_purchases, 10, now=NOW) == []


def test_personal_picks_leave_out_products_out_of_stock(
    demo_index_dir: Path, demo_purchases: list[Purchase]
) -> None:
    index = CatalogIndex.load(demo_index_dir)  # a private copy: this test changes stock
    boots = _first_in(index, BOOTS, 2)
    history = History({pid: BOOTS for pid in boots})
    history.add(3, *boots)
    # Twenty picks, so that both sides of the blend are surely among them.
    before = personal_picks(index, history.lines, demo_purchases, 20, now=NOW)
    goes_with = _ids(complementary(demo_purchases, boots, CANDIDATES, now=NOW))
    assert set(before) & set(goes_with)  # both sides of the blend are in the picks

    for product_id in before:
        product = index.product(product_id)
        assert product is not None
        for variant in product.variants:
            index.set_stock(variant.sku, 0)
    after = personal_picks(index, history.lines, demo_purchases, 20, now=NOW)

    assert len(after) == 20 and not set(after) & set(before)


def test_personal_picks_of_demo_customers_never_repeat_a_purchase(
    demo_shop: dict[str, Path | str], demo_purchases: list[Purchase], demo_index: CatalogIndex
) -> None:
    by_customer: dict[int, list[Purchase]] = collections.defaultdict(list)
    for line in demo_purchases:
        by_customer[line.customer_id].append(line)
    regulars = sorted(
        c for c, lines in by_customer.items() if len({p.order_id for p in lines}) >= 3
    )
    assert len(regulars) >= 20
    available = demo_index.available_ids()

    for customer in regulars[:40]:
        history = by_customer[customer]
        picks = personal_picks(demo_index, history, demo_purchases, 8, now=NOW)
        assert len(picks) == 8 and len(set(picks)) == 8
        assert not set(picks) & {line.product_id for line in history}
        assert set(picks) <= available


def test_each_call_takes_well_under_50_ms_on_the_demo_shop(
    demo_purchases: list[Purchase], demo_index: CatalogIndex
) -> None:
    boot = _first_in(demo_index, BOOTS)[0]
    history = [line for line in demo_purchases if line.customer_id == 1]
    available = demo_index.available_ids()
    calls = {
        "similar": lambda: demo_index.similar(boot, 10),
        "complementary": lambda: complementary(
            demo_purchases, [boot], 10, now=NOW, available=demo_index.available_ids()
        ),
        "popular": lambda: popular(demo_purchases, 10, now=NOW, available=available),
        "personal_picks": lambda: personal_picks(demo_index, history, demo_purchases, 10, now=NOW),
    }
    for name, call in calls.items():
        call()  # the first call builds the purchase log
        times = []
        for _ in range(20):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        assert statistics.median(times) < 0.050, (name, times)


def _demo_rows(monkeypatch: pytest.MonkeyPatch, share: float) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of a small seeded demo shop, with the add-on share given."""
    monkeypatch.setattr(demo_orders, "COMPLEMENT_SHARE", share)
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        generate_shop(session, today=dt.date(2026, 6, 1), **SMALL_SHOP)
        rows = {
            name: [tuple(row) for row in session.execute(select(table).order_by(*table.c))]
            for name, table in Base.metadata.tables.items()
        }
    engine.dispose()
    return rows


def test_the_add_on_items_change_no_other_row_of_the_demo_shop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    share = demo_orders.COMPLEMENT_SHARE
    plain = _demo_rows(monkeypatch, 0.0)
    with_add_ons = _demo_rows(monkeypatch, share)

    changed = {name for name in plain if plain[name] != with_add_ons[name]}
    assert changed == {"orders", "order_items", "return_items"}  # return lines name item ids
    assert len(with_add_ons["order_items"]) > len(plain["order_items"])

    def without(rows: list[tuple[Any, ...]], *skip: int) -> list[tuple[Any, ...]]:
        return [tuple(v for i, v in enumerate(row) if i not in skip) for row in rows]

    columns = list(Base.metadata.tables["orders"].c.keys())
    total = columns.index("total")
    assert without(plain["orders"], total) == without(with_add_ons["orders"], total)
    item_id = list(Base.metadata.tables["order_items"].c.keys()).index("id")
    old_items = collections.Counter(without(plain["order_items"], item_id))
    new_items = collections.Counter(without(with_add_ons["order_items"], item_id))
    assert not old_items - new_items  # every item is still there, only add-ons came


# --- reading purchases from the shop database ------------------------------------------------


def _shop(url: str) -> None:
    """Two customers, four orders (one cancelled), three products."""
    placed = dt.datetime(2026, 11, 1, 9, 30)
    with session_scope(url) as session:
        for pid, category in (("P1", BOOTS), ("P2", SOCKS), ("P3", MUGS)):
            session.add(
                Product(
                    id=pid,
                    title=f"Product {pid}",
                    description="",
                    brand="Brand",
                    category=category,
                    price=Decimal("10.00"),
                    rating=4.0,
                    rating_count=1,
                    image_url="",
                    created_at=placed,
                    variants=[ProductVariant(sku=f"{pid}-S", colour="black", size="S", stock=5)],
                )
            )
        alex = Customer(email="alex@example.com", name="Alex", postcode="10001", created_at=placed)
        sam = Customer(email="sam@example.com", name="Sam", postcode="10002", created_at=placed)
        session.add_all([alex, sam])
        orders = [
            (alex, "1001", "delivered", 0, [("P1", 1), ("P2", 2)]),
            (alex, "1002", "cancelled", 1, [("P3", 1)]),
            (sam, "1003", "shipped", 2, [("P1", 1)]),
            (alex, "1004", "processing", 3, [("P3", 3)]),
        ]
        for customer, number, status, day, lines in orders:
            session.add(
                Order(
                    number=number,
                    customer=customer,
                    status=status,
                    placed_at=placed + dt.timedelta(days=day),
                    shipping_name=customer.name,
                    shipping_address="1 Main St",
                    shipping_postcode=customer.postcode,
                    total=Decimal("0.00"),
                    cancelled_at=placed + dt.timedelta(days=day, hours=1)
                    if status == "cancelled"
                    else None,
                    items=[
                        OrderItem(
                            sku=f"{pid}-S",
                            product_id=pid,
                            title=pid,
                            colour="black",
                            size="S",
                            quantity=quantity,
                            unit_price=Decimal("10.00"),
                        )
                        for pid, quantity in lines
                    ],
                )
            )


@pytest.fixture
def hand_made_shop(database_url: str) -> Iterator[str]:
    _shop(database_url)
    yield database_url
    get_engine(database_url).dispose()


def _lines(found: list[Purchase]) -> list[tuple[str, int, str]]:
    return [(line.product_id, line.quantity, line.category) for line in found]


def test_purchases_leave_out_cancelled_orders(hand_made_shop: str) -> None:
    with session_scope(hand_made_shop) as session:
        everything = purchases(session)
        recent = purchases(session, since=dt.datetime(2026, 11, 3, tzinfo=dt.timezone.utc))

    assert _lines(everything) == [
        ("P1", 1, BOOTS),
        ("P2", 2, SOCKS),
        ("P1", 1, BOOTS),
        ("P3", 3, MUGS),
    ]
    assert len({line.order_id for line in everything}) == 3
    assert everything[0].placed_at == dt.datetime(2026, 11, 1, 9, 30)
    assert everything[0].order_id == everything[1].order_id != everything[2].order_id
    assert everything[0].customer_id != everything[2].customer_id
    assert _lines(recent) == [("P1", 1, BOOTS), ("P3", 3, MUGS)]


def test_purchases_of_match_the_email_in_any_case(hand_made_shop: str) -> None:
    with session_scope(hand_made_shop) as session:
        alex = purchases_of(session, "  Alex@Example.COM ")
        sam = purchases_of(session, "sam@example.com")
        nobody = [purchases_of(session, email) for email in ("", "   ", "someone@example.com")]

    assert _lines(alex) == [("P1", 1, BOOTS), ("P2", 2, SOCKS), ("P3", 3, MUGS)]
    assert _lines(sam) == [("P1", 1, BOOTS)]
    assert {line.customer_id for line in alex} != {line.customer_id for line in sam}
    assert nobody == [[], [], []]


def test_purchase_cache_reads_again_after_its_ttl(sqlite_url: str) -> None:
    from aisle import migrate

    migrate.upgrade(sqlite_url)
    _shop(sqlite_url)
    clock = [100.0]
    cache = PurchaseCache(60, clock=lambda: clock[0])

    with session_scope(sqlite_url) as session:
        first = cache.get(session)
        session.execute(Order.__table__.update().values(status="cancelled"))
        assert cache.get(session) is first  # within the TTL: no read
        clock[0] += 60
        assert cache.get(session) == []  # every order is cancelled now
    assert len(first) == 4
