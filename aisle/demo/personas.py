"""Well-known records of the demo shop that tests and demo scripts rely on.

The generator places these first, whatever the seed, so a demo conversation can
say "I'm alex.rivera@example.com, where is order 10003?" and always meet a
delayed parcel. Only the facts named here are fixed; the items, carriers'
tracking numbers and exact times still come from the seed (same seed and same
``today``: same values).

Alex Rivera (``DEMO_CUSTOMER_EMAIL``, postcode ``94110``), customer id 1:

========  ==================  ==============================================
order     status              story
========  ==================  ==============================================
10001     delivered           rain jacket + socks (final sale), delivered about
                              a week ago: inside the 30-day return window
10002     shipped             hiking boots, one shipment in transit, due in 2 days
10003     shipped             tent, shipment delayed: estimated delivery 3 days
                              ago, last scan 5 days ago
10004     processing          skillet + throw, placed yesterday, not shipped
10005     cancelled           fleece, cancelled within hours, refund paid
10006     delivered           trail running shoes returned as "Too small":
                              ``RMA-000001`` refunded, refund paid
10007     shipped             sleeping bag + daypack in two shipments: one
                              delivered, one in transit
========  ==================  ==============================================

Sam Chen (``OTHER_CUSTOMER_EMAIL``, postcode ``10027``), customer id 2, has
order 10008 (delivered, return ``RMA-000002`` requested): use it to check that
one shopper cannot see another's order; and order 10009, delivered about two
months ago, outside the return window.

Generated orders are numbered from ``FIRST_GENERATED_ORDER_NUMBER`` on, in the
order they were placed; persona orders keep their fixed numbers although they
were placed later.
"""

from __future__ import annotations

from dataclasses import dataclass

DEMO_CUSTOMER_NAME = "Alex Rivera"
DEMO_CUSTOMER_EMAIL = "alex.rivera@example.com"
DEMO_CUSTOMER_POSTCODE = "94110"
DEMO_CUSTOMER_ADDRESS = "1458 Valencia Street, Apt 3, San Francisco, CA"

DEMO_ORDERS: dict[str, str] = {
    "delivered": "10001",
    "in_transit": "10002",
    "delayed": "10003",
    "processing": "10004",
    "cancelled": "10005",
    "returned": "10006",
    "partially_shipped": "10007",
}
"""Alex's orders by the situation each one demonstrates."""

DEMO_RETURN_RMA = "RMA-000001"
"""Alex's return on order 10006: status ``refunded``, its refund ``paid``."""

OTHER_CUSTOMER_NAME = "Sam Chen"
OTHER_CUSTOMER_EMAIL = "sam.chen@example.net"
OTHER_CUSTOMER_POSTCODE = "10027"
OTHER_CUSTOMER_ORDER = "10008"
OTHER_CUSTOMER_OLD_ORDER = "10009"
"""Sam's order delivered about two months ago: its return window has closed."""
OTHER_CUSTOMER_RMA = "RMA-000002"
"""Sam's return on order 10008: status ``requested``, no refund yet."""

FIRST_GENERATED_ORDER_NUMBER = 10010
RETURN_WINDOW_DAYS = 30
"""The demo shop's return policy, which the persona stories are built around."""


@dataclass(frozen=True)
class PersonaCustomer:
    """A fixed customer, with the address their orders ship to."""

    name: str
    email: str
    street: str
    city: str
    state: str
    postcode: str


@dataclass(frozen=True)
class PersonaOrder:
    """A fixed order: number, whose, what happened, what is in it.

    ``story`` is one of ``delivered``, ``in_transit``, ``delayed``,
    ``processing``, ``cancelled``, ``partially_shipped``. One item is bought
    from each of ``categories``; ``final_sale`` marks items by position.
    """

    number: str
    email: str
    story: str
    placed_days_ago: float
    categories: tuple[str, ...]
    carriers: tuple[str, ...] = ("UPS",)
    final_sale: tuple[bool, ...] = ()


@dataclass(frozen=True)
class PersonaReturn:
    """A fixed return of every item of a persona order."""

    rma_number: str
    order_number: str
    status: str
    reason: str
    resolution: str
    created_days_ago: float


PERSONA_CUSTOMERS = (
    PersonaCustomer(
        DEMO_CUSTOMER_NAME,
        DEMO_CUSTOMER_EMAIL,
        "1458 Valencia Street, Apt 3",
        "San Francisco",
        "CA",
        DEMO_CUSTOMER_POSTCODE,
    ),
    PersonaCustomer(
        OTHER_CUSTOMER_NAME,
        OTHER_CUSTOMER_EMAIL,
        "512 West 122nd Street, Apt 4B",
        "New York",
        "NY",
        OTHER_CUSTOMER_POSTCODE,
    ),
)

PERSONA_ORDERS = (
    PersonaOrder(
        DEMO_ORDERS["delivered"],
        DEMO_CUSTOMER_EMAIL,
        "delivered",
        placed_days_ago=12.35,
        categories=("Apparel > Jackets > Rain jackets", "Apparel > Accessories > Socks"),
        final_sale=(False, True),
    ),
    PersonaOrder(
        DEMO_ORDERS["in_transit"],
        DEMO_CUSTOMER_EMAIL,
        "in_transit",
        placed_days_ago=4.6,
        categories=("Footwear > Boots > Hiking boots",),
        carriers=("FedEx",),
    ),
    PersonaOrder(
        DEMO_ORDERS["delayed"],
        DEMO_CUSTOMER_EMAIL,
        "delayed",
        placed_days_ago=11.3,
        categories=("Outdoor > Tents",),
        carriers=("USPS",),
    ),
    PersonaOrder(
        DEMO_ORDERS["processing"],
        DEMO_CUSTOMER_EMAIL,
        "processing",
        placed_days_ago=0.8,
        categories=("Home > Kitchen > Cookware", "Home > Bedding > Blankets & throws"),
    ),
    PersonaOrder(
        DEMO_ORDERS["cancelled"],
        DEMO_CUSTOMER_EMAIL,
        "cancelled",
        placed_days_ago=25.55,
        categories=("Apparel > Jackets > Fleece jackets",),
    ),
    PersonaOrder(
        DEMO_ORDERS["returned"],
        DEMO_CUSTOMER_EMAIL,
        "delivered",
        placed_days_ago=45.3,
        categories=("Footwear > Shoes > Trail running shoes",),
    ),
    PersonaOrder(
        DEMO_ORDERS["partially_shipped"],
        DEMO_CUSTOMER_EMAIL,
        "partially_shipped",
        placed_days_ago=6.4,
        categories=("Outdoor > Sleeping bags", "Outdoor > Backpacks > Daypacks"),
        carriers=("UPS", "DHL"),
    ),
    PersonaOrder(
        OTHER_CUSTOMER_ORDER,
        OTHER_CUSTOMER_EMAIL,
        "delivered",
        placed_days_ago=20.45,
        categories=("Home > Kitchen > Coffee & tea",),
    ),
    PersonaOrder(
        OTHER_CUSTOMER_OLD_ORDER,
        OTHER_CUSTOMER_EMAIL,
        "delivered",
        placed_days_ago=70.2,
        categories=("Apparel > Jackets > Fleece jackets",),
    ),
)

PERSONA_RETURNS = (
    PersonaReturn(
        DEMO_RETURN_RMA,
        DEMO_ORDERS["returned"],
        status="refunded",
        reason="Too small",
        resolution="refund",
        created_days_ago=29.6,
    ),
    PersonaReturn(
        OTHER_CUSTOMER_RMA,
        OTHER_CUSTOMER_ORDER,
        status="requested",
        reason="Changed my mind",
        resolution="store_credit",
        created_days_ago=1.7,
    ),
)
