"""The ledger's vocabulary as the read side names it: the enumerations its read models hold
(their values are the columns' text) and the ranges of its figures.

Re-exported from the ledger, never copied: ``queries`` may import only ``projections``,
and its GraphQL enums are generated from these classes (``queries.enums``).
"""

from __future__ import annotations

from ledger.planning.aggregates import PlannedOrderStatus as PlannedOrderStatus  # noqa: PLC0414
from ledger.values import UNIT_COST as UNIT_COST  # noqa: PLC0414
from ledger.values import CostingMethod as CostingMethod  # noqa: PLC0414
from ledger.values import ItemKind as ItemKind  # noqa: PLC0414
from ledger.values import SignedDecisionKind as SignedDecisionKind  # noqa: PLC0414
from ledger.values import StockStatus as StockStatus  # noqa: PLC0414
