"""Assembles the gateway: routers, static files, the shared Rasa client.

``create_app`` takes its collaborators as arguments so tests (and later the
agent console or auth work) can build an app around a fake Rasa or another
database without patching; ``app`` is the default instance for
``uvicorn bot.app:app``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from aisle.settings import Settings, get_settings
from bot import (
    agent_auth,
    agent_ws,
    api,
    csat_routes,
    handoff_routes,
    health,
    images,
    metrics,
    pages,
    review_pages,
    review_routes,
    ws,
)
from bot.body_limit import BodyLimitMiddleware
from bot.chat import ChatError
from bot.live_fanout import make_hub
from bot.origins import CsrfOriginMiddleware, ShopperCorsMiddleware
from bot.rasa_client import RasaClient
from bot.rasa_pool import RasaPool
from bot.rate_limits import GatewayLimiter
from bot.security_headers import SecurityHeadersMiddleware

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None, rasa_client: RasaClient | None = None) -> FastAPI:
    """Builds a gateway app.

    Args:
        settings: Defaults to the process-wide settings (environment).
        rasa_client: One Rasa server (tests hand in a client with a fake transport);
            defaults to a pool of ``settings.rasa_replica_urls()``. The app's lifespan
            opens and closes it.
    """
    settings = settings or get_settings()
    rasa = (
        RasaPool([rasa_client])
        if rasa_client is not None
        else RasaPool.from_urls(settings.rasa_replica_urls(), settings.rasa_timeout_seconds)
    )

    hub = make_hub(settings.redis_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with rasa:
            await hub.start()
            logger.info("Aisle demo shop: %s", demo_url(settings))
            try:
                yield
            finally:
                await hub.stop()

    app = FastAPI(title="Aisle gateway", lifespan=lifespan)
    app.state.settings = settings
    app.state.rasa = rasa
    app.state.hub = hub
    app.state.limiter = GatewayLimiter(settings)
    app.add_exception_handler(ChatError, api.chat_error_handler)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        pages,
        ws,
        api,
        csat_routes,
        health,
        images,
        agent_auth,
        handoff_routes,
        agent_ws,
    ):
        app.include_router(module.router)
    for module in (review_pages, review_routes):  # conversation review and the dashboard
        app.include_router(module.router)
    metrics.install(app)
    # Added last = runs first: headers on every answer, even the refusals below.
    app.add_middleware(CsrfOriginMiddleware)
    app.add_middleware(ShopperCorsMiddleware, settings=settings)
    app.add_middleware(BodyLimitMiddleware, exempt=api.reads_own_body)
    app.add_middleware(SecurityHeadersMiddleware, https=settings.agent_cookie_secure)
    return app


def demo_url(settings: Settings) -> str:
    """The demo page's address as a browser on this machine would open it."""
    host = settings.gateway_host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.gateway_port}/"


app = create_app()
