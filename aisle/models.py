"""The shop's data model: catalog, customers, orders, fulfilment, returns, handoffs.

Typed SQLAlchemy 2 models shared by the actions (which answer shoppers from
them), the gateway (which lists handoffs) and the demo shop generator. The
schema itself is owned by the Alembic migrations in ``aisle/migrations``; keep
the two in step (``make migration`` autogenerates a revision from this file).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, MetaData, Numeric, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(10, 2)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Product(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    brand: Mapped[str] = mapped_column(String(80), index=True)
    category: Mapped[str] = mapped_column(String(200), index=True)
    """Category path, most general first: ``"Outdoor > Jackets > Rain jackets"``."""
    price: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    rating: Mapped[float]
    rating_count: Mapped[int]
    image_url: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime]

    variants: Mapped[list[ProductVariant]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductVariant.sku"
    )

    @property
    def colours(self) -> list[str]:
        return sorted({variant.colour for variant in self.variants})

    @property
    def stock(self) -> int:
        return sum(variant.stock for variant in self.variants)


class ProductVariant(Base):
    __tablename__ = "product_variants"

    sku: Mapped[str] = mapped_column(String(48), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    colour: Mapped[str] = mapped_column(String(40))
    size: Mapped[str] = mapped_column(String(20))
    stock: Mapped[int]

    product: Mapped[Product] = relationship(back_populates="variants")


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    """Stored lower-cased; compare against lower-cased input."""
    name: Mapped[str] = mapped_column(String(120))
    postcode: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime]

    orders: Mapped[list[Order]] = relationship(back_populates="customer")


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    """What the shopper sees and types, e.g. ``"10482"``."""
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    """One of ``processing``, ``shipped``, ``delivered``, ``cancelled``."""
    placed_at: Mapped[dt.datetime]
    shipping_name: Mapped[str] = mapped_column(String(120))
    shipping_address: Mapped[str] = mapped_column(String(300))
    shipping_postcode: Mapped[str] = mapped_column(String(16))
    total: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    cancelled_at: Mapped[dt.datetime | None]

    customer: Mapped[Customer] = relationship(back_populates="orders")
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )
    shipments: Mapped[list[Shipment]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Shipment.id"
    )
    returns: Mapped[list[ReturnRequest]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="ReturnRequest.id"
    )
    refunds: Mapped[list[Refund]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Refund.id"
    )


class OrderItem(Base):
    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    sku: Mapped[str] = mapped_column(ForeignKey("product_variants.sku"))
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    colour: Mapped[str] = mapped_column(String(40))
    size: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int]
    unit_price: Mapped[Decimal] = mapped_column(Money)
    final_sale: Mapped[bool] = mapped_column(default=False)

    order: Mapped[Order] = relationship(back_populates="items")


class Shipment(Base):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(40))
    tracking_number: Mapped[str] = mapped_column(String(40), unique=True)
    tracking_url: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20))
    """One of ``label_created``, ``in_transit``, ``delayed``, ``delivered``."""
    shipped_at: Mapped[dt.datetime | None]
    estimated_delivery: Mapped[dt.date | None]
    delivered_at: Mapped[dt.datetime | None]

    order: Mapped[Order] = relationship(back_populates="shipments")
    events: Mapped[list[ShipmentEvent]] = relationship(
        back_populates="shipment",
        cascade="all, delete-orphan",
        order_by="ShipmentEvent.occurred_at",
    )


class ShipmentEvent(Base):
    """One carrier scan, newest last."""

    __tablename__ = "shipment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    occurred_at: Mapped[dt.datetime]
    location: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(200))

    shipment: Mapped[Shipment] = relationship(back_populates="events")


class ReturnRequest(Base):
    """A return merchandise authorisation (RMA) for items of one order."""

    __tablename__ = "returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    rma_number: Mapped[str] = mapped_column(String(20), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    """One of ``requested``, ``received``, ``refunded``, ``rejected``."""
    reason: Mapped[str] = mapped_column(String(200))
    resolution: Mapped[str] = mapped_column(String(20))
    """One of ``refund``, ``exchange``, ``store_credit``."""
    created_at: Mapped[dt.datetime]

    order: Mapped[Order] = relationship(back_populates="returns")
    items: Mapped[list[ReturnItem]] = relationship(
        back_populates="return_request", cascade="all, delete-orphan"
    )


class ReturnItem(Base):
    __tablename__ = "return_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id"), index=True)
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_items.id"))
    quantity: Mapped[int]

    return_request: Mapped[ReturnRequest] = relationship(back_populates="items")


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    return_id: Mapped[int | None] = mapped_column(ForeignKey("returns.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(20))
    """One of ``original_payment``, ``store_credit``."""
    status: Mapped[str] = mapped_column(String(20))
    """One of ``pending``, ``approved``, ``paid``."""
    created_at: Mapped[dt.datetime]
    paid_at: Mapped[dt.datetime | None]

    order: Mapped[Order] = relationship(back_populates="refunds")


HANDOFF_STATUSES = ("waiting", "claimed", "returned_to_bot", "closed")
"""A handoff's lifecycle: ``waiting`` -> ``claimed`` -> ``returned_to_bot`` or ``closed``.

A waiting handoff may also be closed directly (e.g. the shopper left)."""

OPEN_HANDOFF_STATUSES = ("waiting", "claimed")
"""While a handoff is in one of these, a person owns the conversation and the bot is silent."""


class Agent(Base):
    """A person who answers handed-off conversations in the agent console."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    """Stored lower-cased; it is the login name."""
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    """An argon2id hash (``aisle.agents``); the password itself is never stored."""
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime]


class AgentSession(Base):
    """A server-side login session; the browser holds only the random token."""

    __tablename__ = "agent_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the cookie's token, so a leaked table cannot be replayed as cookies."""
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]

    agent: Mapped[Agent] = relationship()


class Handoff(Base):
    """A conversation handed to a human, with what the bot knew at that moment."""

    __tablename__ = "handoffs"
    __table_args__ = (Index("ix_handoffs_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    """One of ``HANDOFF_STATUSES``."""
    reason: Mapped[str] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(Text)
    latest_intent: Mapped[str | None] = mapped_column(String(80))
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    """``[{"sender": "shopper"|"bot", "text": ..., "timestamp": ...}]``, oldest first."""
    slots: Mapped[dict[str, Any]] = mapped_column(JSON)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """What else the bot knew: ``intents`` (name, confidence), ``actions`` tried, ``page``."""
    created_at: Mapped[dt.datetime]
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    """The agent who claimed it."""
    claimed_at: Mapped[dt.datetime | None]
    ended_at: Mapped[dt.datetime | None]
    """When it was returned to the bot or closed."""
    resolution: Mapped[str | None] = mapped_column(String(40))
    """The closing agent's tag, one of ``aisle.handoffs.RESOLUTIONS``."""

    agent: Mapped[Agent | None] = relationship()
    messages: Mapped[list[HandoffMessage]] = relationship(
        back_populates="handoff", cascade="all, delete-orphan", order_by="HandoffMessage.id"
    )


class HandoffMessage(Base):
    """One message of the live part of a handoff (shopper or agent), in order."""

    __tablename__ = "handoff_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    sender: Mapped[str] = mapped_column(String(20))
    """One of ``shopper``, ``agent``, ``system``."""
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]

    handoff: Mapped[Handoff] = relationship(back_populates="messages")


class SupportTicket(Base):
    """A shopper's email and message, left when nobody could answer live.

    Offered after hours and when no agent is online, instead of a dead wait.
    """

    __tablename__ = "support_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id"), index=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    email: Mapped[str] = mapped_column(String(254))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")
    """``open`` until the team answers by email, then ``answered``."""
    created_at: Mapped[dt.datetime]


class CsatRating(Base):
    """How satisfied a shopper was, asked when a conversation ends (goodbye or handoff closed).

    Kept for analytics, so the comment is stored redacted (``aisle.pii``) and
    the conversation id is the only link back to the shopper.
    """

    __tablename__ = "csat_ratings"
    __table_args__ = (
        Index("uq_csat_ratings_conversation_trigger", "conversation_id", "trigger", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    rating: Mapped[int]
    """1 (very unhappy) to 5 (very happy)."""
    comment: Mapped[str | None] = mapped_column(Text)
    trigger: Mapped[str] = mapped_column(String(20))
    """What ended the conversation: ``goodbye`` or ``handoff_closed``."""
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
