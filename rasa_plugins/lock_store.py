"""A Redis lock store whose waiting turns keep their place in the queue.

Rasa 3.6's ``RedisLockStore`` gives every ticket the same lifetime (``TICKET_LOCK_LIFETIME``),
the ones still waiting as well as the one being served. The lifetime is there so that a
replica killed while it holds a conversation's lock does not block that conversation for
ever. But when the dead replica's ticket and the waiting turn's ticket expire within the
same one-second poll, the waiter never sees itself at the head of the queue: the lock is left
with no tickets, ``now_serving`` reads 0, and the turn waits until the gateway gives up (the
fail-over test caught this as a 503 after 30 s). Here a waiter renews its own ticket on every
poll, so only the tickets of turns nobody is waiting for any more expire.

Configured in ``deploy/endpoints.production.yml``::

    lock_store:
      type: rasa_plugins.lock_store.WaitingTicketsRedisLockStore
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)


class WaitingTicketsRedisLockStore(RedisLockStore):
    """``RedisLockStore`` with the same keys and settings; only waiting differs."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url or "localhost", **endpoint_config.kwargs)

    async def _acquire_lock(
        self, conversation_id: str, ticket: int, wait_time_in_seconds: float
    ) -> TicketLock:
        while True:
            lock = self.get_lock(conversation_id)
            if lock is None:
                break
            if not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait_time_in_seconds)
            self.renew_ticket(conversation_id, ticket)
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")

    def renew_ticket(self, conversation_id: str, ticket: int) -> None:
        """Drops expired tickets and gives the waiter's own a fresh lifetime.

        A waiter whose ticket expired anyway (its poll stalled longer than a lifetime) puts it
        back in its place by number rather than queueing behind later turns.
        """
        lock = self.get_lock(conversation_id)
        if lock is None:
            return
        lock.remove_expired_tickets()
        others = [kept for kept in lock.tickets if kept.number != ticket]
        renewed = Ticket(ticket, time.time() + LOCK_LIFETIME)
        lock.tickets = deque(sorted([*others, renewed], key=lambda kept: kept.number))
        self.save_lock(lock)
