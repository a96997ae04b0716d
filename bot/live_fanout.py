"""Live chat across several gateways: envelopes and agent presence shared through Redis.

With more than one gateway behind a load balancer, a shopper's widget and the
agent answering them are often connected to different gateways. Every
gateway therefore publishes each envelope on a Redis channel named after its
address (``aisle:live:shopper:<conversation>``, ...) and delivers what it
hears on those channels to the sockets it holds. Redis pub/sub keeps no
messages, which is fine here: every handoff message is in the database
already, and a socket that reconnects is brought up to date from there.

Agents online (for the shopper's expected wait) is a sorted set of agent ids
scored by when their presence expires; each gateway refreshes its own agents
every ``PRESENCE_SECONDS / 3``, so a gateway that dies stops counting its
agents within ``PRESENCE_SECONDS``.

If Redis is unreachable, frames are still delivered to this gateway's own
sockets and agents are counted locally: one gateway keeps working, and the
log says what is degraded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import redis.asyncio as aioredis
from fastapi import WebSocket
from redis.exceptions import RedisError

from bot.live_chat import LiveHub

logger = logging.getLogger(__name__)

CHANNEL_PREFIX = "aisle:live:"
PRESENCE_KEY = "aisle:live-presence:agents"
PRESENCE_SECONDS = 30.0
RECONNECT_SECONDS = (0.5, 1, 2, 5)


class RedisLiveHub(LiveHub):
    """A :class:`LiveHub` whose envelopes travel through Redis to every gateway."""

    def __init__(self, redis_url: str) -> None:
        super().__init__()
        self._redis = aioredis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()

    async def start(self) -> None:
        """Subscribes to every live channel and starts refreshing agent presence."""
        self._tasks = [
            asyncio.create_task(self._listen(), name="live-fanout-listen"),
            asyncio.create_task(self._refresh_presence(), name="live-fanout-presence"),
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._subscribed.wait(), timeout=5)
        if not self._subscribed.is_set():
            logger.warning("Live chat: Redis not reachable yet; delivering locally until it is")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._redis.aclose()

    async def publish(self, address: str, frame: str) -> None:
        try:
            await self._redis.publish(CHANNEL_PREFIX + address, frame)
        except RedisError as error:
            logger.warning("Live chat: Redis publish failed (%s); delivering locally", error)
            await self.deliver(address, frame)

    async def add_agent(self, agent_id: int, socket: WebSocket) -> None:
        await super().add_agent(agent_id, socket)
        await self._mark_present({agent_id})

    async def remove_agent(self, agent_id: int, socket: WebSocket) -> None:
        await super().remove_agent(agent_id, socket)
        if agent_id not in self.local_agents():
            # Another gateway holding this agent's console re-adds it at its next refresh.
            with contextlib.suppress(RedisError):
                await self._redis.zrem(PRESENCE_KEY, str(agent_id))

    async def agents_online(self) -> int:
        try:
            await self._redis.zremrangebyscore(PRESENCE_KEY, "-inf", time.time())
            return int(await self._redis.zcard(PRESENCE_KEY))
        except RedisError as error:
            logger.warning("Live chat: Redis presence unavailable (%s); counting locally", error)
            return await super().agents_online()

    async def _mark_present(self, agent_ids: set[int]) -> None:
        if not agent_ids:
            return
        expires = time.time() + PRESENCE_SECONDS
        with contextlib.suppress(RedisError):
            await self._redis.zadd(PRESENCE_KEY, {str(agent): expires for agent in agent_ids})

    async def _refresh_presence(self) -> None:
        while True:
            await self._mark_present(self.local_agents())
            await asyncio.sleep(PRESENCE_SECONDS / 3)

    async def _listen(self) -> None:
        """Delivers what Redis publishes, resubscribing with back-off after a lost connection."""
        attempt = 0
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                    self._subscribed.set()
                    attempt = 0
                    async for message in pubsub.listen():
                        await self._deliver_message(message)
            except (RedisError, OSError) as error:
                self._subscribed.clear()
                delay = RECONNECT_SECONDS[min(attempt, len(RECONNECT_SECONDS) - 1)]
                attempt += 1
                logger.warning(
                    "Live chat: Redis subscription lost (%s); retry in %ss", error, delay
                )
                await asyncio.sleep(delay)

    async def _deliver_message(self, message: dict[str, object]) -> None:
        if message.get("type") != "pmessage":
            return
        channel, data = message.get("channel"), message.get("data")
        if not isinstance(channel, bytes) or not isinstance(data, bytes):
            return
        address = channel.decode()[len(CHANNEL_PREFIX) :]
        await self.deliver(address, data.decode())


def make_hub(redis_url: str | None) -> LiveHub:
    """The Redis hub when several gateways share ``redis_url``; else one process's own."""
    return RedisLiveHub(redis_url) if redis_url else LiveHub()
