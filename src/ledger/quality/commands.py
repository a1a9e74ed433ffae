"""Quality commands: specifications, inspections, holds, dispositions, lot splits and
merges, expiry."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from ledger.commands import (
    CODE_PATTERN,
    AsCode,
    AsFigure,
    AsReference,
    Code,
    Command,
    LotNumber,
    OrderNumber,
    Quantity,
    Reference,
    Text,
)
from ledger.stock.commands import SignatureInput, Signed
from ledger.values import (
    Disposition,
    StockStatus,
)


class CharacteristicInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=64, examples=["tensile strength"])]
    unit: Annotated[str, Field(max_length=16, examples=["MPa"])] = ""
    lower: Annotated[Decimal, Field(max_digits=24, decimal_places=10), AsFigure] | None = None
    upper: Annotated[Decimal, Field(max_digits=24, decimal_places=10), AsFigure] | None = None


class DefineSpecification(Command):
    """The item's quality specification, and whether a release must be signed by someone
    other than the person who placed the hold."""

    command_name = "DefineSpecification"

    sku: Code
    characteristics: list[CharacteristicInput] = Field(max_length=200)
    independent_release: bool = False


class MeasurementInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    characteristic: Annotated[str, Field(min_length=1, max_length=64)]
    value: Annotated[Decimal, Field(max_digits=24, decimal_places=10), AsFigure]


class RecordInspection(Command):
    """Record what was measured on a lot against the item's specification; the verdict
    (passed or failed) follows from the limits."""

    command_name = "RecordInspection"

    inspection_id: Annotated[str, Field(pattern=CODE_PATTERN), AsCode]
    sku: Code
    location: Code
    lot: LotNumber | None = None
    quantity: Quantity = Field(description="How much of the lot the inspection decides on")
    results: list[MeasurementInput] = Field(min_length=1, max_length=200)
    reference: Reference = ""


class PlaceHold(Command):
    """Hold stock: a quantity at a location (and lot), a lot anywhere or at one location,
    or every lot of the item. Holds stack; each is released on its own."""

    command_name = "PlaceHold"

    hold_id: Annotated[str, Field(pattern=CODE_PATTERN, examples=["QH-2026-001"]), AsCode]
    sku: Code
    lot: LotNumber | None = None
    location: Code | None = None
    quantity: Quantity | None = Field(default=None, description="Default: all in scope")
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class LotInput(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    sku: Code
    lot: LotNumber


class HoldLots(Signed):
    """Hold every listed lot wherever it is, in one atomic step, with one reason (a recall
    containment: the lots come from a recall simulation), signed by the person who
    decides it (`PlaceHold` only protects, and is not signed)."""

    command_name = "HoldLots"

    hold_id: Annotated[str, Field(pattern=CODE_PATTERN), AsCode]
    lots: list[LotInput] = Field(min_length=1, max_length=20_000)
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    signature: SignatureInput | None = Field(default=None, description="Required")

    def given_signature(self) -> SignatureInput | None:
        return self.signature


class ReleaseHold(Signed):
    command_name = "ReleaseHold"

    hold_id: Annotated[str, Field(pattern=CODE_PATTERN), AsCode]
    signature: SignatureInput

    def given_signature(self) -> SignatureInput | None:
        return self.signature


class DisposeStock(Signed):
    """Decide on rejected (or quarantined) stock: scrap it, return it to its supplier,
    send it to a rework work order, or use it as is under a deviation. Every disposition
    is a quality decision, signed by the person who makes it."""

    command_name = "DisposeStock"

    sku: Code
    location: Code
    lot: LotNumber | None = None
    quantity: Quantity
    status: Literal[StockStatus.REJECTED, StockStatus.QUARANTINE] = StockStatus.REJECTED
    disposition: Disposition
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    supplier: Annotated[str, Field(max_length=64), AsReference] | None = Field(
        default=None, description="return_to_supplier: default the lot's receipt supplier"
    )
    work_order: OrderNumber | None = Field(
        default=None, description="rework: the rework order to create"
    )
    output_location: Code | None = Field(default=None, description="rework: where it comes back")
    deviation: Reference | None = Field(default=None, description="use_as_is: the deviation")
    signature: SignatureInput | None = Field(default=None, description="Required")

    def given_signature(self) -> SignatureInput | None:
        return self.signature

    @model_validator(mode="after")
    def _disposition_facts(self) -> DisposeStock:
        if self.disposition is Disposition.REWORK and not (
            self.work_order and self.output_location
        ):
            msg = "rework names the work_order to create and its output_location"
            raise ValueError(msg)
        if self.disposition is Disposition.USE_AS_IS and not self.deviation:
            msg = "use as is needs the deviation"
            raise ValueError(msg)
        return self


class SplitLot(Command):
    command_name = "SplitLot"

    sku: Code
    location: Code
    lot: LotNumber
    new_lot: LotNumber
    quantity: Quantity
    status: Literal[StockStatus.AVAILABLE, StockStatus.QUARANTINE] = StockStatus.AVAILABLE
    reason: Text = ""


class MergeLots(Command):
    command_name = "MergeLots"

    sku: Code
    location: Code
    lots: list[LotNumber] = Field(min_length=2, max_length=100)
    new_lot: LotNumber
    status: Literal[StockStatus.AVAILABLE, StockStatus.QUARANTINE] = StockStatus.AVAILABLE
    reason: Text = ""


class ExpireLots(Command):
    """Put every lot of the item past its expiry on hold with the reason "expired" (the
    expiry job runs this for each item with expired stock)."""

    command_name = "ExpireLots"

    sku: Code
