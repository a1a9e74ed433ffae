"""The members of the GraphQL enums as plain data: the dashboards fill their option lists
from it, in production too, where introspection (``__type``) is off."""

from __future__ import annotations

from enum import Enum

import strawberry

from queries.context import described
from queries.enums import (
    CostingMethod,
    ItemKind,
    PlannedOrderStatus,
    SignedDecisionKind,
    StockStatus,
)

ENUMS: dict[str, type[Enum]] = {
    e.__name__: e
    for e in (ItemKind, StockStatus, CostingMethod, PlannedOrderStatus, SignedDecisionKind)
}


@strawberry.type(description="An enumeration of the schema and its members, in order")
class Vocabulary:
    name: str
    members: list[str]


@strawberry.type
class VocabularyQuery:
    @described(
        "The members of the named enumerations (every one when none is named), for option"
        " lists; a name the schema has no enumeration of is left out"
    )
    def vocabulary(self, enums: list[str] | None = None) -> list[Vocabulary]:
        names = list(ENUMS) if enums is None else [n for n in enums if n in ENUMS]
        return [Vocabulary(name=n, members=[m.name for m in ENUMS[n]]) for n in names]
