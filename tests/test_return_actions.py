"""The return form and opening a return, with real rasa-sdk trackers on the demo shop.

Tests that open returns work on a copy of the demo shop's database: the
session's demo shop is shared with the conversation tests, which expect
order 10001's jacket not to be on a return yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import action_trackers
import pytest
from action_trackers import reset_settings, run_action, run_sync
from action_trackers import said as texts
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.returns import (
    ActionAskReturnItems,
    ActionOpenReturn,
    ValidateReturnForm,
)
from aisle.database import session_scope
from aisle.demo.personas import DEMO_ORDERS, OTHER_CUSTOMER_OLD_ORDER
from aisle.models import Refund, ReturnRequest

RETURN_SLOTS = ["return_items", "return_reason", "return_resolution", "exchange_sku"]
DOMAIN: dict[str, Any] = {
    "forms": {"return_form": {"required_slots": [*RETURN_SLOTS, "return_confirmed"]}},
    "slots": {},
}
JACKET_ID = "1"  # order 10001's first line (the demo shop is seeded deterministically)


def form_tracker(slots: dict[str, Any], active: bool = True, **kwargs: Any) -> Tracker:
    """A tracker of Alex's verified order 10001; ``active``: the return form is running."""
    return action_trackers.form_tracker(
        {"verified_order": DEMO_ORDERS["delivered"], **slots},
        form="return_form" if active else None,
        **kwargs,
    )


def run(action: Any, tracker: Tracker) -> tuple[dict[str, Any], CollectingDispatcher]:
    return run_action(action, tracker, DOMAIN)


def test_the_first_message_names_the_item_and_reason(writable_demo_shop: str) -> None:
    slots, dispatcher = run(
        ValidateReturnForm(),
        form_tracker(
            {"return_request_text": "return the jacket, it's too small", "return_reason": "Old"},
            active=False,
        ),
    )
    assert slots["return_items"] == [JACKET_ID]
    assert slots["return_reason"] == "Too small"
    assert slots["return_resolution"] is None  # answers of an earlier return are forgotten
    assert slots["requested_slot"] == "return_resolution"
    assert dispatcher.messages == []


def test_a_final_sale_item_is_refused_with_the_reason(writable_demo_shop: str) -> None:
    slots, dispatcher = run(
        ValidateReturnForm(),
        form_tracker({"requested_slot": "return_items"}, text="the socks please"),
    )
    assert slots["return_items"] is None and slots["requested_slot"] == "return_items"
    assert "final sale, so it can't be returned" in texts(dispatcher)


def test_an_unclear_answer_gets_a_hint_and_keeps_the_form(writable_demo_shop: str) -> None:
    slots, dispatcher = run(
        ValidateReturnForm(),
        form_tracker({"requested_slot": "return_items"}, text="purple elephant"),
    )
    assert "return_items" in slots and slots["return_items"] is None
    assert "couldn't tell which item" in texts(dispatcher)


def test_a_button_payload_names_the_item(writable_demo_shop: str) -> None:
    slots, _ = run(
        ValidateReturnForm(),
        form_tracker(
            {"requested_slot": "return_items"},
            text='/inform{"return_item": "1"}',
            entities=[{"entity": "return_item", "value": JACKET_ID}],
        ),
    )
    assert slots["return_items"] == [JACKET_ID]
    assert slots["requested_slot"] == "return_reason"


@pytest.mark.parametrize("intent", ["stop", "human_handoff", "return_policy"])
def test_interrupting_messages_fill_nothing(writable_demo_shop: str, intent: str) -> None:
    """So that Rasa rejects the form and the rule for that intent runs."""
    slots, _ = run(
        ValidateReturnForm(),
        form_tracker({"requested_slot": "return_items"}, text="the jacket", intent=intent),
    )
    assert "return_items" not in slots


def test_an_exchange_asks_for_the_variant_then_reads_it(writable_demo_shop: str) -> None:
    answered = {"return_items": [JACKET_ID], "return_reason": "Too big"}
    slots, _ = run(
        ValidateReturnForm(),
        form_tracker(
            {**answered, "requested_slot": "return_resolution"}, text="swap for another size"
        ),
    )
    assert slots["return_resolution"] == "exchange"
    asking = form_tracker({**answered, "return_resolution": "exchange"})
    required = run_sync(
        ValidateReturnForm().required_slots(
            DOMAIN["forms"]["return_form"]["required_slots"], CollectingDispatcher(), asking, DOMAIN
        )
    )
    assert required == [*RETURN_SLOTS, "return_confirmed"]  # Rasa asks exchange_sku next
    slots, _ = run(
        ValidateReturnForm(),
        form_tracker(
            {**answered, "return_resolution": "exchange", "requested_slot": "exchange_sku"},
            text="a small",
        ),
    )
    assert slots["exchange_sku"] == "P01003-GREY-S"


def test_an_order_with_nothing_returnable_ends_the_form(writable_demo_shop: str) -> None:
    slots, _ = run(
        ValidateReturnForm(),
        form_tracker({"verified_order": OTHER_CUSTOMER_OLD_ORDER}, active=False),
    )
    assert slots["requested_slot"] is None


def test_the_item_question_lists_only_returnable_items(writable_demo_shop: str) -> None:
    _, dispatcher = run(ActionAskReturnItems(), form_tracker({}))
    [message] = dispatcher.messages
    assert [button["title"] for button in message["buttons"]] == [
        "Kestrel Outdoor Pikafield Shell Jacket (grey, size M)"
    ]
    assert message["buttons"][0]["payload"] == '/inform{"return_item": "1"}'


def confirmed_refund(**overrides: Any) -> dict[str, Any]:
    return {
        "return_items": [JACKET_ID],
        "return_reason": "Too small",
        "return_resolution": "refund",
        "return_confirmed": True,
        **overrides,
    }


def test_a_confirmed_return_is_opened_once(writable_demo_shop: str) -> None:
    slots, dispatcher = run(ActionOpenReturn(), form_tracker(confirmed_refund(), active=False))
    rma = slots["last_rma"]
    assert rma.startswith("RMA-")
    assert f"I've opened return {rma}" in texts(dispatcher)
    assert all(slots[slot] is None for slot in RETURN_SLOTS)
    with session_scope(writable_demo_shop) as session:
        request = session.scalars(
            select(ReturnRequest).where(ReturnRequest.rma_number == rma)
        ).one()
        assert (request.reason, request.resolution) == ("Too small", "refund")
        refund = session.scalars(select(Refund).where(Refund.return_id == request.id)).one()
        assert refund.status == "pending"
    # The same return again: the database says the jacket is on a return now.
    slots, dispatcher = run(ActionOpenReturn(), form_tracker(confirmed_refund(), active=False))
    assert "last_rma" not in slots
    assert f"already on a return ({rma})" in texts(dispatcher)


def test_a_declined_return_writes_nothing(writable_demo_shop: str) -> None:
    with session_scope(writable_demo_shop) as session:
        before = len(session.scalars(select(ReturnRequest)).all())
    _, dispatcher = run(
        ActionOpenReturn(), form_tracker(confirmed_refund(return_confirmed=False), active=False)
    )
    assert dispatcher.messages[0]["response"] == "utter_return_not_opened"
    with session_scope(writable_demo_shop) as session:
        assert len(session.scalars(select(ReturnRequest)).all()) == before


def test_an_unverified_shopper_opens_nothing(writable_demo_shop: str) -> None:
    _, dispatcher = run(
        ActionOpenReturn(), form_tracker(confirmed_refund(verified_order=None), active=False)
    )
    assert dispatcher.messages[0]["response"] == "utter_order_not_verified"


def test_a_dead_database_gets_an_apology_and_loses_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AISLE_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'shop.db'}")
    reset_settings()
    try:
        _, dispatcher = run(ActionOpenReturn(), form_tracker(confirmed_refund(), active=False))
    finally:
        reset_settings()
    assert dispatcher.messages[0]["response"] == "utter_order_lookup_failed"
