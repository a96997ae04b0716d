"""The demo shop in memory, before it is written: one plain record per row.

The generators build these instead of ORM instances because a shop is ~50,000
rows and the ORM's per-object bookkeeping would cost seconds; ``writer`` then
inserts them in bulk. Field names equal the column names of ``aisle.models``
(the writer copies fields by name), and parents hold their children, so no
draft needs a database id until the writer assigns one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(slots=True)
class VariantDraft:
    sku: str
    product_id: str
    colour: str
    size: str
    stock: int


@dataclass(slots=True)
class ProductDraft:
    id: str
    title: str
    description: str
    brand: str
    category: str
    price: Decimal
    currency: str
    rating: float
    rating_count: int
    image_url: str
    created_at: dt.datetime
    variants: list[VariantDraft] = field(default_factory=list)

    @property
    def department(self) -> str:
        return self.category.split(" > ")[0]


@dataclass(frozen=True, slots=True)
class Address:
    """A US street address; ``label`` is what goes on an order."""

    street: str
    city: str
    state: str
    postcode: str

    @property
    def label(self) -> str:
        return f"{self.street}, {self.city}, {self.state}"

    @property
    def place(self) -> str:
        """Where the address is, as carriers print scan locations: "City, ST"."""
        return f"{self.city}, {self.state}"


@dataclass(slots=True)
class CustomerDraft:
    """A customer; ``address`` is kept only in memory (the table stores the postcode)."""

    email: str
    name: str
    postcode: str
    created_at: dt.datetime
    address: Address
    id: int | None = None


@dataclass(slots=True)
class ItemDraft:
    sku: str
    product_id: str
    title: str
    colour: str
    size: str
    quantity: int
    unit_price: Decimal
    final_sale: bool
    id: int | None = None


@dataclass(slots=True)
class EventDraft:
    occurred_at: dt.datetime
    location: str
    description: str


@dataclass(slots=True)
class ShipmentDraft:
    carrier: str
    tracking_number: str
    tracking_url: str
    status: str
    shipped_at: dt.datetime | None
    estimated_delivery: dt.date | None
    delivered_at: dt.datetime | None
    events: list[EventDraft] = field(default_factory=list)


@dataclass(slots=True)
class RefundDraft:
    amount: Decimal
    method: str
    status: str
    created_at: dt.datetime
    paid_at: dt.datetime | None


@dataclass(slots=True)
class OrderDraft:
    """An order with its items, shipments and (for a cancellation) refunds."""

    number: str
    customer: CustomerDraft
    status: str
    placed_at: dt.datetime
    shipping_name: str
    shipping_address: str
    shipping_postcode: str
    total: Decimal
    currency: str
    cancelled_at: dt.datetime | None
    items: list[ItemDraft] = field(default_factory=list)
    shipments: list[ShipmentDraft] = field(default_factory=list)
    refunds: list[RefundDraft] = field(default_factory=list)
    id: int | None = None

    @property
    def delivered_at(self) -> dt.datetime | None:
        """When the last parcel arrived, if every parcel has."""
        times = [s.delivered_at for s in self.shipments]
        if not times or None in times:
            return None
        return max(t for t in times if t is not None)


@dataclass(slots=True)
class ReturnItemDraft:
    item: ItemDraft
    quantity: int


@dataclass(slots=True)
class ReturnDraft:
    """A return request and the refund it has led to so far, if any."""

    rma_number: str
    order: OrderDraft
    status: str
    reason: str
    resolution: str
    created_at: dt.datetime
    items: list[ReturnItemDraft] = field(default_factory=list)
    refund: RefundDraft | None = None
    id: int | None = None


@dataclass(slots=True)
class ShopDraft:
    """Everything the generator made, in the order it is written."""

    products: list[ProductDraft]
    customers: list[CustomerDraft]
    orders: list[OrderDraft]
    returns: list[ReturnDraft]
