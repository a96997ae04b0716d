"""The conversation so far, rebuilt from Rasa's tracker for a widget that (re)connects.

A shopper who reloads the page, or whose network dropped, must see the same
conversation as before. Rasa's tracker already holds all of it: the shopper's
messages (also those recorded while a person had the chat), the bot's answers
with their buttons and carousels, and the agents' messages (``bot`` events the
handoff relay appends with ``metadata.sender == "agent"``). So the gateway keeps
no copy of its own; it replays the tracker as the envelopes the widget already
draws. The proof of ownership is the conversation id the widget holds (as for
every widget call, ``bot.chat``).

The same events let the gateway answer a message the widget sends again after a
drop (``resent``): if the tracker has its ``message_id``, the turn happened, and
the answers recorded after it are sent instead of running it twice.

``ConversationLocks`` makes one conversation's turns and history reads take
turns, across sockets (two tabs, or a new socket while the old one's turn is
still running), so a history read never misses a turn in progress.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi.requests import HTTPConnection
from pydantic import BaseModel, ValidationError

from bot.rasa_client import RasaError
from bot.rasa_pool import RasaPool, message_id_of, turn_after_message
from bot.schemas import AgentMessageEnvelope, BotMessageEnvelope

logger = logging.getLogger(__name__)

MAX_HISTORY_ITEMS = 200
"""Newest messages a history frame carries (no setting yet); older ones are left out."""


class ShopperLine(BaseModel):
    """A message the shopper sent, as the history shows it."""

    type: Literal["user_message"] = "user_message"
    text: str
    message_id: str | None = None


HistoryItem = ShopperLine | BotMessageEnvelope | AgentMessageEnvelope


class HistoryEnvelope(BaseModel):
    """``{"type": "history", "messages": [...], "complete": bool}``, sent on connecting.

    ``complete`` is False when Rasa could not be read: the widget then keeps what
    it shows and sends what it holds, instead of wiping the conversation.
    """

    type: Literal["history"] = "history"
    messages: list[HistoryItem]
    complete: bool = True


async def load_history(rasa: RasaPool, conversation_id: str) -> HistoryEnvelope:
    """The conversation's messages in order, or an incomplete (empty) history if Rasa is down."""
    try:
        events = await rasa.tracker_events(conversation_id)
    except RasaError as exc:
        logger.warning("No history for %s: %s", conversation_id, exc)
        return HistoryEnvelope(messages=[], complete=False)
    return HistoryEnvelope(messages=history_items(events)[-MAX_HISTORY_ITEMS:])


async def recorded_answers(
    rasa: RasaPool, conversation_id: str, message_id: str
) -> list[HistoryItem] | None:
    """What followed the message ``message_id`` in the tracker; ``None`` if it never arrived."""
    try:
        events = await rasa.tracker_events(conversation_id)
    except RasaError as exc:
        logger.warning("Cannot tell whether %s reached Rasa: %s", message_id, exc)
        return None
    turn = turn_after_message(events, message_id)
    return None if turn is None else history_items(turn)


def history_items(events: list[dict[str, Any]]) -> list[HistoryItem]:
    """Turns tracker events into the envelopes the widget draws; other events are skipped."""
    items: list[HistoryItem] = []
    last_buttons: dict[str, str] = {}  # payload -> title of the latest quick replies
    for event in events:
        kind = event.get("event")
        if kind == "user" and isinstance(event.get("text"), str) and event["text"].strip():
            text = event["text"]
            items.append(
                ShopperLine(text=last_buttons.get(text, text), message_id=message_id_of(event))
            )
        elif kind == "bot":
            for item in _bot_items(event):
                items.append(item)
                if isinstance(item, BotMessageEnvelope) and item.buttons:
                    last_buttons = {button.payload: button.title for button in item.buttons}
    return items


def _bot_items(event: dict[str, Any]) -> list[BotMessageEnvelope | AgentMessageEnvelope]:
    """One ``bot`` event as the messages the widget got live.

    Rasa's REST channel (``OutputChannel.send_response``) splits an utterance into
    its text (with buttons), its custom payload and its image, in that order; the
    history splits it the same way, so a replay looks exactly like the live turn.
    """
    metadata = _as_dict(event.get("metadata"))
    if metadata.get("sender") == "agent":
        name = str(metadata.get("agent_name") or "Support")
        return [AgentMessageEnvelope(text=str(event.get("text") or ""), agent_name=name)]
    data = _as_dict(event.get("data"))
    parts = [
        {"text": event.get("text"), "buttons": data.get("buttons") or None},
        {"custom": data.get("custom")},
        {"image": data.get("image")},
    ]
    items: list[BotMessageEnvelope | AgentMessageEnvelope] = []
    for part in parts:
        try:
            # The same checks as a live answer: unsafe URLs and malformed carousels are dropped.
            message = BotMessageEnvelope.model_validate(part)
        except ValidationError as exc:
            logger.warning("Skipped a bot message the widget cannot draw: %s", exc)
            continue
        if not message.is_empty():
            items.append(message)
    return items


def _as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class ConversationLocks:
    """One ``asyncio.Lock`` per conversation, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(conversation_id, (asyncio.Lock(), 0))
        self._locks[conversation_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[conversation_id]
            if users == 1:
                del self._locks[conversation_id]
            else:
                self._locks[conversation_id] = (lock, users - 1)


def conversation_locks(connection: HTTPConnection) -> ConversationLocks:
    """The app's locks, made on first use (one app per event loop, so one set per loop)."""
    state = connection.app.state
    locks: ConversationLocks | None = getattr(state, "conversation_locks", None)
    if locks is None:
        locks = ConversationLocks()
        state.conversation_locks = locks
    return locks
