"""Per-call time of the recommendations on the demo shop, and the co-purchase structure it has.

Seeds a fresh demo shop (seed 42, today) in a temporary SQLite file, loads the
catalog index (``var/index`` by default, as `make index` builds it) and times
each call the action server would make, over random products and the
customers with orders: ``purchases()`` (the SQL read), ``PurchaseLog`` (built
once per read), ``similar``, ``similar_to_many``, ``available_ids``,
``complementary``, ``popular`` and ``personal_picks``. Then it counts, for
the hiking boots bought in 3 or more orders, how many have a category of
``COMPLEMENTS`` in their complementary top 5, on this shop and on the same
shop generated without the add-on items (``COMPLEMENT_SHARE = 0``). Figures
are printed with the 1-minute load average (the machine is shared).

    .venv/bin/python bench/recommend_latency.py [--index var/index] [--calls 200]
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aisle import migrate
from aisle.database import get_engine, session_scope
from aisle.demo import generate_shop
from aisle.demo import orders as demo_orders
from aisle.purchase_history import Purchase, purchases
from catalog import CatalogIndex, recommend
from catalog.recommend import PurchaseLog, complementary, personal_picks, popular

BOOTS = "Footwear > Boots > Hiking boots"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("var/index"))
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    index = CatalogIndex.load(args.index)
    with tempfile.TemporaryDirectory() as folder:
        url = _seed(Path(folder) / "shop.db")
        _time_calls(index, url, args.calls)
        with_addons = _boots_with_complements(url)
        demo_orders.COMPLEMENT_SHARE = 0.0
        without = _boots_with_complements(_seed(Path(folder) / "plain.db"))
        partners = {share: _partner_share(url, share) for share in (0.0, recommend.CATEGORY_SHARE)}
    print(f"hiking boots (3+ orders) with a complement in their top 5: {with_addons}")
    print(f"... the same shop without the add-on items: {without}")
    for share, figure in partners.items():
        print(f"top-5 'goes with' items in a partner category (CATEGORY_SHARE {share}): {figure}")


def _seed(path: Path) -> str:
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    with session_scope(url) as session:
        generate_shop(session)
    return url


def _time_calls(index: CatalogIndex, url: str, calls: int) -> None:
    rng = random.Random(0)
    now = dt.datetime.now(dt.timezone.utc)
    _report("purchases() (SQL read)", lambda: _read(url), max(10, calls // 10))
    everything = _read(url)
    _report("PurchaseLog(purchases)", lambda: PurchaseLog(everything), max(10, calls // 10))
    by_customer: dict[int, list[Purchase]] = collections.defaultdict(list)
    for line in everything:
        by_customer[line.customer_id].append(line)
    customers = sorted(by_customer)
    products = list(index.ids)
    available = index.available_ids()
    print(f"{len(everything)} order lines, {len(customers)} customers with orders")
    _report("available_ids()", index.available_ids, calls)
    _report("similar(k=10)", lambda: index.similar(rng.choice(products), 10), calls)
    _report(
        "similar_to_many(3 products)",
        lambda: index.similar_to_many(rng.sample(products, 3), 10),
        calls,
    )
    _report(
        "complementary(k=10, available)",
        lambda: complementary(
            everything, [rng.choice(products)], 10, now=now, available=index.available_ids()
        ),
        calls,
    )
    _report(
        "popular(k=10, available)",
        lambda: popular(everything, 10, now=now, available=available),
        calls,
    )
    _report(
        "personal_picks(k=10)",
        lambda: personal_picks(index, by_customer[rng.choice(customers)], everything, 10, now=now),
        calls,
    )


def _read(url: str) -> list[Purchase]:
    with session_scope(url) as session:
        return purchases(session)


def _report(name: str, call: Callable[[], object], calls: int) -> None:
    call()  # warm: the first call builds the purchase log
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(
        f"{name:34s} p50 {statistics.median(times):7.2f} ms  p99 {p99:7.2f} ms"
        f"  ({calls} calls, load {os.getloadavg()[0]:.1f})"
    )


def _boots_with_complements(url: str) -> str:
    everything = _read(url)
    get_engine(url).dispose()
    now = dt.datetime.now(dt.timezone.utc)
    category = {line.product_id: line.category for line in everything}
    orders = collections.Counter(pid for _, pid in {(p.order_id, p.product_id) for p in everything})
    boots = sorted(p for p, n in orders.items() if n >= 3 and category[p] == BOOTS)
    wanted = set(demo_orders.COMPLEMENTS[BOOTS])
    hits = sum(
        bool(wanted & {category[p] for p, _ in complementary(everything, [boot], 5, now=now)})
        for boot in boots
    )
    return f"{hits} of {len(boots)}"


def _partner_share(url: str, share: float) -> str:
    """Of every bought product's top 5 "goes with", the share in a COMPLEMENTS partner category.

    COMPLEMENTS is what the demo shop's add-on items were drawn from, so it is the
    ground truth of what goes with what here; ``share`` 0 scores products by their
    own co-purchases alone.
    """
    everything = _read(url)
    get_engine(url).dispose()
    now = dt.datetime.now(dt.timezone.utc)
    category = {line.product_id: line.category for line in everything}
    default, recommend.CATEGORY_SHARE = recommend.CATEGORY_SHARE, share
    try:
        hits = listed = 0
        for product_id in sorted({p for p in category if category[p] in demo_orders.COMPLEMENTS}):
            found = [p for p, _ in complementary(everything, [product_id], 5, now=now)]
            partners = demo_orders.COMPLEMENTS[category[product_id]]
            hits += sum(category.get(p) in partners for p in found)
            listed += len(found)
    finally:
        recommend.CATEGORY_SHARE = default
    return f"{hits / max(listed, 1):.2f} of {listed}"


if __name__ == "__main__":
    main()
