"""Several Rasa replicas behind one gateway: consistent routing and fail-over.

Rasa scales out by running several servers on one tracker store (PostgreSQL)
and one lock store (Redis); any replica can answer any conversation. The pool
still sends each conversation to the same replica while it is up (rendezvous
hashing), so a replica that dies moves only its own conversations, and
nothing is balanced by hand.

Fail-over must never lose a turn or answer one twice. A request that never
reached a replica (connection refused) is simply sent to the next one. A
request that broke off *after* reaching it (the replica was killed mid-turn)
may or may not have been processed: Rasa saves the tracker at the end of a
turn, so the next replica reads the tracker and, if the shopper's message is
there (found by its message id), returns the answers recorded after it instead
of sending it again.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar

from bot.rasa_client import RasaClient, RasaProtocolError, RasaUnavailable
from bot.schemas import BotMessage

logger = logging.getLogger(__name__)

T = TypeVar("T")

MESSAGE_ID_KEY = "message_id"
"""Metadata key of the id that lets a replica recognise a message another replica took."""


class RasaPool:
    """The gateway's view of Rasa: one or several replicas, used like one ``RasaClient``."""

    def __init__(self, replicas: list[RasaClient]) -> None:
        if not replicas:
            raise ValueError("A Rasa pool needs at least one replica URL (AISLE_RASA_URLS).")
        self.replicas = replicas

    @classmethod
    def from_urls(cls, urls: list[str], timeout: float) -> RasaPool:
        """One client per URL; with several replicas a dead one fails over at once
        instead of being retried (the next replica is the retry)."""
        retries = None if len(urls) == 1 else 0
        return cls([RasaClient(url, timeout, connect_retries=retries) for url in urls])

    async def __aenter__(self) -> RasaPool:
        for replica in self.replicas:
            await replica.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for replica in self.replicas:
            await replica.__aexit__(exc_type, exc, tb)

    def route(self, conversation_id: str) -> list[RasaClient]:
        """The replicas in the order this conversation tries them (rendezvous hashing)."""
        return sorted(
            self.replicas,
            key=lambda replica: _weight(conversation_id, replica.base_url),
            reverse=True,
        )

    async def send(
        self, conversation_id: str, text: str, metadata: dict[str, Any]
    ) -> list[BotMessage]:
        """Sends one shopper message to the conversation's replica, failing over when it is down."""
        metadata = {**metadata, MESSAGE_ID_KEY: metadata.get(MESSAGE_ID_KEY) or uuid.uuid4().hex}
        replicas = self.route(conversation_id)
        maybe_processed = False
        last_error: RasaUnavailable | None = None
        for replica in replicas:
            try:
                if maybe_processed:
                    recorded = await _answers_recorded(replica, conversation_id, metadata)
                    if recorded is not None:
                        return recorded
                return await replica.send(conversation_id, text, metadata)
            except RasaUnavailable as error:
                last_error = error
                maybe_processed = maybe_processed or error.may_have_reached
                logger.warning(
                    "Rasa replica %s failed, trying the next: %s", replica.base_url, error
                )
        assert last_error is not None
        raise last_error

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """Appends events on the first replica that answers.

        Only a request that never reached a replica is repeated, so an event is never
        appended twice.
        """
        await self._first_reachable(
            conversation_id, lambda replica: replica.append_events(conversation_id, events)
        )

    async def is_paused(self, conversation_id: str) -> bool:
        return await self._first_reachable(
            conversation_id, lambda replica: replica.is_paused(conversation_id)
        )

    async def tracker_events(self, conversation_id: str) -> list[dict[str, Any]]:
        """The conversation's events, from the first of its replicas that answers."""
        return await self._first_reachable(
            conversation_id, lambda replica: replica.tracker_events(conversation_id)
        )

    async def is_ready(self) -> bool:
        """Ready when at least one replica answers (the pool routes around the others)."""
        for replica in self.replicas:
            if await replica.is_ready():
                return True
        return False

    async def _first_reachable(
        self, conversation_id: str, call: Callable[[RasaClient], Awaitable[T]]
    ) -> T:
        """``call`` on the conversation's replicas in route order, until one is reached."""
        last_error: RasaUnavailable | None = None
        for replica in self.route(conversation_id):
            try:
                return await call(replica)
            except RasaUnavailable as error:
                if error.may_have_reached:
                    raise
                last_error = error
        assert last_error is not None
        raise last_error


async def _answers_recorded(
    replica: RasaClient, conversation_id: str, metadata: dict[str, Any]
) -> list[BotMessage] | None:
    """The bot's answers to the message with this id, if a replica already processed it."""
    try:
        events = await replica.tracker_events(conversation_id)
    except RasaProtocolError:
        return None
    turn = turn_after_message(events, metadata[MESSAGE_ID_KEY])
    return None if turn is None else _bot_messages_after(turn)


def turn_after_message(
    events: list[dict[str, Any]], message_id: str
) -> list[dict[str, Any]] | None:
    """The events that followed the shopper message ``message_id``, up to the next one;
    ``None`` if the tracker never got that message."""
    for index, event in enumerate(events):
        if event.get("event") == "user" and message_id_of(event) == message_id:
            later = events[index + 1 :]
            ends = next((i for i, e in enumerate(later) if e.get("event") == "user"), len(later))
            return later[:ends]
    return None


def message_id_of(event: dict[str, Any]) -> str | None:
    """The gateway's ``message_id`` in a ``user`` event's metadata, if it has one."""
    metadata = event.get("metadata") or {}
    value = metadata.get(MESSAGE_ID_KEY) if isinstance(metadata, dict) else None
    return value if isinstance(value, str) else None


def _bot_messages_after(events: list[dict[str, Any]]) -> list[BotMessage]:
    """Rebuilds the REST channel's answer from the ``bot`` events of one turn."""
    messages: list[BotMessage] = []
    for event in events:
        if event.get("event") != "bot":
            continue
        data = event.get("data") or {}
        message = BotMessage.model_validate(
            {
                "text": event.get("text"),
                "buttons": data.get("buttons"),
                "image": data.get("image"),
                "custom": data.get("custom"),
            }
        )
        if not message.is_empty():
            messages.append(message)
    return messages


def _weight(conversation_id: str, replica_url: str) -> int:
    digest = hashlib.blake2b(f"{conversation_id}|{replica_url}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")
