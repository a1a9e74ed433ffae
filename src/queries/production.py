"""GraphQL of production and orders: work orders and WIP, BOM explosion and where-used,
open supply and demand (MRP's inputs), allocations and shipments."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from projections.frames import EFFECTIVE_BOMS
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
        rows = await info.context.rows(
            "SELECT direction, item, lot, location, quantity, value FROM work_order_lots"
            " WHERE number = ? ORDER BY position",
            [self.number],
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


@strawberry.type(description="A scheduled receipt or a requirement: MRP's inputs")
class OpenLine:
    kind: str
    reference: str
    line: int
    item: str
    due_date: date
    quantity: Decimal


@strawberry.type
class Allocation:
    reservation_id: str
    number: str
    line: int
    item: str
    location: str
    lot: str | None
    quantity: Decimal


@strawberry.type
class Shipment:
    shipment: str
    number: str
    line: int
    customer: str
    item: str
    lot: str | None
    quantity: Decimal
    value: Decimal


@strawberry.type
class ExplosionLine:
    level: int
    parent: str
    component: str
    quantity: Decimal
    phantom: bool
    path: str


@strawberry.type
class ComponentTotal:
    component: str
    quantity: Decimal


@strawberry.type(description="A multi-level explosion: every path, and the total per component")
class BomExplosion:
    item: str
    quantity: Decimal
    lines: list[ExplosionLine]
    totals: list[ComponentTotal]


@strawberry.type
class WhereUsed:
    level: int
    parent: str
    component: str
    quantity_per: Decimal
    path: str


@strawberry.type
class ProductionQuery:
    @described("Work orders, by status and item")
    async def work_orders(
        self,
        info: Info[Context, None],
        status: str | None = None,
        item: str | None = None,
        min_position: int | None = None,
    ) -> list[WorkOrder]:
        await info.context.ready(min_position)
        rows = await info.context.rows(
            f"SELECT {WorkOrder.COLUMNS} FROM work_orders WHERE (? IS NULL OR status = ?)"
            " AND (? IS NULL OR item = ?) ORDER BY due_date, number LIMIT 1000",
            [status, status, item, item],
        )
        return [WorkOrder.from_row(r) for r in rows]

    @strawberry.field
    async def work_order(
        self, info: Info[Context, None], number: str, min_position: int | None = None
    ) -> WorkOrder | None:
        await info.context.ready(min_position)
        rows = await info.context.rows(
            f"SELECT {WorkOrder.COLUMNS} FROM work_orders WHERE number = ?", [number]
        )
        return WorkOrder.from_row(rows[0]) if rows else None

    @described("WIP value and units in process by work center, plant-wide")
    async def wip_by_work_center(self, info: Info[Context, None]) -> list[WorkCenterWip]:
        rows = await info.context.rows(
            "SELECT work_center, work_orders, units_in_process, wip_value"
            " FROM wip_by_work_center ORDER BY work_center"
        )
        return [
            WorkCenterWip(work_center=w, work_orders=n, units_in_process=u, wip_value=v)
            for w, n, u, v in rows
        ]

    @described("Open purchase-order lines and work-order output still to come")
    async def open_supply(
        self, info: Info[Context, None], item: str | None = None
    ) -> list[OpenLine]:
        return await _open_lines(info.context, "open_supply", item)

    @described("Open sales-order lines and released work orders' components still to issue")
    async def open_demand(
        self, info: Info[Context, None], item: str | None = None
    ) -> list[OpenLine]:
        return await _open_lines(info.context, "open_demand", item)

    @strawberry.field
    async def allocations(
        self, info: Info[Context, None], number: str | None = None, item: str | None = None
    ) -> list[Allocation]:
        rows = await info.context.rows(
            "SELECT reservation_id, number, line, sku, location, lot, quantity FROM allocations"
            " WHERE (? IS NULL OR number = ?) AND (? IS NULL OR sku = ?)"
            " ORDER BY number, line, reservation_id",
            [number, number, item, item],
        )
        return [
            Allocation(
                reservation_id=r,
                number=n,
                line=ln,
                item=i,
                location=loc,
                lot=lot or None,
                quantity=q,
            )
            for r, n, ln, i, loc, lot, q in rows
        ]

    @strawberry.field
    async def shipments(
        self, info: Info[Context, None], number: str | None = None, lot: str | None = None
    ) -> list[Shipment]:
        rows = await info.context.rows(
            "SELECT shipment, number, line, customer, sku, lot, quantity, value FROM shipments"
            " WHERE (? IS NULL OR number = ?) AND (? IS NULL OR lot = ?) ORDER BY position",
            [number, number, lot, lot],
        )
        return [
            Shipment(
                shipment=s,
                number=n,
                line=ln,
                customer=cu,
                item=i,
                lot=lot_ or None,
                quantity=q,
                value=v,
            )
            for s, n, ln, cu, i, lot_, q, v in rows
        ]

    @described("Explode an item's BOM on a date through every level; totals add every path")
    async def bom_explosion(
        self,
        info: Info[Context, None],
        item: str,
        quantity: Decimal = Decimal(1),
        on: date | None = None,
    ) -> BomExplosion:
        day = on or datetime.now(UTC).date()
        rows = await info.context.rows(
            f"""WITH RECURSIVE eff AS ({EFFECTIVE_BOMS}),
            l AS (SELECT b.*, e.output_quantity FROM bom_lines b JOIN eff e USING (parent, version)
                  WHERE NOT b.by_product),
            x(level, parent, component, quantity, phantom, path) AS (
                SELECT 1, parent, component,
                    CAST(? * quantity / output_quantity * (1 + scrap_factor) AS DECIMAL(38,10)),
                    phantom, parent || ' > ' || component
                FROM l WHERE parent = ?
                UNION ALL
                SELECT x.level + 1, l.parent, l.component,
                    CAST(x.quantity * l.quantity / l.output_quantity * (1 + l.scrap_factor)
                         AS DECIMAL(38,10)),
                    l.phantom, x.path || ' > ' || l.component
                FROM x JOIN l ON l.parent = x.component WHERE x.level < 64)
            SELECT level, parent, component, quantity, phantom, path FROM x ORDER BY path""",
            [day, day, quantity, item],
        )
        lines = [
            ExplosionLine(level=lv, parent=p, component=c, quantity=q, phantom=ph, path=path)
            for lv, p, c, q, ph, path in rows
        ]
        totals: dict[str, Decimal] = {}
        for line in lines:
            if not line.phantom:  # a phantom is never stocked: its components are counted
                totals[line.component] = totals.get(line.component, Decimal(0)) + line.quantity
        return BomExplosion(
            item=item,
            quantity=quantity,
            lines=lines,
            totals=[ComponentTotal(component=c, quantity=totals[c]) for c in sorted(totals)],
        )

    @described("Every item that uses this one, directly or through sub-assemblies")
    async def where_used(
        self, info: Info[Context, None], item: str, on: date | None = None
    ) -> list[WhereUsed]:
        day = on or datetime.now(UTC).date()
        rows = await info.context.rows(
            f"""WITH RECURSIVE eff AS ({EFFECTIVE_BOMS}),
            l AS (SELECT b.*, e.output_quantity FROM bom_lines b JOIN eff e USING (parent, version)
                  WHERE NOT b.by_product),
            u(level, parent, component, quantity_per, path) AS (
                SELECT 1, parent, component, quantity / output_quantity,
                    component || ' < ' || parent
                FROM l WHERE component = ?
                UNION ALL
                SELECT u.level + 1, l.parent, l.component, l.quantity / l.output_quantity,
                    u.path || ' < ' || l.parent
                FROM u JOIN l ON l.component = u.parent WHERE u.level < 64)
            SELECT level, parent, component, quantity_per, path FROM u ORDER BY level, path""",
            [day, day, item],
        )
        return [
            WhereUsed(level=lv, parent=p, component=c, quantity_per=q, path=path)
            for lv, p, c, q, path in rows
        ]


async def _open_lines(ctx: Context, view: str, item: str | None) -> list[OpenLine]:
    rows = await ctx.rows(
        f"SELECT kind, reference, line, item, due_date, quantity FROM {view}"
        " WHERE (? IS NULL OR item = ?) ORDER BY due_date, item, reference, line",
        [item, item],
    )
    return [
        OpenLine(kind=k, reference=r, line=ln, item=i, due_date=d, quantity=q)
        for k, r, ln, i, d, q in rows
    ]
