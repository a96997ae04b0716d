"""Refuses request bodies over a size limit before any route reads them.

FastAPI reads a JSON body whole before validating it, so without a limit one
request can make the gateway hold gigabytes. Bodies with a ``Content-Length``
over the limit are refused at once; chunked bodies are counted as they arrive
and cut off when they pass it. The answer is the gateway's error envelope with
413 and code ``request_too_large``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_LIMIT_BYTES = 64 * 1024


class BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Caps every HTTP request body at ``limit`` bytes."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int = DEFAULT_LIMIT_BYTES,
        exempt: Callable[[str], bool] = lambda _path: False,
    ) -> None:
        """``exempt(path)``: routes that read their body with a limit and wording of their own."""
        self.app = app
        self.limit = limit
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(send)
            return
        received = 0
        refused = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    if not refused:
                        refused = True
                        await self._refuse(send)
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:  # after the 413, whatever the route answers is dropped
                await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, counted_receive, guarded_send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {
                "type": "error",
                "code": "request_too_large",
                "message": f"The request body is over {self.limit} bytes.",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
