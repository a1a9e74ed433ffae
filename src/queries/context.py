"""What every resolver gets: the read models, the runner (positions, read-your-writes)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import strawberry
from strawberry.fastapi import BaseContext
from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

from projections.runner import ProjectionRunner
from projections.view import ReadModels

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


class ReadModelsBehind(Exception):
    """The projections did not reach the position the client asked for in time."""


@dataclass
class Context(BaseContext):
    models: ReadModels
    runner: ProjectionRunner | None
    min_position: int | None = None

    def __post_init__(self) -> None:
        super().__init__()

    async def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one read query in a worker thread (DuckDB calls block)."""

        def run() -> list[tuple[Any, ...]]:
            with self.models.reader() as con:
                return con.execute(sql, params or []).fetchall()

        return await asyncio.to_thread(run)

    async def ready(self, min_position: int | None) -> None:
        """Read your writes: wait (bounded) until the projections reach the position a
        command answered with (argument ``minPosition`` or header ``X-Min-Position``)."""
        wanted = max(min_position or 0, self.min_position or 0)
        if not wanted or self.runner is None:
            return
        reached = await asyncio.to_thread(self.runner.wait_for, wanted, RYW_TIMEOUT)
        if not reached:
            msg = (
                f"read models are at position {self.runner.position}, below {wanted},"
                f" after {RYW_TIMEOUT:.0f} s"
            )
            raise ReadModelsBehind(msg)
