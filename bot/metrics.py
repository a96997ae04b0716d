"""Prometheus metrics of the gateway: requests by route and status, and their duration.

``/metrics`` serves them (``prometheus-client``'s exposition format); route
templates (``/api/conversations/{conversation_id}/messages``), never raw
paths, label the series, so conversation ids neither leak into the metrics
nor grow them without bound.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

REQUESTS = Counter(
    "aisle_gateway_requests_total", "HTTP requests answered by the gateway.", ["route", "status"]
)
REQUEST_SECONDS = Histogram(
    "aisle_gateway_request_seconds",
    "Time the gateway took to answer an HTTP request (a chat message includes Rasa's turn).",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def _route_of(request: Request) -> str:
    """The template of the route that answered (set by the router once it matched)."""
    route = request.scope.get("route")
    return str(getattr(route, "path", None) or "unmatched")


def install(app: FastAPI) -> None:
    """Times every HTTP request and serves ``/metrics``."""

    @app.middleware("http")
    async def measure(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = _route_of(request)
        if route != "/metrics":
            REQUESTS.labels(route, str(response.status_code)).inc()
            REQUEST_SECONDS.labels(route).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
