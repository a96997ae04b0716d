"""The gateway's read-only queries against the shop database.

Pages and the JSON API share these, so the rows are turned into wire models
(``ProductCard``, ``HandoffItem``) in one place. Every query goes through
``_session``, which reports a missing or broken database as
``DatabaseUnavailable`` so the callers can show a note instead of a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from aisle.database import session_scope
from aisle.models import Handoff, Product
from bot.schemas import HandoffItem, ProductCard, ProductDetail, TranscriptLine, VariantStock

logger = logging.getLogger(__name__)

FEATURED_PRODUCTS = 12
"""Products on the demo shop page."""

HANDOFF_PAGE_SIZE = 100
"""Newest handoffs shown to agents; paging comes with the live agent console."""


class DatabaseUnavailable(Exception):
    """The shop database is missing, unreachable or lacks its tables."""


def featured_products(database_url: str, limit: int = FEATURED_PRODUCTS) -> list[ProductCard]:
    """Returns the best-rated products, for the demo shop's grid."""
    query = (
        select(Product)
        .options(selectinload(Product.variants))
        .order_by(Product.rating.desc(), Product.id)
        .limit(limit)
    )
    with _session(database_url) as session:
        return [_product_card(product) for product in session.scalars(query)]


def product_detail(database_url: str, product_id: str) -> ProductDetail | None:
    """Returns one product with its variants' stock, or ``None`` for an unknown id."""
    query = select(Product).where(Product.id == product_id).options(selectinload(Product.variants))
    with _session(database_url) as session:
        product = session.scalar(query)
        if product is None:
            return None
        return ProductDetail(
            **_product_card(product).model_dump(),
            brand=product.brand,
            category=product.category,
            description=product.description,
            variants=[
                VariantStock(colour=v.colour, size=v.size, stock=v.stock) for v in product.variants
            ],
        )


def product_category(database_url: str, product_id: str) -> str | None:
    """Returns a product's category path, or ``None`` for an unknown id."""
    with _session(database_url) as session:
        return session.scalar(select(Product.category).where(Product.id == product_id))


def list_handoffs(database_url: str, limit: int = HANDOFF_PAGE_SIZE) -> list[HandoffItem]:
    """Returns the newest handoffs first."""
    query = select(Handoff).order_by(Handoff.created_at.desc(), Handoff.id.desc()).limit(limit)
    with _session(database_url) as session:
        return [_handoff_item(handoff) for handoff in session.scalars(query)]


def database_ok(database_url: str) -> bool:
    """Tells whether the handoffs table, the one the gateway needs, can be read."""
    try:
        with _session(database_url) as session:
            session.execute(select(Handoff.id).limit(1))
    except DatabaseUnavailable:
        return False
    return True


@contextmanager
def database_session(database_url: str) -> Iterator[Session]:
    """A session that reports a missing or broken database as ``DatabaseUnavailable``."""
    with _session(database_url) as session:
        yield session


@contextmanager
def _session(database_url: str) -> Iterator[Session]:
    if _is_missing_sqlite_file(database_url):
        # Connecting would create an empty file and hide the real problem.
        raise DatabaseUnavailable(f"No database file at {database_url}")
    try:
        with session_scope(database_url) as session:
            yield session
    except SQLAlchemyError as exc:
        logger.warning("Shop database %s is unavailable: %s", _redacted(database_url), exc)
        raise DatabaseUnavailable(str(exc)) from exc


def _is_missing_sqlite_file(database_url: str) -> bool:
    try:
        url = make_url(database_url)
    except ArgumentError:
        return False
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return False
    if url.database.startswith("file:"):
        return False
    return not Path(url.database).exists()


def _redacted(database_url: str) -> str:
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def _product_card(product: Product) -> ProductCard:
    return ProductCard(
        id=product.id,
        title=product.title,
        price=f"{product.price:.2f}",
        currency=product.currency,
        rating=product.rating,
        image_url=_demo_image_url(product),
        url=f"/products/{product.id}",
        in_stock=product.stock > 0,
    )


def _demo_image_url(product: Product) -> str:
    """Site-relative images are served; any other is replaced by a placeholder.

    The demo runs offline, so an image hosted elsewhere would show as broken.
    """
    if product.image_url.startswith("/") and not product.image_url.startswith("//"):
        return product.image_url
    return f"/demo/images/{product.id}.svg"


def _handoff_item(handoff: Handoff) -> HandoffItem:
    return HandoffItem(
        id=handoff.id,
        conversation_id=handoff.conversation_id,
        created_at=handoff.created_at,
        status=handoff.status,
        reason=handoff.reason,
        summary=handoff.summary,
        latest_intent=handoff.latest_intent,
        transcript=transcript_lines(handoff.transcript),
    )


def transcript_lines(raw: Any) -> list[TranscriptLine]:
    """Keeps the well-formed lines; a row written by an older action may hold junk."""
    if not isinstance(raw, list):
        return []
    lines = []
    for line in raw:
        try:
            lines.append(TranscriptLine.model_validate(line))
        except ValidationError:
            logger.warning("Skipped a malformed handoff transcript line")
    return lines
