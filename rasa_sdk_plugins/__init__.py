"""Aisle's extensions of the rasa-sdk action server, found by rasa-sdk itself.

rasa-sdk imports a package named ``rasa_sdk_plugins`` at start-up and calls
its ``init_hooks`` (see ``rasa_sdk.plugin``); this one adds a Prometheus
``/metrics`` endpoint with the count, errors and duration of every custom
action, so an operator sees which action is slow or failing, and ``/health/parts``
(``health.py``), which names the resource that is down.
"""

from __future__ import annotations

import pluggy

from rasa_sdk_plugins.health import ActionServerHealth
from rasa_sdk_plugins.metrics import ActionServerMetrics


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(ActionServerMetrics())
    manager.register(ActionServerHealth())
