"""What an attack on the order check may not reveal, read from the shop database itself.

An answer leaks an order when it contains anything the database knows about it: its
status, a carrier, tracking number or link, the shipping name, address or postcode, an
item title, the total, an RMA number or a refund amount, the owner's name or email. The
tests that walk order numbers search every answer (texts, buttons and custom payloads)
for these values, so a new field in an order answer is covered without touching them.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from aisle.database import session_scope
from aisle.models import Customer, Order, Shipment
from aisle.settings import PROJECT_ROOT

SQL_INJECTIONS = ["10001' OR '1'='1", "x@y.z' --", "1; DROP TABLE orders"]
HTML_INJECTIONS = ['<script>alert("10001")</script>', '<img src=x onerror="alert(1)">']
ORDER_ANSWER_WORDS = ("placed", "Delivered", "On its way", "running late", "RMA-")
"""Words only an answer about a real order has (describe_order, the refund and return answers)."""
FIXED_TEXTS = (PROJECT_ROOT / "domain.yml", PROJECT_ROOT / "aisle" / "return_policy.yml")
"""The bot's answers that are the same for everyone (responses, the policy it quotes)."""


@dataclass(frozen=True)
class OrderFacts:
    """One order as the database has it: the values no stranger may be told."""

    number: str
    owner_email: str
    tracking_numbers: tuple[str, ...]
    values: frozenset[str]

    def without_words_of(self, fixed: str) -> OrderFacts:
        """These facts less the values the bot says to everyone ("delivered" in the return
        policy): saying them tells nothing about this order."""
        kept = frozenset(value for value in self.values if not _word(value).search(fixed))
        return OrderFacts(self.number, self.owner_email, self.tracking_numbers, kept)

    def found_in(self, text: str) -> list[str]:
        """The values of this order that ``text`` contains, as whole words."""
        return [value for value in sorted(self.values) if _word(value).search(text)]


def order_facts(database_url: str, numbers: Iterable[str]) -> dict[str, OrderFacts]:
    """Every value of each order in ``numbers`` that an order answer could show."""
    with session_scope(database_url) as session:
        orders = session.scalars(
            select(Order)
            .where(Order.number.in_(list(numbers)))
            .options(
                selectinload(Order.customer),
                selectinload(Order.items),
                selectinload(Order.shipments).selectinload(Shipment.events),
                selectinload(Order.returns),
                selectinload(Order.refunds),
            )
        )
        found = {order.number: _facts(order) for order in orders}
    fixed = " ".join(path.read_text() for path in FIXED_TEXTS)
    return {number: facts.without_words_of(fixed) for number, facts in found.items()}


def _facts(order: Order) -> OrderFacts:
    values = {
        order.status,
        order.shipping_name,
        order.shipping_address,
        order.shipping_address.split(",")[0],
        order.shipping_postcode,
        f"{order.total:.2f}",
        order.customer.email,
        order.customer.name,
        *(item.title for item in order.items),
        *(request.rma_number for request in order.returns),
        *(f"{refund.amount:.2f}" for refund in order.refunds),
    }
    for shipment in order.shipments:
        values |= {shipment.carrier, shipment.tracking_number, shipment.tracking_url}
        values |= {shipment.status, shipment.status.replace("_", " ")}
        values |= {event.location for event in shipment.events}
    return OrderFacts(
        number=order.number,
        owner_email=order.customer.email,
        tracking_numbers=tuple(s.tracking_number for s in order.shipments if s.tracking_number),
        values=frozenset(value for value in values if value and value.strip()),
    )


def leaks(body: Any, facts: Iterable[OrderFacts], own_email: str = "") -> list[str]:
    """What of the given orders a gateway answer (its whole JSON body) gives away.

    ``own_email`` is the attacker's own: an answer may repeat what the shopper typed.
    """
    text = json.dumps(body, ensure_ascii=False)
    found = [
        f"{order.number}: {value}"
        for order in facts
        for value in order.found_in(text)
        if value.lower() != own_email.lower()
    ]
    found += [f"order words: {word}" for word in ORDER_ANSWER_WORDS if word in text]
    return found


def unknown_order_numbers(database_url: str, count: int) -> list[str]:
    """Five-digit order numbers the shop has never used (an enumeration's misses)."""
    with session_scope(database_url) as session:
        used = set(session.scalars(select(Order.number)))
    candidates = (str(number) for number in range(99999, 10000, -7))
    return [number for number in candidates if number not in used][:count]


def orders_digest(database_url: str) -> tuple[int, int, str]:
    """Orders, customers and a hash of every order row: an injection that wrote anything
    (or dropped the table) changes it."""
    with session_scope(database_url) as session:
        customers = int(session.scalar(select(func.count()).select_from(Customer)) or 0)
        rows = session.execute(
            select(
                Order.number,
                Order.customer_id,
                Order.status,
                Order.total,
                Order.shipping_name,
                Order.shipping_address,
                Order.shipping_postcode,
                Order.cancelled_at,
            ).order_by(Order.number)
        ).all()
    digest = hashlib.sha256(repr([tuple(row) for row in rows]).encode()).hexdigest()
    return len(rows), customers, digest


def _word(value: str) -> re.Pattern[str]:
    """``value`` as a whole word or number, in any case (a postcode is found alone, not as
    part of a longer number)."""
    return re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.IGNORECASE)


@dataclass
class Turn:
    """One message sent to a gateway and what came back."""

    who: str
    conversation: str
    text: str
    status: int
    body: dict[str, Any]
    started: float
    """``time.monotonic()`` when it was sent."""
    seconds: float
    retry_after: str | None

    @property
    def answered(self) -> bool:
        """HTTP 200 with something for the shopper: answers, or where their handoff stands."""
        return self.status == 200 and bool(self.body.get("messages") or self.body.get("handoff"))


class Address:
    """Everyone behind one IP address, talking to the gateways as a script would.

    The gateways trust ``X-Forwarded-For`` from the loopback address (uvicorn's
    ``--forwarded-allow-ips`` default), so each address counts against the per-IP
    limits on its own, unlike the loopback address itself, which is exempt.
    """

    def __init__(self, who: str, ip: str, gateways: list[str], turns: list[Turn]) -> None:
        self.who = who
        self.gateways = gateways
        self.turns = turns
        self._client = httpx.AsyncClient(
            timeout=60.0, headers={"X-Forwarded-For": ip}, trust_env=False
        )

    async def __aenter__(self) -> Address:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._client.aclose()

    async def say(self, conversation: str, text: str, gateway: int = 0) -> Turn:
        """Sends ``text`` in ``conversation`` through gateway number ``gateway`` (modulo)."""
        url = f"{self.gateways[gateway % len(self.gateways)]}/api/conversations/{conversation}"
        started = time.monotonic()
        response = await self._client.post(f"{url}/messages", json={"text": text})
        turn = Turn(
            who=self.who,
            conversation=conversation,
            text=text,
            status=response.status_code,
            body=response.json(),
            started=started,
            seconds=time.monotonic() - started,
            retry_after=response.headers.get("Retry-After"),
        )
        self.turns.append(turn)
        return turn


def new_conversation(prefix: str) -> str:
    """A conversation id nobody used, as a script opening a fresh chat for every guess would."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
