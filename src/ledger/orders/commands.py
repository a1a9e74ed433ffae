"""Order commands: purchase and sales orders."""

from __future__ import annotations

from datetime import date
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
    Fraction,
    LotNumber,
    Money,
    OrderNumber,
    Party,
    Quantity,
    Reference,
    SupplierLot,
    Text,
)


class OrderLineInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line: Annotated[int, Field(ge=1)]
    sku: Code
    quantity: Quantity
    due_date: date
    unit_price: Money = Decimal(0)


class CreatePurchaseOrder(Command):
    command_name = "CreatePurchaseOrder"

    number: OrderNumber
    supplier: Party
    lines: list[OrderLineInput] = Field(min_length=1, max_length=2000)
    over_receipt_tolerance: Fraction = Decimal("0.05")


class ConfirmPurchaseOrder(Command):
    command_name = "ConfirmPurchaseOrder"

    number: OrderNumber


class ReceiptLineInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line: Annotated[int, Field(ge=1)]
    quantity: Quantity
    lot: LotNumber | None = None
    supplier_lot: SupplierLot | None = None
    expiry: date | None = None


class ReceivePurchaseOrder(Command):
    command_name = "ReceivePurchaseOrder"

    number: OrderNumber
    location: Code
    lines: list[ReceiptLineInput] = Field(min_length=1, max_length=2000)


class CancelPurchaseOrderLine(Command):
    command_name = "CancelPurchaseOrderLine"

    number: OrderNumber
    line: Annotated[int, Field(ge=1)]
    quantity: Quantity | None = None
    reason: Text = ""


class ReturnToSupplier(Command):
    command_name = "ReturnToSupplier"

    number: OrderNumber
    line: Annotated[int, Field(ge=1)]
    location: Code
    quantity: Quantity
    lot: LotNumber | None = None
    reason: Text


class ClosePurchaseOrder(Command):
    command_name = "ClosePurchaseOrder"

    number: OrderNumber
    reason: Text = ""


class CreateSalesOrder(Command):
    command_name = "CreateSalesOrder"

    number: OrderNumber
    customer: Party
    lines: list[OrderLineInput] = Field(min_length=1, max_length=2000)


class AllocateSalesOrder(Command):
    command_name = "AllocateSalesOrder"

    number: OrderNumber
    line: Annotated[int, Field(ge=1)] | None = Field(default=None, description="Default: all")


class PickSalesOrder(Command):
    command_name = "PickSalesOrder"

    number: OrderNumber
    line: Annotated[int, Field(ge=1)]
    quantity: Quantity


class ShipmentLineInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    line: Annotated[int, Field(ge=1)]
    quantity: Quantity


class ShipSalesOrder(Command):
    command_name = "ShipSalesOrder"

    number: OrderNumber
    shipment: Reference
    lines: list[ShipmentLineInput] = Field(min_length=1, max_length=2000)


class ReturnSalesOrder(Command):
    command_name = "ReturnSalesOrder"

    number: OrderNumber
    line: Annotated[int, Field(ge=1)]
    location: Code
    quantity: Quantity
    lot: LotNumber | None = None
    reason: Text
