"""Stock commands: receipts, issues, moves, adjustments, counts, reservations, statuses."""

from __future__ import annotations

from datetime import date
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
    AsReference,
    Code,
    Command,
    LotNumber,
    Money,
    NonNegativeQuantity,
    Party,
    Quantity,
    Reference,
    SignedQuantity,
    SupplierLot,
    Text,
)
from ledger.values import (
    IssueTarget,
    SignatureMeaning,
    StockStatus,
)


class ReceiveStock(Command):
    command_name = "ReceiveStock"

    sku: Code
    location: Code
    quantity: Quantity
    unit_cost: Money
    lot: LotNumber | None = None
    supplier_lot: SupplierLot | None = None
    expiry: date | None = None
    supplier: Party | None = None
    reference: Reference = ""


class IssueStock(Command):
    command_name = "IssueStock"

    sku: Code
    location: Code
    quantity: Quantity
    lot: LotNumber | None = None
    target_kind: IssueTarget
    target: Annotated[str, Field(min_length=1, max_length=128, examples=["WO-1001"]), AsReference]
    reservation_id: Reference | None = None
    reference: Reference = ""


class MoveStock(Command):
    command_name = "MoveStock"

    sku: Code
    from_location: Code
    to_location: Code
    quantity: Quantity
    lot: LotNumber | None = None
    status: StockStatus = StockStatus.AVAILABLE
    reference: Reference = ""


class AdjustStock(Command):
    command_name = "AdjustStock"

    sku: Code
    location: Code
    quantity_delta: SignedQuantity
    lot: LotNumber | None = None
    status: StockStatus = StockStatus.AVAILABLE
    unit_cost: Money | None = Field(
        default=None, description="Cost of a found quantity (default: the item's current cost)"
    )
    reason_code: Annotated[str, Field(min_length=1, max_length=32, examples=["DAMAGED"])]
    note: Text = ""

    @model_validator(mode="after")
    def _not_zero(self) -> AdjustStock:
        if self.quantity_delta == 0:
            msg = "quantity_delta must not be zero"
            raise ValueError(msg)
        return self


class ScrapStock(Command):
    """Write available stock off as scrap in one step (damaged, broken, lost in handling):
    the same rules as an issue, at the cost the item's method gives (FIFO layers, moving
    average or standard). Held, quarantined or rejected stock goes through a disposition."""

    command_name = "ScrapStock"

    sku: Code
    location: Code
    quantity: Quantity
    lot: LotNumber | None = None
    reason_code: Annotated[
        str, Field(pattern=CODE_PATTERN, max_length=32, examples=["DAMAGED"]), AsCode
    ] = Field(description="Why, as a code the plant's reports group by (not free text)")
    note: Text = ""
    reference: Reference = ""


class CountStock(Command):
    command_name = "CountStock"

    sku: Code
    location: Code
    counted_quantity: NonNegativeQuantity
    lot: LotNumber | None = None
    status: StockStatus = StockStatus.AVAILABLE
    count_reference: Reference = ""


class ReserveStock(Command):
    command_name = "ReserveStock"

    sku: Code
    quantity: Quantity
    location: Code | None = Field(default=None, description="Pin to a location (and lot)")
    lot: LotNumber | None = None
    reference: Reference = ""
    reservation_id: Reference | None = Field(
        default=None, description="Default: derived from the command id"
    )


class ReleaseReservation(Command):
    command_name = "ReleaseReservation"

    sku: Code
    reservation_id: Reference
    quantity: Quantity | None = Field(default=None, description="Default: all that is left")
    reason: Text = ""


class SignatureInput(BaseModel):
    """An electronic signature: the signer (who must be the sender: the authenticated person), what
    the signature means, and why. The ledger stamps the time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    signer: Annotated[str, Field(min_length=1, max_length=64)]
    meaning: SignatureMeaning
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class ChangeStockStatus(Command):
    """Move stock between statuses. To ``available`` it needs a signature (and, out of
    quarantine, a passed inspection of an inspection-required item)."""

    command_name = "ChangeStockStatus"

    sku: Code
    location: Code
    quantity: Quantity
    lot: LotNumber | None = None
    from_status: StockStatus
    to_status: StockStatus
    reason: Text
    signature: SignatureInput | None = None
