"""GraphQL types of production: work orders with their operations, requirements and lots,
WIP by work center."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from queries.context import Context, described


@strawberry.type
class WipOperation:
    number: str
    seq: int
    work_center: str
    started: Decimal
    good: Decimal
    scrap: Decimal
    rework: Decimal
    remaining: Decimal
    labour_hours: Decimal
    machine_hours: Decimal
    conversion_value: Decimal
    material_value: Decimal
    wip_value: Decimal


@strawberry.type
class Requirement:
    component: str
    per_unit: Decimal
    required: Decimal
    issued: Decimal
    issued_value: Decimal
    backflush: str
    operation: int | None


@strawberry.type
class LotMovement:
    direction: str
    item: str
    lot: str | None
    location: str
    quantity: Decimal
    value: Decimal


@strawberry.type
class WorkOrder:
    number: str
    item: str
    quantity: Decimal
    due_date: date
    status: str
    bom_version: str | None
    routing_version: str | None
    received: Decimal
    material_value: Decimal
    conversion_value: Decimal
    received_value: Decimal
    wip_value: Decimal
    actual_cost: Decimal | None
    standard_cost: Decimal | None
    material_price_variance: Decimal | None
    material_usage_variance: Decimal | None
    efficiency_variance: Decimal | None
    yield_variance: Decimal | None

    COLUMNS = (
        "number, item, quantity, due_date, status, bom_version, routing_version, received,"
        " material_value, conversion_value, received_value,"
        " material_value + conversion_value - received_value"
        " - coalesce(wip_written_off, 0) AS wip_value, actual_cost, standard_cost,"
        " material_price_variance, material_usage_variance, efficiency_variance, yield_variance"
    )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> WorkOrder:
        names = [
            "number", "item", "quantity", "due_date", "status", "bom_version",
            "routing_version", "received", "material_value", "conversion_value",
            "received_value", "wip_value", "actual_cost", "standard_cost",
            "material_price_variance", "material_usage_variance", "efficiency_variance",
            "yield_variance",
        ]  # fmt: skip
        return cls(**dict(zip(names, row, strict=True)))

    @strawberry.field
    async def operations(self, info: Info[Context, None]) -> list[WipOperation]:
        rows = await info.context.rows(
            "SELECT o.number, o.seq, o.work_center,"
            " coalesce(lag(o.good) OVER (ORDER BY o.seq), w.quantity) AS started, o.good,"
            " o.scrap, o.rework, coalesce(lag(o.good) OVER (ORDER BY o.seq), w.quantity)"
            " - o.good - o.scrap, o.labour_hours, o.machine_hours, o.conversion_value,"
            " o.material_value, coalesce(v.wip_value, 0)"
            " FROM wip_operations o JOIN work_orders w USING (number)"
            " LEFT JOIN wip v ON v.number = o.number AND v.seq = o.seq"
            " WHERE o.number = ? ORDER BY o.seq",
            [self.number],
        )
        return [WipOperation(**dict(zip(WIP_FIELDS, r, strict=True))) for r in rows]

    @strawberry.field
    async def requirements(self, info: Info[Context, None]) -> list[Requirement]:
        rows = await info.context.rows(
            "SELECT component, per_unit, required, issued, issued_value, backflush, operation"
            " FROM work_order_requirements WHERE number = ? ORDER BY component",
            [self.number],
        )
        return [Requirement(**dict(zip(REQUIREMENT_FIELDS, r, strict=True))) for r in rows]

    @described("Lots consumed, returned and produced: what genealogy is built from")
    async def lots(self, info: Info[Context, None]) -> list[LotMovement]:
        # A work order's material may come from another site's store: only the moves at
        # places the caller may read are shown.
        here, here_params = info.context.in_scope("workOrders", "location")
        rows = await info.context.rows(
            "SELECT direction, item, lot, location, quantity, value FROM work_order_lots"
            f" WHERE number = ? AND {here} ORDER BY position",
            [self.number, *here_params],
        )
        return [
            LotMovement(direction=d, item=i, lot=lot or None, location=loc, quantity=q, value=v)
            for d, i, lot, loc, q, v in rows
        ]


WIP_FIELDS = (
    "number", "seq", "work_center", "started", "good", "scrap", "rework", "remaining",
    "labour_hours", "machine_hours", "conversion_value", "material_value", "wip_value",
)  # fmt: skip
REQUIREMENT_FIELDS = (
    "component",
    "per_unit",
    "required",
    "issued",
    "issued_value",
    "backflush",
    "operation",
)


@strawberry.type
class WorkCenterWip:
    work_center: str
    work_orders: int
    units_in_process: Decimal
    wip_value: Decimal
