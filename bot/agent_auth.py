"""Agent sign-in for the console: login, logout and the guards every agent route uses.

* ``POST /api/agent/login`` ``{"email", "password"}`` sets the session cookie
  (HttpOnly, SameSite=Strict, Secure behind TLS); ``POST /api/agent/logout``
  ends it. JSON bodies only, so a cross-site HTML form cannot post here.
* Failed sign-ins are limited per email and per IP (``bot.rate_limits``).
* ``CurrentAgent`` guards the JSON API (401 without a session),
  ``page_agent`` the pages (they redirect to the login page), and
  ``websocket_agent`` the console's websocket (closed with 1008).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, WebSocket, status
from fastapi.concurrency import run_in_threadpool
from fastapi.requests import HTTPConnection

from aisle.settings import Settings
from bot import agent_sessions, store
from bot.agent_schemas import AgentView, LoginRequest
from bot.deps import SettingsDep, app_settings
from bot.origins import origin_allowed
from bot.rate_limits import LimiterDep, RateLimited, client_ip

logger = logging.getLogger(__name__)

COOKIE_NAME = "aisle_agent_session"
_PAUSED = "Too many failed sign-ins for this email or from this address; retry later"

router = APIRouter()


async def _agent_of(connection: HTTPConnection, settings: Settings) -> AgentView | None:
    token = connection.cookies.get(COOKIE_NAME)
    try:
        return await run_in_threadpool(agent_sessions.agent_for, settings.database_url, token)
    except store.DatabaseUnavailable as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Database unavailable.") from exc


async def api_agent(request: Request, settings: SettingsDep) -> AgentView:
    """The signed-in agent, or 401 for the JSON API."""
    agent = await _agent_of(request, settings)
    if agent is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "Sign in first.", headers={"WWW-Authenticate": "Cookie"}
        )
    return agent


async def page_agent(request: Request, settings: SettingsDep) -> AgentView | None:
    """The signed-in agent, or ``None`` so the page can redirect to the login page."""
    return await _agent_of(request, settings)


async def websocket_agent(websocket: WebSocket) -> AgentView | None:
    """The agent of a websocket handshake (cookies travel with it), or ``None``.

    A handshake from another site's page is refused whatever its cookies
    (cross-site websocket hijacking): the console only runs on the gateway's pages.
    """
    settings = app_settings(websocket)
    if not origin_allowed(websocket, settings, shops=False):
        return None
    return await _agent_of(websocket, settings)


CurrentAgent = Annotated[AgentView, Depends(api_agent)]
PageAgent = Annotated[AgentView | None, Depends(page_agent)]


@router.post(
    "/api/agent/login",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={401: {"description": "Wrong email or password"}, 429: {"description": _PAUSED}},
)
async def login(
    body: LoginRequest, request: Request, settings: SettingsDep, limiter: LimiterDep
) -> Response:
    """Checks the credentials and starts a session; the same 401 for any wrong part.

    After too many failures for the email or from the IP, attempts are refused with
    429 and ``Retry-After`` before the password is even checked.
    """
    ip = client_ip(request)
    try:
        await limiter.check_login(body.email, ip)
    except RateLimited as exc:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            exc.message,
            headers={"Retry-After": str(exc.retry_after)},
        ) from exc
    token = await run_in_threadpool(
        agent_sessions.login,
        settings.database_url,
        body.email,
        body.password,
        settings.agent_session_hours,
    )
    if token is None:
        await limiter.record_login_failure(body.email, ip)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Wrong email or password.")
    await limiter.clear_login_failures(body.email)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=int(settings.agent_session_hours * 3600),
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.agent_cookie_secure,
    )
    return response


@router.post("/api/agent/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(request: Request, settings: SettingsDep) -> Response:
    """Ends the session server-side and clears the cookie."""
    await run_in_threadpool(
        agent_sessions.logout, settings.database_url, request.cookies.get(COOKIE_NAME)
    )
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response


@router.get("/api/agent/me", response_model=AgentView)
def me(agent: CurrentAgent) -> AgentView:
    """Who is signed in (the console shows the name)."""
    return agent
