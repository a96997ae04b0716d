"""The gateway's JSON API: chat over plain HTTP, handoffs, health.

``POST /api/conversations/{id}/messages`` runs the same turn as the websocket
(``bot.chat``), for clients that cannot keep a socket open and for tests.
Errors answer with the same ``{"type": "error", "code", "message"}`` body the
widget receives.
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from aisle.handoffs import HandoffStateError
from bot import store
from bot.agent_auth import CurrentAgent
from bot.chat import ChatError, check_conversation_id, max_frame_bytes, parse_shopper_message
from bot.deps import RasaDep, SettingsDep
from bot.handoff_relay import RelayDep
from bot.schemas import (
    ErrorCode,
    ErrorEnvelope,
    HandoffEnvelope,
    HandoffItem,
    HealthReport,
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
}

_ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorEnvelope} for code in (413, 422, 502, 503)
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
    conversation_id: str, request: Request, settings: SettingsDep, relay: RelayDep
) -> MessagesResponse:
    """Relays one shopper message (``{"text": ...}``) and returns the bot's answers.

    While a person has the conversation, ``messages`` is empty (the agent's
    answers reach the widget's websocket) and ``handoff`` says where it stands.
    """
    check_conversation_id(conversation_id)
    body = await _read_body(request, max_frame_bytes(settings.max_message_chars))
    message = parse_shopper_message(body, settings.max_message_chars)
    result = await relay.shopper_turn(conversation_id, message, channel="http")
    handoff = result.handoff or await relay.current_envelope(conversation_id)
    return MessagesResponse(messages=result.answers, handoff=handoff)


@router.post(
    "/api/conversations/{conversation_id}/ticket",
    response_model=HandoffEnvelope,
    responses={409: {"description": "No waiting request for a person in this conversation"}},
)
async def leave_ticket(
    conversation_id: str, ticket: TicketRequest, relay: RelayDep
) -> HandoffEnvelope:
    """Leaves an email and a message when nobody can answer live (after hours, nobody online)."""
    check_conversation_id(conversation_id)
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


@router.get("/healthz", response_model=HealthReport, responses={503: {"model": HealthReport}})
async def healthz(settings: SettingsDep, rasa: RasaDep) -> JSONResponse:
    """Reports the gateway's dependencies; 503 unless all of them are up."""
    rasa_ok, database_ok = await asyncio.gather(
        rasa.is_ready(), run_in_threadpool(store.database_ok, settings.database_url)
    )
    report = HealthReport(
        rasa="ok" if rasa_ok else "down", database="ok" if database_ok else "down"
    )
    code = status.HTTP_200_OK if report.all_ok() else status.HTTP_503_SERVICE_UNAVAILABLE
    return JSONResponse(report.model_dump(), status_code=code)


async def chat_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """Answers a failed turn with the error envelope and a fitting status."""
    assert isinstance(exc, ChatError)
    return JSONResponse(exc.envelope().model_dump(), status_code=STATUS_BY_CODE.get(exc.code, 400))


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
