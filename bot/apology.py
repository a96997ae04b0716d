"""What the shopper hears when the bot says nothing: an apology and an offer of a person.

When a custom action fails (the action server is down, or an action raised),
Rasa logs it, drops the action's events and answers the REST channel with
whatever came before: often nothing at all. A shopper left with no answer
waits for one that never comes, so the gateway answers such a turn itself.
The apology is also appended to the conversation's tracker, so the transcript
an agent sees and the review page show what the shopper was told.
"""

from __future__ import annotations

import logging

from bot.rasa_client import RasaError
from bot.rasa_pool import RasaPool
from bot.schemas import BotMessage, Button

logger = logging.getLogger(__name__)

APOLOGY_TEXT = (
    "Sorry, something went wrong on our side and I couldn't answer that. Your message is "
    "saved. Please try again in a minute, or talk to a person."
)
HUMAN_BUTTON = Button(title="Talk to a person", payload="/human_handoff")


def apology() -> BotMessage:
    """The gateway's own answer to a turn the bot left silent."""
    return BotMessage(text=APOLOGY_TEXT, buttons=[HUMAN_BUTTON])


async def answers_or_apology(
    rasa: RasaPool, conversation_id: str, answers: list[BotMessage]
) -> list[BotMessage]:
    """``answers`` when there are any; else the apology, recorded in the tracker."""
    if answers:
        return answers
    logger.warning("The bot gave no answer in %s; the gateway apologised", conversation_id)
    message = apology()
    event = {
        "event": "bot",
        "text": message.text,
        "data": {"buttons": [button.model_dump() for button in message.buttons or []]},
        "metadata": {"sender": "gateway", "reason": "no_answer"},
    }
    try:
        await rasa.append_events(conversation_id, [event])
    except RasaError as error:  # the shopper still gets the apology
        logger.warning("Could not record the apology in %s's tracker: %s", conversation_id, error)
    return [message]
