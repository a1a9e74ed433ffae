"""The GraphQL schema, its limits, and the router mounted at /graphql."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

import strawberry
from cross_web import HTTPException as GraphQLHTTPException  # what strawberry raises
from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.fastapi import GraphQLRouter
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from queries.context import Context, PositionProblem, parse_position
from queries.planning import PlanningQuery
from queries.production import ProductionQuery
from queries.query import StockQuery
from queries.trace import TraceQuery

MAX_DEPTH = 8
MAX_ALIASES = 20
MAX_TOKENS = 2000


def _plain_decimal(value: Decimal) -> str:
    """Decimals as plain strings without trailing zeros: "12.5", never "12.5000" or "1E+1"."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# The widest figure an argument may give: the ledger's values have 18 integer digits and
# 16 decimals (ledger.values.VALUE); a few more either way refuse nothing real.
MAX_DECIMAL_DIGITS = 40


def parse_decimal(value: object) -> Decimal:
    """A Decimal argument as strictly as the commands read one: a string or a JSON number,
    finite, without spaces around it, of at most 40 digits each side of the point."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        msg = 'a Decimal is a string such as "12.5" or a number'
        raise ValueError(msg)  # noqa: TRY004 - GraphQL answers a ValueError as bad input
    text = str(value)
    if text != text.strip():
        msg = f"a number is written without spaces around it: {text!r}"
        raise ValueError(msg)
    try:
        found = Decimal(text)
    except ArithmeticError:
        msg = f"{text!r} is not a number"
        raise ValueError(msg) from None
    if not found.is_finite() or abs(found.adjusted()) > MAX_DECIMAL_DIGITS:
        msg = f"{text!r} is not a finite decimal of at most {MAX_DECIMAL_DIGITS} digits"
        raise ValueError(msg)
    if found.as_tuple().exponent < -MAX_DECIMAL_DIGITS:  # type: ignore[operator]
        msg = f"{text!r} has more than {MAX_DECIMAL_DIGITS} decimals"
        raise ValueError(msg)
    return found


DECIMAL = strawberry.scalar(
    name="Decimal",
    description="A decimal number as a string (exact, never a float)",
    serialize=_plain_decimal,
    parse_value=parse_decimal,
)


class MimsSchema(strawberry.Schema):
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


@strawberry.type
class Query(StockQuery, ProductionQuery, TraceQuery, PlanningQuery):
    """Every read model, read-only: writes go through the command API."""


def build_schema(*extensions: type) -> strawberry.Schema:
    """The schema; the composition root adds query types of packages ``queries`` may not
    import (``extensions``, e.g. the planning package's ``mrpRun``)."""
    query = (
        strawberry.type(type("Query", (Query, *extensions), {"__doc__": Query.__doc__}))
        if extensions
        else Query
    )
    return MimsSchema(
        query=query,
        config=StrawberryConfig(scalar_map={Decimal: DECIMAL}),
        extensions=[
            partial(QueryDepthLimiter, max_depth=MAX_DEPTH),
            partial(MaxAliasesLimiter, max_alias_count=MAX_ALIASES),
            partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        ],
    )


def sdl(*extensions: type) -> str:
    return build_schema(*extensions).as_str() + "\n"


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


def graphql_router(*extensions: type, ide_page: str | None = None) -> GraphQLRouter[Context, None]:
    """GraphQL at /graphql, and ``ide_page`` (GraphiQL's HTML) for a browser, none if not
    given; the composition root puts the read models and the runner on ``app.state``.
    Header ``X-Min-Position`` = ``minPosition``."""

    async def context(request: Request) -> Context:
        ctx = Context(
            models=request.app.state.read_models,
            runner=request.app.state.runner,
            min_position=parse_position(request.headers.get("x-min-position")),
        )
        # The header holds the whole request until the position is reached (a refusal is
        # a problem answer: the composition root maps ``PositionProblem``); the
        # ``minPosition`` argument holds its own field.
        await ctx.ready(None)
        return ctx

    return _Router(build_schema(*extensions), ide_page=ide_page, context_getter=context)


__all__: list[Any] = ["build_schema", "graphql_router", "sdl"]
