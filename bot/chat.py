"""One chat turn: check what the shopper sent, relay it to Rasa, return the answers.

The websocket and the HTTP API are two doors to the same turn, so validation
and error wording live here, once. Every failure becomes a ``ChatError`` with a
code and a sentence a shopper can read; transports decide how to deliver it.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.rasa_client import RasaProtocolError, RasaUnavailable
from bot.rasa_pool import MESSAGE_ID_KEY, RasaPool
from bot.schemas import (
    BotMessage,
    ErrorCode,
    ErrorEnvelope,
    ShopperMessage,
    ShopperTyping,
    TicketRequest,
    is_valid_conversation_id,
)

logger = logging.getLogger(__name__)

Channel = Literal["websocket", "http"]

UNAVAILABLE_TEXT = "The assistant is temporarily unavailable. Please retry in a moment."
ASSISTANT_ERROR_TEXT = "The assistant could not answer that message. Please retry in a moment."


class ChatError(Exception):
    """A turn that cannot go on, with a message meant for the shopper."""

    def __init__(self, code: ErrorCode, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message
        self.retry_after = retry_after

    def envelope(self) -> ErrorEnvelope:
        return ErrorEnvelope(
            code=self.code, message=self.message, retry_after_seconds=self.retry_after
        )


def max_frame_bytes(max_chars: int) -> int:
    """Largest raw message (JSON) worth parsing.

    A generous bound (JSON may escape one character as 12 bytes, plus the
    metadata), so only abuse is refused before the clearer checks run.
    """
    return max_chars * 12 + 16 * 1024


def check_conversation_id(conversation_id: str) -> str:
    """Returns the id if the widget could have made it, else raises ``ChatError``."""
    if not is_valid_conversation_id(conversation_id):
        raise ChatError(
            "bad_conversation_id",
            "The conversation id must be 8 to 64 letters, digits, '-' or '_'.",
        )
    return conversation_id


def parse_shopper_message(raw: str | bytes, max_chars: int) -> ShopperMessage:
    """Parses one raw message (a websocket frame or an HTTP body)."""
    if len(raw) > max_frame_bytes(max_chars):
        raise ChatError(
            "message_too_long", f"The message is too long; the limit is {max_chars} characters."
        )
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ChatError(
            "invalid_json", 'The message must be JSON like {"type": "user_message", "text": "hi"}.'
        ) from exc
    if not isinstance(data, dict):
        raise ChatError("invalid_message", "The message must be a JSON object.")
    try:
        return ShopperMessage.model_validate(data, context={"max_chars": max_chars})
    except ValidationError as exc:
        raise _chat_error(exc.errors()[0]) from exc


def parse_shopper_typing(raw: str | bytes) -> ShopperTyping | None:
    """Reads a ``{"type": "typing", "on": ...}`` frame; ``None`` for anything else."""
    if len(raw) > 100:
        return None
    try:
        return ShopperTyping.model_validate_json(raw)
    except ValidationError:
        return None


def parse_ticket(raw: str | bytes) -> TicketRequest | None:
    """Reads a ``{"type": "ticket", "email", "message"}`` frame; ``None`` for other frames.

    A ticket frame with a bad email or message raises ``ChatError`` so the shopper
    learns what to fix.
    """
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("type") != "ticket":
        return None
    try:
        return TicketRequest.model_validate(data)
    except ValidationError as exc:
        field = ".".join(str(part) for part in exc.errors()[0]["loc"])
        raise ChatError("invalid_message", f"Please check the {field or 'ticket'}.") from exc


def _chat_error(error: ErrorDetails) -> ChatError:
    """Our validators name their error type after the ``ErrorCode`` to report."""
    if error["type"] in ("empty_message", "message_too_long", "metadata_too_large"):
        return ChatError(error["type"], error["msg"])  # type: ignore[arg-type]
    field = ".".join(str(part) for part in error["loc"]) or "message"
    return ChatError("invalid_message", f"Invalid '{field}': {error['msg']}.")


async def relay(
    rasa: RasaPool,
    conversation_id: str,
    message: ShopperMessage,
    channel: Channel,
    client_ip: str | None = None,
) -> list[BotMessage]:
    """Sends the shopper's message to Rasa and returns the bot's answers.

    Shopper-supplied metadata travels under ``client``, so the top-level keys
    stay the gateway's own and actions can trust them (e.g. a signed-in
    customer, once the gateway has auth). ``client_ip`` is one: the order check
    counts its failures per address (``actions.verification_limits``).
    """
    metadata: dict[str, Any] = {"channel": channel, "client": message.metadata}
    if client_ip:
        metadata["client_ip"] = client_ip
    if message.message_id:  # the widget's own id, so a resent message is recognised
        metadata[MESSAGE_ID_KEY] = message.message_id
    if message.context is not None:  # checked by PageContext
        metadata["page_context"] = message.context.model_dump(exclude_none=True)
    logger.debug("Relaying %d characters for %s", len(message.text), conversation_id)
    try:
        return await rasa.send(conversation_id, message.text, metadata)
    except RasaUnavailable as exc:
        logger.warning("Rasa is unavailable (conversation %s): %s", conversation_id, exc)
        raise ChatError("assistant_unavailable", UNAVAILABLE_TEXT) from exc
    except RasaProtocolError as exc:
        logger.error("Rasa gave a bad answer (conversation %s): %s", conversation_id, exc)
        raise ChatError("assistant_error", ASSISTANT_ERROR_TEXT) from exc
