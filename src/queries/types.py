"""GraphQL types of the read models. Each maps a read-model row with ``from_row``."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from queries.context import Context, described


@strawberry.enum
class ItemKind(Enum):
    RAW_MATERIAL = "raw_material"
    COMPONENT = "component"
    SUBASSEMBLY = "subassembly"
    FINISHED_GOOD = "finished_good"
    PACKAGING = "packaging"
    CONSUMABLE = "consumable"


@strawberry.enum
class StockStatus(Enum):
    AVAILABLE = "available"
    QUARANTINE = "quarantine"
    HELD = "held"
    REJECTED = "rejected"


@strawberry.enum
class CostingMethod(Enum):
    FIFO = "fifo"
    MOVING_AVERAGE = "moving_average"
    STANDARD = "standard"


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

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> LedgerRow:
        (position, line, _version, recorded_at, effective_at, item, location, lot, status,
         quantity_delta, value_delta, event_type, reference, counterparty, actor, command_id,
         correlation_id, site) = row  # fmt: skip
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
        )


@strawberry.type
class PageInfo:
    end_cursor: str | None
    has_next_page: bool


@strawberry.type
class LedgerPage:
    rows: list[LedgerRow]
    page_info: PageInfo


@strawberry.type
class PlanningParameters:
    lead_time_days: int
    lot_size_rule: str
    lot_size_quantity: Decimal
    minimum_lot: Decimal
    safety_stock: Decimal
    reorder_point: Decimal


@strawberry.type
class Item:
    sku: str
    description: str
    kind: ItemKind
    unit_of_measure: str
    precision: int
    tracking: str
    costing_method: CostingMethod
    standard_cost: Decimal | None
    shelf_life_days: int | None
    inspection_required: bool
    planning: PlanningParameters

    COLUMNS = (
        "sku, description, kind, unit_of_measure, precision, tracking, costing_method,"
        " standard_cost, shelf_life_days, inspection_required, lead_time_days, lot_size_rule,"
        " lot_size_quantity, minimum_lot, safety_stock, reorder_point"
    )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Item:
        (sku, description, kind, unit, precision, tracking, costing, standard, shelf,
         inspection, lead, rule, lsq, minimum, safety, rop) = row  # fmt: skip
        return cls(
            sku=sku,
            description=description,
            kind=ItemKind(kind),
            unit_of_measure=unit,
            precision=precision,
            tracking=tracking,
            costing_method=CostingMethod(costing),
            standard_cost=standard,
            shelf_life_days=shelf,
            inspection_required=inspection,
            planning=PlanningParameters(
                lead_time_days=lead,
                lot_size_rule=rule,
                lot_size_quantity=lsq,
                minimum_lot=minimum,
                safety_stock=safety,
                reorder_point=rop,
            ),
        )


@strawberry.type
class Location:
    code: str
    name: str
    level: str
    kind: str
    parent: str | None
    site: str
    path: str | None
    blocked: bool
    blocked_reason: str | None

    COLUMNS = "code, name, level, kind, parent, site, path, blocked, blocked_reason"

    @described("The locations directly under this one")
    async def children(self, info: Info[Context, None]) -> list[Location]:
        rows = await info.context.rows(
            f"SELECT {Location.COLUMNS} FROM locations WHERE parent = ? ORDER BY code", [self.code]
        )
        return [Location.from_row(r) for r in rows]

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> Location:
        code, name, level, kind, parent, site, path, blocked, reason = row
        return cls(
            code=code,
            name=name,
            level=level,
            kind=kind,
            parent=parent,
            site=site,
            path=path,
            blocked=blocked,
            blocked_reason=reason or None,
        )


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


@strawberry.type
class ProjectionStatus:
    name: str
    position: int
    head: int
    lag: int = strawberry.field(description="Events in the log the projection has not applied")
    status: str
    error: str | None
    failed_position: int | None
    updated_at: datetime | None
