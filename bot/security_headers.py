"""Headers every gateway response carries, whatever route made it.

The pages add their strict Content-Security-Policy themselves (``bot.pages``);
this middleware covers everything else too (JSON, static files, errors):
no MIME sniffing, no referrer to other sites, no framing of the gateway's
pages, no caching of agent data, and HSTS once the gateway is behind TLS
(``AISLE_AGENT_COOKIE_SECURE``). Nothing here stops a shop page from loading
``/static/widget.js``: scripts are not subject to these headers.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
NO_STORE_PREFIXES = ("/api/agent/", "/api/handoffs", "/agent")


class SecurityHeadersMiddleware:
    """Adds ``BASE_HEADERS`` (and HSTS behind TLS, ``no-store`` on agent data)."""

    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = scope["path"].startswith(NO_STORE_PREFIXES)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in BASE_HEADERS.items():
                    headers.setdefault(name, value)
                if self.https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                if no_store:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
