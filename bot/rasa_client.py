"""Client of the Rasa server's REST channel.

The gateway is the only part of Aisle that talks to Rasa, so every way Rasa
can fail (not started yet, restarting, overloaded, answering garbage) is turned
here into one of two exceptions the chat layer can explain to a shopper.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from bot.schemas import BotMessage

logger = logging.getLogger(__name__)

CONNECT_RETRIES = 2
"""Extra connection attempts (0.5 s, then 1 s apart) while Rasa (re)starts (no setting yet)."""

CONNECT_TIMEOUT_SECONDS = 5.0
"""Connecting is quick or hopeless; only the turn itself may take the full timeout."""

_BOT_MESSAGES = TypeAdapter(list[BotMessage])


class RasaError(Exception):
    """Rasa gave no usable answer."""


class RasaUnavailable(RasaError):
    """Rasa could not be reached, timed out or failed (5xx).

    ``may_have_reached`` is False only when the request certainly never reached
    Rasa (the connection was refused), so sending it again elsewhere is safe.
    """

    def __init__(self, message: str, may_have_reached: bool = True) -> None:
        super().__init__(message)
        self.may_have_reached = may_have_reached


class RasaProtocolError(RasaError):
    """Rasa answered, but not with a list of bot messages (e.g. a 4xx or bad JSON)."""


class RasaClient:
    """Sends shopper messages to Rasa and reads its answers.

    Use it as an async context manager (the app's lifespan does): entering
    opens one pooled ``httpx.AsyncClient``, leaving closes it, so the same
    ``RasaClient`` may be entered again, e.g. by several test clients.

    Connection errors are retried by httpx's transport, with back-off, because
    the request never reached Rasa and resending it is safe. Timeouts and 5xx
    answers are not retried: Rasa may already have acted on the message.
    """

    def __init__(
        self,
        base_url: str,
        timeout: float,
        transport: httpx.AsyncBaseTransport | None = None,
        connect_retries: int | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._connect_retries = CONNECT_RETRIES if connect_retries is None else connect_retries
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT_SECONDS))
        self._transport = transport
        self._http: httpx.AsyncClient | None = None

    async def __aenter__(self) -> RasaClient:
        transport = self._transport or httpx.AsyncHTTPTransport(retries=self._connect_retries)
        # trust_env=False: Rasa is an internal service and must not be reached
        # through a proxy configured for the outside world.
        self._http = httpx.AsyncClient(
            base_url=self.base_url, timeout=self._timeout, transport=transport, trust_env=False
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def send(
        self, conversation_id: str, text: str, metadata: dict[str, Any]
    ) -> list[BotMessage]:
        """Sends one shopper message and returns the bot's answers, in order.

        Raises:
            RasaUnavailable: Rasa was not reachable, timed out or failed.
            RasaProtocolError: Rasa's answer was not a list of bot messages.
        """
        body = {"sender": conversation_id, "message": text, "metadata": metadata}
        response = await self._request("POST", "/webhooks/rest/webhook", json=body)
        if response.is_server_error:
            raise RasaUnavailable(
                f"Rasa at {self.base_url} failed with HTTP {response.status_code}"
            )
        if not response.is_success:
            raise RasaProtocolError(
                f"Rasa at {self.base_url} refused the message with HTTP {response.status_code}"
            )
        return _parse_bot_messages(response)

    async def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        """Appends events (``pause``, ``resume``, an agent's ``bot`` message) to a tracker.

        Uses Rasa's tracker events API (``--enable-api``) without executing side
        effects, so nothing is predicted or sent: Rasa only records.

        Raises:
            RasaUnavailable: Rasa was not reachable, timed out or failed.
            RasaProtocolError: Rasa refused the events (e.g. no HTTP API).
        """
        path = f"/conversations/{quote(conversation_id, safe='')}/tracker/events"
        response = await self._request("POST", path, params={"include_events": "NONE"}, json=events)
        self._check(response, "refused the events")

    async def is_paused(self, conversation_id: str) -> bool:
        """Tells whether Rasa's tracker of the conversation is paused (records, never answers)."""
        path = f"/conversations/{quote(conversation_id, safe='')}/tracker"
        response = await self._request("GET", path, params={"include_events": "NONE"})
        self._check(response, "did not return the tracker")
        try:
            return bool(response.json().get("paused"))
        except (ValueError, AttributeError) as exc:
            raise RasaProtocolError(f"Rasa's tracker is not a JSON object: {exc}") from exc

    async def tracker_events(self, conversation_id: str) -> list[dict[str, Any]]:
        """The conversation's events so far (fail-over reads them to find a message's answers)."""
        path = f"/conversations/{quote(conversation_id, safe='')}/tracker"
        response = await self._request("GET", path, params={"include_events": "ALL"})
        self._check(response, "did not return the tracker")
        try:
            events = response.json().get("events") or []
        except (ValueError, AttributeError) as exc:
            raise RasaProtocolError(f"Rasa's tracker is not a JSON object: {exc}") from exc
        return [event for event in events if isinstance(event, dict)]

    def _check(self, response: httpx.Response, what: str) -> None:
        if response.is_server_error:
            raise RasaUnavailable(
                f"Rasa at {self.base_url} failed with HTTP {response.status_code}"
            )
        if not response.is_success:
            raise RasaProtocolError(
                f"Rasa at {self.base_url} {what} with HTTP {response.status_code}"
            )

    async def is_ready(self) -> bool:
        """Tells whether Rasa answers.

        ``/status`` also says a model is loaded, but exists only with
        ``--enable-api`` (and may need a token); ``/`` always exists.
        """
        for path in ("/status", "/"):
            try:
                response = await self._request("GET", path)
            except RasaUnavailable:
                return False
            if response.is_success:
                return True
            if response.is_server_error:
                return False
        return False

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self._http is None:
            raise RuntimeError("RasaClient is not open; use it as 'async with RasaClient(...)'.")
        try:
            return await self._http.request(method, path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise RasaUnavailable(
                f"Rasa at {self.base_url} is not reachable: {exc}", may_have_reached=False
            ) from exc
        except httpx.TimeoutException as exc:
            raise RasaUnavailable(f"Rasa at {self.base_url} did not answer in time") from exc
        except httpx.TransportError as exc:
            raise RasaUnavailable(f"Rasa at {self.base_url} is not reachable: {exc}") from exc


def _parse_bot_messages(response: httpx.Response) -> list[BotMessage]:
    try:
        messages = _BOT_MESSAGES.validate_json(response.content)
    except ValidationError as exc:
        raise RasaProtocolError(f"Rasa's answer is not a list of bot messages: {exc}") from exc
    return [message for message in messages if not message.is_empty()]
