"""Who is connected right now: shopper widgets by conversation, agent consoles by agent.

Only live sockets are kept here, in memory; every handoff and message is in
the database, so after a gateway restart the widgets and consoles reconnect
and lose nothing. One gateway process serves one hub: running several
gateways would need a shared channel (e.g. Redis pub/sub) in its place.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from typing import Annotated

from fastapi import Depends, WebSocket
from fastapi.requests import HTTPConnection
from pydantic import BaseModel

logger = logging.getLogger(__name__)


class LiveHub:
    """Fans envelopes out to the sockets of a conversation or an agent."""

    def __init__(self) -> None:
        self._shoppers: defaultdict[str, set[WebSocket]] = defaultdict(set)
        self._agents: defaultdict[int, set[WebSocket]] = defaultdict(set)

    def add_shopper(self, conversation_id: str, socket: WebSocket) -> None:
        self._shoppers[conversation_id].add(socket)

    def remove_shopper(self, conversation_id: str, socket: WebSocket) -> None:
        self._shoppers[conversation_id].discard(socket)
        if not self._shoppers[conversation_id]:
            del self._shoppers[conversation_id]

    def add_agent(self, agent_id: int, socket: WebSocket) -> None:
        self._agents[agent_id].add(socket)

    def remove_agent(self, agent_id: int, socket: WebSocket) -> None:
        self._agents[agent_id].discard(socket)
        if not self._agents[agent_id]:
            del self._agents[agent_id]

    def agents_online(self) -> int:
        """Agents with the console open (for the shopper's expected wait)."""
        return len(self._agents)

    async def to_shopper(self, conversation_id: str, envelope: BaseModel) -> None:
        await _send_all(set(self._shoppers.get(conversation_id, ())), envelope)

    async def to_agent(self, agent_id: int, envelope: BaseModel) -> None:
        await _send_all(set(self._agents.get(agent_id, ())), envelope)

    async def to_all_agents(self, envelope: BaseModel) -> None:
        sockets = {socket for group in self._agents.values() for socket in group}
        await _send_all(sockets, envelope)


async def _send_all(sockets: set[WebSocket], envelope: BaseModel) -> None:
    """Sends to every socket; a socket that went away is skipped, not fatal."""
    text = envelope.model_dump_json(exclude_none=True)
    results = await asyncio.gather(
        *(socket.send_text(text) for socket in sockets), return_exceptions=True
    )
    for result in results:
        if isinstance(result, Exception):
            logger.debug("Dropped a frame to a closed socket: %s", result)


def live_hub(connection: HTTPConnection) -> LiveHub:
    """Returns the app's hub (made by ``create_app``)."""
    hub: LiveHub = connection.app.state.hub
    return hub


HubDep = Annotated[LiveHub, Depends(live_hub)]
