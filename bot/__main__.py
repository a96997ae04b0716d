"""Runs the gateway: ``python -m bot [--host HOST] [--port PORT]``.

Preferred over a bare ``uvicorn bot.app:app`` because it also sets up logging,
so the gateway's own lines (e.g. the demo page URL at startup) are printed;
uvicorn's default configuration only prints uvicorn's loggers.
"""

from __future__ import annotations

import argparse
import logging

import uvicorn

from aisle.pii import redact_logs
from aisle.settings import get_settings
from bot.app import create_app

WS_MAX_FRAME_BYTES = 1024 * 1024
"""Websocket frames over this size close the socket with 1009 (frames the gateway can use
are far smaller and get a clear error frame when too long: ``bot.ws``)."""


def main(argv: list[str] | None = None) -> None:
    """Configures logging and serves the gateway until interrupted."""
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m bot", description="Runs the Aisle gateway.")
    parser.add_argument("--host", default=settings.gateway_host, help="bind address")
    parser.add_argument("--port", type=int, default=settings.gateway_port, help="port")
    args = parser.parse_args(argv)
    settings = settings.model_copy(update={"gateway_host": args.host, "gateway_port": args.port})

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    redact_logs()
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_config=None,
        ws_max_size=WS_MAX_FRAME_BYTES,
    )


if __name__ == "__main__":
    main()
