"""The demo shop: a deterministic catalog, customers, orders, parcels and returns.

>>> from aisle.database import session_scope
>>> from aisle.demo import export_products_jsonl, generate_shop
>>> with session_scope() as session:  # doctest: +SKIP
...     generate_shop(session, seed=42)
...     export_products_jsonl(session, "var/demo/products.jsonl")

Records that demos and tests can count on are listed in ``aisle.demo.personas``.
"""

from __future__ import annotations

from aisle.demo.export import EXPORT_KEYS, export_products_jsonl
from aisle.demo.generator import DemoSummary, generate_shop

__all__ = ["EXPORT_KEYS", "DemoSummary", "export_products_jsonl", "generate_shop"]
