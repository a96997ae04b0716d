"""Custom actions run with real rasa-sdk trackers and dispatchers on the seeded demo shop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from action_trackers import form_tracker, run_action, run_sync
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import resources
from actions.handoff import ActionHandoff, handoff_reason
from actions.orders import ActionAskOrderNumber, ActionOrderStatus, ValidateVerifyOrderForm
from actions.policies import ActionExplainReturnPolicy
from actions.refunds import ActionRefundStatus
from actions.search import ActionSearchProducts
from aisle.database import session_scope
from aisle.demo.personas import DEMO_CUSTOMER_EMAIL, DEMO_ORDERS, DEMO_RETURN_RMA
from aisle.models import Handoff
from aisle.return_policy import load_return_policy
from aisle.settings import get_settings

DOMAIN: dict[str, Any] = {
    "forms": {"verify_order_form": {"required_slots": ["order_number", "order_email"]}}
}


def _reset_caches() -> None:
    get_settings.cache_clear()
    resources.reset()


def tracker(
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str = "track_order",
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
) -> Tracker:
    return Tracker(
        sender_id="test-conversation",
        slots={"verification_failures": 0.0, **(slots or {})},
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.99},
            "entities": [],
        },
        events=events or [],
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def run(action: Any, dispatcher: CollectingDispatcher, current: Tracker) -> list[dict[str, Any]]:
    return run_sync(action.run(dispatcher, current, DOMAIN))


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event["event"] == "slot"}


def validate(slots: dict[str, Any]) -> tuple[dict[str, Any], CollectingDispatcher]:
    """Runs the form validator as Rasa does right after the shopper filled ``slots``."""
    dispatcher = CollectingDispatcher()
    slot_set_events = [SlotSet(name, value) for name, value in slots.items()]
    current = tracker(
        slots=slots,
        active_loop="verify_order_form",
        events=[{"event": "user", "text": "x"}, *slot_set_events],
    )
    events = run(ValidateVerifyOrderForm(), dispatcher, current)
    return slot_events(events), dispatcher


def test_matching_number_and_email_verify_the_order(shop_env: str) -> None:
    slots, dispatcher = validate(
        {"order_number": f"#{DEMO_ORDERS['delivered']}", "order_email": DEMO_CUSTOMER_EMAIL.upper()}
    )
    assert slots["verified_order"] == DEMO_ORDERS["delivered"]
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    "order_number, email",
    [(DEMO_ORDERS["delivered"], "someone.else@example.com"), ("99999", DEMO_CUSTOMER_EMAIL)],
    ids=["wrong email", "unknown order"],
)
def test_failed_verification_says_the_same_and_reveals_nothing(
    shop_env: str, order_number: str, email: str
) -> None:
    slots, dispatcher = validate({"order_number": order_number, "order_email": email})
    assert "verified_order" not in slots
    assert slots == {"verification_failures": 1.0, "order_number": None, "order_email": None}
    assert [message["response"] for message in dispatcher.messages] == ["utter_order_not_verified"]


def test_badly_formed_values_get_a_hint(shop_env: str) -> None:
    slots, dispatcher = validate({"order_number": "12ab", "order_email": "not-an-email"})
    assert slots["order_number"] is None and slots["order_email"] is None
    hints = " ".join(message["text"] for message in dispatcher.messages)
    assert "5 digits" in hints and "email address" in hints


def test_third_failure_ends_the_form() -> None:
    dispatcher = CollectingDispatcher()
    current = tracker(slots={"verification_failures": 3.0}, active_loop="verify_order_form")
    required = run_sync(
        ValidateVerifyOrderForm().required_slots(
            ["order_number", "order_email"], dispatcher, current, DOMAIN
        )
    )
    assert required == []
    events = run(ActionOrderStatus(), dispatcher, current)
    assert events == []
    assert dispatcher.messages[0]["response"] == "utter_verification_limit"


def test_order_status_answers_from_the_database(shop_env: str) -> None:
    dispatcher = CollectingDispatcher()
    events = run(
        ActionOrderStatus(), dispatcher, tracker({"verified_order": DEMO_ORDERS["delayed"]})
    )
    answer = dispatcher.messages[0]["text"]
    assert f"Order {DEMO_ORDERS['delayed']}" in answer
    assert "running late" in answer and "tracking number" in answer
    assert dispatcher.messages[1]["buttons"][0]["payload"] == "/human_handoff"
    assert slot_events(events) == {"order_status": "delayed"}


def test_order_status_without_verification_reveals_nothing(shop_env: str) -> None:
    dispatcher = CollectingDispatcher()
    current = tracker({"order_number": DEMO_ORDERS["delivered"]})
    assert run(ActionOrderStatus(), dispatcher, current) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_order_not_verified"]


def test_database_down_gives_a_clear_apology(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AISLE_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'shop.db'}")
    _reset_caches()
    try:
        dispatcher = CollectingDispatcher()
        run(ActionOrderStatus(), dispatcher, tracker({"verified_order": "10001"}))
        # It hands over (actions/escalation.py), but the handoff store is down too.
        assert [m["response"] for m in dispatcher.messages] == [
            "utter_order_lookup_failed",
            "utter_handoff_failed",
        ]
    finally:
        _reset_caches()


def test_search_shows_matching_product_cards(shop_env: str) -> None:
    dispatcher = CollectingDispatcher()
    events = run(
        ActionSearchProducts(),
        dispatcher,
        tracker(text="a warm waterproof jacket for hiking", intent="product_search"),
    )
    cards = dispatcher.messages[0]["custom"]["products"]
    assert len(cards) == get_settings().search_results
    assert sum("jacket" in card["title"].lower() for card in cards) >= 3
    assert slot_events(events)["shown_products"] == [card["id"] for card in cards]
    assert all(card["price"] > 0 and card["image_url"] for card in cards)


def test_search_without_a_description_asks_for_one_and_shows_what_is_popular(
    shop_env: str,
) -> None:
    dispatcher = CollectingDispatcher()
    events = run(ActionSearchProducts(), dispatcher, tracker(text="/product_search"))
    assert dispatcher.messages[0]["text"].startswith("Tell me what you're looking for")
    cards = dispatcher.messages[0]["custom"]["products"]
    assert cards and all(card["in_stock"] for card in cards)
    assert slot_events(events)["shown_products"] == [card["id"] for card in cards]


def test_handoff_stores_the_transcript_and_context(shop_env: str) -> None:
    dispatcher = CollectingDispatcher()
    history = [
        {
            "event": "user",
            "text": "where is order 10002",
            "parse_data": {"intent": {"name": "track_order"}},
        },
        {"event": "bot", "text": "Order 10002: on its way."},
        {
            "event": "user",
            "text": "I want a person",
            "parse_data": {"intent": {"name": "human_handoff"}},
        },
    ]
    current = tracker(
        {"verified_order": "10002", "order_status": "in_transit"},
        text="I want a person",
        intent="human_handoff",
        events=history,
    )
    events = run(ActionHandoff(), dispatcher, current)
    handoff_id = int(slot_events(events)["handoff_id"])
    with session_scope(shop_env) as session:
        handoff = session.scalars(select(Handoff).where(Handoff.id == handoff_id)).one()
        assert [line["sender"] for line in handoff.transcript] == ["shopper", "bot", "shopper"]
        assert handoff.slots["verified_order"] == "10002"
        assert "order 10002" in handoff.summary and handoff.status == "waiting"
        assert [i["name"] for i in handoff.context["intents"]] == ["track_order", "human_handoff"]
    assert dispatcher.messages[0]["response"] == "utter_handoff_created"


@pytest.mark.parametrize(
    ("intent", "slots", "reason"),
    [
        ("human_handoff", {}, "shopper_request"),
        ("human_handoff", {"verification_failures": 3.0}, "verification_failed"),
    ],
)
def test_handoff_reason_names_the_trigger(intent: str, slots: dict[str, Any], reason: str) -> None:
    assert handoff_reason(tracker(slots, intent=intent)) == reason


def test_refund_status_lists_refunds_and_returns(shop_env: str) -> None:
    dispatcher = CollectingDispatcher()
    verified = tracker({"verified_order": DEMO_ORDERS["returned"]}, intent="refund_status")
    assert run(ActionRefundStatus(), dispatcher, verified) == []
    answer = dispatcher.messages[0]["text"]
    assert f"Refunds for order {DEMO_ORDERS['returned']}" in answer
    assert f"for return {DEMO_RETURN_RMA}: paid to" in answer


def test_refund_status_of_an_order_without_refunds(shop_env: str) -> None:
    dispatcher = CollectingDispatcher()
    run(ActionRefundStatus(), dispatcher, tracker({"verified_order": DEMO_ORDERS["in_transit"]}))
    assert dispatcher.messages[0]["text"] == (
        f"There's no refund or return on order {DEMO_ORDERS['in_transit']}."
    )


def test_refund_status_needs_verification(shop_env: str) -> None:
    dispatcher = CollectingDispatcher()
    run(ActionRefundStatus(), dispatcher, tracker({"order_number": DEMO_ORDERS["returned"]}))
    assert [m["response"] for m in dispatcher.messages] == ["utter_order_not_verified"]


def test_return_policy_is_read_from_the_policy_file() -> None:
    dispatcher = CollectingDispatcher()
    run(ActionExplainReturnPolicy(), dispatcher, tracker(intent="return_policy"))
    policy = load_return_policy()
    answer = dispatcher.messages[0]["text"]
    assert f"within {policy.return_window_days} days of delivery" in answer
    assert ("final sale can't be returned" in answer) is (not policy.final_sale_returnable)


def verify_form_tracker(slots: dict[str, Any], text: str) -> Tracker:
    """The verification form starting on ``text`` (no slot of it requested yet)."""
    return form_tracker(
        {"verification_failures": 0.0, **slots}, text=text, intent="track_order", form=None
    )


def test_a_verified_shopper_names_their_last_order(shop_env: str) -> None:
    proved = {
        "verified_order": DEMO_ORDERS["delivered"],
        "verified_email": DEMO_CUSTOMER_EMAIL,
        "order_number": DEMO_ORDERS["delivered"],
        "order_email": DEMO_CUSTOMER_EMAIL,
    }
    slots, _ = run_action(
        ValidateVerifyOrderForm(), verify_form_tracker(proved, "what about my last order"), DOMAIN
    )
    assert slots["order_number"] == slots["verified_order"] == DEMO_ORDERS["processing"]


def test_their_other_order_is_asked_for_with_their_orders_as_buttons(shop_env: str) -> None:
    proved = {
        "verified_order": DEMO_ORDERS["delivered"],
        "verified_email": DEMO_CUSTOMER_EMAIL,
        "order_number": DEMO_ORDERS["delivered"],
    }
    slots, dispatcher = run_action(
        ValidateVerifyOrderForm(), verify_form_tracker(proved, "and my other order?"), DOMAIN
    )
    assert slots["order_number"] is None and slots["order_email"] == DEMO_CUSTOMER_EMAIL
    assert dispatcher.messages == []
    _, dispatcher = run_action(ActionAskOrderNumber(), form_tracker(proved), DOMAIN)
    payloads = [button["payload"] for button in dispatcher.messages[0]["buttons"]]
    assert payloads[0] == f'/inform{{"order_number": "{DEMO_ORDERS["processing"]}"}}'
    assert len(payloads) == 5


def test_a_shopper_who_proved_nothing_gets_no_order_list(shop_env: str) -> None:
    slots, _ = run_action(
        ValidateVerifyOrderForm(),
        verify_form_tracker({"order_email": DEMO_CUSTOMER_EMAIL}, "where is my last order"),
        DOMAIN,
    )
    assert "order_number" not in slots and "verified_order" not in slots
    _, dispatcher = run_action(ActionAskOrderNumber(), form_tracker({}), DOMAIN)
    assert dispatcher.messages[0]["response"] == "utter_ask_order_number"


def test_after_the_limit_even_the_right_pair_verifies_nothing(shop_env: str) -> None:
    locked_out = {
        "verification_failures": 3.0,
        "order_number": DEMO_ORDERS["delivered"],
        "order_email": DEMO_CUSTOMER_EMAIL,
    }
    slots, _ = run_action(
        ValidateVerifyOrderForm(),
        form_tracker(locked_out, text="10001 alex.rivera@example.com", intent="track_order"),
        DOMAIN,
    )
    assert "verified_order" not in slots
    assert slots["order_number"] is None and slots["order_email"] is None
