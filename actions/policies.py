"""Policy questions answered from the same files the rules are enforced from.

The return policy is read from ``aisle/return_policy.yml``, the file the
returns code checks against, so what Aisle says and what it does cannot drift.
"""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from aisle.return_policy import PolicyError, ReturnPolicy, load_return_policy

logger = logging.getLogger(__name__)

RESOLUTION_NAMES = {"refund": "a refund", "exchange": "an exchange", "store_credit": "store credit"}


class ActionExplainReturnPolicy(Action):
    def name(self) -> str:
        return "action_explain_return_policy"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            policy = load_return_policy()
        except PolicyError:
            logger.exception("The return policy file is broken")
            dispatcher.utter_message(
                text="Sorry, I can't look up the return policy right now. A person can help."
            )
            return []
        dispatcher.utter_message(text=explain_return_policy(policy))
        return []


def explain_return_policy(policy: ReturnPolicy) -> str:
    """The policy in two or three plain sentences."""
    choices = [RESOLUTION_NAMES[resolution] for resolution in policy.resolutions]
    choice_text = (
        choices[0] if len(choices) == 1 else ", ".join(choices[:-1]) + f" or {choices[-1]}"
    )
    sentences = [
        f"You can return items within {policy.return_window_days} days of delivery "
        f"for {choice_text}."
    ]
    if not policy.final_sale_returnable:
        sentences.append("Items marked final sale can't be returned.")
    if "exchange" in policy.resolutions and policy.exchange_requires_stock:
        sentences.append("Exchanges depend on the size or colour you want being in stock.")
    return " ".join(sentences)
