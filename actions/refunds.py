"""Refund status: what happened to the money, per refund, from the order source."""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.orders import load_verified_order
from aisle.order_source import OrderView, RefundView, ReturnView

logger = logging.getLogger(__name__)

METHOD_NAMES = {"original_payment": "your original payment method", "store_credit": "store credit"}


class ActionRefundStatus(Action):
    """Tells a verified shopper about the refunds and open returns of their order."""

    def name(self) -> str:
        return "action_refund_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order = load_verified_order(dispatcher, tracker)
        if order is None:
            return []
        dispatcher.utter_message(text=describe_refunds(order))
        return []


def describe_refunds(order: OrderView) -> str:
    """One line per refund, then returns still waiting for a refund."""
    lines = [_refund_line(refund, order.currency) for refund in order.refunds]
    refunded_rmas = {refund.rma_number for refund in order.refunds}
    lines += [
        _waiting_return_line(request)
        for request in order.returns
        if request.rma_number not in refunded_rmas
    ]
    if not lines:
        return f"There's no refund or return on order {order.number}."
    return f"Refunds for order {order.number}:\n" + "\n".join(lines)


def _refund_line(refund: RefundView, currency: str) -> str:
    amount = f"{refund.amount:.2f} {currency}"
    method = METHOD_NAMES.get(refund.method, refund.method)
    source = f" for return {refund.rma_number}" if refund.rma_number else ""
    if refund.status == "paid" and refund.paid_at is not None:
        return f"- {amount}{source}: paid to {method} on {refund.paid_at:%a %d %b}."
    if refund.status == "approved":
        return (
            f"- {amount}{source}: approved, to be paid to {method}; "
            "banks usually show it within 5 business days."
        )
    return f"- {amount}{source}: pending; we'll email you once it's approved."


def _waiting_return_line(request: ReturnView) -> str:
    if request.status == "rejected":
        return f"- Return {request.rma_number} was not accepted, so no refund is due for it."
    if request.resolution == "exchange":
        return f"- Return {request.rma_number} is an exchange ({request.status}), not a refund."
    return (
        f"- Return {request.rma_number} is {request.status}; "
        "the refund is issued once we've received the items."
    )
