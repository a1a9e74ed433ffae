"""The command API under /v1: thin routes that hand one command to the ledger's writer.

Who sends a command is the authenticated principal (`commands.authentication`), never
a header: its actor is recorded and its grants are checked. Headers:
``X-Correlation-ID`` (to tie a transaction to a work order, a scanner session...),
``Idempotency-Key`` (an alternative to the body's ``command_id``). A replayed command
answers 201 with ``duplicate: true`` and the header ``Idempotent-Replayed: true``, and
posts nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, TypeVar
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel, Field

from commands.authentication import principal_of
from commands.problems import (
    IdempotencyKeyMismatch,
    InvalidIdempotencyKey,
    ResponsesDoc,
    UnknownProblemType,
    problem_responses,
    problem_types,
)
from ledger.commands import Command
from ledger.errors import UnknownItem, UnknownLocation
from ledger.identity.permissions import allowed
from ledger.identity.principals import Principal
from ledger.identity.roles import ROLE_PERMISSIONS, Permission
from ledger.master_data.commands import PlanningParametersInput
from ledger.stock.card import Stock
from ledger.values import CostingMethod, StockStatus
from ledger.writer import Ledger, Outcome

C = TypeVar("C", bound=Command)


async def get_ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


LedgerDep = Annotated[Ledger, Depends(get_ledger)]


@dataclass(frozen=True)
class Sender:
    principal: Principal | None
    correlation_id: str | None
    idempotency_key: str | None


HEADER_MAX_LENGTH = 128


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
    if sender.principal is None:
        # The authentication middleware answers 401 before a command gets here.
        msg = "a command reached the ledger without a principal"
        raise RuntimeError(msg)
    return await ledger.execute_async(
        command, principal=sender.principal, correlation_id=sender.correlation_id
    )


def accepted_headers(outcome: Outcome) -> dict[str, str] | None:
    return {"Idempotent-Replayed": "true"} if outcome.duplicate else None


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


def may_read(permission: Permission, *, plant_wide: bool = False) -> Callable[[Request], None]:
    """A GET's dependency: the principal holds ``permission`` on some grant (on an
    every-site grant when what it reads spans the plant), else 403."""

    def check(request: Request) -> None:
        principal = principal_of(request.scope)
        if principal is None or not any(
            permission in ROLE_PERMISSIONS[grant.role] for grant in principal.grants
        ):
            raise HTTPException(403, f"not permitted: {permission}")
        if plant_wide and not allowed(principal, permission, None):
            msg = (
                f"not permitted: {permission} on every site (this reads the whole plant; a"
                " site's reader asks GraphQL stockOnHand)"
            )
            raise HTTPException(403, msg)

    return check


# The write side's own reads (GET /v1/...) and the permission each needs.
V1_READ_PERMISSIONS: dict[str, Permission] = {
    "/v1/items/{sku}": Permission.READ_MASTER_DATA,
    "/v1/locations/{code}": Permission.READ_MASTER_DATA,
    "/v1/stock/{sku}": Permission.READ_STOCK,
}

router = APIRouter(prefix="/v1")
CREATED = status.HTTP_201_CREATED
# What a command can answer: 201 (posted, or replayed), or a problem: an unknown id (404),
# a rule of the ledger (409), a body over the limit (413), not JSON (415), invalid input
# (422), the event store unreachable (503).
ACCEPTED: ResponsesDoc = {
    201: {"model": Accepted},
    **problem_responses(401, 403, 404, 409, 413, 415, 422, 503),
}
READ_ANSWERS = problem_responses(401, 403, 404, 422, 503)


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
    planning: PlanningParametersInput


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


@router.get(
    "/items/{sku}",
    tags=["master data"],
    responses=READ_ANSWERS,
    dependencies=[Depends(may_read(V1_READ_PERMISSIONS["/v1/items/{sku}"]))],
)
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
        planning=PlanningParametersInput(**vars(item.planning)),
    )


@router.get(
    "/locations/{code}",
    tags=["master data"],
    responses=READ_ANSWERS,
    dependencies=[Depends(may_read(V1_READ_PERMISSIONS["/v1/locations/{code}"]))],
)
def get_location(code: str, ledger: LedgerDep, request: Request) -> LocationOut:
    location = ledger.location(code)
    principal = principal_of(request.scope)
    # Another site's location answers as an unknown one: a 403 would say it exists.
    permission = V1_READ_PERMISSIONS["/v1/locations/{code}"]
    if location is None or (
        principal is not None and not allowed(principal, permission, location.site, location.code)
    ):
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


@router.get(
    "/stock/{sku}",
    tags=["stock"],
    responses=READ_ANSWERS,
    dependencies=[Depends(may_read(V1_READ_PERMISSIONS["/v1/stock/{sku}"], plant_wide=True))],
)
def get_stock_card(sku: str, ledger: LedgerDep) -> StockCard:
    """The item's stock card as the ledger decides with it (not a read model): its
    balances at every site, so only for a reader of every site."""
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
