"""Runs the gateway: ``python -m bot`` (host and port from ``AISLE_GATEWAY_*``).

Preferred over a bare ``uvicorn bot.app:app`` because it also sets up logging,
so the gateway's own lines (e.g. the demo page URL at startup) are printed.
"""

from __future__ import annotations

import logging

import uvicorn

from aisle.settings import get_settings


def main() -> None:
    """Configures logging and serves ``bot.app:app`` until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    uvicorn.run("bot.app:app", host=settings.gateway_host, port=settings.gateway_port, log_config=None)


if __name__ == "__main__":
    main()
