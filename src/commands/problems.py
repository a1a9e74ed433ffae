"""RFC 9457 problem details: every refusal, translated once, at the edge.

``type`` is a stable relative URI (``/problems/insufficient-stock``) that the API also
serves as a short explanation; ``field`` names the offending input where there is one.
Status codes: 404 unknown ids, 422 malformed or invalid input, 409 a rule of the ledger
said no, 503 the event store is unreachable, 500 a bug (logged, never explained).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import orjson
import structlog
from eventsourcing.persistence import OperationalError as StoreOperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import Send

from ledger import errors

log = structlog.get_logger("mims.commands")

PROBLEM_JSON = "application/problem+json"
STATUS_BY_KIND: Mapping[errors.ErrorKind, int] = {
    "not_found": 404,
    "invalid": 422,
    "refused": 409,
    "forbidden": 403,
}


RESERVED_MEMBERS = frozenset({"type", "title", "status", "detail", "instance"})

Problem = tuple[int, dict[str, Any]]


def problem(
    code: int,
    type_: str,
    title: str,
    detail: str,
    *,
    instance: str,
    extensions: Mapping[str, Any] | None = None,
) -> Problem:
    body = {
        "type": f"/problems/{type_}",
        "title": title,
        "status": code,
        "detail": detail,
        "instance": instance,
    }
    body |= {
        key: value
        for key, value in (extensions or {}).items()
        if value is not None and key not in RESERVED_MEMBERS
    }
    return code, body


async def send_problem(
    send: Send, found: Problem, headers: Mapping[str, str] | None = None
) -> None:
    """Answer a problem straight from an ASGI layer (limits, authentication) that refuses
    a request before any route runs."""
    code, body = found
    content = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": code,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(content)).encode()),
                *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


def from_ledger_error(exc: errors.LedgerError, instance: str) -> Problem:
    return problem(
        STATUS_BY_KIND[exc.kind],
        exc.type,
        exc.title,
        exc.detail,
        instance=instance,
        extensions={"field": exc.field, **exc.facts, "replayed": exc.replayed or None},
    )


def replay_headers(found: Problem) -> dict[str, str] | None:
    """A refusal answered from an earlier send's receipt is marked like a replayed 201."""
    return {"Idempotent-Replayed": "true"} if found[1].get("replayed") else None


def from_validation_errors(found: Sequence[Mapping[str, Any]], instance: str) -> Problem:
    """422 from pydantic's errors; ``loc`` may start with FastAPI's "body"."""
    invalid = [
        {
            "field": "body"
            if e["type"] == "json_invalid"
            else ".".join(str(p) for p in e["loc"] if p != "body") or "body",
            "reason": e["msg"]
            if e["type"] != "json_invalid"
            else f"invalid JSON: {e.get('ctx', {}).get('error', e['msg'])}",
        }
        for e in found
    ]
    first = invalid[0] if invalid else {"field": "body", "reason": "invalid"}
    return problem(
        422,
        "validation-error",
        "Invalid request",
        f"{first['field']}: {first['reason']}",
        instance=instance,
        extensions={"field": first["field"], "errors": invalid},
    )


def store_unavailable(exc: Exception, instance: str) -> Problem:
    log.error("event store unavailable", error=str(exc))
    return problem(
        503,
        "store-unavailable",
        "Event store unavailable",
        "the event store could not be reached; nothing was saved, retry with the same command id",
        instance=instance,
    )


def unsupported_media_type(instance: str) -> Problem:
    return problem(
        415,
        "unsupported-media-type",
        "Unsupported Media Type",
        "a command's body must be sent as Content-Type: application/json",
        instance=instance,
    )


def internal_error(exc: Exception, instance: str) -> Problem:
    log.error("unhandled error", path=instance, exc_info=exc)
    return problem(
        500, "internal-error", "Internal error", "an unexpected error was logged", instance=instance
    )


def _json(found: Problem, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        found[1],
        status_code=found[0],
        media_type=PROBLEM_JSON,
        headers={**(replay_headers(found) or {}), **(headers or {})},
    )


class IdempotencyKeyMismatch(errors.LedgerError):
    """The Idempotency-Key header and the body's command_id differ."""

    type = "idempotency-key-mismatch"
    title = "Idempotency key and command id differ"
    kind = "invalid"


class InvalidIdempotencyKey(errors.LedgerError):
    """The Idempotency-Key header is empty (a key is 1 to 128 characters)."""

    type = "invalid-idempotency-key"
    title = "Invalid idempotency key"
    kind = "invalid"


class UnknownProblemType(errors.LedgerError):
    """No problem type has this name."""

    type = "unknown-problem-type"
    title = "Unknown problem type"
    kind = "not_found"


# Problem types answered by other parts of the server (the read side), registered by the
# composition root so that their ``type`` URIs resolve too.
OTHER_PROBLEM_TYPES: dict[str, tuple[int, str, str]] = {}


def register_problem_type(slug: str, status: int, title: str, description: str) -> None:
    OTHER_PROBLEM_TYPES[slug] = (status, title, description)


def problem_types() -> dict[str, tuple[int, str, str]]:
    """Every problem ``type`` the API can answer: status, title and what it means."""
    return (
        OTHER_PROBLEM_TYPES
        | {
            slug: (STATUS_BY_KIND[cls.kind], cls.title, (cls.__doc__ or "").strip())
            for slug, cls in errors.error_classes().items()
        }
        | {
            "validation-error": (
                422,
                "Invalid request",
                "A field is missing, malformed or out of range.",
            ),
            "not-found": (404, "Not found", "No such resource."),
            "payload-too-large": (
                413,
                "Payload Too Large",
                "The request body is larger than MIMS_MAX_BODY_BYTES (1 MiB by default).",
            ),
            "unsupported-media-type": (
                415,
                "Unsupported Media Type",
                (
                    "A command is taken only as Content-Type: application/json: a browser posts"
                    " text/plain and forms to another site without asking, JSON it does not."
                ),
            ),
            "too-many-requests": (
                429,
                "Too Many Requests",
                (
                    "The caller sent more requests than its rate limit allows"
                    " (MIMS_RATE_LIMIT_*); retry after the seconds Retry-After gives."
                ),
            ),
            "method-not-allowed": (
                405,
                "Method Not Allowed",
                "This path does not take that method.",
            ),
            "store-unavailable": (
                503,
                "Event store unavailable",
                "Retry with the same command id.",
            ),
            "internal-error": (500, "Internal error", "A bug: it was logged; nothing was saved."),
        }
    )


# --- the problem answers in the OpenAPI document ----------------------------------------


class InvalidField(BaseModel):
    field: str
    reason: str


class ProblemDetails(BaseModel):
    """An RFC 9457 problem: every answer that is not a success."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(description="Stable URI of the problem type; GET it for what it means")
    title: str
    status: int
    detail: str
    instance: str = Field(description="The path that answered")
    field: str | None = Field(default=None, description="The offending input, where there is one")
    errors: list[InvalidField] | None = Field(
        default=None, description="Every invalid field (validation errors)"
    )
    replayed: bool | None = Field(
        default=None, description="Answered from an earlier send of the same command id"
    )


PROBLEM_SCHEMA_REF = "#/components/schemas/Problem"
WHY: Mapping[int, str] = {
    400: "The request cannot be read: a body that is not JSON, a GraphQL request without a query",
    404: "An id in the request names nothing (item, location, lot, order...)",
    405: "This path does not take that method (see the Allow header)",
    409: "A rule of the ledger said no (insufficient stock, a blocked location...)",
    413: "The body is larger than the limit",
    415: "The body is not sent as Content-Type: application/json",
    422: "A field is missing, malformed or out of range",
    503: "The event store or the read models cannot answer now; retry",
}
ResponsesDoc = dict[int | str, dict[str, Any]]


def problem_responses(*statuses: int) -> ResponsesDoc:
    """OpenAPI ``responses`` for the problem answers a route gives (for ``responses=``)."""
    return {
        code: {
            "description": WHY.get(code, HTTPStatus(code).phrase),
            "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_SCHEMA_REF}}},
        }
        for code in statuses
    }


def document_problems(app: FastAPI, documented: Sequence[BaseRoute] = ()) -> None:
    """Make ``app.openapi()`` describe the answers as they are sent: the ``Problem`` schema,
    and FastAPI's default 422 (``application/json`` HTTPValidationError, which this API
    never sends) replaced by the problem answer. ``documented``: routes described besides
    ``app``'s own (the command routes, served by plain ASGI endpoints)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=[*app.routes, *documented],
        )
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        problem_schema = ProblemDetails.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        schemas.update(problem_schema.pop("$defs", {}))
        schemas["Problem"] = problem_schema
        invalid = problem_responses(422)[422]
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                answers = operation.get("responses", {})
                if "application/json" in answers.get("422", {}).get("content", {}):
                    answers["422"] = invalid
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _documented_methods(app: FastAPI, path: str) -> set[str] | None:
    """The methods the OpenAPI document gives ``path``: a concrete path's own, before those
    of templated paths that also match it (OpenAPI's rule: `/v1/items/standard-cost` is not
    `/v1/items/{sku}`); None when the document does not know the path."""
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    if path in paths:
        return {m.upper() for m in paths[path]}
    found = [
        {m.upper() for m in operations}
        for template, operations in paths.items()
        if "{" in template and re.fullmatch(re.sub(r"\{[^/}]+\}", "[^/]+", template), path)
    ]
    return set().union(*found) if found else None


def allowed_methods(request: Request) -> str:
    """Every method the path takes: as documented, or for the pages the document leaves out,
    over all the routes that serve it (Starlette names only the first that matched)."""
    documented = _documented_methods(request.app, request.url.path)
    if documented is None:
        documented = {
            method
            for method in METHODS
            if any(
                route.matches({**request.scope, "method": method})[0] is Match.FULL
                for route in request.app.routes
            )
        }
    return ", ".join(m for m in METHODS if m in documented)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.LedgerError)
    async def ledger_error(request: Request, exc: errors.LedgerError) -> JSONResponse:
        return _json(from_ledger_error(exc, request.url.path))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _json(from_validation_errors(exc.errors(), request.url.path))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = HTTPStatus(exc.status_code)
        headers = dict(exc.headers or {})
        if exc.status_code == HTTPStatus.METHOD_NOT_ALLOWED:
            headers["Allow"] = allowed_methods(request)
        return _json(
            problem(
                exc.status_code,
                status.phrase.lower().replace(" ", "-"),
                status.phrase,
                str(exc.detail),
                instance=request.url.path,
            ),
            headers,
        )

    @app.exception_handler(StoreOperationalError)
    async def store_down(request: Request, exc: StoreOperationalError) -> JSONResponse:
        return _json(store_unavailable(exc, request.url.path))

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        return _json(internal_error(exc, request.url.path))
