"""Rate limits of the gateway: per shopper session, per IP, and agent sign-in attempts.

Built on the ``limits`` library's asyncio API (moving windows), so the same
limiter serves HTTP routes and websocket frames alike and never blocks the
event loop. With ``AISLE_REDIS_URL`` every gateway counts in the same Redis;
without it each gateway counts in its own memory.

Redis down must not refuse every shopper: the limiter then counts in this
gateway's memory (a warning is logged, at most every ``WARN_EVERY_SECONDS``)
and tries Redis again after ``REDIS_RETRY_SECONDS``. Per-IP limits skip the
addresses in ``rate_limit_exempt_ips`` (the machine itself by default: its load
bench and tests); behind a reverse proxy the shopper's address comes from
``X-Forwarded-For``, which uvicorn trusts from ``--forwarded-allow-ips``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends
from fastapi.requests import HTTPConnection
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.exceptions import RedisError

from aisle.settings import Settings
from bot.chat import ChatError

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 0.5
"""A Redis that does not answer in this time counts as down (a turn must not wait on it)."""
REDIS_RETRY_SECONDS = 5.0
WARN_EVERY_SECONDS = 30.0
KEY_PREFIX = "aisle-limits"

T = TypeVar("T")


class RateLimited(Exception):
    """Too many requests; ``retry_after`` is in whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after

    def chat_error(self) -> ChatError:
        """The shopper's ``rate_limited`` error (HTTP 429 or an error frame)."""
        return ChatError("rate_limited", self.message, retry_after=self.retry_after)


@dataclass(frozen=True)
class Limits:
    """The parsed limits (``"30/minute"`` strings in the settings)."""

    session_messages: RateLimitItem
    ip_messages: RateLimitItem
    ip_connections: RateLimitItem
    session_frames: RateLimitItem
    login_failures_account: RateLimitItem
    login_failures_ip: RateLimitItem

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            session_messages=parse(settings.rate_limit_session_messages),
            ip_messages=parse(settings.rate_limit_ip_messages),
            ip_connections=parse(settings.rate_limit_ip_connections),
            session_frames=parse(settings.rate_limit_session_frames),
            login_failures_account=parse(settings.rate_limit_login_failures),
            login_failures_ip=parse(settings.rate_limit_login_failures_ip),
        )


class GatewayLimiter:
    """Counts requests in Redis (shared by every gateway) or in memory."""

    def __init__(self, settings: Settings) -> None:
        self.limits = Limits.from_settings(settings)
        self._exempt = {ip.strip() for ip in settings.rate_limit_exempt_ips.split(",") if ip}
        self._memory = MovingWindowRateLimiter(MemoryStorage())
        self._redis_storage: RedisStorage | None = None
        if settings.redis_url:
            self._redis_storage = RedisStorage(
                f"async+{settings.redis_url}",
                implementation="redispy",
                wrap_exceptions=True,
                key_prefix=KEY_PREFIX,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
        self._redis = MovingWindowRateLimiter(self._redis_storage) if self._redis_storage else None
        self._redis_down_until = 0.0
        self._last_warning = -math.inf

    @property
    def uses_redis(self) -> bool:
        return self._redis is not None

    # --- shoppers -----------------------------------------------------------

    async def check_message(self, conversation_id: str, ip: str) -> None:
        """Counts one shopper message (HTTP or websocket); raises ``RateLimited`` when over."""
        await self._hit(
            self.limits.session_messages,
            ("session", conversation_id),
            "You're sending messages faster than I can answer. Please wait a moment.",
        )
        if ip not in self._exempt:
            await self._hit(
                self.limits.ip_messages,
                ("ip", ip),
                "Too many messages from your network. Please wait a moment.",
            )

    async def check_connection(self, ip: str) -> None:
        """Counts one websocket connection from ``ip``."""
        if ip not in self._exempt:
            await self._hit(
                self.limits.ip_connections,
                ("connect", ip),
                "Too many chat connections from your network. Please wait a moment.",
            )

    async def allow_frame(self, conversation_id: str) -> bool:
        """Counts a websocket frame that is not a message (typing); ``False`` when over."""
        limit, key = self.limits.session_frames, ("frames", conversation_id)
        return await self._run(lambda lim: lim.hit(limit, *key))

    # --- agent sign-in ------------------------------------------------------

    async def check_login(self, email: str, ip: str) -> None:
        """Refuses a sign-in attempt while the email or the IP has too many recent failures."""
        for limit, key in self._login_keys(email, ip):
            if not await self._run(_test(limit, key)):
                raise RateLimited(
                    "Too many failed sign-ins. Please wait before trying again.",
                    await self._retry_after(limit, key),
                )

    async def record_login_failure(self, email: str, ip: str) -> None:
        for limit, key in self._login_keys(email, ip):
            await self._run(_hit(limit, key))

    async def clear_login_failures(self, email: str) -> None:
        """A successful sign-in forgets the account's failures (not the IP's)."""
        limit, key = self.limits.login_failures_account, _account_key(email)
        await self._run(lambda lim: lim.clear(limit, *key))

    def _login_keys(self, email: str, ip: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        keys = [(self.limits.login_failures_account, _account_key(email))]
        if ip not in self._exempt:
            keys.append((self.limits.login_failures_ip, ("login-ip", ip)))
        return keys

    # --- health -------------------------------------------------------------

    async def redis_ok(self) -> bool | None:
        """``None`` without Redis; else whether it answers now."""
        if self._redis_storage is None:
            return None
        try:
            return bool(await self._redis_storage.check())
        except Exception:  # check() may raise whatever the client raises
            return False

    # --- counting -----------------------------------------------------------

    async def _hit(self, limit: RateLimitItem, key: tuple[str, ...], message: str) -> None:
        if not await self._run(lambda lim: lim.hit(limit, *key)):
            raise RateLimited(message, await self._retry_after(limit, key))

    async def _retry_after(self, limit: RateLimitItem, key: tuple[str, ...]) -> int:
        stats = await self._run(lambda lim: lim.get_window_stats(limit, *key))
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def _run(self, call: Callable[[MovingWindowRateLimiter], Awaitable[T]]) -> T:
        """Runs ``call`` on Redis unless it failed in the last few seconds; else in memory.

        Counting in memory while Redis is down keeps every gateway limiting its own
        shoppers instead of refusing all of them or none.
        """
        if self._redis is not None and time.monotonic() >= self._redis_down_until:
            try:
                return await call(self._redis)
            except (StorageError, RedisError, OSError) as error:
                self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
                self._warn(error)
        return await call(self._memory)

    def _warn(self, error: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_SECONDS:
            self._last_warning = now
            logger.warning(
                "Rate limits: Redis unavailable (%s); counting in this gateway's memory", error
            )


def _test(
    limit: RateLimitItem, key: tuple[str, ...]
) -> Callable[[MovingWindowRateLimiter], Awaitable[bool]]:
    return lambda limiter: limiter.test(limit, *key)


def _hit(
    limit: RateLimitItem, key: tuple[str, ...]
) -> Callable[[MovingWindowRateLimiter], Awaitable[bool]]:
    return lambda limiter: limiter.hit(limit, *key)


def _account_key(email: str) -> tuple[str, ...]:
    return ("login", email.strip().lower())


def client_ip(connection: HTTPConnection) -> str:
    """The client's address (uvicorn already applied a trusted proxy's X-Forwarded-For)."""
    return connection.client.host if connection.client else "unknown"


def gateway_limiter(connection: HTTPConnection) -> GatewayLimiter:
    """The app's limiter (made once by ``create_app``)."""
    limiter: GatewayLimiter = connection.app.state.limiter
    return limiter


LimiterDep = Annotated[GatewayLimiter, Depends(gateway_limiter)]
