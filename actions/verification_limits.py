"""Failed order checks per IP address, across every conversation.

A conversation runs out of order checks after ``MAX_VERIFICATION_FAILURES``
(``actions.orders``), but a script opens a new conversation for every guess.
This counts the failures of each address instead: the gateway puts the
shopper's address in the message metadata (``client_ip``, a key of its own that
the shopper cannot set), and over ``AISLE_RATE_LIMIT_VERIFICATION_FAILURES_IP``
the order check answers as after a conversation's own limit, without asking the
order source. Counts are in Redis with ``AISLE_REDIS_URL`` (shared by every
action server), else in this process's memory; like the gateway's limits
(``bot.rate_limits``), a Redis that does not answer makes this server count in
memory for a while instead of refusing or letting through every shopper.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import TypeVar

from limits import parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter
from rasa_sdk import Tracker
from redis.exceptions import RedisError

from aisle.settings import Settings

logger = logging.getLogger(__name__)

CLIENT_IP_KEY = "client_ip"
"""Top-level metadata key the gateway sets (``bot.chat.relay``); absent when Rasa is
talked to directly, which counts nothing."""
KEY = "verify-ip"
REDIS_TIMEOUT_SECONDS = 0.5
REDIS_RETRY_SECONDS = 5.0
WARN_EVERY_SECONDS = 30.0

T = TypeVar("T")


class VerificationLimiter:
    """Counts failed order checks per address (moving window, the ``limits`` library)."""

    def __init__(self, settings: Settings) -> None:
        self.limit = parse(settings.rate_limit_verification_failures_ip)
        self._exempt = {ip.strip() for ip in settings.rate_limit_exempt_ips.split(",") if ip}
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._redis: MovingWindowRateLimiter | None = None
        if settings.redis_url:
            storage = RedisStorage(
                settings.redis_url,
                wrap_exceptions=True,
                key_prefix="aisle-limits",
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
            self._redis = MovingWindowRateLimiter(storage)
        self._redis_down_until = 0.0
        self._last_warning = -math.inf

    def allows(self, ip: str | None) -> bool:
        """Tells whether ``ip`` may have its order check run (no address: always)."""
        if not ip or ip in self._exempt:
            return True
        return self._run(lambda limiter: limiter.test(self.limit, KEY, ip))

    def record_failure(self, ip: str | None) -> None:
        if ip and ip not in self._exempt:
            self._run(lambda limiter: limiter.hit(self.limit, KEY, ip))

    def _run(self, call: Callable[[MovingWindowRateLimiter], T]) -> T:
        """On Redis unless it failed in the last few seconds; else in this process's memory."""
        if self._redis is not None and time.monotonic() >= self._redis_down_until:
            try:
                return call(self._redis)
            except (StorageError, RedisError, OSError) as error:
                now = time.monotonic()
                self._redis_down_until = now + REDIS_RETRY_SECONDS
                if now - self._last_warning >= WARN_EVERY_SECONDS:
                    self._last_warning = now
                    logger.warning(
                        "Verification limits: Redis unavailable (%s); counting in memory", error
                    )
        return call(self._memory)


def client_ip(tracker: Tracker) -> str | None:
    """The address the gateway saw the shopper's latest message come from."""
    metadata = tracker.latest_message.get("metadata") or {}
    ip = metadata.get(CLIENT_IP_KEY)
    return str(ip) if ip else None
