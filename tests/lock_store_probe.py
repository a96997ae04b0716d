"""Run by tests/test_lock_store.py under Rasa's Python 3.10: times how long a turn waits for a
conversation's lock in two situations and prints the figures as JSON.

- ``dead``: another replica took a ticket just before this turn and died (its ticket stays in
  Redis until it expires);
- ``busy``: another turn holds the lock, alive, for ``hold`` seconds and then releases it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid

from rasa.utils.endpoints import EndpointConfig

from rasa_plugins.lock_store import WaitingTicketsRedisLockStore


def lock_store(redis_port: int) -> WaitingTicketsRedisLockStore:
    config = EndpointConfig(url="127.0.0.1", port=redis_port, db=0, key_prefix="aisletest")
    return WaitingTicketsRedisLockStore(config)


async def wait_behind_dead_ticket(store: WaitingTicketsRedisLockStore) -> float:
    conversation = f"dead-{uuid.uuid4().hex}"
    store.issue_ticket(conversation)
    started = time.monotonic()
    async with store.lock(conversation):
        return time.monotonic() - started


async def wait_behind_busy_turn(store: WaitingTicketsRedisLockStore, hold: float) -> float:
    conversation = f"busy-{uuid.uuid4().hex}"
    acquired = asyncio.Event()

    async def holder() -> None:
        async with store.lock(conversation):
            acquired.set()
            await asyncio.sleep(hold)

    holding = asyncio.create_task(holder())
    await acquired.wait()
    started = time.monotonic()
    async with store.lock(conversation, wait_time_in_seconds=0.1):
        waited = time.monotonic() - started
    await holding
    return waited


async def main(redis_port: int, hold: float) -> None:
    store = lock_store(redis_port)
    figures = {
        "dead": await wait_behind_dead_ticket(store),
        "busy": await wait_behind_busy_turn(store, hold),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
