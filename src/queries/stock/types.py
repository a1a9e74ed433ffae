"""GraphQL types of stock. Each maps a read-model row with ``from_row``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry

from queries.enums import CostingMethod, ItemKind, StockStatus
from queries.pagination import PageInfo


@strawberry.input(
    description="Narrow stock to items, a location and everything under it, a lot, a status."
)
class StockFilter:
    item: str | None = None
    items: list[str] | None = None
    item_kind: ItemKind | None = None
    location: str | None = strawberry.field(
        default=None, description="A location code: it and every location under it"
    )
    lot: str | None = None
    status: StockStatus | None = None


@strawberry.type(description="Stock of one item in one (location, lot, status) bucket.")
class StockRow:
    item: str
    location: str
    lot: str | None
    status: StockStatus
    quantity: Decimal
    value: Decimal

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> StockRow:
        item, location, lot, status, quantity, value = row
        return cls(
            item=item,
            location=location,
            lot=lot or None,
            status=StockStatus(status),
            quantity=quantity,
            value=value,
        )


@strawberry.type
class StockOnHand:
    rows: list[StockRow]
    total_quantity: Decimal
    total_value: Decimal
    as_of: datetime | None
    known_at: datetime | None
    position: int = strawberry.field(description="Log position the answer reflects")


@strawberry.type(description="One movement of the stock ledger (a bucket's change).")
class LedgerRow:
    position: int
    line: int
    recorded_at: datetime
    effective_at: datetime
    item: str
    location: str
    lot: str | None
    status: StockStatus
    quantity_delta: Decimal
    value_delta: Decimal
    event_type: str
    reference: str | None
    counterparty: str | None
    actor: str
    command_id: str
    correlation_id: str
    site: str
    session: str | None = strawberry.field(
        description="The login session the movement was recorded in (its id, never its token)"
    )
    device: str | None = strawberry.field(
        description="The API key (device or integration) that sent the movement's command"
    )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> LedgerRow:
        (position, line, _version, recorded_at, effective_at, item, location, lot, status,
         quantity_delta, value_delta, event_type, reference, counterparty, actor, command_id,
         correlation_id, site, session, device) = row  # fmt: skip
        return cls(
            position=position,
            line=line,
            recorded_at=recorded_at,
            effective_at=effective_at,
            item=item,
            location=location,
            lot=lot or None,
            status=StockStatus(status),
            quantity_delta=quantity_delta,
            value_delta=value_delta,
            event_type=event_type,
            reference=reference or None,
            counterparty=counterparty,
            actor=actor,
            command_id=command_id,
            correlation_id=correlation_id,
            site=site,
            session=session,
            device=device,
        )


@strawberry.type
class LedgerPage:
    rows: list[LedgerRow]
    page_info: PageInfo


@strawberry.type
class Lot:
    item: str
    lot: str
    supplier_lot: str | None
    supplier: str | None
    expiry: date | None
    first_received: date
    on_hand: Decimal
    available: Decimal
    quarantine: Decimal
    held: Decimal
    rejected: Decimal
    status: str

    COLUMNS = (
        "item, lot, supplier_lot, supplier, expiry, first_received, on_hand, available,"
        " quarantine, held, rejected, status"
    )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Lot:
        (item, lot, supplier_lot, supplier, expiry, first, on_hand, available, quarantine,
         held, rejected, status) = row  # fmt: skip
        return cls(
            item=item,
            lot=lot,
            supplier_lot=supplier_lot,
            supplier=supplier,
            expiry=expiry,
            first_received=first,
            on_hand=on_hand,
            available=available,
            quarantine=quarantine,
            held=held,
            rejected=rejected,
            status=status,
        )


@strawberry.type
class ItemValue:
    item: str
    costing_method: CostingMethod
    quantity: Decimal
    value: Decimal
    unit_cost: Decimal | None


@strawberry.type
class MethodValue:
    costing_method: CostingMethod
    items: int
    quantity: Decimal
    value: Decimal


@strawberry.type
class Valuation:
    total_value: Decimal
    by_costing_method: list[MethodValue]
    items: list[ItemValue]
    as_of: datetime | None
    known_at: datetime | None


@strawberry.type
class Reservation:
    item: str
    reservation_id: str
    quantity: Decimal
    open_quantity: Decimal
    location: str | None
    lot: str | None
    reference: str | None
    reserved_at: datetime
    closed_at: datetime | None

    COLUMNS = (
        "item, reservation_id, quantity, open_quantity, location, lot, reference,"
        " reserved_at, closed_at"
    )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Reservation:
        item, rid, quantity, open_quantity, location, lot, reference, at, closed = row
        return cls(
            item=item,
            reservation_id=rid,
            quantity=quantity,
            open_quantity=open_quantity,
            location=location,
            lot=lot,
            reference=reference or None,
            reserved_at=at,
            closed_at=closed,
        )


@strawberry.type(description="Available, unexpired stock not yet promised.")
class AvailableToPromise:
    item: str
    available: Decimal
    expired: Decimal
    reserved: Decimal
    free: Decimal


@strawberry.type
class ConsumptionDay:
    item: str
    day: date
    quantity: Decimal = strawberry.field(description="Issued (the demand planning reads)")
    value: Decimal
    issues: int
    scrapped: Decimal = strawberry.field(description="Written off as scrap (kept apart)")
    scrapped_value: Decimal
    scraps: int
