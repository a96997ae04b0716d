"""The widget's websocket: ``GET /ws?conversation_id=<id>``.

Protocol (JSON text frames):

* client -> server: ``{"type": "user_message", "text": "...", "metadata": {...}}``
* server -> client, per turn: ``{"type": "typing", "on": true}``, then one
  ``{"type": "bot_message", "text"?, "buttons"?, "image"?, "custom"?}`` per bot
  message, then ``{"type": "typing", "on": false}``.
* server -> client on a problem: ``{"type": "error", "code": ..., "message": ...}``.
  A bad message leaves the socket open; a bad conversation id closes it with
  code 1008 after the error, since no turn could ever use it.

Turns of one socket run one after another, so answers keep their order.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from pydantic import BaseModel

from aisle.settings import Settings
from bot.chat import ChatError, check_conversation_id, parse_shopper_message, relay
from bot.deps import RasaDep, SettingsDep
from bot.rasa_client import RasaClient
from bot.schemas import BotMessageEnvelope, ErrorEnvelope, TypingEnvelope

logger = logging.getLogger(__name__)

router = APIRouter()


@router.websocket("/ws")
async def chat_socket(
    websocket: WebSocket, settings: SettingsDep, rasa: RasaDep, conversation_id: str = ""
) -> None:
    """Serves one widget connection until it goes away."""
    await websocket.accept()
    try:
        check_conversation_id(conversation_id)
    except ChatError as exc:
        await _send(websocket, exc.envelope())
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="bad conversation id")
        return
    logger.debug("Widget connected for %s", conversation_id)
    try:
        while True:
            raw = await _receive_frame(websocket)
            await _run_turn(websocket, settings, rasa, conversation_id, raw)
    except WebSocketDisconnect:
        logger.debug("Widget disconnected for %s", conversation_id)


async def _receive_frame(websocket: WebSocket) -> str | bytes:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text: str | None = message.get("text")
    return text if text is not None else message.get("bytes") or b""


async def _run_turn(
    websocket: WebSocket,
    settings: Settings,
    rasa: RasaClient,
    conversation_id: str,
    raw: str | bytes,
) -> None:
    try:
        message = parse_shopper_message(raw, settings.max_message_chars)
    except ChatError as exc:
        await _send(websocket, exc.envelope())
        return
    await _send(websocket, TypingEnvelope(on=True))
    try:
        answers = await relay(rasa, conversation_id, message, channel="websocket")
    except ChatError as exc:
        await _send(websocket, exc.envelope())
    except Exception:
        # One broken turn must not end the conversation; the shopper may retry.
        logger.exception("Turn failed for %s", conversation_id)
        await _send(websocket, _internal_error())
    else:
        for answer in answers:
            await _send(websocket, BotMessageEnvelope(**answer.model_dump()))
    await _send(websocket, TypingEnvelope(on=False))


def _internal_error() -> ErrorEnvelope:
    return ErrorEnvelope(
        code="internal_error", message="Something went wrong on our side. Please retry."
    )


async def _send(websocket: WebSocket, envelope: BaseModel) -> None:
    await websocket.send_text(envelope.model_dump_json(exclude_none=True))
