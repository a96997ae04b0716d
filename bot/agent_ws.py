"""The agent console's websocket: ``GET /agent/ws`` (session cookie required).

Protocol (JSON text frames):

* console -> gateway: ``{"type": "agent_message", "handoff_id", "text"}`` and
  ``{"type": "typing", "handoff_id", "on"}``.
* gateway -> console: ``{"type": "message", ...}`` (a stored live message: the
  shopper's, or the agent's own as confirmation), ``{"type": "typing",
  "handoff_id", "on"}`` (the shopper), ``{"type": "queue_changed"}`` and
  ``{"type": "error", "message"}``.

A handshake without a valid session is refused (HTTP 403) before it is accepted.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from pydantic import TypeAdapter, ValidationError

from aisle.handoffs import HandoffStateError
from bot import handoff_store, store
from bot.agent_auth import websocket_agent
from bot.agent_schemas import AgentMessageFrame, AgentTypingFrame, AgentView, ConsoleError
from bot.handoff_relay import HandoffRelay, RelayDep
from bot.live_chat import HubDep

logger = logging.getLogger(__name__)

router = APIRouter()

_FRAME: TypeAdapter[AgentMessageFrame | AgentTypingFrame] = TypeAdapter(
    AgentMessageFrame | AgentTypingFrame
)


@router.websocket("/agent/ws")
async def console_socket(websocket: WebSocket, relay: RelayDep, hub: HubDep) -> None:
    """Serves one console connection until it goes away."""
    agent = await websocket_agent(websocket)
    if agent is None:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason="sign in first")
        return
    await websocket.accept()
    await hub.add_agent(agent.id, websocket)
    await relay.refresh_waiting_shoppers()  # one more agent online: shorter expected waits
    try:
        while True:
            await _handle(websocket, relay, agent, await websocket.receive_text())
    except WebSocketDisconnect:
        logger.debug("Console of agent #%d disconnected", agent.id)
    finally:
        await hub.remove_agent(agent.id, websocket)


async def _handle(websocket: WebSocket, relay: HandoffRelay, agent: AgentView, raw: str) -> None:
    try:
        frame = _FRAME.validate_json(raw)
        if isinstance(frame, AgentMessageFrame):
            await relay.send(frame.handoff_id, agent, frame.text)
        else:
            await relay.agent_typing(frame.handoff_id, agent, frame.on)
    except ValidationError:
        await _error(websocket, "That frame is not a console message.")
    except (HandoffStateError, handoff_store.HandoffNotFound) as exc:
        await _error(websocket, str(exc))
    except store.DatabaseUnavailable:
        await _error(websocket, "The database is unavailable; the message was not sent.")


async def _error(websocket: WebSocket, message: str) -> None:
    await websocket.send_text(ConsoleError(message=message).model_dump_json())
