"""Escalation triggers (actions/escalation.py, actions/complaints.py) on real rasa-sdk trackers,
and the handoff package they leave in the real shop database (actions/handoff.py).

The same triggers are replayed through the real Rasa and action server in
tests/stories/test_escalation.yml (tests/test_conversations.py) and through the
gateway in tests/test_escalation_stack.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from action_trackers import reset_settings, run_sync
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.escalation import ActionCheckEscalation, detect
from actions.handoff import ActionHandoff
from actions.orders import ActionOrderStatus
from actions.returns import ActionOpenReturn
from actions.search import ActionSearchProducts
from aisle.database import session_scope
from aisle.models import Handoff
from aisle.order_source import OrderSourceError, SqlOrderSource
from aisle.settings import PROJECT_ROOT


def user(text: str, intent: str, number: str | None = None) -> dict[str, Any]:
    entities = [{"entity": "order_number", "value": number}] if number else []
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": entities},
    }


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


def conversation(*events: dict[str, Any], slots: dict[str, Any] | None = None) -> Tracker:
    """A tracker whose latest message is the last user event of ``events``."""
    latest = next(e for e in reversed(events) if e["event"] == "user")
    return Tracker(
        sender_id="escalation-test",
        slots={"verification_failures": 0.0, **(slots or {})},
        latest_message={**latest["parse_data"], "text": latest["text"]},
        events=list(events),
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def said(text: str, intent: str = "out_of_scope") -> Tracker:
    return conversation(user(text, intent))


def run(action_: Any, tracker: Tracker) -> tuple[list[dict[str, Any]], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    return run_sync(action_.run(dispatcher, tracker, {})), dispatcher


def followups(events: list[dict[str, Any]]) -> list[str]:
    return [e["name"] for e in events if e["event"] == "followup"]


def slots_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("someone used my card for this order, it's fraud", "fraud"),
        ("I never authorised this payment", "fraud"),
        ("i'm going to file a chargeback", "chargeback"),
        ("I will dispute the charge with my bank", "chargeback"),
        ("my lawyer will hear about this", "legal"),
        ("the heater caught fire in my kitchen", "safety"),
        ("the charger gave my son an electric shock", "safety"),
    ],
)
def test_sensitive_topics_are_named_by_topic(text: str, topic: str) -> None:
    found = detect(said(text))
    assert found is not None and found.reason == "sensitive_topic" and found.trigger == topic
    assert found.messages == [text] and found.matched


@pytest.mark.parametrize(
    "text",
    [
        "this is ridiculous",
        "Absolutely unacceptable, three weeks and nothing",
        "you're useless",
        "what a waste of my time",
        "I\u2019m so frustrated with this shop",
    ],
)
def test_frustrated_phrases(text: str) -> None:
    found = detect(said(text))
    assert found is not None and (found.reason, found.trigger) == ("frustration", "phrase")


def test_all_caps_is_frustration_but_a_caps_email_or_short_yes_is_not() -> None:
    found = detect(said("WHERE IS MY ORDER I PAID TWO WEEKS AGO", "track_order"))
    assert found is not None and (found.reason, found.trigger) == ("frustration", "all_caps")
    assert detect(said("ORDER 10003 ALEX.RIVERA@EXAMPLE.COM", "inform")) is None
    assert detect(said("YES", "affirm")) is None
    assert detect(said("OK THANKS", "thank_you")) is None


@pytest.mark.parametrize(
    "text",
    [
        "these shoes hurt my feet how do i send them back",  # a return reason, not an injury
        "is the issue with my order sorted",  # "issue" is not "sue"
        "a fire pit for the garden",
        "do you have a courtesy car seat",
        "where is my order",
    ],
)
def test_ordinary_messages_do_not_escalate(text: str) -> None:
    assert detect(said(text, "track_order")) is None


def test_the_same_complaint_twice_is_frustration_with_both_messages() -> None:
    tracker = conversation(
        user("my parcel never came and nobody answers my emails", "track_order"),
        action("verify_order_form"),
        user("My parcel never came, and nobody answers my emails!", "track_order"),
    )
    found = detect(tracker)
    assert found is not None and (found.reason, found.trigger) == (
        "frustration",
        "repeated_message",
    )
    assert found.messages == [
        "my parcel never came and nobody answers my emails",
        "My parcel never came, and nobody answers my emails!",
    ]


def test_asking_a_question_again_or_retrying_after_an_apology_is_not_a_complaint() -> None:
    policy = conversation(
        user("what is your return policy", "return_policy"),
        action("utter_return_policy"),
        user("what's your returns policy?", "return_policy"),
    )
    assert detect(policy) is None
    search = "a warm waterproof jacket for hiking"
    assert (
        detect(conversation(user(search, "product_search"), user(search, "product_search"))) is None
    )
    paging = "show me more of those please"
    assert (
        detect(conversation(user(paging, "product_followup"), user(paging, "product_followup")))
        is None
    )
    complaint = "my parcel never came and nobody answers my emails"
    apology = {
        "event": "bot",
        "text": "Sorry, something went wrong on our side.",
        "metadata": {"sender": "gateway", "reason": "no_answer"},
    }
    retried = conversation(user(complaint, "track_order"), apology, user(complaint, "track_order"))
    assert detect(retried) is None
    # Without the apology between them, the same words again are a complaint.
    assert detect(conversation(user(complaint, "track_order"), user(complaint, "track_order")))


def test_the_same_late_order_asked_about_again_after_the_answer_is_frustration() -> None:
    first = "where is order 10003? email alex.rivera@example.com"
    tracker = conversation(
        user(first, "track_order", number="10003"),
        action("verify_order_form"),
        slot("verified_order", "10003"),
        action("action_order_status"),
        user("hello?? where's my order 10003", "track_order", number="10003"),
        slots={"verified_order": "10003"},
    )
    found = detect(tracker)
    assert found is not None and (found.reason, found.trigger) == (
        "frustration",
        "repeated_question",
    )
    assert found.order == "10003" and found.messages[0] == first


def test_asking_about_another_order_or_after_a_handoff_is_not_a_repeat() -> None:
    answered = [
        user("where is order 10002? email alex.rivera@example.com", "track_order", "10002"),
        slot("verified_order", "10002"),
        action("action_order_status"),
    ]
    verified = {"verified_order": "10002"}
    assert (
        detect(conversation(*answered, user("and my last order?", "track_order"), slots=verified))
        is None
    )
    assert detect(conversation(*answered, user("what about 10004", "track_order", "10004"))) is None
    again = user("where is order 10002? email alex.rivera@example.com", "track_order", "10002")
    assert detect(conversation(*answered, action("action_handoff"), again)) is None


def test_yes_twice_is_no_complaint() -> None:
    tracker = conversation(user("yes please do", "affirm"), user("yes please do", "affirm"))
    assert detect(tracker) is None


def test_two_fallbacks_in_a_row_but_not_one() -> None:
    one = conversation(user("the thing", "nlu_fallback"))
    assert detect(one) is None
    two = conversation(
        user("the thing", "nlu_fallback"),
        action("utter_default"),
        user("the other bit", "nlu_fallback"),
    )
    found = detect(two)
    assert found is not None and (found.reason, found.trigger) == ("repeated_fallback", "fallbacks")
    assert found.messages == ["the thing", "the other bit"]
    apart = conversation(
        user("the thing", "nlu_fallback"),
        user("hi", "greet"),
        user("the other bit", "nlu_fallback"),
    )
    assert detect(apart) is None


def test_the_check_sets_the_slots_and_clears_them_on_a_calm_message() -> None:
    events, _ = run(ActionCheckEscalation(), said("this is ridiculous"))
    assert slots_of(events)["needs_person"] is True
    assert slots_of(events)["escalation_reason"] == "frustration"
    assert slots_of(events)["escalation_evidence"]["matched"] == "this is ridiculous"
    calm = conversation(user("thanks", "thank_you"), slots={"needs_person": True})
    events, _ = run(ActionCheckEscalation(), calm)
    assert slots_of(events) == {
        "needs_person": None,
        "escalation_reason": None,
        "escalation_evidence": None,
    }
    assert run(ActionCheckEscalation(), said("thanks", "thank_you"))[0] == []


def test_a_paused_conversation_is_never_escalated() -> None:
    latest = user("THIS IS RIDICULOUS I WANT MY MONEY", "out_of_scope")
    tracker = Tracker(
        "paused",
        {},
        {**latest["parse_data"], "text": latest["text"]},
        [latest],
        True,
        None,
        {},
        "action_listen",
    )
    assert run(ActionCheckEscalation(), tracker)[0] == []


def stored(database_url: str, handoff_id: int) -> Handoff:
    with session_scope(database_url) as session:
        handoff = session.scalars(select(Handoff).where(Handoff.id == handoff_id)).one()
        session.expunge(handoff)
        return handoff


@pytest.mark.parametrize(
    ("text", "reason", "trigger", "lead_in"),
    [
        ("this is ridiculous", "frustration", "phrase", "utter_handoff_because_frustration"),
        (
            "i want a refund or i'm calling my bank",
            "sensitive_topic",
            "chargeback",
            "utter_handoff_because_sensitive_topic",
        ),
    ],
)
def test_the_handoff_package_keeps_the_reason_and_its_evidence(
    writable_demo_shop: str, text: str, reason: str, trigger: str, lead_in: str
) -> None:
    tracker = said(text)
    check_events, _ = run(ActionCheckEscalation(), tracker)
    tracker.slots.update(slots_of(check_events))
    events, dispatcher = run(ActionHandoff(), tracker)
    handoff = stored(writable_demo_shop, int(slots_of(events)["handoff_id"]))
    assert handoff.reason == reason and slots_of(events)["handoff_reason"] == reason
    assert handoff.context["escalation"]["trigger"] == trigger
    assert handoff.context["escalation"]["messages"] == [text]
    assert [m["response"] for m in dispatcher.messages] == [lead_in, "utter_handoff_created"]


def test_asking_for_a_person_is_a_shopper_request_with_the_request_as_evidence(
    writable_demo_shop: str,
) -> None:
    events, dispatcher = run(ActionHandoff(), said("can i talk to a human", "human_handoff"))
    handoff = stored(writable_demo_shop, int(slots_of(events)["handoff_id"]))
    assert handoff.reason == "shopper_request"
    assert handoff.context["escalation"]["messages"] == ["can i talk to a human"]
    assert [m["response"] for m in dispatcher.messages] == ["utter_handoff_created"]


def test_the_verification_limit_is_the_reason_after_three_failures(writable_demo_shop: str) -> None:
    tracker = conversation(user("yes, talk to a person", "human_handoff"))
    tracker.slots["verification_failures"] = 3.0
    events, _ = run(ActionHandoff(), tracker)
    handoff = stored(writable_demo_shop, int(slots_of(events)["handoff_id"]))
    assert handoff.reason == "verification_failed"
    assert handoff.context["escalation"]["failures"] == 3


def test_search_with_the_index_down_hands_over_as_an_action_failure(
    writable_demo_shop: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AISLE_INDEX_DIR", str(tmp_path / "no-index"))
    reset_settings()
    events, dispatcher = run(
        ActionSearchProducts(), said("a warm waterproof jacket", "product_search")
    )
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_search_failed",
        "utter_handoff_because_action_failed",
        "utter_handoff_created",
    ]
    handoff = stored(writable_demo_shop, int(slots_of(events)["handoff_id"]))
    assert (
        handoff.reason == "action_failed" and slots_of(events)["handoff_reason"] == "action_failed"
    )
    assert handoff.context["escalation"]["trigger"] == "action_search_products"
    assert handoff.context["escalation"]["error"] == "IndexNotFoundError"


def test_order_status_with_the_database_down_says_how_to_reach_support(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AISLE_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'shop.db'}")
    reset_settings()
    try:
        tracker = conversation(
            user("where is my order", "track_order"), slots={"verified_order": "10001"}
        )
        events, dispatcher = run(ActionOrderStatus(), tracker)
        # The handoff cannot be stored either: the shopper is told so, not promised a person.
        assert [m["response"] for m in dispatcher.messages] == [
            "utter_order_lookup_failed",
            "utter_handoff_failed",
        ]
        assert "handoff_id" not in slots_of(events)
    finally:
        reset_settings()


def test_order_status_hands_over_when_the_order_source_fails(
    writable_demo_shop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The order source down, the handoff store up (e.g. a shop platform API outage)."""

    def down(self: SqlOrderSource, order_number: str) -> None:
        raise OrderSourceError("the shop platform did not answer")

    monkeypatch.setattr(SqlOrderSource, "get_order", down)
    tracker = conversation(
        user("where is my order", "track_order"), slots={"verified_order": "10001"}
    )
    events, dispatcher = run(ActionOrderStatus(), tracker)
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_order_lookup_failed",
        "utter_handoff_because_action_failed",
        "utter_handoff_created",
    ]
    handoff = stored(writable_demo_shop, int(slots_of(events)["handoff_id"]))
    assert handoff.reason == "action_failed"
    assert handoff.context["escalation"]["trigger"] == "action_order_status"


def test_every_intent_escalates_in_every_form() -> None:
    """The escalation rules list intents (a rule cannot say "any"): a new intent must join them."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    rules = yaml.safe_load(
        (PROJECT_ROOT / "data" / "rules" / "rules_handoff.yml").read_text(encoding="utf-8")
    )["rules"]
    escalating = [rule for rule in rules if {"needs_person": True} in _slots_set(rule["steps"])]
    forms = {
        next((c["active_loop"] for c in rule.get("condition", []) if "active_loop" in c), None)
        for rule in escalating
    }
    assert forms == {None, *domain["forms"]}
    for rule in escalating:
        listed = {step["intent"] for step in rule["steps"][0]["or"]}
        assert listed == {*domain["intents"], "nlu_fallback"}, rule["rule"]


def _slots_set(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [item for step in steps for item in step.get("slot_was_set", [])]


def test_no_training_or_held_out_message_fires_a_trigger_by_itself() -> None:
    """Guards against a phrase so broad that ordinary requests would be handed over."""
    files = [
        *(PROJECT_ROOT / "data" / "nlu").glob("*.yml"),
        PROJECT_ROOT / "tests/nlu/test_messages.yml",
    ]
    fired = []
    for path in files:
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
            for line in str(item.get("examples") or "").splitlines():
                text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line.lstrip("- ").strip())
                if text and detect(said(text, str(item.get("intent")))) is not None:
                    fired.append(f"{path.name}: {text}")
    assert fired == []


def test_a_return_that_cannot_read_the_order_hands_over(
    writable_demo_shop: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(self: SqlOrderSource, order_number: str) -> None:
        raise OrderSourceError("the shop platform did not answer")

    monkeypatch.setattr(SqlOrderSource, "get_order", down)
    tracker = conversation(
        user("yes open it", "affirm"),
        slots={"verified_order": "10001", "return_items": ["1"], "return_confirmed": True},
    )
    events, dispatcher = run(ActionOpenReturn(), tracker)
    assert [m["response"] for m in dispatcher.messages] == [
        "utter_order_lookup_failed",
        "utter_handoff_because_action_failed",
        "utter_handoff_created",
    ]
    handoff = stored(writable_demo_shop, int(slots_of(events)["handoff_id"]))
    assert (handoff.reason, handoff.context["escalation"]["trigger"]) == (
        "action_failed",
        "action_open_return",
    )
