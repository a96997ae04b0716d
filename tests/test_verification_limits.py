"""Failed order checks counted per address across conversations (actions/verification_limits.py):
a new conversation per guess no longer gets around the per-conversation limit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from action_trackers import reset_settings, run_sync
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.orders import MAX_VERIFICATION_FAILURES, ValidateVerifyOrderForm
from actions.verification_limits import VerificationLimiter
from aisle.demo.personas import DEMO_CUSTOMER_EMAIL, DEMO_ORDERS
from aisle.settings import Settings

REDIS_DB = 9
REDIS_URL = f"redis://127.0.0.1:6379/{REDIS_DB}"
DOMAIN: dict[str, Any] = {
    "forms": {"verify_order_form": {"required_slots": ["order_number", "order_email"]}}
}
ATTACKER = "198.51.100.7"


@pytest.fixture
def limited_shop(monkeypatch: pytest.MonkeyPatch, demo_shop: dict[str, Any]) -> Iterator[None]:
    """The actions on the demo shop, with 2 failed checks per address per hour, in memory."""
    monkeypatch.setenv("AISLE_DATABASE_URL", str(demo_shop["database_url"]))
    monkeypatch.setenv("AISLE_RATE_LIMIT_VERIFICATION_FAILURES_IP", "2/hour")
    monkeypatch.delenv("AISLE_REDIS_URL", raising=False)
    reset_settings()
    yield
    reset_settings()


@pytest.fixture
def clean_redis() -> Iterator[redis.Redis]:
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    client.flushdb()
    yield client
    client.flushdb()


def check(number: str, email: str, ip: str | None) -> tuple[dict[str, Any], list[str]]:
    """The order check of a new conversation's first message, sent from ``ip``: the slots it
    set and the responses it uttered."""
    slots = {"verification_failures": 0.0, "order_number": number, "order_email": email}
    metadata = {"channel": "http", "client": {}, **({"client_ip": ip} if ip else {})}
    tracker = Tracker(
        sender_id="limits-test",
        slots=slots,
        latest_message={"text": "x", "intent": {"name": "inform"}, "metadata": metadata},
        events=[{"event": "user", "text": "x"}, *(SlotSet(k, v) for k, v in slots.items())],
        paused=False,
        followup_action=None,
        active_loop={"name": "verify_order_form"},
        latest_action_name="action_listen",
    )
    dispatcher = CollectingDispatcher()
    events = run_sync(ValidateVerifyOrderForm().run(dispatcher, tracker, DOMAIN))
    set_slots = {event["name"]: event["value"] for event in events if event["event"] == "slot"}
    return set_slots, [str(message.get("response")) for message in dispatcher.messages]


def test_an_address_out_of_checks_is_refused_even_the_right_email(limited_shop: None) -> None:
    for unknown in ("99991", "99992"):  # two new conversations, one wrong guess each
        slots, said = check(unknown, "mallory@example.org", ATTACKER)
        assert slots["verification_failures"] == 1.0 and said == ["utter_order_not_verified"]
    slots, said = check(DEMO_ORDERS["in_transit"], DEMO_CUSTOMER_EMAIL, ATTACKER)
    assert "verified_order" not in slots
    # The conversation starts out of attempts: the form ends and says what after its own limit.
    assert slots["verification_failures"] == float(MAX_VERIFICATION_FAILURES) and said == []
    # Another address, and a message that did not come through the gateway, are checked.
    for ip in ("203.0.113.5", None):
        slots, _ = check(DEMO_ORDERS["in_transit"], DEMO_CUSTOMER_EMAIL, ip)
        assert slots["verified_order"] == DEMO_ORDERS["in_transit"]


def test_a_right_check_counts_nothing_and_exempt_addresses_are_never_counted(
    limited_shop: None,
) -> None:
    for _ in range(3):
        slots, _ = check(DEMO_ORDERS["in_transit"], DEMO_CUSTOMER_EMAIL, ATTACKER)
        assert slots["verified_order"] == DEMO_ORDERS["in_transit"]
    for _ in range(3):
        check("99991", "mallory@example.org", "127.0.0.1")
    slots, _ = check(DEMO_ORDERS["in_transit"], DEMO_CUSTOMER_EMAIL, "127.0.0.1")
    assert slots["verified_order"] == DEMO_ORDERS["in_transit"]


def test_action_servers_sharing_redis_share_the_count(clean_redis: redis.Redis) -> None:
    settings = Settings(redis_url=REDIS_URL, rate_limit_verification_failures_ip="2/hour")
    first, second = VerificationLimiter(settings), VerificationLimiter(settings)
    first.record_failure(ATTACKER)
    second.record_failure(ATTACKER)
    assert not first.allows(ATTACKER) and not second.allows(ATTACKER)
    assert first.allows("203.0.113.5")
    assert clean_redis.keys("aisle-limits*verify-ip*")


def test_redis_down_counts_in_memory_instead_of_failing() -> None:
    settings = Settings(
        redis_url="redis://127.0.0.1:1/0", rate_limit_verification_failures_ip="2/hour"
    )
    limiter = VerificationLimiter(settings)
    assert limiter.allows(ATTACKER)
    limiter.record_failure(ATTACKER)
    limiter.record_failure(ATTACKER)
    assert not limiter.allows(ATTACKER)
