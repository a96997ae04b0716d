"""Long-lived objects the actions share, created on first use.

The action server is one process serving many conversations: the catalog index
and the embedding model are loaded once, not per request.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from aisle.order_source import OrderSource, SqlOrderSource
from aisle.settings import get_settings
from catalog import CatalogIndex

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def order_source() -> OrderSource:
    return SqlOrderSource(get_settings().database_url)


@lru_cache(maxsize=1)
def catalog_index() -> CatalogIndex:
    """Loads the index (and its embedding model) built by ``python -m catalog build``."""
    index_dir = get_settings().index_dir
    logger.info("Loading the catalog index from %s", index_dir)
    return CatalogIndex.load(index_dir)
