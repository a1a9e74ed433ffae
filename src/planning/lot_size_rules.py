"""The lot-sizing rules by name (``planning.lot_sizing`` documents each).

Apart from ``lot_sizing`` so that the JSON models of ``mims plan`` can name them without
importing numpy (0.3 s of every `mims plan KIND` start).
"""

from __future__ import annotations

from enum import StrEnum


class LotSizeRule(StrEnum):
    LOT_FOR_LOT = "lot_for_lot"
    FIXED_ORDER_QUANTITY = "fixed_order_quantity"
    MULTIPLE = "multiple"
    MINIMUM = "minimum"
    PERIOD_ORDER_QUANTITY = "period_order_quantity"
    EOQ = "eoq"
    SILVER_MEAL = "silver_meal"
    LEAST_UNIT_COST = "least_unit_cost"
    PART_PERIOD_BALANCING = "part_period_balancing"
    WAGNER_WHITIN = "wagner_whitin"
