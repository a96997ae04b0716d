"""Prometheus endpoints of the action server and the gateway count and time what they do."""

from __future__ import annotations

import uuid

import httpx
import pytest

from aisle.stack import Stack

pytestmark = pytest.mark.stack
ORDER_STATUS_COUNT = 'aisle_action_seconds_count{action="action_order_status"}'


def _sample(metrics: str, series: str) -> float:
    """The value of one series (``name{label="value"}``) in a Prometheus text page, 0 if absent."""
    line = next((line for line in metrics.splitlines() if line.startswith(f"{series} ")), None)
    return float(line.split()[-1]) if line else 0.0


def test_metrics_count_the_actions_that_ran(stack: Stack) -> None:
    metrics_url = f"http://{stack.config.host}:{stack.config.action_port}/metrics"
    with httpx.Client(timeout=60) as client:
        before = _sample(client.get(metrics_url).text, ORDER_STATUS_COUNT)
        client.post(
            f"{stack.config.rasa_url}/webhooks/rest/webhook",
            json={
                "sender": f"metrics-{uuid.uuid4().hex[:8]}",
                "message": "where is order 10002? email alex.rivera@example.com",
            },
        )
        response = client.get(metrics_url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = _sample(response.text, ORDER_STATUS_COUNT)
    assert after == before + 1
    assert (
        _sample(response.text, 'aisle_action_seconds_count{action="validate_verify_order_form"}')
        >= 1
    )


def test_gateway_metrics_count_requests_by_route_not_by_conversation(stack: Stack) -> None:
    conversation = f"metrics-{uuid.uuid4().hex[:8]}"
    series = (
        'aisle_gateway_request_seconds_count{route="/api/conversations/{conversation_id}/messages"}'
    )
    with httpx.Client(base_url=stack.config.gateway_url, timeout=60) as client:
        before = _sample(client.get("/metrics").text, series)
        posted = client.post(f"/api/conversations/{conversation}/messages", json={"text": "hi"})
        assert posted.status_code == 200
        metrics = client.get("/metrics").text
    assert _sample(metrics, series) == before + 1
    assert conversation not in metrics
