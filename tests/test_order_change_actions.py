"""Cancelling and re-addressing orders in conversation, on a private copy of the demo shop."""

from __future__ import annotations

from typing import Any

import pytest
from action_trackers import form_tracker, run_action, run_sync, said
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.order_changes import (
    ActionAskChangeConfirmed,
    ActionChangeOrder,
    ValidateOrderChangeForm,
)
from aisle.database import session_scope
from aisle.demo.personas import DEMO_ORDERS
from aisle.models import Order, Refund

DOMAIN: dict[str, Any] = {
    "forms": {"order_change_form": {"required_slots": ["new_address", "change_confirmed"]}}
}
NOT_SHIPPED = DEMO_ORDERS["processing"]
ON_ITS_WAY = DEMO_ORDERS["in_transit"]


def slots(request: str, order: str = NOT_SHIPPED, **more: Any) -> dict[str, Any]:
    return {"verified_order": order, "order_request": request, **more}


def stored_order(url: str, number: str) -> Order:
    with session_scope(url) as session:
        return session.scalars(select(Order).where(Order.number == number)).one()


def test_an_address_change_asks_for_the_address_then_a_yes(writable_demo_shop: str) -> None:
    required = run_sync(
        ValidateOrderChangeForm().required_slots(
            DOMAIN["forms"]["order_change_form"]["required_slots"],
            CollectingDispatcher(),
            form_tracker(slots("address")),
            DOMAIN,
        )
    )
    assert required == ["new_address", "change_confirmed"]
    cancel, _ = run_action(ValidateOrderChangeForm(), form_tracker(slots("cancel")), DOMAIN)
    assert cancel["requested_slot"] == "change_confirmed"  # a cancellation needs no address
    answered, dispatcher = run_action(
        ValidateOrderChangeForm(),
        form_tracker(
            slots("address", requested_slot="new_address"),
            text="221  Baker Street, Springfield, IL 62704",
            form="order_change_form",
        ),
        DOMAIN,
    )
    assert answered["new_address"] == "221 Baker Street, Springfield, IL 62704"
    assert dispatcher.messages == []


def test_an_address_without_a_postcode_gets_a_hint(writable_demo_shop: str) -> None:
    answered, dispatcher = run_action(
        ValidateOrderChangeForm(),
        form_tracker(
            slots("address", requested_slot="new_address"),
            text="my new flat",
            form="order_change_form",
        ),
        DOMAIN,
    )
    assert answered["new_address"] is None
    assert "ZIP code" in said(dispatcher) or "house number" in said(dispatcher)


def test_a_shipped_order_asks_nothing(writable_demo_shop: str) -> None:
    asked, _ = run_action(
        ValidateOrderChangeForm(), form_tracker(slots("cancel", ON_ITS_WAY)), DOMAIN
    )
    assert asked["requested_slot"] is None


def test_the_question_says_what_will_happen(writable_demo_shop: str) -> None:
    _, dispatcher = run_action(ActionAskChangeConfirmed(), form_tracker(slots("cancel")), DOMAIN)
    assert f"Cancel order {NOT_SHIPPED}" in said(dispatcher)
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/affirm"


def test_a_confirmed_cancellation_is_written(writable_demo_shop: str) -> None:
    _, dispatcher = run_action(
        ActionChangeOrder(), form_tracker(slots("cancel", change_confirmed=True)), DOMAIN
    )
    assert f"Done: order {NOT_SHIPPED} is cancelled" in said(dispatcher)
    order = stored_order(writable_demo_shop, NOT_SHIPPED)
    assert order.status == "cancelled"
    with session_scope(writable_demo_shop) as session:
        refund = session.scalars(select(Refund).where(Refund.order_id == order.id)).one()
        assert refund.amount == order.total and refund.status == "pending"
    # Cancelling again is refused from the database, not from the conversation.
    _, dispatcher = run_action(
        ActionChangeOrder(), form_tracker(slots("cancel", change_confirmed=True)), DOMAIN
    )
    assert "already cancelled" in said(dispatcher)


def test_a_confirmed_address_change_is_written(writable_demo_shop: str) -> None:
    typed = "221 Baker Street, Springfield, IL 62704"
    _, dispatcher = run_action(
        ActionChangeOrder(),
        form_tracker(slots("address", new_address=typed, change_confirmed=True)),
        DOMAIN,
    )
    assert f"will be delivered to {typed}" in said(dispatcher)
    order = stored_order(writable_demo_shop, NOT_SHIPPED)
    assert (order.shipping_address, order.shipping_postcode) == (
        "221 Baker Street, Springfield, IL",
        "62704",
    )


@pytest.mark.parametrize("confirmed", [False, None])
def test_without_a_yes_nothing_changes(writable_demo_shop: str, confirmed: bool | None) -> None:
    _, dispatcher = run_action(
        ActionChangeOrder(), form_tracker(slots("cancel", change_confirmed=confirmed)), DOMAIN
    )
    assert dispatcher.messages[0]["response"] == "utter_order_not_changed"
    assert stored_order(writable_demo_shop, NOT_SHIPPED).status == "processing"


def test_a_shipped_order_is_refused_and_a_person_offered(writable_demo_shop: str) -> None:
    _, dispatcher = run_action(
        ActionChangeOrder(),
        form_tracker(slots("cancel", ON_ITS_WAY, change_confirmed=True)),
        DOMAIN,
    )
    assert "already shipped" in said(dispatcher)
    assert dispatcher.messages[-1]["response"] == "utter_offer_person_for_change"
    assert stored_order(writable_demo_shop, ON_ITS_WAY).status == "shipped"


def test_an_unverified_shopper_changes_nothing(writable_demo_shop: str) -> None:
    _, dispatcher = run_action(
        ActionChangeOrder(),
        form_tracker({"order_request": "cancel", "change_confirmed": True}),
        DOMAIN,
    )
    assert dispatcher.messages[0]["response"] == "utter_order_not_verified"
    assert stored_order(writable_demo_shop, NOT_SHIPPED).status == "processing"
