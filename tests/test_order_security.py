"""Nobody learns anything about an order they have not proved is theirs.

Conversation tests go through the real Rasa server and action server (the
order database is the seeded demo shop); the slot-level tests run the form
validators with hostile text in every slot the shopper types into.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import yaml
from action_trackers import form_tracker, run_action, said
from order_attacks import leaks, order_facts, orders_digest, unknown_order_numbers
from sqlalchemy import func, select

from actions.order_changes import ValidateOrderChangeForm
from actions.order_messages import describe_order
from actions.returns import ValidateReturnForm
from aisle.database import session_scope
from aisle.demo.personas import DEMO_CUSTOMER_EMAIL, DEMO_ORDERS, OTHER_CUSTOMER_ORDER
from aisle.models import Order, ReturnRequest
from aisle.order_source import SqlOrderSource
from aisle.settings import PROJECT_ROOT
from aisle.stack import Stack

NOT_VERIFIED = "I couldn't find an order with that number and email address."
LIMIT_REACHED = "I still can't match that order number and email"
# Words that appear only in an answer about a real order (a policy answer mentions returns, so
# the return sign is an RMA number, not the word).
ORDER_DETAILS = ("placed", "tracking", "Delivered", "On its way", "Refunds for order", "RMA-")

SQL_INJECTIONS = [
    "10001' OR '1'='1",
    "10001; DROP TABLE orders; --",
    "' UNION SELECT email FROM customers --",
]
HTML_INJECTIONS = ['<script>alert("x")</script>', '<img src=x onerror="alert(1)">']


class Conversation:
    """One shopper talking to the live Rasa server over its REST channel."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client
        self.sender = f"security-{uuid.uuid4().hex[:10]}"

    def say(self, text: str) -> str:
        response = self._client.post(
            "/webhooks/rest/webhook", json={"sender": self.sender, "message": text}
        )
        assert response.status_code == 200, response.text
        return "\n".join(str(message.get("text", "")) for message in response.json())


@pytest.fixture(scope="module")
def rasa(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.config.rasa_url, timeout=60) as client:
        yield client


def reveals_an_order(answer: str) -> bool:
    return any(detail in answer for detail in ORDER_DETAILS)


@pytest.mark.stack
def test_many_order_numbers_with_one_email_reveal_nothing(rasa: httpx.Client) -> None:
    shopper = Conversation(rasa)
    answers = [
        shopper.say(f"where is order {number}? my email is eve@example.com")
        for number in range(10001, 10013)
    ]
    assert not any(reveals_an_order(answer) for answer in answers), answers
    assert all(NOT_VERIFIED in answer for answer in answers[:2]), answers[:2]
    assert LIMIT_REACHED in answers[2]
    # The limit holds for the rest of the conversation, even with the right email now.
    late = shopper.say(f"order {DEMO_ORDERS['delivered']} email {DEMO_CUSTOMER_EMAIL}")
    assert not reveals_an_order(late) and LIMIT_REACHED in late


@pytest.mark.stack
def test_unknown_order_and_wrong_email_get_the_same_answer(rasa: httpx.Client) -> None:
    unknown = Conversation(rasa).say(f"track order 99999, email {DEMO_CUSTOMER_EMAIL}")
    wrong_email = Conversation(rasa).say(
        f"track order {DEMO_ORDERS['delivered']}, email someone@example.com"
    )
    assert unknown == wrong_email
    assert NOT_VERIFIED in unknown


@pytest.mark.stack
def test_a_verified_shopper_cannot_reach_another_customers_order(rasa: httpx.Client) -> None:
    shopper = Conversation(rasa)
    assert "Order 10002" in shopper.say(
        f"where is order {DEMO_ORDERS['in_transit']}, email {DEMO_CUSTOMER_EMAIL}"
    )
    answer = shopper.say(f"and where is order {OTHER_CUSTOMER_ORDER}?")
    assert not reveals_an_order(answer) and NOT_VERIFIED in answer


@pytest.mark.stack
@pytest.mark.parametrize("attack", SQL_INJECTIONS + HTML_INJECTIONS)
def test_injection_in_the_verification_slots_reveals_nothing(
    rasa: httpx.Client, demo_shop: dict[str, Any], attack: str
) -> None:
    orders_before = _count(demo_shop, Order)
    shopper = Conversation(rasa)
    answers = [
        shopper.say("where is my order"),
        shopper.say(attack),
        shopper.say(f"order number {attack} and email {attack}"),
        shopper.say(f"{attack}@example.com"),
    ]
    assert not any(reveals_an_order(answer) for answer in answers), answers
    assert _count(demo_shop, Order) == orders_before


def _count(demo_shop: dict[str, Any], model: type[Any]) -> int:
    return _rows(str(demo_shop["database_url"]), model)


RETURN_DOMAIN: dict[str, Any] = {
    "forms": {
        "return_form": {
            "required_slots": [
                "return_items",
                "return_reason",
                "return_resolution",
                "exchange_sku",
                "return_confirmed",
            ]
        }
    }
}
ANSWERED = {"return_items": ["1"], "return_reason": "Too small", "return_resolution": "refund"}


@pytest.mark.parametrize("attack", SQL_INJECTIONS + HTML_INJECTIONS)
@pytest.mark.parametrize(
    "slot", ["return_items", "return_reason", "return_resolution", "exchange_sku"]
)
def test_injection_in_the_return_slots_is_refused_with_a_hint(
    writable_demo_shop: str, slot: str, attack: str
) -> None:
    slots = {key: value for key, value in ANSWERED.items() if key != slot}
    if slot == "exchange_sku":
        slots["return_resolution"] = "exchange"
    tracker = form_tracker(
        {"verified_order": DEMO_ORDERS["delivered"], **slots, "requested_slot": slot},
        text=attack,
        form="return_form",
    )
    returns_before = _rows(writable_demo_shop, ReturnRequest)
    answer, dispatcher = run_action(ValidateReturnForm(), tracker, RETURN_DOMAIN)
    # Either refused with a hint, or read as one of the form's own choices ("1" is the first item).
    allowed = {
        "return_items": [["1"]],
        "return_reason": [],
        "return_resolution": ["refund", "exchange", "store_credit"],
        "exchange_sku": [],
    }[slot]
    assert answer[slot] is None or answer[slot] in allowed, answer
    if answer[slot] is None:
        assert said(dispatcher)  # a hint, not silence
    assert attack not in said(dispatcher)  # shopper text is never echoed into bot text
    assert _rows(writable_demo_shop, ReturnRequest) == returns_before


def _rows(url: str, model: type[Any]) -> int:
    with session_scope(url) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("attack", SQL_INJECTIONS + HTML_INJECTIONS)
def test_injection_in_a_new_address_is_only_ever_text(writable_demo_shop: str, attack: str) -> None:
    typed = f"12 Station Road {attack}, Springfield, 62704"
    orders_before = _rows(writable_demo_shop, Order)
    answer, _ = run_action(
        ValidateOrderChangeForm(),
        form_tracker(
            {
                "verified_order": DEMO_ORDERS["processing"],
                "order_request": "address",
                "requested_slot": "new_address",
            },
            text=typed,
            form="order_change_form",
        ),
        {"forms": {"order_change_form": {"required_slots": ["new_address", "change_confirmed"]}}},
    )
    # Kept as typed (the widget and console render it as text), never run as SQL or markup.
    assert answer["new_address"] in (" ".join(typed.split()), None)
    assert _rows(writable_demo_shop, Order) == orders_before


@pytest.mark.stack
def test_very_long_messages_are_refused_clearly_and_lose_nothing(stack: Stack) -> None:
    """Through the gateway, as the widget sends them."""
    conversation = f"long-{uuid.uuid4().hex[:10]}"
    url = f"{stack.config.gateway_url}/api/conversations/{conversation}/messages"
    limit = 2000  # AISLE_MAX_MESSAGE_CHARS's default, which the test stack runs with
    with httpx.Client(timeout=60) as client:
        assert client.post(url, json={"text": "where is my order"}).status_code == 200
        too_long = client.post(url, json={"text": "x" * (limit + 1)})
        assert too_long.status_code == 413
        assert too_long.json()["code"] == "message_too_long"
        assert f"the limit is {limit}" in too_long.json()["message"]
        # A message at the limit, the order number and a stranger's email buried in noise.
        noisy = f"{'blah ' * 380}10001 eve@example.com {'blah ' * 10}"[:limit]
        answer = client.post(url, json={"text": noisy})
        assert answer.status_code == 200
        texts = " ".join(str(m.get("text", "")) for m in answer.json()["messages"])
        assert not reveals_an_order(texts)
        # The conversation goes on where it was: the order form still asks.
        follow_up = client.post(url, json={"text": "10002"})
        assert follow_up.status_code == 200


ATTACKED = [str(number) for number in range(10001, 10025)]
"""The orders tests/test_production_failover.py's attackers walk."""
ANSWERS_TO_STRANGERS = [
    "utter_order_not_verified",
    "utter_verification_limit",
    "utter_ask_order_number",
    "utter_ask_order_email",
    "utter_order_lookup_failed",
    "utter_shipping_policy",
]


def test_the_leak_search_finds_every_order_answer_and_no_answer_to_a_stranger(
    demo_shop: dict[str, Any],
) -> None:
    """The search the enumeration test relies on: each attacked order's own answer (what a
    verified shopper reads) is caught, and the answers anyone may get are not."""
    url = str(demo_shop["database_url"])
    facts = order_facts(url, ATTACKED)
    assert sorted(facts) == ATTACKED
    source = SqlOrderSource(url)
    for number in ATTACKED:
        order = source.get_order(number)
        assert order is not None
        body = {"messages": [{"text": describe_order(order)}], "handoff": None}
        own = leaks(body, [facts[number]])
        assert any(value.startswith(f"{number}: ") for value in own), (number, own)
        assert facts[number].tracking_numbers or not order.shipments
    responses = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"]
    fixed = [{"messages": responses[name], "handoff": None} for name in ANSWERS_TO_STRANGERS]
    hints = ["Order numbers have 5 digits, like 10482.", "That doesn't look like an email address"]
    fixed.append({"messages": [{"text": hint} for hint in hints], "handoff": None})
    assert not [found for body in fixed if (found := leaks(body, facts.values()))]


def test_unknown_order_numbers_are_unused_and_the_digest_sees_a_change(
    writable_demo_shop: str,
) -> None:
    unknown = unknown_order_numbers(writable_demo_shop, 40)
    assert len(unknown) == 40 and all(len(number) == 5 for number in unknown)
    assert not order_facts(writable_demo_shop, unknown)
    before = orders_digest(writable_demo_shop)
    with session_scope(writable_demo_shop) as session:
        order = session.scalar(select(Order).where(Order.number == ATTACKED[-1]))
        assert order is not None
        order.shipping_postcode = "00000"
    assert orders_digest(writable_demo_shop) != before
