"""Production's root fields: work orders, WIP by work center. A work order is of the site
of its output location (where its events are recorded): a caller sees the work orders
whose output location it may read, and WIP summed over those alone."""

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
        ctx = info.context
        await ctx.ready(min_position)
        here, here_params = ctx.in_scope("workOrders", "output_location")
        rows = await ctx.rows(
            f"SELECT {WorkOrder.COLUMNS} FROM work_orders WHERE (? IS NULL OR status = ?)"
            f" AND (? IS NULL OR item = ?) AND {here} ORDER BY due_date, number LIMIT 1000",
            [status, status, item, item, *here_params],
        )
        return [WorkOrder.from_row(r) for r in rows]

    @strawberry.field
    async def work_order(
        self, info: Info[Context, None], number: str, min_position: int | None = None
    ) -> WorkOrder | None:
        ctx = info.context
        await ctx.ready(min_position)
        here, here_params = ctx.in_scope("workOrder", "output_location")
        rows = await ctx.rows(
            f"SELECT {WorkOrder.COLUMNS} FROM work_orders WHERE number = ? AND {here}",
            [number, *here_params],
        )
        return WorkOrder.from_row(rows[0]) if rows else None

    @described(
        "WIP value and units in process by work center, over the work orders the caller"
        " may read (plant-wide for a plant-wide reader)"
    )
    async def wip_by_work_center(self, info: Info[Context, None]) -> list[WorkCenterWip]:
        ctx = info.context
        here, here_params = ctx.in_scope("wipByWorkCenter", "output_location")
        rows = await ctx.rows(
            "SELECT work_center, count(DISTINCT number), sum(remaining), sum(wip_value)"
            " FROM wip WHERE number IN (SELECT number FROM work_orders"
            f" WHERE {here}) GROUP BY work_center ORDER BY work_center",
            here_params,
        )
        return [
            WorkCenterWip(work_center=w, work_orders=n, units_in_process=u, wip_value=v)
            for w, n, u, v in rows
        ]
