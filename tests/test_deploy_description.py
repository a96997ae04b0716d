"""The cluster description (deploy/compose.yaml) agrees with the production endpoints and
the gateway's settings, so the file that is not run by CI cannot drift silently."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import yaml

from aisle.settings import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"


def _compose() -> dict[str, dict[str, object]]:
    services: dict[str, dict[str, object]] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())[
        "services"
    ]
    return services


def test_every_rasa_replica_gets_each_variable_the_production_endpoints_use() -> None:
    endpoints = yaml.safe_load((DEPLOY / "endpoints.production.yml").read_text())
    needed = set(re.findall(r"\$\{(\w+)\}", yaml.safe_dump(endpoints)))
    replicas = {name: s for name, s in _compose().items() if name.startswith("rasa-")}
    assert len(replicas) >= 2
    for name, service in replicas.items():
        environment = service["environment"]
        assert isinstance(environment, dict)
        assert needed <= set(environment), f"{name} lacks {needed - set(environment)}"


def test_the_gateway_routes_over_every_rasa_replica_and_actions_resolve() -> None:
    services = _compose()
    gateway_env = services["gateway"]["environment"]
    assert isinstance(gateway_env, dict)
    routed = {urlparse(url).hostname for url in str(gateway_env["AISLE_RASA_URLS"]).split(",")}
    assert routed == {name for name in services if name.startswith("rasa-")}
    for name in routed:
        environment = services[str(name)]["environment"]
        assert isinstance(environment, dict)
        assert urlparse(str(environment["AISLE_ACTION_ENDPOINT_URL"])).hostname in services


def test_the_action_servers_count_failed_order_checks_in_the_gateways_redis() -> None:
    """Otherwise each action server counts an address's failed checks on its own."""
    services = _compose()
    actions_env, gateway_env = (
        services["actions"]["environment"],
        services["gateway"]["environment"],
    )
    assert isinstance(actions_env, dict) and isinstance(gateway_env, dict)
    assert actions_env["AISLE_REDIS_URL"] == gateway_env["AISLE_REDIS_URL"]


def test_the_gateway_reads_the_tracker_store_the_replicas_write() -> None:
    """The review page and the dashboard look at the same conversations Rasa stored."""
    services = _compose()
    gateway_env = services["gateway"]["environment"]
    rasa_env = services["rasa-1"]["environment"]
    assert isinstance(gateway_env, dict) and isinstance(rasa_env, dict)
    tracker = urlparse(str(gateway_env["AISLE_TRACKER_URL"]))
    assert tracker.hostname == rasa_env["AISLE_TRACKER_DB_HOST"]
    assert tracker.path.lstrip("/") == rasa_env["AISLE_TRACKER_DB_NAME"]
    assert str(tracker.port) == str(rasa_env["AISLE_TRACKER_DB_PORT"])
