"""Every GraphQL enum, generated from the ledger's enumeration of the same name.

Each is a new Enum with the ledger class's members (names and values, in its order): the
ledger's classes stay untouched by strawberry. mypy checks against the ledger classes
themselves, which have the same members (``tests/queries/test_enums.py``).
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, cast

import strawberry

from projections import vocabulary


def graphql_enum(source: type[Enum]) -> type[Enum]:
    """The GraphQL enum of a ledger enumeration: its name, members and values."""
    members = {m.name: m.value for m in source}
    return strawberry.enum(cast("type[Enum]", Enum(source.__name__, members)))


if TYPE_CHECKING:
    from projections.vocabulary import (
        CostingMethod,
        ItemKind,
        PlannedOrderStatus,
        SignedDecisionKind,
        StockStatus,
    )
else:
    ItemKind = graphql_enum(vocabulary.ItemKind)
    StockStatus = graphql_enum(vocabulary.StockStatus)
    CostingMethod = graphql_enum(vocabulary.CostingMethod)
    PlannedOrderStatus = graphql_enum(vocabulary.PlannedOrderStatus)
    SignedDecisionKind = graphql_enum(vocabulary.SignedDecisionKind)

__all__ = [
    "CostingMethod",
    "ItemKind",
    "PlannedOrderStatus",
    "SignedDecisionKind",
    "StockStatus",
    "graphql_enum",
]
