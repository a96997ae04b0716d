"""The widget's websocket: ``GET /ws?conversation_id=<id>``.

Protocol (JSON text frames):

* client -> server: ``{"type": "user_message", "text": "...", "metadata": {...}}``
* server -> client, per turn: ``{"type": "typing", "on": true}``, then one
  ``{"type": "bot_message", "text"?, "buttons"?, "image"?, "custom"?}`` per bot
  message, then ``{"type": "typing", "on": false}``. A bot message whose ``custom`` is
  ``{"type": "csat_request", "trigger"}`` asks for a rating (answered over HTTP,
  ``bot.csat_routes``); the gateway sends one when an agent closes a handoff.
* client -> server while a person has the chat: ``{"type": "typing", "on": bool}``.
* server -> client during a handoff (``bot.handoff_relay``): ``{"type": "handoff",
  "handoff_id", "status", "message", "queue_position"?, "expected_wait_minutes"?,
  "agent_name"?}`` (also on connecting mid-handoff), ``{"type": "agent_message",
  "text", "agent_name"}`` and ``{"type": "typing", "on", "agent_name"}``. While a
  person has the chat a shopper message gets no frames back: the bot is silent.
* client -> server when offered a ticket (``ticket_form``): ``{"type": "ticket",
  "email", "message"}``; answered with a ``handoff`` frame (status ``closed``, ``ticket_id``).
* server -> client on connecting with ``&history=1`` (the widget does):
  ``{"type": "history", "messages": [...], "complete"}``,
  the conversation so far from Rasa's tracker (``bot.history``): ``user_message``,
  ``bot_message`` and ``agent_message`` envelopes, oldest first.
* A ``user_message`` may carry the widget's ``message_id`` (and ``resent: true`` when
  it went out before on a socket that dropped); its turn ends with ``{"type": "ack",
  "message_id"}``. A resent message whose turn already happened is not run again:
  the answers recorded after it are sent instead, then the ack.
* server -> client on a problem: ``{"type": "error", "code": ..., "message": ...,
  "message_id"?}``. A bad message leaves the socket open (so does ``rate_limited``,
  with ``retry_after_seconds``); a bad conversation id or a page from an origin that
  is not the gateway's or a configured shop's closes it with code 1008 after the
  error, too many connections from one IP with 1013 (try again later). A frame
  over the server's size limit closes it with 1009.

Turns of one conversation run one after another, also across sockets, so answers
keep their order and a history read never misses a turn in progress.
"""

from __future__ import annotations

import json
import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from pydantic import BaseModel

from aisle.handoffs import HandoffStateError
from aisle.settings import Settings
from bot.apology import answers_or_apology
from bot.chat import (
    ChatError,
    check_conversation_id,
    max_frame_bytes,
    parse_shopper_message,
    parse_shopper_typing,
    parse_ticket,
)
from bot.deps import SettingsDep
from bot.handoff_relay import HandoffRelay, RelayDep
from bot.history import (
    ConversationLocks,
    ShopperLine,
    conversation_locks,
    load_history,
    recorded_answers,
)
from bot.live_chat import HubDep
from bot.origins import origin_allowed
from bot.rate_limits import GatewayLimiter, LimiterDep, RateLimited, client_ip
from bot.schemas import (
    AckEnvelope,
    BotMessageEnvelope,
    ErrorEnvelope,
    MessageErrorEnvelope,
    ShopperMessage,
    TypingEnvelope,
    is_valid_conversation_id,
)
from bot.store import DatabaseUnavailable

logger = logging.getLogger(__name__)

router = APIRouter()


@router.websocket("/ws")
async def chat_socket(
    websocket: WebSocket,
    settings: SettingsDep,
    relay: RelayDep,
    hub: HubDep,
    limiter: LimiterDep,
    conversation_id: str = "",
    history: bool = False,
) -> None:
    """Serves one widget connection until it goes away (``history=1``: history first)."""
    await websocket.accept()
    if not await _may_connect(websocket, settings, limiter, conversation_id):
        return
    logger.debug("Widget connected for %s", conversation_id)
    hub.add_shopper(conversation_id, websocket)
    locks = conversation_locks(websocket)
    try:
        if history:
            async with locks.hold(conversation_id):
                await _send(websocket, await load_history(relay.rasa, conversation_id))
        if (current := await relay.current_envelope(conversation_id)) is not None:
            await _send(websocket, current)
        while True:
            raw = await _receive_frame(websocket)
            try:
                await _handle_frame(
                    websocket, settings, relay, limiter, locks, conversation_id, raw
                )
            except WebSocketDisconnect:
                raise
            except Exception:
                # One broken frame must not end the conversation; the shopper may retry.
                logger.exception("Frame failed for %s", conversation_id)
                await _send(websocket, _internal_error())
    except WebSocketDisconnect:
        logger.debug("Widget disconnected for %s", conversation_id)
    finally:
        hub.remove_shopper(conversation_id, websocket)


async def _may_connect(
    websocket: WebSocket, settings: Settings, limiter: GatewayLimiter, conversation_id: str
) -> bool:
    """Checks the page's origin, the conversation id and the IP's connection rate.

    A refused socket gets the error frame, then is closed.
    """
    try:
        if not origin_allowed(websocket, settings):
            raise ChatError("invalid_message", "This page may not open the chat.")
        check_conversation_id(conversation_id)
    except ChatError as exc:
        return await _refuse(websocket, exc, status.WS_1008_POLICY_VIOLATION)
    try:
        await limiter.check_connection(client_ip(websocket))
    except RateLimited as exc:
        return await _refuse(websocket, exc.chat_error(), status.WS_1013_TRY_AGAIN_LATER)
    return True


async def _refuse(websocket: WebSocket, error: ChatError, code: int) -> bool:
    await _send(websocket, error.envelope())
    await websocket.close(code=code, reason=error.code)
    return False


async def _handle_frame(
    websocket: WebSocket,
    settings: Settings,
    relay: HandoffRelay,
    limiter: GatewayLimiter,
    locks: ConversationLocks,
    conversation_id: str,
    raw: str | bytes,
) -> None:
    """One frame from the widget: typing, a ticket or a message."""
    if len(raw) > max_frame_bytes(settings.max_message_chars):
        limit = settings.max_message_chars
        too_long = ErrorEnvelope(
            code="message_too_long",
            message=f"The message is too long; the limit is {limit} characters.",
        )
        await _send(websocket, _about(too_long, _claimed_message_id(raw)))
        return
    if (typing := parse_shopper_typing(raw)) is not None:
        if await limiter.allow_frame(conversation_id):  # over the limit: dropped quietly
            await relay.shopper_typing(conversation_id, typing.on)
        return
    if await _handled_as_ticket(websocket, relay, limiter, conversation_id, raw):
        return
    await _run_turn(websocket, settings, relay, limiter, locks, conversation_id, raw)


async def _receive_frame(websocket: WebSocket) -> str | bytes:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text: str | None = message.get("text")
    return text if text is not None else message.get("bytes") or b""


async def _run_turn(
    websocket: WebSocket,
    settings: Settings,
    relay: HandoffRelay,
    limiter: GatewayLimiter,
    locks: ConversationLocks,
    conversation_id: str,
    raw: str | bytes,
) -> None:
    try:
        message = parse_shopper_message(raw, settings.max_message_chars)
        await limiter.check_message(conversation_id, client_ip(websocket))
    except ChatError as exc:
        refused = _about(exc.envelope(), _claimed_message_id(raw))
        await _send(websocket, refused)  # with the id, the widget never sends it again
        return
    except RateLimited as exc:
        # No message id: the widget keeps the message and sends it again later.
        await _send(websocket, exc.chat_error().envelope())
        return
    async with locks.hold(conversation_id):
        if not await _replayed(websocket, relay, conversation_id, message):
            await _turn(websocket, relay, conversation_id, message)


async def _replayed(
    websocket: WebSocket, relay: HandoffRelay, conversation_id: str, message: ShopperMessage
) -> bool:
    """Answers a resent message whose turn happened already from the tracker, not by a rerun."""
    if not (message.resent and message.message_id):
        return False
    answers = await recorded_answers(relay.rasa, conversation_id, message.message_id)
    if answers is None:
        return False
    logger.info("Message %s of %s was resent; not run twice", message.message_id, conversation_id)
    for answer in answers:
        if not isinstance(answer, ShopperLine):
            await _send(websocket, answer)
    await _send(websocket, AckEnvelope(message_id=message.message_id))
    return True


async def _turn(
    websocket: WebSocket, relay: HandoffRelay, conversation_id: str, message: ShopperMessage
) -> None:
    ack = AckEnvelope(message_id=message.message_id) if message.message_id else None
    if await relay.is_handed_off(conversation_id):
        # A person has the chat: the message goes to them, and the bot stays silent.
        await relay.shopper_turn(conversation_id, message, channel="websocket")
        if ack is not None:
            await _send(websocket, ack)
        return
    await _send(websocket, TypingEnvelope(on=True))
    try:
        result = await relay.shopper_turn(
            conversation_id, message, channel="websocket", client_ip=client_ip(websocket)
        )
    except ChatError as exc:
        await _send(websocket, _about(exc.envelope(), message.message_id))
    except Exception:
        # One broken turn must not end the conversation; the shopper may retry.
        logger.exception("Turn failed for %s", conversation_id)
        await _send(websocket, _about(_internal_error(), message.message_id))
    else:
        answers = result.answers
        if result.handoff is None:
            answers = await answers_or_apology(relay.rasa, conversation_id, answers)
        for answer in answers:
            await _send(websocket, BotMessageEnvelope(**answer.model_dump()))
        if result.handoff is not None:
            await _send(websocket, result.handoff)
        if ack is not None:
            await _send(websocket, ack)
    await _send(websocket, TypingEnvelope(on=False))


async def _handled_as_ticket(
    websocket: WebSocket,
    relay: HandoffRelay,
    limiter: GatewayLimiter,
    conversation_id: str,
    raw: str | bytes,
) -> bool:
    """Leaves a ticket if ``raw`` is a ticket frame; tells the shopper what to fix if it is bad."""
    try:
        ticket = parse_ticket(raw)
        if ticket is None:
            return False
        await limiter.check_message(conversation_id, client_ip(websocket))
        await relay.leave_ticket(conversation_id, ticket)  # the answer comes through the hub
    except ChatError as exc:
        await _send(websocket, exc.envelope())
    except RateLimited as exc:
        await _send(websocket, exc.chat_error().envelope())
    except (HandoffStateError, DatabaseUnavailable) as exc:
        await _send(websocket, ErrorEnvelope(code="invalid_message", message=str(exc)))
    return True


def _about(error: ErrorEnvelope, message_id: str | None) -> MessageErrorEnvelope:
    return MessageErrorEnvelope(**error.model_dump(), message_id=message_id)


def _claimed_message_id(raw: str | bytes) -> str | None:
    """The widget's ``message_id`` of a frame that failed validation, if it has a usable one."""
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    value = data.get("message_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and is_valid_conversation_id(value) else None


def _internal_error() -> ErrorEnvelope:
    return ErrorEnvelope(
        code="internal_error", message="Something went wrong on our side. Please retry."
    )


async def _send(websocket: WebSocket, envelope: BaseModel) -> None:
    await websocket.send_text(envelope.model_dump_json(exclude_none=True))
