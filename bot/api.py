"""The gateway's JSON API: chat over plain HTTP and handoffs (health: ``bot.health``).

``POST /api/conversations/{id}/messages`` runs the same turn as the websocket
(``bot.chat``), for clients that cannot keep a socket open and for tests.
Errors answer with the same ``{"type": "error", "code", "message"}`` body the
widget receives.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse

from aisle.handoffs import HandoffStateError
from bot import store
from bot.agent_auth import CurrentAgent
from bot.apology import answers_or_apology
from bot.chat import ChatError, check_conversation_id, max_frame_bytes, parse_shopper_message
from bot.deps import SettingsDep
from bot.handoff_relay import RelayDep
from bot.rate_limits import LimiterDep, RateLimited, client_ip
from bot.schemas import (
    ErrorCode,
    ErrorEnvelope,
    HandoffEnvelope,
    HandoffItem,
    MessagesResponse,
    ShopperMessage,
    TicketRequest,
)

logger = logging.getLogger(__name__)

router = APIRouter()

STATUS_BY_CODE: dict[ErrorCode, int] = {
    "invalid_json": status.HTTP_422_UNPROCESSABLE_CONTENT,
    "invalid_message": status.HTTP_422_UNPROCESSABLE_CONTENT,
    "empty_message": status.HTTP_422_UNPROCESSABLE_CONTENT,
    "bad_conversation_id": status.HTTP_422_UNPROCESSABLE_CONTENT,
    "message_too_long": status.HTTP_413_CONTENT_TOO_LARGE,
    "metadata_too_large": status.HTTP_413_CONTENT_TOO_LARGE,
    "assistant_unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
    "assistant_error": status.HTTP_502_BAD_GATEWAY,
    "internal_error": status.HTTP_500_INTERNAL_SERVER_ERROR,
    "rate_limited": status.HTTP_429_TOO_MANY_REQUESTS,
    "request_too_large": status.HTTP_413_CONTENT_TOO_LARGE,
}

_ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorEnvelope} for code in (413, 422, 429, 502, 503)
}


@router.post(
    "/api/conversations/{conversation_id}/messages",
    response_model=MessagesResponse,
    responses=_ERROR_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ShopperMessage.model_json_schema()}},
        }
    },
)
async def post_message(
    conversation_id: str,
    request: Request,
    settings: SettingsDep,
    relay: RelayDep,
    limiter: LimiterDep,
) -> MessagesResponse:
    """Relays one shopper message (``{"text": ...}``) and returns the bot's answers.

    While a person has the conversation, ``messages`` is empty (the agent's
    answers reach the widget's websocket) and ``handoff`` says where it stands.
    """
    check_conversation_id(conversation_id)
    body = await _read_body(request, max_frame_bytes(settings.max_message_chars))
    message = parse_shopper_message(body, settings.max_message_chars)
    await limited(limiter.check_message(conversation_id, client_ip(request)))
    result = await relay.shopper_turn(
        conversation_id, message, channel="http", client_ip=client_ip(request)
    )
    handoff = result.handoff or await relay.current_envelope(conversation_id)
    answers = result.answers
    if handoff is None:  # with a person on the chat, silence from the bot is expected
        answers = await answers_or_apology(relay.rasa, conversation_id, answers)
    return MessagesResponse(messages=answers, handoff=handoff)


@router.post(
    "/api/conversations/{conversation_id}/ticket",
    response_model=HandoffEnvelope,
    responses={409: {"description": "No waiting request for a person in this conversation"}},
)
async def leave_ticket(
    conversation_id: str,
    ticket: TicketRequest,
    request: Request,
    relay: RelayDep,
    limiter: LimiterDep,
) -> HandoffEnvelope:
    """Leaves an email and a message when nobody can answer live (after hours, nobody online)."""
    check_conversation_id(conversation_id)
    await limited(limiter.check_message(conversation_id, client_ip(request)))
    try:
        return await relay.leave_ticket(conversation_id, ticket)
    except HandoffStateError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc


@router.get("/api/handoffs", response_model=list[HandoffItem])
def get_handoffs(settings: SettingsDep, _agent: CurrentAgent) -> list[HandoffItem]:
    """Lists handoffs, newest first (same data as the agent page); agents only."""
    try:
        return store.list_handoffs(settings.database_url)
    except store.DatabaseUnavailable as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "The shop database is not reachable."
        ) from exc


async def chat_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """Answers a failed turn with the error envelope and a fitting status."""
    assert isinstance(exc, ChatError)
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    return JSONResponse(
        exc.envelope().model_dump(exclude_none=True),
        status_code=STATUS_BY_CODE.get(exc.code, 400),
        headers=headers,
    )


async def limited(check: Awaitable[None]) -> None:
    """Runs a rate-limit check, turning ``RateLimited`` into the shopper's error."""
    try:
        await check
    except RateLimited as exc:
        raise exc.chat_error() from exc


def reads_own_body(path: str) -> bool:
    """The message route reads its body itself (``_read_body``), with the shopper's wording."""
    return path.startswith("/api/conversations/") and path.endswith("/messages")


async def _read_body(request: Request, limit: int) -> bytes:
    """Reads the body, refusing it as soon as it passes ``limit`` bytes."""
    too_large = ChatError("message_too_long", f"The request body is over {limit} bytes.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise too_large
    return bytes(body)
