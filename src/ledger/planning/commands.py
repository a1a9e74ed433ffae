"""Planning commands: MRP proposals and their firming."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from ledger.commands import (
    CODE_PATTERN,
    AsCode,
    Code,
    Command,
    Money,
    NonNegativeQuantity,
    OrderNumber,
    Party,
    Quantity,
    Reference,
    Text,
)
from ledger.planning.aggregates import ExceptionKind, PegKind, PlannedOrderKind


class PegInput(BaseModel):
    """A requirement the planned order covers (what MRP pegged it to)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: PegKind
    reference: Reference = Field(
        default="", description="SO-1001/1, WO-7, a planned order of the run; empty for stock"
    )
    quantity: Quantity
    needed_on: date | None = None


class PlannedOrderInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    number: OrderNumber
    item: Code
    kind: PlannedOrderKind
    quantity: Quantity
    release_date: date
    due_date: date
    pegging: list[PegInput] = Field(default_factory=list, max_length=10_000)
    messages: list[Text] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _released_before_due(self) -> PlannedOrderInput:
        if self.release_date > self.due_date:
            msg = "release_date must not be after due_date"
            raise ValueError(msg)
        return self


class PlanningExceptionInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    item: Code
    exception: ExceptionKind
    reference: Reference
    scheduled_date: date
    suggested_date: date | None = None
    quantity: NonNegativeQuantity
    message: Text


class ProposePlannedOrders(Command):
    """Save an MRP run: its planned orders and exception messages, in one transaction.
    The previous run's proposals that nobody firmed are superseded in the same save."""

    command_name = "ProposePlannedOrders"

    run_id: Annotated[
        str, Field(pattern=CODE_PATTERN, max_length=48, examples=["MRP-0001"]), AsCode
    ]
    start_date: date = Field(description="The day period 1 starts")
    bucket_days: Annotated[int, Field(ge=1, le=366)] = 7
    horizon: Annotated[int, Field(ge=1, le=1000, description="Periods planned")]
    orders: list[PlannedOrderInput] = Field(max_length=50_000)
    exceptions: list[PlanningExceptionInput] = Field(default_factory=list, max_length=50_000)


class FirmPlannedOrder(Command):
    """Turn a proposal into a purchase order (give the supplier) or a work order (give the
    output and supply locations); quantity and due date may be changed on the way."""

    command_name = "FirmPlannedOrder"

    number: OrderNumber = Field(description="The planned order")
    order_number: OrderNumber = Field(description="The purchase or work order to create")
    quantity: Quantity | None = Field(default=None, description="Default: as proposed")
    due_date: date | None = Field(default=None, description="Default: as proposed")
    supplier: Party | None = Field(default=None, description="Purchase: the supplier")
    unit_price: Money = Field(default=Decimal(0), description="Purchase: the line's price")
    confirm: bool = Field(default=False, description="Purchase: confirm the order at once")
    output_location: Code | None = Field(default=None, description="Production: output goes to")
    supply_location: Code | None = Field(
        default=None, description="Production: backflushed components come from"
    )
