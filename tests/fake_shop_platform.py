"""A fake shop platform: the only fake in Aisle's tests.

The real platform's Admin REST API (shaped like Shopify's) is off this machine,
so ``ShopifyOrderSource`` is tested over real HTTP against this small FastAPI
app instead. It serves ``GET /admin/api/{version}/orders.json?name=...`` (one
order by its exact name) and ``?email=...`` (the orders with that email, any
case, newest first, at most ``limit``) from an in-memory dict of order payloads
that the tests build, checks the access
token header like the platform does (401 otherwise), and has switches to fail
the first N requests (429 with Retry-After, 503, ...), to answer slowly, or to
send a broken body, so the client's retries, timeouts and validation can be
exercised. Everything else about the platform (pagination, other filters,
other resources) is left out on purpose; a request with neither filter finds
nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

TOKEN_HEADER = "X-Shopify-Access-Token"


@dataclass
class FakeShopPlatform:
    """The platform's state; tests change the fields between requests."""

    access_token: str
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Order payloads by name (``"#10482"``), as the platform would send them."""
    fail_status: int | None = None
    """Answer this status instead of the orders, ``fail_times`` times."""
    fail_times: int = 0
    retry_after: str | None = None
    """Retry-After header sent with a failure, when set."""
    raw_body: bytes | None = None
    """Sent with status 200 instead of the orders (a malformed payload)."""
    delay_seconds: float = 0.0
    requests: list[Request] = field(default_factory=list)
    """Every request received, oldest first."""

    def add(self, order: dict[str, Any]) -> None:
        self.orders[order["name"]] = order

    def reset(self) -> None:
        """Forgets orders, switches and requests, for the next test."""
        self.orders.clear()
        self.fail_status, self.fail_times, self.retry_after = None, 0, None
        self.raw_body, self.delay_seconds = None, 0.0
        self.requests.clear()

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/admin/api/{version}/orders.json")
        async def list_orders(request: Request, version: str) -> Response:
            self.requests.append(request)
            if self.delay_seconds:
                await asyncio.sleep(self.delay_seconds)
            if request.headers.get(TOKEN_HEADER) != self.access_token:
                return JSONResponse({"errors": "[API] Invalid API key or access token"}, 401)
            if self.fail_status is not None and self.fail_times > 0:
                self.fail_times -= 1
                headers = {"Retry-After": self.retry_after} if self.retry_after else None
                return JSONResponse({"errors": "try later"}, self.fail_status, headers=headers)
            if self.raw_body is not None:
                return Response(self.raw_body, media_type="application/json")
            return JSONResponse({"orders": self._matching(request.query_params)})

        return app

    def _matching(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        if "name" in params:
            name = params["name"]
            return [self.orders[name]] if name in self.orders else []
        if "email" in params:
            email = params["email"].casefold()
            found = [o for o in self.orders.values() if (o.get("email") or "").casefold() == email]
            found.sort(key=lambda o: dt.datetime.fromisoformat(o["created_at"]), reverse=True)
            return found[: int(params.get("limit", "50"))]
        return []


@contextmanager
def serve(platform: FakeShopPlatform, port: int) -> Iterator[str]:
    """Runs the platform with uvicorn in a thread; yields its base URL."""
    config = uvicorn.Config(
        platform.app(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="fake-shop-platform", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"fake shop platform did not start on port {port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)
