"""The parts of the shop platform's order payload that Aisle reads.

The platform's Admin REST API (shaped like Shopify's) sends far more than an
order conversation needs: addresses, tax lines, discount codes, client
details. These models name only the fields ``ShopifyOrderSource`` maps and
ignore the rest, so a new field on the platform never breaks Aisle while a
missing or mistyped field it relies on is caught at the boundary, not deep in
an action.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class _Payload(BaseModel):
    """Base of every payload model: unknown fields are ignored, known ones validated."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class LineItemProperty(_Payload):
    """A custom name/value pair on an order line (``properties`` in the payload)."""

    name: str
    value: str | int | float | bool | None = None


class LineItem(_Payload):
    id: int | str
    sku: str | None = None
    title: str
    variant_title: str | None = None
    """Option values joined by " / ", e.g. ``"Navy / M"``; None for single-variant products."""
    quantity: int
    price: Decimal
    """Unit price in the shop's currency, sent as a string (``"49.00"``)."""
    properties: list[LineItemProperty] = Field(default_factory=list)


class FulfillmentEvent(_Payload):
    """A carrier scan; only present when an integration embeds ``events`` in a fulfillment."""

    happened_at: dt.datetime
    status: str | None = None
    message: str | None = None
    city: str | None = None
    province: str | None = None
    country: str | None = None


class Fulfillment(_Payload):
    """One parcel: the platform's record of items handed to a carrier."""

    id: int | str
    status: str | None = None
    """``pending``, ``open``, ``success``, ``cancelled``, ``error`` or ``failure``."""
    tracking_company: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None
    shipment_status: str | None = None
    """The carrier's latest word (``in_transit``, ``delivered``, ``failure``...) or None."""
    created_at: dt.datetime
    updated_at: dt.datetime | None = None
    estimated_delivery_at: dt.datetime | None = None
    events: list[FulfillmentEvent] = Field(default_factory=list)


class RefundTransaction(_Payload):
    amount: Decimal
    kind: str | None = None
    status: str | None = None
    gateway: str | None = None


class RefundLineItem(_Payload):
    line_item_id: int | str
    quantity: int


class Refund(_Payload):
    id: int | str
    created_at: dt.datetime
    processed_at: dt.datetime | None = None
    transactions: list[RefundTransaction] = Field(default_factory=list)
    refund_line_items: list[RefundLineItem] = Field(default_factory=list)


class ShopOrder(_Payload):
    id: int | str
    name: str
    """What the shopper sees, e.g. ``"#10482"``."""
    email: str | None = None
    created_at: dt.datetime
    cancelled_at: dt.datetime | None = None
    fulfillment_status: str | None = None
    """None (unfulfilled), ``partial``, ``fulfilled`` or ``restocked``."""
    total_price: Decimal
    currency: str
    line_items: list[LineItem]
    fulfillments: list[Fulfillment] = Field(default_factory=list)
    refunds: list[Refund] = Field(default_factory=list)


class OrdersPage(_Payload):
    """The body of ``GET /admin/api/{version}/orders.json``."""

    orders: list[ShopOrder]
