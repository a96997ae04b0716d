"""Orders from a shop platform's Admin REST API, shaped like Shopify's.

For shops whose orders live on the platform rather than in Aisle's database,
``ShopifyOrderSource`` answers the same ``OrderSource`` questions over HTTP, so
the conversations do not change. It looks an order up by its name
(``GET /admin/api/{version}/orders.json?name=%2310482&status=any``) and maps
the payload onto ``OrderView``; it lists a verified shopper's orders by their
email (``?email=...&status=any&limit=10``) as ``OrderSummary`` lines. Neither
filter is trusted: only the exact name, or the exact email, is kept.

- Order status: ``cancelled`` when ``cancelled_at`` is set; ``delivered`` when
  the order is ``fulfilled`` and every parcel's ``shipment_status`` is
  ``delivered``; ``shipped`` when anything has shipped (also a ``partial``
  order whose shipped parcels have all arrived); otherwise ``processing``.
- Colour and size come from ``variant_title`` ("Navy / M"): the first option is
  the colour and the second the size, unless only the first looks like a size;
  a single option goes wherever it looks like it belongs; further options are
  kept on the size ("M / Tall").
- Final sale: a line property named ``final_sale`` (or ``_final_sale``, which
  the storefront hides) with a value of true/yes/1. The payload carries no
  product tags, so the shop's checkout must set the property; default False.
- Returned quantity: the units on the order's refunds (``refund_line_items``),
  whatever their restock type, since a refunded unit cannot be returned again.
- Refunds: money sent back (refund transactions that did not fail), method
  ``original_payment``; ``paid`` once every transaction succeeded and the refund
  was processed, else ``pending``.
- Returns: the REST API has no return (RMA) object, so ``returns`` is empty.
- Shipments: one per fulfillment that was not cancelled or failed. The
  estimated delivery is ``estimated_delivery_at`` when present; the delivery
  moment is the fulfillment's ``updated_at`` once delivered (the payload has no
  better one); the last scan is None unless an integration embeds ``events``
  (the platform serves scans from a separate endpoint per fulfillment).
- Times are turned into naive UTC like the rest of Aisle; a promised delivery
  date keeps the day in the platform's own offset.

The access token goes in a header on every request and is never logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Iterable
from decimal import Decimal
from types import TracebackType

import httpx
from pydantic import ValidationError
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from aisle.order_source import (
    ItemView,
    OrderSourceError,
    OrderSummary,
    OrderView,
    RefundView,
    ScanEvent,
    ShipmentView,
    emails_match,
    normalise_email,
    normalise_order_number,
)
from aisle.shopify_models import (
    Fulfillment,
    FulfillmentEvent,
    LineItem,
    LineItemProperty,
    OrdersPage,
    Refund,
    ShopOrder,
)

__all__ = ["TOKEN_HEADER", "OrderSourceError", "ShopifyOrderSource"]

logger = logging.getLogger(__name__)

TOKEN_HEADER = "X-Shopify-Access-Token"
MAX_PAGE_SIZE = 250
"""The most orders the platform sends in one page; ``orders_of`` asks for no more."""

# Compared against when the order does not exist or has no email, so that "no
# such order" and "wrong email" go through the same comparison.
_NO_SUCH_OWNER = "no-such-order@invalid"

_SKIPPED_FULFILMENTS = {"cancelled", "error", "failure"}
_SHIPMENT_STATUSES = {
    "label_printed": "label_created",
    "label_purchased": "label_created",
    "confirmed": "label_created",
    "carrier_picked_up": "in_transit",
    "in_transit": "in_transit",
    "out_for_delivery": "in_transit",
    "attempted_delivery": "in_transit",
    "ready_for_pickup": "in_transit",
    "delivered": "delivered",
    "picked_up": "delivered",
    "delayed": "delayed",
    "failure": "delayed",
}
_TRUE_VALUES = {"true", "yes", "y", "1"}
_SIZE_PATTERN = re.compile(
    r"(\d?X{0,4}[SML]|\d+(\.\d+)?|\d+\s*x\s*\d+|one size|os|petite|tall)", re.IGNORECASE
)


class _RetryableAnswer(Exception):
    """A 429 or 5xx answer, raised inside the retry loop so tenacity retries it."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.status_code = response.status_code
        self.retry_after = _retry_after_seconds(response)


class ShopifyOrderSource:
    """Orders from a shop platform's Admin REST API (Shopify-shaped).

    Example:
        >>> source = ShopifyOrderSource("https://shop.example", "token")  # doctest: +SKIP
        >>> source.verify_owner("#10482", "ada@example.com")  # doctest: +SKIP
        True

    Args:
        base_url: The shop's address, e.g. ``https://my-shop.myshopify.com``.
        access_token: Admin API access token, sent as ``X-Shopify-Access-Token``.
        api_version: The platform's dated API version.
        timeout: Seconds allowed for connecting, and for each read or write.
        transport: An httpx transport to use instead of the network (tests).
        max_retries: Retries after the first attempt, on connection errors,
            timeouts, 429 and 5xx answers.
        backoff_base: Seconds before the first retry; doubled on each next one.
        max_backoff: Longest wait between two attempts, Retry-After included.
    """

    def __init__(
        self,
        base_url: str,
        access_token: str,
        *,
        api_version: str = "2024-10",
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        max_backoff: float = 8.0,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self._base_url = base_url.rstrip("/")
        self._orders_path = f"/admin/api/{api_version}/orders.json"
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._max_backoff = max_backoff
        self._client = httpx.Client(
            base_url=self._base_url,
            headers={TOKEN_HEADER: access_token, "Accept": "application/json"},
            timeout=httpx.Timeout(timeout),
            transport=transport,
        )
        _warn_if_plain_http(self._client.base_url)

    def __repr__(self) -> str:
        return f"ShopifyOrderSource({self._base_url!r})"

    def __enter__(self) -> ShopifyOrderSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Closes the pooled connections to the platform."""
        self._client.close()

    def verify_owner(self, order_number: str, email: str) -> bool:
        """Tells whether ``email`` is the email on the order; tells nothing else.

        Raises:
            OrderSourceError: The platform could not be asked or answered nonsense.
        """
        order = self._find_order(order_number)
        owner = order.email if order is not None else None
        return emails_match(owner or _NO_SUCH_OWNER, email) and bool(owner)

    def get_order(self, order_number: str) -> OrderView | None:
        """Returns the order, or None when the platform has no order of that name.

        Raises:
            OrderSourceError: The platform could not be asked or answered nonsense.
        """
        order = self._find_order(order_number)
        return _order_view(order) if order is not None else None

    def orders_of(self, email: str, limit: int = 10) -> list[OrderSummary]:
        """Lists the orders placed with ``email``, newest first (one page, at most 250).

        Only for an email ``verify_owner`` has accepted: see ``OrderSource.orders_of``.

        Raises:
            ValueError: ``limit`` is below 1.
            OrderSourceError: The platform could not be asked or answered nonsense.
        """
        if limit < 1:
            raise ValueError(f"limit must be 1 or more, not {limit}")
        wanted = normalise_email(email)
        if not wanted:
            return []
        page_size = min(limit, MAX_PAGE_SIZE)
        response = self._get_with_retries(
            {"email": wanted, "status": "any", "limit": str(page_size)}
        )
        # The email filter is the platform's to interpret; only the exact email is this shopper's.
        mine = [
            order
            for order in _parse_orders(response.content)
            if order.email is not None and normalise_email(order.email) == wanted
        ]
        mine.sort(key=lambda order: _utc(order.created_at), reverse=True)
        return [_order_summary(order) for order in mine[:limit]]

    def _find_order(self, order_number: str) -> ShopOrder | None:
        number = normalise_order_number(order_number)
        if not number:
            return None
        response = self._get_with_retries({"name": f"#{number}", "status": "any"})
        orders = _parse_orders(response.content)
        # The name filter is the platform's to interpret; only an exact name is this order.
        wanted = number.casefold()
        return next(
            (o for o in orders if normalise_order_number(o.name).casefold() == wanted), None
        )

    def _get_with_retries(self, params: dict[str, str]) -> httpx.Response:
        retrying = Retrying(
            retry=retry_if_exception_type((httpx.TransportError, _RetryableAnswer)),
            stop=stop_after_attempt(self._max_retries + 1),
            wait=self._wait_seconds,
            before_sleep=_log_retry,
            reraise=True,
        )
        attempts = self._max_retries + 1
        try:
            return retrying(self._get_once, params)
        except _RetryableAnswer as answer:
            raise OrderSourceError(
                f"shop platform answered HTTP {_status_text(answer.status_code)} "
                f"{attempts} time(s); giving up"
            ) from None
        except httpx.TransportError as error:
            raise OrderSourceError(
                f"could not reach the shop platform at {self._base_url} "
                f"({type(error).__name__}) in {attempts} attempt(s)"
            ) from error

    def _get_once(self, params: dict[str, str]) -> httpx.Response:
        response = self._client.get(self._orders_path, params=params)
        status = response.status_code
        if status in (401, 403):
            raise OrderSourceError(
                f"shop platform refused the request (HTTP {_status_text(status)}): "
                "check the access token and its read_orders scope"
            )
        if status == 429 or status >= 500:
            raise _RetryableAnswer(response)
        if response.is_error:
            raise OrderSourceError(
                f"shop platform answered HTTP {_status_text(status)} to the order lookup"
            )
        return response

    def _wait_seconds(self, state: RetryCallState) -> float:
        """Waits as long as a 429's Retry-After asks, else backs off exponentially."""
        error = state.outcome.exception() if state.outcome is not None else None
        if isinstance(error, _RetryableAnswer) and error.retry_after is not None:
            return min(error.retry_after, self._max_backoff)
        return min(self._backoff_base * 2 ** (state.attempt_number - 1), self._max_backoff)


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    logger.warning(
        "Shop platform order lookup failed (%s); retrying in %.2f s (attempt %d failed)",
        error if isinstance(error, _RetryableAnswer) else type(error).__name__,
        wait,
        state.attempt_number,
    )


def _retry_after_seconds(response: httpx.Response) -> float | None:
    """Reads Retry-After as seconds (what the platform sends); None when absent or a date."""
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _status_text(status: int) -> str:
    """Returns "503 Service Unavailable", or just the number for a code without a name."""
    return f"{status} {httpx.codes.get_reason_phrase(status)}".strip()


def _warn_if_plain_http(url: httpx.URL) -> None:
    if url.scheme == "http" and url.host not in {"localhost", "127.0.0.1", "::1"}:
        logger.warning("Sending the shop platform access token over plain HTTP to %s", url.host)


def _parse_orders(body: bytes) -> list[ShopOrder]:
    """Validates the body; the error names fields, never values (they hold emails)."""
    try:
        return OrdersPage.model_validate_json(body).orders
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'body'}: {problem['msg']}"
            for problem in error.errors(include_input=False, include_url=False)[:3]
        )
        raise OrderSourceError(
            f"shop platform sent an orders payload Aisle cannot read ({problems})"
        ) from None


def _order_view(order: ShopOrder) -> OrderView:
    shipments = _shipments(order)
    returned = _refunded_quantities(order.refunds)
    refunds = (_refund_view(refund) for refund in order.refunds)
    return OrderView(
        number=normalise_order_number(order.name),
        status=_order_status(order, shipments),
        placed_at=_utc(order.created_at),
        total=order.total_price,
        currency=order.currency,
        cancelled_at=_utc(order.cancelled_at) if order.cancelled_at else None,
        items=tuple(_item_view(line, returned.get(str(line.id), 0)) for line in order.line_items),
        shipments=shipments,
        returns=(),
        refunds=tuple(refund for refund in refunds if refund is not None),
    )


def _order_summary(order: ShopOrder) -> OrderSummary:
    return OrderSummary(
        number=normalise_order_number(order.name),
        status=_order_status(order, _shipments(order)),
        placed_at=_utc(order.created_at),
        total=order.total_price,
        currency=order.currency,
        item_count=sum(line.quantity for line in order.line_items),
        first_item_title=order.line_items[0].title if order.line_items else "",
    )


def _shipments(order: ShopOrder) -> tuple[ShipmentView, ...]:
    """One view per parcel that went (or will go) out: cancelled or failed ones are skipped."""
    return tuple(
        _shipment_view(f) for f in order.fulfillments if f.status not in _SKIPPED_FULFILMENTS
    )


def _order_status(order: ShopOrder, shipments: tuple[ShipmentView, ...]) -> str:
    if order.cancelled_at is not None:
        return "cancelled"
    all_arrived = bool(shipments) and all(s.status == "delivered" for s in shipments)
    if order.fulfillment_status == "fulfilled" and all_arrived:
        return "delivered"
    if shipments or order.fulfillment_status in {"fulfilled", "partial"}:
        return "shipped"
    return "processing"


def _item_view(line: LineItem, returned_quantity: int) -> ItemView:
    colour, size = _colour_and_size(line.variant_title)
    return ItemView(
        id=str(line.id),
        sku=line.sku or "",
        title=line.title,
        colour=colour,
        size=size,
        quantity=line.quantity,
        unit_price=line.price,
        final_sale=_is_final_sale(line.properties),
        returned_quantity=returned_quantity,
    )


def _colour_and_size(variant_title: str | None) -> tuple[str, str]:
    """Splits "Navy / M" into ("Navy", "M"), tolerating one option or sizes first."""
    if not variant_title or variant_title.strip().casefold() == "default title":
        return "", ""
    options = [option.strip() for option in variant_title.split(" / ") if option.strip()]
    if len(options) == 1:
        return ("", options[0]) if _looks_like_size(options[0]) else (options[0], "")
    first, rest = options[0], options[1:]
    if _looks_like_size(first) and not _looks_like_size(rest[0]):
        first, rest = rest[0], [first, *rest[1:]]
    return first, " / ".join(rest)


def _looks_like_size(option: str) -> bool:
    return _SIZE_PATTERN.fullmatch(option) is not None


def _is_final_sale(properties: Iterable[LineItemProperty]) -> bool:
    for prop in properties:
        name = prop.name.strip().lstrip("_").casefold().replace(" ", "_").replace("-", "_")
        if name == "final_sale":
            return str(prop.value).strip().casefold() in _TRUE_VALUES
    return False


def _refunded_quantities(refunds: Iterable[Refund]) -> dict[str, int]:
    quantities: dict[str, int] = {}
    for refund in refunds:
        for line in refund.refund_line_items:
            key = str(line.line_item_id)
            quantities[key] = quantities.get(key, 0) + line.quantity
    return quantities


def _refund_view(refund: Refund) -> RefundView | None:
    """Maps money sent back; a refund that moved no money (restock only) is no RefundView."""
    moving = [
        t for t in refund.transactions if t.kind == "refund" and t.status in {"success", "pending"}
    ]
    if not moving:
        return None
    paid = refund.processed_at is not None and all(t.status == "success" for t in moving)
    return RefundView(
        amount=sum((t.amount for t in moving), Decimal("0")),
        method="original_payment",
        status="paid" if paid else "pending",
        created_at=_utc(refund.created_at),
        paid_at=_utc(refund.processed_at) if paid and refund.processed_at else None,
        rma_number=None,
    )


def _shipment_view(fulfillment: Fulfillment) -> ShipmentView:
    status = _shipment_status(fulfillment)
    arrived = fulfillment.updated_at or fulfillment.created_at
    estimate = fulfillment.estimated_delivery_at
    return ShipmentView(
        carrier=fulfillment.tracking_company or "",
        tracking_number=fulfillment.tracking_number or "",
        tracking_url=fulfillment.tracking_url or "",
        status=status,
        shipped_at=_utc(fulfillment.created_at),
        estimated_delivery=estimate.date() if estimate is not None else None,
        delivered_at=_utc(arrived) if status == "delivered" else None,
        last_scan=_last_scan(fulfillment.events),
    )


def _shipment_status(fulfillment: Fulfillment) -> str:
    """Maps the carrier's word onto Aisle's label_created/in_transit/delayed/delivered."""
    carrier_status = (fulfillment.shipment_status or "").casefold()
    if carrier_status in _SHIPMENT_STATUSES:
        return _SHIPMENT_STATUSES[carrier_status]
    if carrier_status:
        logger.info("Unknown shipment_status %r read as in transit", carrier_status)
        return "in_transit"
    # No carrier news: a fulfillment still being prepared has only a label; a done one left.
    return "label_created" if fulfillment.status in {"pending", "open"} else "in_transit"


def _last_scan(events: Iterable[FulfillmentEvent]) -> ScanEvent | None:
    latest = max(events, key=lambda event: _utc(event.happened_at), default=None)
    if latest is None:
        return None
    place = ", ".join(p for p in (latest.city, latest.province, latest.country) if p)
    description = latest.message or (latest.status or "").replace("_", " ").capitalize()
    return ScanEvent(occurred_at=_utc(latest.happened_at), location=place, description=description)


def _utc(moment: dt.datetime) -> dt.datetime:
    """Aisle keeps naive UTC datetimes; the platform sends offsets (a naive one is UTC)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
