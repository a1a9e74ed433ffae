"""The command API under /v1: thin routes that hand one command to the ledger's writer.

Headers: ``X-Actor`` (who, for the audit trail), ``X-Correlation-ID`` (to tie a
transaction to a work order, a scanner session...), ``Idempotency-Key`` (an alternative to
the body's ``command_id``). A replayed command answers 201 with ``duplicate: true`` and the
header ``Idempotent-Replayed: true``, and posts nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, TypeVar
from uuid import UUID

import orjson
from fastapi import APIRouter, Depends, Header, Request, Response, status
from pydantic import BaseModel, Field

from commands.problems import (
    IdempotencyKeyMismatch,
    InvalidIdempotencyKey,
    ResponsesDoc,
    UnknownProblemType,
    problem_responses,
    problem_types,
)
from ledger import commands as c
from ledger.errors import UnknownItem, UnknownLocation
from ledger.stock import Stock
from ledger.values import CostingMethod, StockStatus
from ledger.writer import Ledger, Outcome

C = TypeVar("C", bound=c.Command)


async def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


@dataclass(frozen=True)
class Sender:
    actor: str
    correlation_id: str | None
    idempotency_key: str | None


HEADER_MAX_LENGTH = 128


async def get_sender(
    x_actor: Annotated[str | None, Header(max_length=HEADER_MAX_LENGTH)] = None,
    x_correlation_id: Annotated[str | None, Header(max_length=HEADER_MAX_LENGTH)] = None,
    idempotency_key: Annotated[str | None, Header(max_length=HEADER_MAX_LENGTH)] = None,
) -> Sender:
    return Sender(x_actor or "anonymous", x_correlation_id, idempotency_key)


SenderDep = Annotated[Sender, Depends(get_sender)]


class EventOut(BaseModel):
    id: UUID
    type: str
    stream: UUID
    version: int


class Accepted(BaseModel):
    """The command is committed: its events, and the log position to read your writes."""

    command_id: str
    command_type: str
    position: int = Field(description="Notification id of the commit (read-your-writes)")
    duplicate: bool = Field(description="True when this command id had already been posted")
    events: list[EventOut]
    data: dict[str, str]


async def submit(command: C, ledger: Ledger, sender: Sender) -> Outcome:
    """Hand the command to the writer; return once its transaction has committed."""
    if sender.idempotency_key is not None:
        if not sender.idempotency_key:
            raise InvalidIdempotencyKey("the Idempotency-Key header is empty", field="command_id")
        if command.command_id not in (None, sender.idempotency_key):
            raise IdempotencyKeyMismatch(
                "the Idempotency-Key header and the body's command_id differ",
                field="command_id",
            )
        command = command.model_copy(update={"command_id": sender.idempotency_key})
    return await ledger.execute_async(
        command, actor=sender.actor, correlation_id=sender.correlation_id
    )


def accepted_headers(outcome: Outcome) -> dict[str, str] | None:
    return {"Idempotent-Replayed": "true"} if outcome.duplicate else None


async def post(command: C, ledger: Ledger, sender: Sender) -> Response:
    # The body is rendered with orjson (the route's ``Accepted`` model documents it):
    # validating our own answer again would cost a third of the request's time.
    outcome = await submit(command, ledger, sender)
    return Response(
        orjson.dumps(accepted_body(outcome)),
        status_code=CREATED,
        media_type="application/json",
        headers=accepted_headers(outcome),
    )


def accepted_body(outcome: Outcome) -> dict[str, object]:
    return {
        "command_id": outcome.command_id,
        "command_type": outcome.command_type,
        "position": outcome.position,
        "duplicate": outcome.duplicate,
        "events": [
            {"id": str(e.id), "type": e.type, "stream": str(e.stream), "version": e.version}
            for e in outcome.events
        ],
        "data": dict(outcome.data),
    }


router = APIRouter(prefix="/v1")
CREATED = status.HTTP_201_CREATED
# What a command can answer: 201 (posted, or replayed), or a problem: an unknown id (404),
# a rule of the ledger (409), a body over the limit (413), invalid input (422), the event
# store unreachable (503).
ACCEPTED: ResponsesDoc = {201: {"model": Accepted}, **problem_responses(404, 409, 413, 422, 503)}
READ_ANSWERS = problem_responses(404, 422, 503)


COMMAND_ROUTES: tuple[tuple[str, type[c.Command], str, str], ...] = (
    (
        "/items",
        c.RegisterItem,
        "master data",
        "Register an item (SKU) with its unit, tracking, costing and planning parameters",
    ),
    (
        "/items/planning-parameters",
        c.ChangePlanningParameters,
        "master data",
        "Change an item's lead time, lot sizing, safety stock or reorder point",
    ),
    (
        "/items/standard-cost",
        c.ChangeStandardCost,
        "master data",
        "Change a standard-costed item's standard cost; on-hand stock is revalued",
    ),
    (
        "/locations",
        c.RegisterLocation,
        "master data",
        "Register a site, warehouse, zone or bin under its parent",
    ),
    (
        "/locations/block",
        c.BlockLocation,
        "master data",
        "Block a location (and everything under it) for movements",
    ),
    ("/locations/unblock", c.UnblockLocation, "master data", "Lift a location's block"),
    (
        "/receipts",
        c.ReceiveStock,
        "stock",
        "Receive stock into a location, at a unit cost, optionally as a lot",
    ),
    (
        "/issues",
        c.IssueStock,
        "stock",
        "Issue available stock to a work order, cost center or customer",
    ),
    (
        "/moves",
        c.MoveStock,
        "stock",
        "Move stock between locations; its status and cost travel with it",
    ),
    ("/adjustments", c.AdjustStock, "stock", "Adjust a balance up or down with a reason code"),
    (
        "/scraps",
        c.ScrapStock,
        "stock",
        "Write available stock off as scrap, at its cost, with a reason code",
    ),
    (
        "/counts",
        c.CountStock,
        "stock",
        "Record a physical count; the variance against the book is posted",
    ),
    (
        "/reservations",
        c.ReserveStock,
        "stock",
        "Reserve available stock for a demand, for the item or pinned to a location and lot",
    ),
    (
        "/reservations/release",
        c.ReleaseReservation,
        "stock",
        "Release all or part of a reservation",
    ),
    (
        "/status-changes",
        c.ChangeStockStatus,
        "stock",
        "Move stock between available, quarantine, held and rejected",
    ),
    (
        "/work-centers",
        c.DefineWorkCenter,
        "engineering",
        "Define a work center: capacity, calendar, rates",
    ),
    (
        "/boms",
        c.DefineBom,
        "engineering",
        "Define a BOM version; a BOM that would contain itself is refused",
    ),
    (
        "/routings",
        c.DefineRouting,
        "engineering",
        "Define a routing version: operations at work centers",
    ),
    ("/work-orders", c.CreateWorkOrder, "production", "Create a work order"),
    (
        "/work-orders/release",
        c.ReleaseWorkOrder,
        "production",
        "Release: snapshot BOM and routing, reserve components",
    ),
    (
        "/work-orders/issue",
        c.IssueToWorkOrder,
        "production",
        "Issue a component to a work order (pick list)",
    ),
    (
        "/work-orders/return",
        c.ReturnFromWorkOrder,
        "production",
        "Return a component from a work order to stock",
    ),
    (
        "/work-orders/report",
        c.ReportOperation,
        "production",
        "Report an operation: good, scrap, rework, hours; backflush",
    ),
    (
        "/work-orders/receive",
        c.ReceiveWorkOrderOutput,
        "production",
        "Receive output into stock, at its WIP cost",
    ),
    (
        "/work-orders/complete",
        c.CompleteWorkOrder,
        "production",
        "Report what is left at standard and receive all output",
    ),
    (
        "/work-orders/close",
        c.CloseWorkOrder,
        "production",
        "Close with variances; release what is still reserved",
    ),
    (
        "/work-orders/cancel",
        c.CancelWorkOrder,
        "production",
        "Cancel an order that consumed nothing",
    ),
    ("/purchase-orders", c.CreatePurchaseOrder, "orders", "Create a purchase order"),
    ("/purchase-orders/confirm", c.ConfirmPurchaseOrder, "orders", "Confirm a purchase order"),
    (
        "/purchase-orders/receive",
        c.ReceivePurchaseOrder,
        "orders",
        "Receive purchase-order lines into a location",
    ),
    (
        "/purchase-orders/cancel-line",
        c.CancelPurchaseOrderLine,
        "orders",
        "Cancel what is open on a line",
    ),
    (
        "/purchase-orders/return",
        c.ReturnToSupplier,
        "orders",
        "Return received goods to the supplier",
    ),
    ("/purchase-orders/close", c.ClosePurchaseOrder, "orders", "Close a purchase order"),
    (
        "/specifications",
        c.DefineSpecification,
        "quality",
        "Define an item's quality specification (characteristics and limits)",
    ),
    (
        "/inspections",
        c.RecordInspection,
        "quality",
        "Record an inspection against the specification; a failure rejects what it covers",
    ),
    (
        "/holds",
        c.PlaceHold,
        "quality",
        "Hold a quantity, a lot or every lot of an item; holds stack",
    ),
    (
        "/holds/lots",
        c.HoldLots,
        "quality",
        "Hold every listed lot in one atomic step (recall containment)",
    ),
    ("/holds/release", c.ReleaseHold, "quality", "Release one hold, with a signature"),
    (
        "/dispositions",
        c.DisposeStock,
        "quality",
        "Scrap, return, rework or use as is rejected or quarantined stock",
    ),
    ("/lots/split", c.SplitLot, "quality", "Split part of a lot off as a new lot"),
    ("/lots/merge", c.MergeLots, "quality", "Merge lots at one location into a new lot"),
    (
        "/lots/expire",
        c.ExpireLots,
        "quality",
        "Hold the item's lots past their expiry (reason: expired)",
    ),
    ("/sales-orders", c.CreateSalesOrder, "orders", "Create a sales order"),
    (
        "/sales-orders/allocate",
        c.AllocateSalesOrder,
        "orders",
        "Allocate available stock, first to expire first",
    ),
    ("/sales-orders/pick", c.PickSalesOrder, "orders", "Record picking of allocated stock"),
    (
        "/sales-orders/ship",
        c.ShipSalesOrder,
        "orders",
        "Ship to the customer, from allocations first",
    ),
    (
        "/sales-orders/return",
        c.ReturnSalesOrder,
        "orders",
        "Take back shipped goods (into quarantine)",
    ),
    (
        "/planned-orders",
        c.ProposePlannedOrders,
        "planning",
        "Save an MRP run's planned orders; the previous run's unfirmed ones are superseded",
    ),
    (
        "/planned-orders/firm",
        c.FirmPlannedOrder,
        "planning",
        "Firm a planned order into a purchase order or a work order",
    ),
)


def _command_endpoint(command: type[c.Command]) -> Callable[..., Awaitable[Response]]:
    async def endpoint(cmd: c.Command, ledger: Ledger, sender: Sender) -> Response:
        return await post(cmd, ledger, sender)

    # Real objects, not strings: FastAPI reads the body model and dependencies from here.
    endpoint.__annotations__ = {
        "cmd": command,
        "ledger": LedgerDep,
        "sender": SenderDep,
        "return": Response,
    }
    endpoint.__name__ = command.command_name
    return endpoint


for _path, _command, _tag, _summary in COMMAND_ROUTES:
    router.add_api_route(
        _path,
        _command_endpoint(_command),
        methods=["POST"],
        status_code=CREATED,
        responses=ACCEPTED,
        response_class=Response,
        tags=[_tag],
        summary=_summary,
        name=_command.command_name,
    )


# --- reads for the write side's own checks (from the aggregates, not the read models) ----


class BalanceOut(BaseModel):
    location: str
    lot: str | None
    status: StockStatus
    quantity: Decimal


class LayerOut(BaseModel):
    location: str
    lot: str | None
    status: StockStatus
    seq: int
    quantity: Decimal
    unit_cost: Decimal


class LotOut(BaseModel):
    lot: str
    supplier_lot: str | None
    expiry: date | None
    first_received: date


class ReservationOut(BaseModel):
    reservation_id: str
    quantity: Decimal
    location: str | None
    lot: str | None
    reference: str


class StockCard(BaseModel):
    sku: str
    version: int
    costing_method: CostingMethod
    on_hand: Decimal
    available: Decimal
    reserved: Decimal
    free_to_promise: Decimal
    value: Decimal
    unit_cost: Decimal
    balances: list[BalanceOut]
    layers: list[LayerOut]
    lots: list[LotOut]
    reservations: list[ReservationOut]

    @classmethod
    def from_stock(cls, stock: Stock, today: date) -> StockCard:
        return cls(
            sku=stock.sku,
            version=stock.version,
            costing_method=stock.costing_method,
            on_hand=stock.on_hand,
            available=stock.available,
            reserved=stock.reserved,
            free_to_promise=stock.free_to_promise(today),
            value=stock.value,
            unit_cost=stock.unit_cost(),
            balances=[
                BalanceOut(location=loc, lot=lot or None, status=st, quantity=q)
                for (loc, lot, st), q in sorted(stock.balances.items())
            ],
            layers=[
                LayerOut(
                    location=loc,
                    lot=lot or None,
                    status=st,
                    seq=layer.seq,
                    quantity=layer.quantity,
                    unit_cost=layer.unit_cost,
                )
                for (loc, lot, st), layers in sorted(stock.layers.items())
                for layer in layers
            ],
            lots=[
                LotOut(
                    lot=lot.lot,
                    supplier_lot=lot.supplier_lot,
                    expiry=lot.expiry,
                    first_received=lot.first_received,
                )
                for lot in stock.lots.values()
            ],
            reservations=[
                ReservationOut(
                    reservation_id=r.reservation_id,
                    quantity=r.quantity,
                    location=r.location,
                    lot=r.lot,
                    reference=r.reference,
                )
                for r in stock.reservations.values()
            ],
        )


class ItemOut(BaseModel):
    sku: str
    version: int
    description: str
    kind: str
    unit_of_measure: str
    precision: int
    tracking: str
    costing_method: str
    standard_cost: Decimal | None
    shelf_life_days: int | None
    inspection_required: bool
    planning: c.PlanningParametersInput


class LocationOut(BaseModel):
    code: str
    version: int
    name: str
    level: str
    kind: str
    parent: str | None
    site: str
    blocked: bool
    blocked_reason: str


@router.get("/items/{sku}", tags=["master data"], responses=READ_ANSWERS)
def get_item(sku: str, ledger: LedgerDep) -> ItemOut:
    item = ledger.item(sku)
    if item is None:
        raise UnknownItem(f"no item {sku}", field="sku", sku=sku)
    return ItemOut(
        sku=item.sku,
        version=item.version,
        description=item.description,
        kind=item.kind,
        unit_of_measure=item.unit_of_measure,
        precision=item.precision,
        tracking=item.tracking,
        costing_method=item.costing_method,
        standard_cost=item.standard_cost,
        shelf_life_days=item.shelf_life_days,
        inspection_required=item.inspection_required,
        planning=c.PlanningParametersInput(**vars(item.planning)),
    )


@router.get("/locations/{code}", tags=["master data"], responses=READ_ANSWERS)
def get_location(code: str, ledger: LedgerDep) -> LocationOut:
    location = ledger.location(code)
    if location is None:
        raise UnknownLocation(f"no location {code}", field="code", location=code)
    return LocationOut(
        code=location.code,
        version=location.version,
        name=location.name,
        level=location.level,
        kind=location.kind,
        parent=location.parent,
        site=location.site,
        blocked=location.blocked,
        blocked_reason=location.blocked_reason,
    )


@router.get("/stock/{sku}", tags=["stock"], responses=READ_ANSWERS)
def get_stock_card(sku: str, ledger: LedgerDep) -> StockCard:
    """The item's stock card as the ledger decides with it (not a read model)."""
    stock = ledger.stock(sku)
    if stock is None:
        raise UnknownItem(f"no item {sku}", field="sku", sku=sku)
    return StockCard.from_stock(stock, ledger.today())


problems_router = APIRouter()


class ProblemType(BaseModel):
    type: str
    status: int
    title: str
    description: str


@problems_router.get("/problems/{slug}", tags=["errors"], responses=problem_responses(404))
def describe_problem(slug: str) -> ProblemType:
    """What a problem ``type`` means (the ``type`` URIs of error answers resolve here)."""
    types = problem_types()
    if slug not in types:
        raise UnknownProblemType(f"no problem type {slug}", slug=slug)
    code, title, description = types[slug]
    return ProblemType(type=f"/problems/{slug}", status=code, title=title, description=description)
