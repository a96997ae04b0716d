"""Who is connected right now: shopper widgets by conversation, agent consoles by agent.

Only live sockets are kept here, in memory; every handoff and message is in
the database, so after a gateway restart the widgets and consoles reconnect
and lose nothing. This hub serves one gateway process; with several gateways
(``AISLE_REDIS_URL`` set) ``bot.live_fanout.RedisLiveHub`` routes every
envelope through Redis, so it reaches a socket whichever gateway holds it.

Envelopes are addressed (``shopper:<conversation>``, ``agent:<id>``,
``agents``) and handed to :meth:`LiveHub.publish`; :meth:`LiveHub.deliver`
sends an addressed frame to this process's sockets. In one process publishing
is delivering; the Redis hub publishes to Redis and delivers what it hears.
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


ALL_AGENTS = "agents"


def shopper_address(conversation_id: str) -> str:
    return f"shopper:{conversation_id}"


def agent_address(agent_id: int) -> str:
    return f"agent:{agent_id}"


class LiveHub:
    """Fans envelopes out to the sockets of a conversation or an agent."""

    def __init__(self) -> None:
        self._shoppers: defaultdict[str, set[WebSocket]] = defaultdict(set)
        self._agents: defaultdict[int, set[WebSocket]] = defaultdict(set)

    async def start(self) -> None:
        """Nothing to connect to in one process (the Redis hub subscribes here)."""

    async def stop(self) -> None:
        """Nothing to close in one process."""

    def add_shopper(self, conversation_id: str, socket: WebSocket) -> None:
        self._shoppers[conversation_id].add(socket)

    def remove_shopper(self, conversation_id: str, socket: WebSocket) -> None:
        self._shoppers[conversation_id].discard(socket)
        if not self._shoppers[conversation_id]:
            del self._shoppers[conversation_id]

    async def add_agent(self, agent_id: int, socket: WebSocket) -> None:
        self._agents[agent_id].add(socket)

    async def remove_agent(self, agent_id: int, socket: WebSocket) -> None:
        self._agents[agent_id].discard(socket)
        if not self._agents[agent_id]:
            del self._agents[agent_id]

    async def agents_online(self) -> int:
        """Agents with the console open (for the shopper's expected wait)."""
        return len(self._agents)

    def local_agents(self) -> set[int]:
        """Agents with a console open on this gateway."""
        return set(self._agents)

    async def to_shopper(self, conversation_id: str, envelope: BaseModel) -> None:
        await self.publish(shopper_address(conversation_id), _frame(envelope))

    async def to_agent(self, agent_id: int, envelope: BaseModel) -> None:
        await self.publish(agent_address(agent_id), _frame(envelope))

    async def to_all_agents(self, envelope: BaseModel) -> None:
        await self.publish(ALL_AGENTS, _frame(envelope))

    async def publish(self, address: str, frame: str) -> None:
        """Sends ``frame`` to every socket at ``address``, wherever it is connected."""
        await self.deliver(address, frame)

    async def deliver(self, address: str, frame: str) -> None:
        """Sends ``frame`` to the sockets at ``address`` that this process holds."""
        await _send_all(self._sockets_at(address), frame)

    def _sockets_at(self, address: str) -> set[WebSocket]:
        kind, _, key = address.partition(":")
        if kind == "shopper":
            return set(self._shoppers.get(key, ()))
        if kind == "agent" and key.isdigit():
            return set(self._agents.get(int(key), ()))
        if address == ALL_AGENTS:
            return {socket for group in self._agents.values() for socket in group}
        logger.warning("Dropped a frame to an unknown address %r", address)
        return set()


def _frame(envelope: BaseModel) -> str:
    return envelope.model_dump_json(exclude_none=True)


async def _send_all(sockets: set[WebSocket], text: str) -> None:
    """Sends to every socket; a socket that went away is skipped, not fatal."""
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
