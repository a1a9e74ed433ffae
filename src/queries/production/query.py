"""Production's root fields: work orders, WIP by work center."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from queries.context import Context, described
from queries.production.types import WorkCenterWip, WorkOrder


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
