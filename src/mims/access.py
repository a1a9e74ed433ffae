"""What an operator sees of every request: which worker answered (``X-Mims-Worker``), its
correlation id (``X-Correlation-ID``, taken from the request or made), and one access-log
line through structlog.

A pure ASGI middleware, outermost, so it costs a few microseconds beside the command lane.
The access line names the method, the path without its query string, the status and the
time taken: never a body, a query string or a header value, which may carry tokens or
signatures.
"""

from __future__ import annotations

import os
import re
import time
from uuid import uuid4

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("mims.access")

CORRELATION_HEADER = b"x-correlation-id"
# A correlation id from a client is echoed in headers and logs: printable, bounded.
_CORRELATION_ID = re.compile(rb"[A-Za-z0-9._:/+=@-]{1,128}")


class AccessMiddleware:
    def __init__(self, app: ASGIApp, *, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log
        self.worker = str(os.getpid()).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        given = next((v for k, v in headers if k == CORRELATION_HEADER), None)
        if given is not None and _CORRELATION_ID.fullmatch(given):
            correlation = given
        else:
            correlation = uuid4().hex.encode()
            if given is None:  # the command's events record the one made for it
                scope = {**scope, "headers": [*headers, (CORRELATION_HEADER, correlation)]}
            # A given one we would not echo (too long, odd bytes) stays for the API to
            # judge; the logs and the answer use the one made here.
        correlation_id = correlation.decode()
        structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
        status = 500
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-mims-worker", self.worker),
                    (CORRELATION_HEADER, correlation),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if self.access_log:
                log.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    ms=round((time.perf_counter() - started) * 1000, 2),
                )
            structlog.contextvars.unbind_contextvars("correlation_id")
