"""Which web pages may talk to the gateway: its own, and the shops that embed the widget.

* The shopper API (``/api/conversations/...``) answers CORS requests from the
  configured shop origins (``AISLE_SHOP_ORIGINS``) only, without credentials.
* The widget's websocket accepts the gateway's own pages and those shops
  (browsers do not apply CORS to websockets, so the handshake's ``Origin`` is
  checked here); the console's websocket accepts only the gateway's own pages.
* The agent console is CSRF-safe: its cookie is ``SameSite=Strict``, its
  bodies are JSON only, and ``CsrfOriginMiddleware`` refuses any state-changing
  agent request whose ``Origin`` (or ``Sec-Fetch-Site``) says another site sent it.

A request without ``Origin`` is not from a page of another site (browsers send
it on every cross-origin request and websocket handshake), so scripts and
tests without one are let through.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from fastapi.requests import HTTPConnection
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from aisle.settings import Settings

SHOPPER_API_PREFIX = "/api/conversations/"
AGENT_PREFIXES = ("/api/agent/", "/api/handoffs", "/agent/")
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def is_same_origin(origin: str, host: str) -> bool:
    """Whether the page's ``Origin`` names the host (and port) the request was sent to."""
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and bool(host) and parts.netloc == host


def origin_allowed(connection: HTTPConnection, settings: Settings, shops: bool = True) -> bool:
    """The connection comes from no page, the gateway's own, or (``shops``) a shop's."""
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    if is_same_origin(origin, connection.headers.get("host", "")):
        return True
    return shops and origin.rstrip("/") in settings.allowed_shop_origins()


class ShopperCorsMiddleware:
    """CORS for the shopper API only, from the configured shop origins, no credentials."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=settings.allowed_shop_origins(),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(SHOPPER_API_PREFIX):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class CsrfOriginMiddleware:
    """Refuses state-changing agent requests sent by another site's page (403)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in UNSAFE_METHODS
            and scope["path"].startswith(AGENT_PREFIXES)
            and _cross_site(Headers(scope=scope))
        ):
            await _forbidden(send)
            return
        await self.app(scope, receive, send)


def _cross_site(headers: Headers) -> bool:
    if headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return True
    origin = headers.get("origin")
    return origin is not None and not is_same_origin(origin, headers.get("host", ""))


async def _forbidden(send: Send) -> None:
    body = json.dumps({"detail": "Requests from other sites are not accepted here."}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
