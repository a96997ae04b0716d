"""The action server's Prometheus endpoint counts and times every custom action."""

from __future__ import annotations

import uuid

import httpx
import pytest

from aisle.stack import Stack

pytestmark = pytest.mark.stack


def _sample(metrics: str, name: str, action: str) -> float:
    prefix = f'{name}{{action="{action}"}} '
    line = next((line for line in metrics.splitlines() if line.startswith(prefix)), None)
    return float(line.removeprefix(prefix)) if line else 0.0


def test_metrics_count_the_actions_that_ran(stack: Stack) -> None:
    metrics_url = f"http://{stack.config.host}:{stack.config.action_port}/metrics"
    with httpx.Client(timeout=60) as client:
        before = _sample(
            client.get(metrics_url).text, "aisle_action_seconds_count", "action_order_status"
        )
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
    after = _sample(response.text, "aisle_action_seconds_count", "action_order_status")
    assert after == before + 1
    assert _sample(response.text, "aisle_action_seconds_count", "validate_verify_order_form") >= 1
