"""Engineering commands: work centers, bills of materials, routings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from ledger.commands import (
    Code,
    Command,
    Fraction,
    Hours,
    Money,
    Quantity,
    Text,
    Version,
)


class DefineWorkCenter(Command):
    command_name = "DefineWorkCenter"

    code: Code
    name: Text = ""
    capacity_hours_per_day: Hours = Decimal(8)
    working_days: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: [0, 1, 2, 3, 4], description="0 = Monday"
    )
    labour_rate: Money = Decimal(0)
    machine_rate: Money = Decimal(0)


class BomLineInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    component: Code
    quantity: Quantity
    scrap_factor: Fraction = Decimal(0)
    phantom: bool = False
    by_product: bool = False
    backflush: Literal["none", "operation", "completion"] = "none"
    operation: Annotated[int, Field(ge=1)] | None = None


class DefineBom(Command):
    command_name = "DefineBom"

    parent: Code
    version: Version
    effective_from: date
    effective_to: date | None = None
    output_quantity: Quantity = Decimal(1)
    lines: list[BomLineInput] = Field(min_length=1, max_length=5000)


class OperationInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: Annotated[int, Field(ge=1)]
    work_center: Code
    description: Text = ""
    setup_hours: Hours = Decimal(0)
    run_hours_per_unit: Hours = Decimal(0)
    move_queue_hours: Hours = Decimal(0)


class DefineRouting(Command):
    command_name = "DefineRouting"

    item: Code
    version: Version
    effective_from: date
    effective_to: date | None = None
    operations: list[OperationInput] = Field(min_length=1, max_length=200)
