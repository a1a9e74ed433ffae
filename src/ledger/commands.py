"""Commands: what the shop floor asks the ledger to do, named in the imperative.

They are pydantic models so that malformed input is refused field by field before the
ledger decides anything, and so that their JSON Schemas (``schemas/commands/``) and the
OpenAPI document come from the same definitions. Every command may carry the client's
``command_id`` (the idempotency key) and an ``effective_at`` business time.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from ledger.codes import CodeRefused, normalise_code, normalise_reference
from ledger.planned_orders import ExceptionKind, PegKind, PlannedOrderKind
from ledger.values import (
    QUANTITY,
    UNIT_COST,
    CostingMethod,
    Disposition,
    IssueTarget,
    ItemKind,
    LocationKind,
    LocationLevel,
    LotSizeRule,
    SignatureMeaning,
    StockStatus,
    Tracking,
)

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/\-]{0,63}$"
SUPPLIER_LOT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/\-]{0,127}$"


def _refused(e: CodeRefused) -> PydanticCustomError:
    return PydanticCustomError(
        "code_character",
        "{reason}",
        {"reason": str(e), "character": e.character, "code_point": e.code_point},
    )


def _code(value: object) -> object:
    """Codes follow one rule (``ledger.codes``): NFKC, trimmed, ASCII, upper case."""
    if not isinstance(value, str):
        return value
    try:
        return normalise_code(value)
    except CodeRefused as e:
        raise _refused(e) from None


def _reference(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return normalise_reference(value)
    except CodeRefused as e:
        raise _refused(e) from None


# A decimal sent as text is written plainly: digits, one point, an optional minus sign.
# No spaces around it (" 5 "), no exponent ("1e3"), no "+", "NaN", "Infinity" or "1_000":
# what a scanner or a spreadsheet means by a quantity, and what the OpenAPI document says.
DECIMAL_TEXT = r"^-?[0-9]+(\.[0-9]+)?$"
_DECIMAL_TEXT = re.compile(DECIMAL_TEXT)


def _figure(value: object) -> object:
    """A decimal is written as one: " 5 " is refused, as a code with spaces would be, and
    ``true`` is no number (pydantic's lax mode reads it as 1)."""
    if isinstance(value, bool):
        raise PydanticCustomError("decimal_type", "a number, not true or false", {"value": value})
    if isinstance(value, str) and value != value.strip():
        raise PydanticCustomError(
            "decimal_whitespace", "a number is written without spaces around it", {"text": value}
        )
    if isinstance(value, str) and not _DECIMAL_TEXT.match(value):
        raise PydanticCustomError(
            "decimal_text",
            "a decimal is written as digits with an optional point and minus sign, like -12.5",
            {"text": value},
        )
    return value


class _Figure:
    """``_figure`` before the field's own validation, and ``DECIMAL_TEXT`` on the string
    form of a decimal in the JSON Schema (pydantic declares it as any string)."""

    def __get_pydantic_core_schema__(
        self, source: type[Any], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_before_validator_function(_figure, handler(source))

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        if schema.get("type") in ("number", "integer"):  # a float or an int also takes text
            schema = {"anyOf": [schema, {"type": "string"}]}
        for form in schema.get("anyOf", [schema]):
            if form.get("type") == "string":
                form["pattern"] = DECIMAL_TEXT
        return schema


# The validator comes after the constraints so the JSON Schema keeps them; it runs first.
AsCode = BeforeValidator(_code)
AsReference = BeforeValidator(_reference)
AsFigure = _Figure()
Code = Annotated[str, Field(pattern=CODE_PATTERN, examples=["RM-STEEL-01"]), AsCode]
# Quantities and unit costs take their range from ledger.values (12 integer digits each,
# 6 and 10 decimals), which every read-model column holding them is sized from.
_QD, _QP = QUANTITY.digits, QUANTITY.decimals
_CD, _CP = UNIT_COST.digits, UNIT_COST.decimals
_QTY_RANGE = f"A decimal of at most {QUANTITY.integer_digits} integer digits and {_QP} decimals."
_COST_RANGE = f"A decimal of at most {UNIT_COST.integer_digits} integer digits and {_CP} decimals."
Quantity = Annotated[
    Decimal,
    Field(gt=0, max_digits=_QD, decimal_places=_QP, examples=["100"], description=_QTY_RANGE),
    AsFigure,
]
SignedQuantity = Annotated[
    Decimal,
    Field(max_digits=_QD, decimal_places=_QP, examples=["-2"], description=_QTY_RANGE),
    AsFigure,
]
NonNegativeQuantity = Annotated[
    Decimal, Field(ge=0, max_digits=_QD, decimal_places=_QP, description=_QTY_RANGE), AsFigure
]
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=_CD, decimal_places=_CP, examples=["12.50"], description=_COST_RANGE),
    AsFigure,
]
Text = Annotated[str, Field(max_length=500)]
Reference = Annotated[str, Field(max_length=128, examples=["PO-1001"]), AsReference]
LotNumber = Annotated[str, Field(pattern=CODE_PATTERN, examples=["L-2026-001"]), AsCode]
SupplierLot = Annotated[str, Field(pattern=SUPPLIER_LOT_PATTERN, examples=["H-2026-118"]), AsCode]
Party = Annotated[str, Field(min_length=1, max_length=64, examples=["ACME"]), AsReference]


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="Idempotency key: a retried command with the same id posts once.",
    )
    effective_at: AwareDatetime | None = Field(
        default=None,
        description="Business time of the transaction (default: now); may be backdated"
        " within the configured window.",
    )

    command_name: ClassVar[str]

    def fingerprint(self) -> str:
        body = self.model_dump_json(exclude={"command_id"})
        return hashlib.sha256(f"{self.command_name}:{body}".encode()).hexdigest()


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


class BlockLocation(Command):
    command_name = "BlockLocation"

    code: Code
    reason: Text


class UnblockLocation(Command):
    command_name = "UnblockLocation"

    code: Code
    reason: Text = ""


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
    """An electronic signature: the signer (who must be the sender, header X-Actor), what
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


# --- engineering --------------------------------------------------------------------------

Hours = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=4), AsFigure]
Fraction = Annotated[Decimal, Field(ge=0, le=10, max_digits=8, decimal_places=6), AsFigure]
Version = Annotated[str, Field(min_length=1, max_length=32, examples=["A"])]
OrderNumber = Annotated[str, Field(pattern=CODE_PATTERN, examples=["WO-1001"]), AsCode]


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


# --- work orders --------------------------------------------------------------------------


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


# --- purchase and sales orders ------------------------------------------------------------


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


# --- quality -------------------------------------------------------------------------------


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


class HoldLots(Command):
    """Hold every listed lot wherever it is, in one atomic step, with one reason (a recall
    containment: the lots come from a recall simulation)."""

    command_name = "HoldLots"

    hold_id: Annotated[str, Field(pattern=CODE_PATTERN), AsCode]
    lots: list[LotInput] = Field(min_length=1, max_length=20_000)
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class ReleaseHold(Command):
    command_name = "ReleaseHold"

    hold_id: Annotated[str, Field(pattern=CODE_PATTERN), AsCode]
    signature: SignatureInput


class DisposeStock(Command):
    """Decide on rejected (or quarantined) stock: scrap it, return it to its supplier,
    send it to a rework work order, or use it as is under a deviation (signed)."""

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
    signature: SignatureInput | None = Field(default=None, description="use_as_is: required")

    @model_validator(mode="after")
    def _disposition_facts(self) -> DisposeStock:
        if self.disposition is Disposition.REWORK and not (
            self.work_order and self.output_location
        ):
            msg = "rework names the work_order to create and its output_location"
            raise ValueError(msg)
        if self.disposition is Disposition.USE_AS_IS and not (self.deviation and self.signature):
            msg = "use as is needs the deviation and a signature"
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


# --- planning ------------------------------------------------------------------------------


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
