"""A body limit on every route: the command lane, GraphQL, the admin and planning
endpoints, the dashboards. A body declared (Content-Length) or sent beyond the limit is
answered 413 with a problem before the route runs, so nothing is read into memory past
the limit and nothing is saved."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commands.problems import Problem, problem, send_problem

DEFAULT_MAX_BODY = 1 << 20


def _size(limit: int) -> str:
    return f"{limit // (1 << 20)} MiB" if limit % (1 << 20) == 0 else f"{limit} bytes"


def too_large(limit: int, path: str) -> Problem:
    return problem(
        413,
        "payload-too-large",
        "Payload Too Large",
        f"a request body may have at most {_size(limit)} (MIMS_MAX_BODY_BYTES)",
        instance=path,
    )


async def send_too_large(send: Send, limit: int, path: str) -> None:
    await send_problem(send, too_large(limit, path), {"connection": "close"})


def _declared(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, path = self.max_bytes, scope["path"]
        if _declared(scope) > limit:
            await send_too_large(send, limit, path)
            return
        # Read to the end (or past the limit) before the route runs: a route that is
        # refused has parsed nothing, and the one that runs gets the body as sent.
        chunks: list[bytes] = []
        received = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > limit:
                await send_too_large(send, limit, path)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body: Message | None = {"type": "http.request", "body": b"".join(chunks)}

        async def replay() -> Message:
            nonlocal body
            if body is not None:
                message, body = body, None
                return message
            return await receive()

        await self.app(scope, replay, send)
