"""Prometheus metrics of the action server: one histogram and one counter per action."""

from __future__ import annotations

import json
import time

import pluggy
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sanic import HTTPResponse, Request, Sanic

hookimpl = pluggy.HookimplMarker("rasa_sdk")

ACTION_SECONDS = Histogram(
    "aisle_action_seconds",
    "Time the action server took to run one custom action.",
    ["action"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
ACTION_ERRORS = Counter(
    "aisle_action_errors_total",
    "Custom action calls answered with an HTTP error (the action raised or was unknown).",
    ["action"],
)


def _action_name(request: Request) -> str:
    try:
        return str(json.loads(request.body or b"{}").get("next_action") or "unknown")
    except (ValueError, AttributeError):
        return "unreadable"


class ActionServerMetrics:
    """The rasa-sdk plugin: a ``/metrics`` route and timing middleware on ``/webhook``."""

    @hookimpl  # type: ignore[untyped-decorator]
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        @app.on_request
        async def start_timer(request: Request) -> None:
            request.ctx.started = time.perf_counter()

        @app.on_response
        async def record(request: Request, response: HTTPResponse) -> None:
            if request.path != "/webhook" or not hasattr(request.ctx, "started"):
                return
            action = _action_name(request)
            ACTION_SECONDS.labels(action).observe(time.perf_counter() - request.ctx.started)
            if response.status >= 400:
                ACTION_ERRORS.labels(action).inc()

        @app.get("/metrics")
        async def metrics(request: Request) -> HTTPResponse:
            return HTTPResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
