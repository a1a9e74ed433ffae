"""The one HTTP path of a command: POST /v1/<command> as a plain ASGI endpoint.

Under a shop floor's load FastAPI's per-request machinery (dependency solving, body
parsing through the stdlib json module, response validation) costs three times what
deciding and committing the command costs, and it shares one interpreter lock with the
writer. So a command is answered by a `CommandEndpoint`: the pydantic model validated
from the raw bytes by pydantic-core, the headers read once, ``submit()``, the problem
details mapped once, the 201 body rendered with orjson. Each endpoint is served as a
Starlette route (so 404 and 405 answer as for any path) and `CommandLane` hands a POST
to it before routing; the OpenAPI document is produced from the same `CommandRoute`
entries (`commands.routes`), never from a second implementation.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

import orjson
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import Depends, Header, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commands.api import (
    ACCEPTED,
    CREATED,
    HEADER_MAX_LENGTH,
    Sender,
    accepted_body,
    accepted_headers,
    submit,
)
from commands.authentication import principal_of
from commands.limits import DEFAULT_MAX_BODY, send_too_large
from commands.problems import (
    PROBLEM_JSON,
    Problem,
    ResponsesDoc,
    from_ledger_error,
    from_validation_errors,
    internal_error,
    replay_headers,
    store_unavailable,
    unsupported_media_type,
)
from ledger.commands import Command
from ledger.errors import LedgerError
from ledger.identity.principals import Principal

# What a route makes of its validated body: the command to submit, and members to add to
# the 201 body. ``state`` is the app's: the composition root puts there what a route needs.
Decide = Callable[[Any, State], Awaitable[tuple[Command, Mapping[str, object]]]]
NOTHING_MORE: Mapping[str, object] = {}


@dataclass(frozen=True)
class CommandRoute:
    """One row of the command table: where a command is posted and how it is documented."""

    path: str
    body: type[BaseModel]
    tag: str
    summary: str | None = None
    # The operation's name (operationId); a command's own name by default.
    name: str | None = None
    description: str | None = None
    answers: ResponsesDoc = field(default_factory=lambda: ACCEPTED)
    # None: the body is the command.
    decide: Decide | None = None

    @property
    def operation(self) -> str:
        if self.name is not None:
            return self.name
        command_name: str = getattr(self.body, "command_name")  # noqa: B009 - a Command's
        return command_name


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


JSON = b"application/json"
PROBLEM = PROBLEM_JSON.encode()


def is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the request says its body is ``application/json`` (parameters such as
    ``charset`` aside). A browser sends ``text/plain`` and form posts to another site
    without asking first (no CORS preflight): refusing them is what keeps a web page from
    posting commands with the plant's network behind it."""
    for name, value in headers:
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() == JSON
    return False


SENDER_HEADERS = (b"x-correlation-id", b"idempotency-key")


def read_sender(
    headers: list[tuple[bytes, bytes]], path: str, principal: Principal | None = None
) -> Sender | Problem:
    """Who sends the command: the principal the authentication middleware found, and the
    raw headers (the one place they are read)."""
    found: dict[bytes, str] = {}
    for name, value in headers:
        if name in SENDER_HEADERS:
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
        principal,
        found.get(b"x-correlation-id"),
        found.get(b"idempotency-key"),
    )


def sender_headers(
    x_correlation_id: Annotated[str | None, Header(max_length=HEADER_MAX_LENGTH)] = None,
    idempotency_key: Annotated[str | None, Header(max_length=HEADER_MAX_LENGTH)] = None,
) -> None:
    """The headers `read_sender` reads, declared for the OpenAPI document only."""


class CommandEndpoint:
    """The ASGI app that answers one `CommandRoute`."""

    def __init__(self, route: CommandRoute, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.route = route
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        try:
            code, answer, extra = await self._answer(scope, receive, path)
        except BodyTooLarge:
            await send_too_large(send, self.max_body, path)
            return
        content = orjson.dumps(answer)
        headers = [
            (b"content-type", JSON if code == CREATED else PROBLEM),
            (b"content-length", str(len(content)).encode()),
            *((k.lower().encode(), v.encode()) for k, v in (extra or {}).items()),
        ]
        await send({"type": "http.response.start", "status": code, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def _answer(
        self, scope: Scope, receive: Receive, path: str
    ) -> tuple[int, dict[str, Any], dict[str, str] | None]:
        if not is_json(scope["headers"]):
            return *unsupported_media_type(path), None
        body = await _body(receive, self.max_body)
        sender = read_sender(scope["headers"], path, principal_of(scope))
        if isinstance(sender, tuple):
            return *sender, None
        try:
            found = self.route.body.model_validate_json(body)
        except ValidationError as e:
            return *from_validation_errors(e.errors(include_url=False), path), None
        state: State = scope["app"].state
        try:
            if self.route.decide is None:
                command, more = cast("Command", found), NOTHING_MORE
            else:
                command, more = await self.route.decide(found, state)
            outcome = await submit(command, state.ledger, sender)
        except LedgerError as e:
            refused = from_ledger_error(e, path)
            return *refused, replay_headers(refused)
        except StoreOperationalError as e:
            return *store_unavailable(e, path), None
        except Exception as e:  # noqa: BLE001 - a bug answers 500, logged, and the server goes on
            return *internal_error(e, path), None
        answer = accepted_body(outcome)
        if more:
            answer.update(more)
        return CREATED, answer, accepted_headers(outcome)


def documented_endpoint(route: CommandRoute) -> Callable[..., Awaitable[Response]]:
    """A function whose signature tells FastAPI the route's body and headers, for the
    OpenAPI document; `CommandEndpoint` answers the requests."""

    async def endpoint(**_: Any) -> Response:
        raise NotImplementedError(route.path)

    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY, annotation=route.body),
            inspect.Parameter(
                "sender",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=Annotated[None, Depends(sender_headers)],
            ),
        ],
        return_annotation=Response,
    )
    endpoint.__name__ = route.operation
    endpoint.__doc__ = route.description
    return endpoint


class CommandLane:
    """Hands a POST to a command path straight to its endpoint, before routing."""

    def __init__(self, app: ASGIApp, endpoints: Mapping[str, CommandEndpoint]) -> None:
        self.app = app
        self.endpoints = endpoints

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.endpoints.get(scope["path"]) if scope["type"] == "http" else None
        if endpoint is None or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        await endpoint(scope, receive, send)
