"""Production commands: work orders from creation to close."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import (
    Field,
)

from ledger.commands import (
    Code,
    Command,
    Hours,
    LotNumber,
    NonNegativeQuantity,
    OrderNumber,
    Quantity,
    Reference,
    Text,
)


class CreateWorkOrder(Command):
    command_name = "CreateWorkOrder"

    number: OrderNumber
    item: Code
    quantity: Quantity
    due_date: date
    output_location: Code
    supply_location: Code = Field(description="Where backflushed components are taken from")
    reference: Reference = ""


class ReleaseWorkOrder(Command):
    command_name = "ReleaseWorkOrder"

    number: OrderNumber


class IssueToWorkOrder(Command):
    command_name = "IssueToWorkOrder"

    number: OrderNumber
    component: Code
    location: Code
    quantity: Quantity
    lot: LotNumber | None = None
    operation: Annotated[int, Field(ge=1)] | None = None


class ReturnFromWorkOrder(Command):
    command_name = "ReturnFromWorkOrder"

    number: OrderNumber
    component: Code
    location: Code
    quantity: Quantity
    lot: LotNumber | None = None


class ReportOperation(Command):
    command_name = "ReportOperation"

    number: OrderNumber
    operation: Annotated[int, Field(ge=1)]
    good: NonNegativeQuantity
    scrap: NonNegativeQuantity = Decimal(0)
    rework: NonNegativeQuantity = Decimal(0)
    labour_hours: Hours = Decimal(0)
    machine_hours: Hours = Decimal(0)


class ReceiveWorkOrderOutput(Command):
    command_name = "ReceiveWorkOrderOutput"

    number: OrderNumber
    quantity: Quantity
    lot: LotNumber | None = Field(default=None, description="Default: WO number and count")
    location: Code | None = Field(default=None, description="Default: the output location")


class CompleteWorkOrder(Command):
    command_name = "CompleteWorkOrder"

    number: OrderNumber
    lot: LotNumber | None = None


class CloseWorkOrder(Command):
    command_name = "CloseWorkOrder"

    number: OrderNumber


class CancelWorkOrder(Command):
    command_name = "CancelWorkOrder"

    number: OrderNumber
    reason: Text
