"""What every resolver gets: the read models, the runner (positions, read-your-writes), the
planner ``mrpRun`` calls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import duckdb
import strawberry
from strawberry.fastapi import BaseContext
from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

from projections.engine.pages import head_position
from projections.engine.runner import ProjectionRunner
from projections.engine.view import ReadModels
from queries.access import ALL_SITES, EVERYTHING, Access, Scope, forbidden, in_scope
from queries.planning.planner import MrpPlanning

RYW_TIMEOUT = 5.0
F = TypeVar("F", bound=Callable[..., Any])


def described(text: str) -> Callable[[F], F]:
    """``@strawberry.field(description=...)`` keeping the resolver's type for mypy
    (strawberry's overloads type that form as Any)."""
    return cast("Callable[[F], F]", strawberry.field(description=text))


def _names(selections: list[Selection]) -> set[str]:
    found: set[str] = set()
    for s in selections:
        if isinstance(s, SelectedField):
            found.add(s.name)
        found |= _names(s.selections)
    return found


def selected(info: Info[Any, Any]) -> set[str]:
    """The names of every field the query selects below the resolver's (fragments
    included), so a resolver reads only what will be shown."""
    return _names(list(info.selected_fields))


class PositionProblem(Exception):
    """A read-your-writes position the read side cannot serve; answered as a problem."""

    status: int = 503
    type: str = "read-models-behind"
    title: str = "Read models behind"


class ReadModelsBehind(PositionProblem):
    """The projections did not reach the position the client asked for in time."""


class PositionBeyondHead(PositionProblem):
    """The position asked for is past the last event of the log: no command answered it."""

    status = 422
    type = "position-beyond-head"
    title = "Position beyond the log's head"


class InvalidPosition(PositionProblem):
    """``X-Min-Position`` is not a log position (a whole number from 0 to 2^63-1)."""

    status = 422
    type = "invalid-position"
    title = "Invalid position"


POSITION_DIGITS = 19
MAX_POSITION = 2**63 - 1


def parse_position(text: str | None) -> int | None:
    """The ``X-Min-Position`` header: absent, or a log position; anything else refused."""
    if text is None or text == "":
        return None
    if len(text) > POSITION_DIGITS or not text.isascii() or not text.isdigit():
        msg = f"X-Min-Position must be a whole number of at most {POSITION_DIGITS} digits"
        raise InvalidPosition(msg)
    position = int(text)
    if position > MAX_POSITION:
        msg = f"X-Min-Position must be at most {MAX_POSITION}"
        raise InvalidPosition(msg)
    return position


@dataclass
class Context(BaseContext):
    models: ReadModels
    runner: ProjectionRunner | None
    mrp: MrpPlanning
    min_position: int | None = None
    access: Access = EVERYTHING
    # The webhook subscriptions and delivery log (`queries.webhooks.WebhookLog`), if any.
    webhooks: Any = None
    _open: set[duckdb.DuckDBPyConnection] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        super().__init__()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-model connection for one query, that `interrupt` can stop."""
        with self.models.reader() as con:
            self._open.add(con)
            try:
                yield con
            finally:
                self._open.discard(con)

    def interrupt(self) -> None:
        """Stop the request's DuckDB queries still running (the request timed out): their
        threads would otherwise run on after nobody waits for them."""
        for con in list(self._open):
            con.interrupt()

    def scope(self, field: str) -> Scope | None:
        """The places the caller may read in root field ``field`` (None: everywhere)."""
        return self.access.scope(field)

    def in_scope(self, field: str, column: str) -> tuple[str, list[Any]]:
        """`queries.access.in_scope` of the caller's scope in ``field``."""
        return in_scope(self.access.scope(field), column)

    async def whole_plant(self, field: str) -> None:
        """Refuse ``field`` (``FORBIDDEN``) unless the caller may read every site of the
        plant as a whole: its answer is computed over all of them."""
        scope = self.access.scope(field)
        if scope is None or ALL_SITES in scope.whole_sites:
            return
        sites = sorted(scope.whole_sites)
        missing = await self.rows(
            "SELECT count(*) FROM (SELECT DISTINCT site FROM locations WHERE site IS NOT NULL)"
            " WHERE NOT list_contains(CAST(? AS VARCHAR[]), site)",
            [sites],
        )
        if not sites or missing[0][0]:
            raise forbidden(
                field, "it is computed over the whole plant: a grant on every site is needed"
            )

    async def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one read query in a worker thread (DuckDB calls block)."""

        def run() -> list[tuple[Any, ...]]:
            with self.reader() as con:
                return con.execute(sql, params or []).fetchall()

        return await asyncio.to_thread(run)

    async def ready(self, min_position: int | None) -> None:
        """Read your writes: wait (bounded) until the projections reach the position a
        command answered with (argument ``minPosition`` or header ``X-Min-Position``)."""
        wanted = max(min_position or 0, self.min_position or 0)
        runner = self.runner
        if not wanted or runner is None or runner.position >= wanted:
            return
        if wanted > runner.head:
            head = await asyncio.to_thread(head_position, runner.recorder)
            if wanted > head:
                msg = f"position {wanted} is past the log's head ({head}): no command answered it"
                raise PositionBeyondHead(msg)
        # An awaited future, not a thread blocked on a condition: a hundred waiting
        # requests leave every thread to the reads that are not waiting.
        try:
            await asyncio.wait_for(asyncio.wrap_future(runner.reached(wanted)), RYW_TIMEOUT)
        except TimeoutError:
            msg = (
                f"read models are at position {runner.position}, below {wanted},"
                f" after {RYW_TIMEOUT:.0f} s"
            )
            raise ReadModelsBehind(msg) from None
