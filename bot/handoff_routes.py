"""The agent console's JSON API: queue, handoff details, claim, messages, hand back, close.

Every route needs a signed-in agent (``CurrentAgent``: 401 otherwise) and
reaches only handoffs. Lifecycle violations (claiming a claimed handoff,
writing to an ended one, another agent's handoff) answer 409 with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import yaml
from fastapi import APIRouter, HTTPException, Query, status
from fastapi.concurrency import run_in_threadpool

from aisle.handoffs import HandoffStateError
from bot import handoff_store, store
from bot.agent_auth import CurrentAgent
from bot.agent_schemas import (
    AgentText,
    CannedReply,
    CloseRequest,
    HandoffDetail,
    LiveMessage,
    QueueItem,
)
from bot.deps import SettingsDep
from bot.handoff_relay import RelayDep

logger = logging.getLogger(__name__)

CANNED_REPLIES_FILE = Path(__file__).resolve().parent / "canned_replies.yml"

router = APIRouter(prefix="/api/agent")

T = TypeVar("T")


async def _guarded(call: Callable[[], Awaitable[T]]) -> T:
    """Turns the store's and lifecycle's errors into HTTP answers."""
    try:
        return await call()
    except handoff_store.HandoffNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except HandoffStateError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except store.DatabaseUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Database unavailable.") from exc


@router.get("/queue", response_model=list[QueueItem])
async def get_queue(_agent: CurrentAgent, settings: SettingsDep) -> list[QueueItem]:
    """Open handoffs, the longest waiting first."""
    return await _guarded(lambda: run_in_threadpool(handoff_store.queue, settings.database_url))


@router.get("/search", response_model=list[QueueItem])
async def search(
    _agent: CurrentAgent,
    settings: SettingsDep,
    q: Annotated[str, Query(min_length=2, max_length=200)],
) -> list[QueueItem]:
    """Ended handoffs whose transcript or live messages contain ``q``."""
    return await _guarded(
        lambda: run_in_threadpool(handoff_store.search_closed, settings.database_url, q)
    )


@router.get("/handoffs/{handoff_id}", response_model=HandoffDetail)
async def get_handoff(
    handoff_id: int, _agent: CurrentAgent, settings: SettingsDep
) -> HandoffDetail:
    """The whole package: summary, intents, slots, customer and orders, transcript, messages."""
    return await _guarded(
        lambda: run_in_threadpool(handoff_store.detail, settings.database_url, handoff_id)
    )


@router.post("/handoffs/{handoff_id}/claim", status_code=status.HTTP_204_NO_CONTENT)
async def claim(handoff_id: int, agent: CurrentAgent, relay: RelayDep) -> None:
    await _guarded(lambda: relay.claim(handoff_id, agent))


@router.post("/handoffs/{handoff_id}/messages", response_model=LiveMessage)
async def send(
    handoff_id: int, body: AgentText, agent: CurrentAgent, relay: RelayDep
) -> LiveMessage:
    """Sends a message to the shopper (the console usually uses its websocket)."""
    return await _guarded(lambda: relay.send(handoff_id, agent, body.text))


@router.post("/handoffs/{handoff_id}/return", status_code=status.HTTP_204_NO_CONTENT)
async def hand_back(handoff_id: int, agent: CurrentAgent, relay: RelayDep) -> None:
    """Hands the conversation back to the bot."""
    await _guarded(lambda: relay.end(handoff_id, agent, "return"))


@router.post("/handoffs/{handoff_id}/close", status_code=status.HTTP_204_NO_CONTENT)
async def close(handoff_id: int, body: CloseRequest, agent: CurrentAgent, relay: RelayDep) -> None:
    """Ends the handoff with a resolution tag."""
    await _guarded(lambda: relay.end(handoff_id, agent, "close", body.resolution))


@router.get("/canned-replies", response_model=list[CannedReply])
def canned_replies(_agent: CurrentAgent) -> list[CannedReply]:
    """Ready-made answers, edited by the support lead in ``bot/canned_replies.yml``."""
    data = yaml.safe_load(CANNED_REPLIES_FILE.read_text(encoding="utf-8")) or []
    return [CannedReply.model_validate(item) for item in data]
