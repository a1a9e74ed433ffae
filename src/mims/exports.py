"""``GET /v1/exports/{model}``: a read model or report as CSV, XLSX or Parquet, streamed
from a DuckDB read transaction in batches (`queries.exports`).

An export is a read: it needs the read permission of the GraphQL field the model mirrors
(`mims.permissions.GRAPHQL_PERMISSIONS`) and holds only the rows of the places the caller
may read there. Mounted by the composition root: `commands` may not read the read side.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from commands.problems import PROBLEM_JSON, problem, problem_responses, register_problem_type
from ledger.identity.principals import Principal
from mims.permissions import GRAPHQL_PERMISSIONS, may_read_somewhere, readable_scope
from queries.context import RYW_TIMEOUT, ReadModelsBehind, parse_position
from queries.exports.catalogue import MODELS, ExportRefused, Selection, model, parse_instant
from queries.exports.stream import check_format, open_export
from queries.exports.writers import FORMATS, MEDIA_TYPES

POSITION_HEADER = "X-Mims-Position"
# Query parameters that are not filters.
RESERVED = frozenset({"format", "asOf", "knownAt"})

router = APIRouter(prefix="/v1/exports", tags=["exports"])


def _refused(request: Request, e: ExportRefused, **extensions: Any) -> JSONResponse:
    if e.field is not None:
        extensions["field"] = e.field
    code, body = problem(
        e.status, e.type, e.title, str(e), instance=request.url.path, extensions=extensions
    )
    return JSONResponse(body, status_code=code, media_type=PROBLEM_JSON)


def _forbidden(request: Request, detail: str) -> JSONResponse:
    code, body = problem(403, "forbidden", "Forbidden", detail, instance=request.url.path)
    return JSONResponse(body, status_code=code, media_type=PROBLEM_JSON)


def _selection(query: Mapping[str, str]) -> Selection:
    return Selection(
        filters={k: v for k, v in query.items() if k not in RESERVED},
        as_of=parse_instant("asOf", query.get("asOf")),
        known_at=parse_instant("knownAt", query.get("knownAt")),
    )


async def _ready(request: Request) -> None:
    """Read your writes, as GraphQL: wait (bounded) for ``X-Min-Position``."""
    wanted = parse_position(request.headers.get("x-min-position"))
    runner = request.app.state.runner
    if not wanted or runner.position >= wanted:
        return
    try:
        await asyncio.wait_for(asyncio.wrap_future(runner.reached(wanted)), RYW_TIMEOUT)
    except TimeoutError:
        msg = f"read models are at position {runner.position}, below {wanted}"
        raise ReadModelsBehind(msg) from None


EXPORT_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The model's rows in the format asked, streamed; other query"
        " parameters are the model's filters (`mims export models` lists them)",
        "content": {media: {"schema": {"type": "string", "format": "binary"}}
                    for media in MEDIA_TYPES.values()},
        "headers": {
            POSITION_HEADER: {
                "description": "The log position the rows reflect",
                "schema": {"type": "integer"},
            }
        },
    },
    **problem_responses(401, 403, 404, 422, 503),
}  # fmt: skip


@router.get(
    "/{model_name}",
    summary="Export a read model as CSV, XLSX or Parquet",
    response_class=Response,
    responses=EXPORT_ANSWERS,
)
async def export_model(
    request: Request,
    model_name: Annotated[
        str, Path(description="A model of the catalogue", examples=["stock_on_hand"])
    ],
    format: Annotated[  # noqa: A002 - the query parameter's name
        str, Query(json_schema_extra={"enum": list(FORMATS)})
    ] = "csv",
    asOf: Annotated[  # noqa: N803 - as GraphQL names it
        str | None, Query(description="An instant (ISO 8601 with its zone)")
    ] = None,
    knownAt: Annotated[  # noqa: N803
        str | None, Query(description="Only what was recorded by then")
    ] = None,
) -> Response:
    """The rows of read model ``model_name`` (`mims export models` lists them) in
    ``format`` (csv, xlsx, parquet), now or ``asOf`` / ``knownAt`` an instant where the
    model takes them; every other query parameter is a filter of the model."""
    del asOf, knownAt  # read with the filters, from the query string
    try:
        found = model(model_name)
        fmt = check_format(format)
        selection = _selection(request.query_params)
    except ExportRefused as e:
        return _refused(request, e, models=list(MODELS))
    principal = request.scope.get("state", {}).get("principal")
    permission = GRAPHQL_PERMISSIONS[found.field]
    if not isinstance(principal, Principal) or not may_read_somewhere(principal, permission):
        return _forbidden(request, f"exporting {found.name} needs {permission}")
    await _ready(request)
    state = request.app.state
    try:
        export = await asyncio.to_thread(
            open_export,
            state.read_models,
            found.name,
            fmt,
            selection,
            readable_scope(principal, permission),
        )
    except ExportRefused as e:
        return _refused(request, e)
    return StreamingResponse(
        export.chunks(),
        media_type=export.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{export.filename}"',
            POSITION_HEADER: str(export.position),
        },
    )


def install_exports(app: Any) -> None:
    for cls in ExportRefused.__subclasses__():
        register_problem_type(cls.type, cls.status, cls.title, (cls.__doc__ or "").strip())
    app.include_router(router)
