"""Master data commands: items and locations."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from ledger.commands import (
    Code,
    Command,
    Money,
    NonNegativeQuantity,
    Text,
)
from ledger.master_data.gs1 import Gln, Gtin
from ledger.values import (
    CostingMethod,
    ItemKind,
    LocationKind,
    LocationLevel,
    LotSizeRule,
    Tracking,
)


class PlanningParametersInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    lead_time_days: Annotated[int, Field(ge=0, le=3650)] = 0
    lot_size_rule: LotSizeRule = LotSizeRule.LOT_FOR_LOT
    lot_size_quantity: NonNegativeQuantity = Decimal(0)
    minimum_lot: NonNegativeQuantity = Decimal(0)
    safety_stock: NonNegativeQuantity = Decimal(0)
    reorder_point: NonNegativeQuantity = Decimal(0)


class RegisterItem(Command):
    command_name = "RegisterItem"

    sku: Code
    description: Text
    kind: ItemKind
    unit_of_measure: Annotated[str, Field(min_length=1, max_length=16, examples=["kg"])]
    precision: Annotated[int, Field(ge=0, le=6, description="Decimals the unit allows")] = 0
    tracking: Tracking = Tracking.NONE
    costing_method: CostingMethod = CostingMethod.FIFO
    standard_cost: Money | None = None
    shelf_life_days: Annotated[int, Field(ge=1, le=36500)] | None = None
    inspection_required: bool = False
    planning: PlanningParametersInput = PlanningParametersInput()
    gtin: Gtin | None = None


class ChangePlanningParameters(Command):
    command_name = "ChangePlanningParameters"

    sku: Code
    planning: PlanningParametersInput
    reason: Text = ""


class ChangeStandardCost(Command):
    command_name = "ChangeStandardCost"

    sku: Code
    standard_cost: Money


class RegisterLocation(Command):
    command_name = "RegisterLocation"

    code: Code
    name: Annotated[str, Field(max_length=200)] = ""
    level: LocationLevel
    kind: LocationKind = LocationKind.STORAGE
    parent: Code | None = None
    gln: Gln | None = None


class BlockLocation(Command):
    command_name = "BlockLocation"

    code: Code
    reason: Text


class UnblockLocation(Command):
    command_name = "UnblockLocation"

    code: Code
    reason: Text = ""
