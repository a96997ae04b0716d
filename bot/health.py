"""``GET /healthz``: the gateway's dependencies, each named, so an operator sees what is down.

Rasa and the shop database are what this gateway cannot serve shoppers
without: either down answers 503, so a load balancer stops sending it traffic.
The other parts are reported without changing the status code, because every
gateway shares them and the shopper still gets an answer (an apology and an
offer of a person) while they are down:

* ``actions``: every configured action server answers (``AISLE_ACTION_URLS``);
* ``index``: the action servers have the catalog index files;
* ``redis``: the shared Redis of live chat and rate limits (``AISLE_REDIS_URL``).

A part that is not configured is left out of the report.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

import httpx
from fastapi import APIRouter, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from bot import store
from bot.deps import RasaDep, SettingsDep
from bot.rate_limits import LimiterDep
from bot.schemas import HealthReport

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 2.0

router = APIRouter()

ActionsState = Literal["ok", "down"]
IndexState = Literal["ok", "missing"]


@router.get("/healthz", response_model=HealthReport, responses={503: {"model": HealthReport}})
async def healthz(settings: SettingsDep, rasa: RasaDep, limiter: LimiterDep) -> JSONResponse:
    """Reports the gateway's dependencies; 503 when Rasa or the shop database is down."""
    rasa_ok, database_ok, action_parts, redis_ok = await asyncio.gather(
        rasa.is_ready(),
        run_in_threadpool(store.database_ok, settings.database_url),
        action_servers_parts(settings.action_server_urls()),
        limiter.redis_ok(),
    )
    report = HealthReport(
        rasa="ok" if rasa_ok else "down",
        database="ok" if database_ok else "down",
        actions=action_parts[0] if action_parts else None,
        index=action_parts[1] if action_parts else None,
        redis=None if redis_ok is None else ("ok" if redis_ok else "down"),
    )
    code = status.HTTP_200_OK if report.all_ok() else status.HTTP_503_SERVICE_UNAVAILABLE
    return JSONResponse(report.model_dump(exclude_none=True), status_code=code)


async def action_servers_parts(urls: list[str]) -> tuple[ActionsState, IndexState | None] | None:
    """(actions, index) over every action server; ``None`` when none is configured.

    ``actions`` is down when any server is; ``index`` is missing when any server that
    answered lacks the files, and unknown (``None``) when none answered.
    """
    if not urls:
        return None
    async with httpx.AsyncClient(timeout=CHECK_TIMEOUT_SECONDS, trust_env=False) as client:
        answers = await asyncio.gather(*(_parts(client, url) for url in urls))
    reachable = [answer for answer in answers if answer is not None]
    actions: ActionsState = "ok" if len(reachable) == len(answers) else "down"
    if not reachable:
        return actions, None
    index_ok = all(answer.get("index") == "ok" for answer in reachable)
    return actions, "ok" if index_ok else "missing"


async def _parts(client: httpx.AsyncClient, url: str) -> dict[str, str] | None:
    try:
        response = await client.get(f"{url.rstrip('/')}/health/parts")
        response.raise_for_status()
        parts = response.json()
    except (httpx.HTTPError, ValueError) as error:
        logger.warning("Action server %s is down: %s", url, error)
        return None
    return parts if isinstance(parts, dict) else None
