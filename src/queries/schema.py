"""The GraphQL schema, its limits, and the router mounted at /graphql."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

import strawberry
import structlog
from cross_web import HTTPException as GraphQLHTTPException  # what strawberry raises
from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.fastapi import GraphQLRouter
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult, get_object_definition

from queries.access import EVERYTHING, Access, AccessGuard
from queries.context import Context, PositionProblem, parse_position
from queries.engineering.query import EngineeringQuery
from queries.guards import CostLimiter, GraphQLLimits, hide_suggestions, timed_out
from queries.master_data.query import MasterDataQuery
from queries.orders.query import OrdersQuery
from queries.planning.planner import MrpPlanning
from queries.planning.query import PlanningQuery
from queries.production.query import ProductionQuery
from queries.projection_status import ProjectionStatusQuery
from queries.quality.query import QualityQuery
from queries.scalars import DECIMAL
from queries.stock.query import StockQuery
from queries.vocabulary import VocabularyQuery
from queries.webhooks import WebhooksQuery

log = structlog.get_logger("mims.graphql")

MAX_DEPTH = 8
MAX_ALIASES = 20
MAX_TOKENS = 2000


class MimsSchema(strawberry.Schema):
    def __init__(self, *args: Any, limits: GraphQLLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        """The whole request within MIMS_GRAPHQL_TIMEOUT_SECONDS; past it the request is
        answered with a TIMEOUT error and its DuckDB queries are interrupted."""
        seconds = self.limits.timeout_seconds
        try:
            async with asyncio.timeout(seconds):
                return await super().execute(*args, **kwargs)
        except TimeoutError:
            context = kwargs.get("context_value")
            if isinstance(context, Context):
                context.interrupt()
            log.warning("graphql query timed out", seconds=seconds)
            return ExecutionResult(data=None, errors=[timed_out(seconds)])

    def _process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Every error the client gets passes here (strawberry's own hook for hiding field
        # suggestions covers one message of several).
        if not self.limits.suggestions:
            hide_suggestions(errors)
        classify(errors)
        super()._process_errors(errors, execution_context)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Refusals the client caused (limits, cursors, a position not reached) are
        answered, not logged as server errors; anything else is logged with its trace."""
        unexpected = [
            e
            for e in errors
            if not (
                e.original_error is None
                or isinstance(e.original_error, (GraphQLError, PositionProblem))
            )
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


# An error's ``classification``, Spring for GraphQL's ErrorType, which GraphQL clients
# and tools (Schemathesis among them) read to tell the client's fault from the server's:
# ``code`` stays ours and says which refusal it is.
BAD_REQUEST, FORBIDDEN, INTERNAL_ERROR = "BAD_REQUEST", "FORBIDDEN", "INTERNAL_ERROR"
# Codes of refusals that are not the request's fault: the plant's state or load.
NOT_THE_CLIENTS = frozenset({"TIMEOUT", "PLANNING_INPUT"})


def _code(problem: PositionProblem) -> str:
    return problem.type.upper().replace("-", "_")


def classify(errors: list[GraphQLError]) -> None:
    """Give every error its ``classification``, and a position refusal its ``code``: a
    request the schema, a limit or a resolver refused is BAD_REQUEST (FORBIDDEN when
    not permitted); an error nobody raised on purpose is INTERNAL_ERROR."""
    for error in errors:
        original = error.original_error
        extensions = dict(error.extensions or {})
        if isinstance(original, PositionProblem):
            extensions.setdefault("code", _code(original))
        code = extensions.get("code")
        if code == FORBIDDEN:
            extensions.setdefault("classification", FORBIDDEN)
        elif isinstance(original, PositionProblem):
            if original.status < 500:  # noqa: PLR2004 - a client's fault, as HTTP says
                extensions.setdefault("classification", BAD_REQUEST)
        elif original is not None and not isinstance(original, GraphQLError):
            extensions.setdefault("classification", INTERNAL_ERROR)
        elif code not in NOT_THE_CLIENTS:
            extensions.setdefault("classification", BAD_REQUEST)
        error.extensions = extensions


@strawberry.type
class Query(
    StockQuery,
    MasterDataQuery,
    ProjectionStatusQuery,
    ProductionQuery,
    OrdersQuery,
    EngineeringQuery,
    QualityQuery,
    PlanningQuery,
    VocabularyQuery,
    WebhooksQuery,
):
    """Every read model, read-only: writes go through the command API."""


# The root fields in the order of the schema as first published (schemas/graphql/), which
# interleaves the features; a field not listed here follows them in the features' order.
PUBLISHED_ORDER = (
    "stock_on_hand", "stock_ledger", "item", "items", "location", "lot", "valuation",
    "reservations", "available_to_promise", "consumption", "projection_status",
    "work_orders", "work_order", "wip_by_work_center", "open_supply", "open_demand",
    "allocations", "shipments", "bom_explosion", "where_used", "trace_forward",
    "trace_backward", "recall_simulation", "quality_kpis", "planned_orders", "planning_runs",
    "mrp_run",
)  # fmt: skip
_RANK = {name: rank for rank, name in enumerate(PUBLISHED_ORDER)}
get_object_definition(Query, strict=True).fields.sort(
    key=lambda f: _RANK.get(f.python_name, len(PUBLISHED_ORDER))
)


def build_schema(limits: GraphQLLimits | None = None) -> strawberry.Schema:
    """The schema with its limits: depth, aliases, tokens, cost and time; introspection and
    suggestions as ``limits`` says (the composition root turns them off in production)."""
    limits = limits or GraphQLLimits()
    extensions: list[Any] = [
        partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
        partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        partial(CostLimiter, max_cost=limits.max_cost),
        AccessGuard,
    ]
    if not limits.introspection:
        extensions.append(partial(AddValidationRules, [NoSchemaIntrospectionCustomRule]))
    return MimsSchema(
        query=Query,
        config=StrawberryConfig(scalar_map={Decimal: DECIMAL}),
        extensions=extensions,
        limits=limits,
    )


def sdl() -> str:
    return build_schema().as_str() + "\n"


class _Router(GraphQLRouter[Context, None]):
    """Strawberry's router, with the GraphiQL page the composition root gives (strawberry's
    own loads its scripts from a CDN: a blank page on a plant without internet)."""

    def __init__(self, schema: strawberry.Schema, *, ide_page: str | None, **kwargs: Any) -> None:
        super().__init__(schema, graphql_ide="graphiql" if ide_page else None, **kwargs)
        self.ide_page = ide_page or ""

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:  # noqa: ARG002
        return HTMLResponse(self.ide_page)

    def parse_json(self, data: str | bytes) -> Any:
        """A body that is JSON but not an object (``"AAA"``, ``[1]``) is a 400, not a crash
        inside strawberry."""
        found = super().parse_json(data)
        items = found if isinstance(found, list) else [found]
        if not items or not all(isinstance(item, dict) for item in items):
            raise GraphQLHTTPException(400, "The request body must be a JSON object")
        return found

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        """``?variables=`` (empty) means no variables, as an absent parameter does."""
        found = dict(params)
        if found.get("variables") == "":
            del found["variables"]
        return super().parse_query_params(found)

    async def parse_http_body(self, request: Any) -> Any:
        found = await super().parse_http_body(request)
        for item in found if isinstance(found, list) else [found]:
            if not isinstance(item.operation_name, str | None):
                raise GraphQLHTTPException(400, "operationName must be a string or null")
        return found

    async def run(self, *args: Any, **kwargs: Any) -> Any:
        """A request strawberry cannot take (no query, a body that is not JSON...) answers
        a problem like every other route, not strawberry's plain-text line."""
        try:
            return await super().run(*args, **kwargs)
        except GraphQLHTTPException as e:
            raise HTTPException(e.status_code, e.reason) from None


def graphql_router(
    *,
    mrp: MrpPlanning,
    ide_page: str | None = None,
    limits: GraphQLLimits | None = None,
    access: Callable[[Request], Access] | None = None,
) -> GraphQLRouter[Context, None]:
    """GraphQL at /graphql, and ``ide_page`` (GraphiQL's HTML) for a browser, none if not
    given; the composition root puts the read models and the runner on ``app.state`` and
    gives the planner ``mrpRun`` calls (``mrp``). Header ``X-Min-Position`` = ``minPosition``.
    ``access`` says what the request's caller may read (`queries.access`); everything if
    not given."""

    async def context(request: Request) -> Context:
        ctx = Context(
            models=request.app.state.read_models,
            runner=request.app.state.runner,
            mrp=mrp,
            min_position=parse_position(request.headers.get("x-min-position")),
            access=access(request) if access is not None else EVERYTHING,
            webhooks=getattr(request.app.state, "webhooks", None),
        )
        # The header holds the whole request until the position is reached (a refusal is
        # a problem answer: the composition root maps ``PositionProblem``); the
        # ``minPosition`` argument holds its own field.
        await ctx.ready(None)
        return ctx

    return _Router(build_schema(limits), ide_page=ide_page, context_getter=context)


__all__: list[Any] = ["build_schema", "graphql_router", "sdl"]
