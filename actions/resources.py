"""Long-lived objects the actions share, created on first use.

The action server is one process serving many conversations: the catalog index
and the embedding model are loaded once, not per request. Loading the model
takes seconds, so ``warm_up_in_background`` starts it when the server starts
instead of making the first shopper who searches wait.
"""

from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache

from actions.verification_limits import VerificationLimiter
from aisle.order_source import OrderSource, SqlOrderSource
from aisle.purchase_history import PurchaseCache
from aisle.settings import get_settings
from catalog import CatalogIndex, CatalogIndexError

logger = logging.getLogger(__name__)

_index_lock = threading.Lock()


@lru_cache(maxsize=1)
def order_source() -> OrderSource:
    return SqlOrderSource(get_settings().database_url)


@lru_cache(maxsize=1)
def purchase_cache() -> PurchaseCache:
    """Every order line, read again at most once a minute, for the recommendations."""
    return PurchaseCache(ttl_seconds=60.0)


@lru_cache(maxsize=1)
def verification_limiter() -> VerificationLimiter:
    return VerificationLimiter(get_settings())


def catalog_index() -> CatalogIndex:
    """Returns the index built by ``python -m catalog build``, loading it once."""
    with _index_lock:
        return _load_catalog_index()


@lru_cache(maxsize=1)
def _load_catalog_index() -> CatalogIndex:
    index_dir = get_settings().index_dir
    logger.info("Loading the catalog index from %s", index_dir)
    index = CatalogIndex.load(index_dir)
    index.search("warm up the encoder", k=1)
    logger.info("Catalog index ready: %d products", len(index))
    return index


def reset() -> None:
    """Forgets loaded objects, so the next use reads the current settings (tests)."""
    order_source.cache_clear()
    purchase_cache.cache_clear()
    verification_limiter.cache_clear()
    with _index_lock:
        _load_catalog_index.cache_clear()


def warm_up_in_background() -> None:
    """Loads the index and model in a thread; a failure is logged and retried on first use.

    rasa-sdk serves from a Sanic worker process that imports the actions again;
    the parent process only supervises it. Loading there too would hold a second
    copy of the model (about 500 MiB) that never answers anything, so only a
    Sanic worker (which has SANIC_WORKER_NAME set) warms up.
    """
    if not os.environ.get("SANIC_WORKER_NAME"):
        return

    def load() -> None:
        try:
            catalog_index()
        except (CatalogIndexError, OSError) as error:
            logger.warning("Catalog index not loaded at start-up: %s", error)

    threading.Thread(target=load, name="catalog-warm-up", daemon=True).start()
