"""ShopifyOrderSource over real HTTP, against the fake shop platform.

The platform itself is off this machine; ``tests/fake_shop_platform.py`` serves
its order payloads from memory on a local port. Two tests at the end use
``httpx.MockTransport`` instead, to look at the exact request and at name
matching the fake does not imitate.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fake_shop_platform import FakeShopPlatform, serve

from aisle.order_source import OrderSummary
from aisle.shopify_orders import OrderSourceError, ShopifyOrderSource

TOKEN = "shpat_test_0123456789abcdef"
EMAIL = "ada.lovelace@example.com"


def line(line_id: int, title: str, variant: str | None, price: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": line_id,
        "sku": f"SKU-{line_id}",
        "title": title,
        "variant_title": variant,
        "quantity": extra.pop("quantity", 1),
        "price": price,
        "vendor": "Aisle Outfitters",  # not read: must be ignored
        **extra,
    }


def fulfillment(number: str, shipment_status: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "id": int(number[-4:]),
        "status": "success",
        "tracking_company": "UPS",
        "tracking_number": number,
        "tracking_url": f"https://www.ups.com/track?tracknum={number}",
        "shipment_status": shipment_status,
        "created_at": "2026-11-10T09:00:00-05:00",
        "updated_at": "2026-11-13T16:30:00-05:00",
        "line_items": [],
        **extra,
    }


def order(number: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": 5_000_000 + int(number),
        "name": f"#{number}",
        "email": EMAIL,
        "created_at": "2026-11-08T20:15:00-05:00",
        "cancelled_at": None,
        "financial_status": "paid",
        "fulfillment_status": None,
        "total_price": "147.00",
        "currency": "USD",
        "tags": "",
        "line_items": [
            line(1, "Harbour rain jacket", "Navy / M", "98.00"),
            line(2, "Merino beanie", "Charcoal", "49.00"),
        ],
        "fulfillments": [],
        "refunds": [],
        **extra,
    }


@pytest.fixture(scope="module")
def platform() -> FakeShopPlatform:
    return FakeShopPlatform(access_token=TOKEN)


@pytest.fixture(scope="module")
def platform_url(platform: FakeShopPlatform, free_port: Callable[[], int]) -> Iterator[str]:
    with serve(platform, free_port()) as url:
        yield url


@pytest.fixture
def make_source(
    platform: FakeShopPlatform, platform_url: str
) -> Iterator[Callable[..., ShopifyOrderSource]]:
    """Builds sources on the fake platform with a fast back-off; resets the platform after."""
    sources: list[ShopifyOrderSource] = []

    def make(**options: Any) -> ShopifyOrderSource:
        options.setdefault("backoff_base", 0.01)
        options = {"base_url": platform_url, "access_token": TOKEN, **options}
        sources.append(ShopifyOrderSource(**options))
        return sources[-1]

    yield make
    for source in sources:
        source.close()
    platform.reset()


@pytest.fixture
def source(make_source: Callable[..., ShopifyOrderSource]) -> ShopifyOrderSource:
    return make_source()


def test_owner_with_the_order_email_is_verified(
    platform: FakeShopPlatform, source: ShopifyOrderSource
) -> None:
    platform.add(order("10482"))
    assert source.verify_owner("10482", EMAIL)
    assert source.verify_owner("  #10482 ", f"  {EMAIL.upper()} ")


@pytest.mark.parametrize(
    "number, email",
    [("10482", "someone.else@example.com"), ("99999", EMAIL), ("10482", ""), ("", EMAIL)],
    ids=["wrong email", "unknown order", "empty email", "empty number"],
)
def test_anyone_else_is_refused(
    platform: FakeShopPlatform, source: ShopifyOrderSource, number: str, email: str
) -> None:
    platform.add(order("10482"))
    assert source.verify_owner(number, email) is False


def test_an_order_without_email_verifies_nobody(
    platform: FakeShopPlatform, source: ShopifyOrderSource
) -> None:
    platform.add(order("10482", email=None))
    assert source.verify_owner("10482", "") is False
    assert source.verify_owner("10482", "no-such-order@invalid") is False


def test_unknown_order_is_none(platform: FakeShopPlatform, source: ShopifyOrderSource) -> None:
    assert source.get_order("99999") is None
    [request] = platform.requests
    assert request.query_params["name"] == "#99999"
    assert request.query_params["status"] == "any"


def test_unfulfilled_order_is_processing(
    platform: FakeShopPlatform, source: ShopifyOrderSource
) -> None:
    platform.add(order("10482"))
    view = source.get_order("#10482")
    assert view is not None
    assert (view.number, view.status, view.shipments, view.returns) == (
        "10482",
        "processing",
        (),
        (),
    )
    assert view.placed_at == dt.datetime(2026, 11, 9, 1, 15)  # naive UTC, like the database
    assert view.total == Decimal("147.00") and view.currency == "USD"
    jacket, beanie = view.items
    assert (jacket.id, jacket.sku, jacket.title) == ("1", "SKU-1", "Harbour rain jacket")
    assert (jacket.colour, jacket.size, jacket.unit_price) == ("Navy", "M", Decimal("98.00"))
    assert (beanie.colour, beanie.size) == ("Charcoal", "")
    assert not jacket.final_sale and jacket.returned_quantity == 0


def test_delivered_order_maps_items_shipments_and_refunds(
    platform: FakeShopPlatform, source: ShopifyOrderSource
) -> None:
    final_sale = [{"name": "_final_sale", "value": "true"}]
    platform.add(
        order(
            "10483",
            fulfillment_status="fulfilled",
            line_items=[
                line(11, "Trail shorts", "32 / Olive", "40.00", quantity=2),
                line(12, "Sale tee", "White / L", "15.00", properties=final_sale),
            ],
            fulfillments=[
                fulfillment(
                    "1Z999AA10123456784",
                    "delivered",
                    estimated_delivery_at="2026-11-13T23:00:00-05:00",
                )
            ],
            refunds=[
                {
                    "id": 901,
                    "created_at": "2026-11-20T10:00:00Z",
                    "processed_at": "2026-11-20T10:05:00Z",
                    "transactions": [
                        {"amount": "40.00", "kind": "refund", "status": "success", "gateway": "x"}
                    ],
                    "refund_line_items": [{"line_item_id": 11, "quantity": 1}],
                },
                {
                    "id": 902,
                    "created_at": "2026-11-22T10:00:00Z",
                    "processed_at": None,
                    "transactions": [{"amount": "5.50", "kind": "refund", "status": "pending"}],
                    "refund_line_items": [],
                },
                {  # restock only, no money moved: not a refund to tell the shopper about
                    "id": 903,
                    "created_at": "2026-11-22T11:00:00Z",
                    "transactions": [{"amount": "9.00", "kind": "refund", "status": "failure"}],
                    "refund_line_items": [],
                },
            ],
        )
    )
    view = source.get_order("10483")
    assert view is not None and view.status == "delivered"
    shorts, tee = view.items
    assert (shorts.colour, shorts.size, shorts.quantity, shorts.returned_quantity) == (
        "Olive",
        "32",
        2,
        1,
    )
    assert (tee.colour, tee.size, tee.final_sale) == ("White", "L", True)
    [parcel] = view.shipments
    assert (parcel.carrier, parcel.tracking_number, parcel.status) == (
        "UPS",
        "1Z999AA10123456784",
        "delivered",
    )
    assert parcel.tracking_url.endswith("1Z999AA10123456784")
    assert parcel.shipped_at == dt.datetime(2026, 11, 10, 14, 0)
    assert parcel.delivered_at == dt.datetime(2026, 11, 13, 21, 30)
    assert parcel.estimated_delivery == dt.date(2026, 11, 13)  # the day the platform promised
    assert parcel.last_scan is None
    assert view.delivered_at == parcel.delivered_at
    paid, pending = view.refunds
    assert (paid.amount, paid.method, paid.status, paid.rma_number) == (
        Decimal("40.00"),
        "original_payment",
        "paid",
        None,
    )
    assert paid.paid_at == dt.datetime(2026, 11, 20, 10, 5)
    assert (pending.amount, pending.status, pending.paid_at) == (Decimal("5.50"), "pending", None)


def test_partially_fulfilled_order_is_shipped(
    platform: FakeShopPlatform, source: ShopifyOrderSource
) -> None:
    platform.add(
        order(
            "10484",
            fulfillment_status="partial",
            fulfillments=[
                fulfillment("1Z999AA10000000001", "delivered"),
                fulfillment("1Z999AA10000000002", None, status="cancelled"),
            ],
        )
    )
    view = source.get_order("10484")
    assert view is not None
    assert view.status == "shipped"  # one parcel arrived, the rest has not left
    assert [s.tracking_number for s in view.shipments] == ["1Z999AA10000000001"]
    assert len(view.items) == 2


def test_shipment_statuses_and_embedded_scans(
    platform: FakeShopPlatform, source: ShopifyOrderSource
) -> None:
    scans = [
        {"happened_at": "2026-11-11T08:00:00Z", "status": "in_transit", "city": "Memphis"},
        {
            "happened_at": "2026-11-12T06:00:00Z",
            "status": "out_for_delivery",
            "message": "Out for delivery",
            "city": "Portland",
            "province": "OR",
        },
    ]
    platform.add(
        order(
            "10485",
            fulfillment_status="fulfilled",
            fulfillments=[
                fulfillment("1Z999AA10000000003", "out_for_delivery", events=scans),
                fulfillment("1Z999AA10000000004", "failure"),
                fulfillment("1Z999AA10000000005", "label_printed"),
            ],
        )
    )
    view = source.get_order("10485")
    assert view is not None and view.status == "shipped"
    moving, failed, labelled = view.shipments
    assert (moving.status, failed.status, labelled.status) == (
        "in_transit",
        "delayed",
        "label_created",
    )
    assert moving.last_scan is not None
    assert moving.last_scan.description == "Out for delivery"
    assert moving.last_scan.location == "Portland, OR"
    assert moving.last_scan.occurred_at == dt.datetime(2026, 11, 12, 6, 0)
    assert moving.delivered_at is None


def test_cancelled_order(platform: FakeShopPlatform, source: ShopifyOrderSource) -> None:
    platform.add(order("10486", cancelled_at="2026-11-09T12:00:00+01:00", fulfillment_status=None))
    view = source.get_order("10486")
    assert view is not None
    assert view.status == "cancelled"
    assert view.cancelled_at == dt.datetime(2026, 11, 9, 11, 0)


def test_retries_after_two_unavailable_answers(
    platform: FakeShopPlatform, source: ShopifyOrderSource
) -> None:
    platform.add(order("10482"))
    platform.fail_status, platform.fail_times = 503, 2
    assert source.verify_owner("10482", EMAIL)
    assert len(platform.requests) == 3


def test_retries_after_429_when_retry_after_says(
    platform: FakeShopPlatform, make_source: Callable[..., ShopifyOrderSource]
) -> None:
    platform.add(order("10482"))
    platform.fail_status, platform.fail_times, platform.retry_after = 429, 1, "0"
    assert make_source().get_order("10482") is not None
    assert len(platform.requests) == 2

    platform.requests.clear()
    platform.fail_times, platform.retry_after = 1, "0.3"
    started = time.monotonic()
    assert make_source().get_order("10482") is not None
    assert time.monotonic() - started >= 0.3  # waited as asked, not the 0.01 s back-off


def test_gives_up_after_max_retries(
    platform: FakeShopPlatform, make_source: Callable[..., ShopifyOrderSource]
) -> None:
    platform.add(order("10482"))
    platform.fail_status, platform.fail_times = 503, 100
    with pytest.raises(OrderSourceError, match="HTTP 503 Service Unavailable 3 time"):
        make_source(max_retries=2).verify_owner("10482", EMAIL)
    assert len(platform.requests) == 3


def test_other_client_errors_are_not_retried(
    platform: FakeShopPlatform, source: ShopifyOrderSource
) -> None:
    platform.fail_status, platform.fail_times = 400, 100
    with pytest.raises(OrderSourceError, match="HTTP 400"):
        source.get_order("10482")
    assert len(platform.requests) == 1


def test_wrong_token_names_the_token(
    platform: FakeShopPlatform, make_source: Callable[..., ShopifyOrderSource]
) -> None:
    with pytest.raises(OrderSourceError, match=r"HTTP 401.*check the access token"):
        make_source(access_token="shpat_revoked").verify_owner("10482", EMAIL)
    assert len(platform.requests) == 1


def test_unreachable_platform_is_an_error(free_port: Callable[[], int]) -> None:
    source = ShopifyOrderSource(
        f"http://127.0.0.1:{free_port()}", TOKEN, max_retries=1, backoff_base=0.01
    )
    with pytest.raises(OrderSourceError, match=r"could not reach.*ConnectError.*2 attempt"):
        source.get_order("10482")


def test_slow_platform_times_out(
    platform: FakeShopPlatform, make_source: Callable[..., ShopifyOrderSource]
) -> None:
    platform.add(order("10482"))
    platform.delay_seconds = 0.5
    with pytest.raises(OrderSourceError, match="ReadTimeout"):
        make_source(timeout=0.1, max_retries=0).get_order("10482")


@pytest.mark.parametrize(
    "body, problem",
    [
        (b'{"orders": [{"id": 1, "name": "#10482"', "Invalid JSON"),
        (b'{"order": []}', "orders: Field required"),
        (json.dumps({"orders": [{**order("10482"), "total_price": "lots"}]}).encode(), "total"),
    ],
    ids=["truncated", "wrong shape", "bad decimal"],
)
def test_malformed_payload_is_a_clear_error(
    platform: FakeShopPlatform, source: ShopifyOrderSource, body: bytes, problem: str
) -> None:
    platform.raw_body = body
    with pytest.raises(OrderSourceError, match="cannot read") as raised:
        source.get_order("10482")
    assert problem in str(raised.value)
    assert EMAIL not in str(raised.value) and raised.value.__cause__ is None


def test_token_is_never_logged(
    platform: FakeShopPlatform,
    make_source: Callable[..., ShopifyOrderSource],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    platform.add(order("10482"))
    platform.fail_status, platform.fail_times, platform.retry_after = 429, 1, "0"
    source = make_source()
    assert source.verify_owner("10482", EMAIL)
    platform.fail_status, platform.fail_times = 503, 100
    with pytest.raises(OrderSourceError) as gave_up:
        make_source(max_retries=1).get_order("10482")
    assert any("retrying" in record.getMessage() for record in caplog.records)
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
    assert TOKEN not in caplog.text
    assert TOKEN not in str(gave_up.value) and TOKEN not in repr(source)


# Listing a verified shopper's orders


def shoppers_orders(platform: FakeShopPlatform) -> None:
    """Four orders of EMAIL placed on different days (not in date order), one of someone else."""
    platform.add(
        order(
            "10490",
            created_at="2026-11-01T10:00:00Z",
            fulfillment_status="fulfilled",
            fulfillments=[fulfillment("1Z999AA10000000010", "delivered")],
        )
    )
    platform.add(order("10493", created_at="2026-11-20T08:30:00-05:00"))
    platform.add(
        order("10491", created_at="2026-11-05T10:00:00Z", cancelled_at="2026-11-05T12:00:00Z")
    )
    platform.add(
        order(
            "10492",
            created_at="2026-11-12T10:00:00Z",
            fulfillment_status="partial",
            fulfillments=[fulfillment("1Z999AA10000000011", "in_transit")],
            line_items=[line(7, "Trail shorts", "32 / Olive", "40.00", quantity=3)],
            total_price="120.00",
        )
    )
    platform.add(
        order("10494", email="someone.else@example.com", created_at="2026-11-21T10:00:00Z")
    )


def test_orders_of_lists_the_shoppers_orders_newest_first(
    platform: FakeShopPlatform, source: ShopifyOrderSource
) -> None:
    shoppers_orders(platform)
    summaries = source.orders_of(f"  {EMAIL.upper()} ")
    assert [(s.number, s.status) for s in summaries] == [
        ("10493", "processing"),
        ("10492", "shipped"),
        ("10491", "cancelled"),
        ("10490", "delivered"),
    ]
    newest, shorts = summaries[0], summaries[1]
    assert newest == OrderSummary(
        number="10493",
        status="processing",
        placed_at=dt.datetime(2026, 11, 20, 13, 30),  # naive UTC, like the database
        total=Decimal("147.00"),
        currency="USD",
        item_count=2,
        first_item_title="Harbour rain jacket",
    )
    assert (shorts.item_count, shorts.first_item_title, shorts.total) == (
        3,
        "Trail shorts",
        Decimal("120.00"),
    )
    [request] = platform.requests
    assert dict(request.query_params) == {"email": EMAIL, "status": "any", "limit": "10"}


def test_orders_of_keeps_to_the_limit(
    platform: FakeShopPlatform, source: ShopifyOrderSource
) -> None:
    shoppers_orders(platform)
    assert [s.number for s in source.orders_of(EMAIL, limit=2)] == ["10493", "10492"]
    assert platform.requests[-1].query_params["limit"] == "2"
    with pytest.raises(ValueError, match="limit"):
        source.orders_of(EMAIL, limit=0)
    source.orders_of(EMAIL, limit=1000)
    assert platform.requests[-1].query_params["limit"] == "250"  # the platform's largest page


@pytest.mark.parametrize("email", ["nobody@example.com", "ada.lovelace@example.co"])
def test_orders_of_an_unknown_email_is_empty(
    platform: FakeShopPlatform, source: ShopifyOrderSource, email: str
) -> None:
    shoppers_orders(platform)
    assert source.orders_of(email) == []


def test_orders_of_an_empty_email_asks_nothing(
    platform: FakeShopPlatform, source: ShopifyOrderSource
) -> None:
    shoppers_orders(platform)
    assert source.orders_of("") == [] and source.orders_of("   ") == []
    assert platform.requests == []


def test_orders_of_retries_and_then_gives_up(
    platform: FakeShopPlatform, make_source: Callable[..., ShopifyOrderSource]
) -> None:
    shoppers_orders(platform)
    platform.fail_status, platform.fail_times = 503, 1
    assert len(make_source().orders_of(EMAIL)) == 4
    assert len(platform.requests) == 2
    platform.fail_status, platform.fail_times = 503, 100
    with pytest.raises(OrderSourceError, match="HTTP 503"):
        make_source(max_retries=1).orders_of(EMAIL)


def test_orders_of_with_a_malformed_payload_is_a_clear_error(
    platform: FakeShopPlatform, source: ShopifyOrderSource
) -> None:
    platform.raw_body = json.dumps({"orders": [{**order("10482"), "created_at": None}]}).encode()
    with pytest.raises(OrderSourceError, match="cannot read") as raised:
        source.orders_of(EMAIL)
    assert "created_at" in str(raised.value) and EMAIL not in str(raised.value)


def _mock_source(answer: dict[str, Any], seen: list[httpx.Request]) -> ShopifyOrderSource:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=answer)

    return ShopifyOrderSource(
        "https://shop.example/", TOKEN, api_version="2025-01", transport=httpx.MockTransport(handle)
    )


def test_request_names_the_order_with_the_token_header() -> None:
    seen: list[httpx.Request] = []
    _mock_source({"orders": []}, seen).get_order(" #10482")
    [request] = seen
    assert request.method == "GET"
    assert str(request.url) == (
        "https://shop.example/admin/api/2025-01/orders.json?name=%2310482&status=any"
    )
    assert request.headers["X-Shopify-Access-Token"] == TOKEN


def test_only_the_exact_name_is_the_order() -> None:
    """Whatever the platform's name filter matches, a longer number is another shopper's."""
    other = order("104821", email="someone.else@example.com")
    source = _mock_source({"orders": [other]}, [])
    assert source.get_order("10482") is None
    assert source.verify_owner("10482", "someone.else@example.com") is False


def test_orders_of_asks_by_email_with_any_status() -> None:
    seen: list[httpx.Request] = []
    _mock_source({"orders": []}, seen).orders_of(" Ada.Lovelace@Example.com", limit=5)
    [request] = seen
    assert str(request.url) == (
        "https://shop.example/admin/api/2025-01/orders.json"
        "?email=ada.lovelace%40example.com&status=any&limit=5"
    )
    assert request.headers["X-Shopify-Access-Token"] == TOKEN


def test_orders_of_keeps_only_the_exact_email() -> None:
    """Whatever the platform's email filter matches, another email is another shopper's."""
    answer = {
        "orders": [
            order("10482", email="ada.lovelace@example.com.evil"),
            order("10483", email="ADA.LOVELACE@EXAMPLE.COM"),
            order("10484", email=None),
            order("10485", email="lovelace@example.com"),
        ]
    }
    summaries = _mock_source(answer, []).orders_of(EMAIL)
    assert [summary.number for summary in summaries] == ["10483"]


@pytest.mark.parametrize(
    "variant, colour, size",
    [
        ("Navy / M", "Navy", "M"),
        ("XL / Forest green", "Forest green", "XL"),
        ("Black/White / 10.5", "Black/White", "10.5"),
        ("Navy / M / Tall", "Navy", "M / Tall"),
        ("S", "", "S"),
        ("Default Title", "", ""),
        (None, "", ""),
        (" Red /  ", "Red", ""),
    ],
)
def test_variant_titles_are_read_leniently(variant: str | None, colour: str, size: str) -> None:
    payload = order("10482", line_items=[line(1, "Anything", variant, "1.00")])
    view = _mock_source({"orders": [payload]}, []).get_order("10482")
    assert view is not None
    assert (view.items[0].colour, view.items[0].size) == (colour, size)
