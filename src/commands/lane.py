"""The command lane: POST /v1/<command> without FastAPI's per-request machinery.

Under a shop floor's load the FastAPI path (middleware stack, dependency solving, body
parsing through the stdlib json module) costs three times what deciding and committing
the command costs, and it shares one interpreter lock with the writer. This ASGI
middleware answers the command routes directly: the same pydantic command models
(validated from the raw bytes by pydantic-core), the same ``submit()`` as the FastAPI
routes, the same problem details. The FastAPI routes stay registered: they document the
API (OpenAPI) and serve any command the lane does not know.
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import OperationalError as StoreOperationalError
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commands.api import (
    COMMAND_ROUTES,
    CREATED,
    HEADER_MAX_LENGTH,
    Sender,
    accepted_body,
    accepted_headers,
    submit,
)
from commands.limits import DEFAULT_MAX_BODY, send_too_large
from commands.problems import (
    PROBLEM_JSON,
    Problem,
    from_ledger_error,
    from_validation_errors,
    internal_error,
    replay_headers,
    store_unavailable,
)
from ledger import commands as c
from ledger.errors import LedgerError

LANE: dict[str, type[c.Command]] = {f"/v1{path}": command for path, command, _, _ in COMMAND_ROUTES}


class BodyTooLarge(Exception):
    pass


async def _body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message: Message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _sender(headers: list[tuple[bytes, bytes]], path: str) -> Sender | Problem:
    found: dict[bytes, str] = {}
    for name, value in headers:
        if name in (b"x-actor", b"x-correlation-id", b"idempotency-key"):
            text = value.decode("latin-1")
            if len(text) > HEADER_MAX_LENGTH:
                return from_validation_errors(
                    [
                        {
                            "type": "string_too_long",
                            "loc": ("header", name.decode()),
                            "msg": f"String should have at most {HEADER_MAX_LENGTH} characters",
                        }
                    ],
                    path,
                )
            found[name] = text
    return Sender(
        found.get(b"x-actor") or "anonymous",
        found.get(b"x-correlation-id"),
        found.get(b"idempotency-key"),
    )


class CommandLane:
    def __init__(self, app: ASGIApp, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        command_type = LANE.get(scope["path"]) if scope["type"] == "http" else None
        if command_type is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        extra: dict[str, str] | None = None
        try:
            answer = await self._answer(scope, receive, command_type, path)
        except BodyTooLarge:
            await send_too_large(send, self.max_body, path)
            return
        if isinstance(answer, tuple):
            code, content, media = answer[0], orjson.dumps(answer[1]), PROBLEM_JSON
            extra = replay_headers(answer)
        else:
            code, content, media = CREATED, orjson.dumps(accepted_body(answer)), "application/json"
            extra = accepted_headers(answer)
        headers = [
            (b"content-type", media.encode()),
            (b"content-length", str(len(content)).encode()),
            *((k.lower().encode(), v.encode()) for k, v in (extra or {}).items()),
        ]
        await send({"type": "http.response.start", "status": code, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def _answer(
        self, scope: Scope, receive: Receive, command_type: type[c.Command], path: str
    ) -> Any:
        body = await _body(receive, self.max_body)
        sender = _sender(scope["headers"], path)
        if isinstance(sender, tuple):
            return sender
        try:
            command = command_type.model_validate_json(body)
        except ValidationError as e:
            return from_validation_errors(e.errors(include_url=False), path)
        try:
            return await submit(command, scope["app"].state.ledger, sender)
        except LedgerError as e:
            return from_ledger_error(e, path)
        except StoreOperationalError as e:
            return store_unavailable(e, path)
        except Exception as e:  # noqa: BLE001 - a bug answers 500, logged, and the server goes on
            return internal_error(e, path)
