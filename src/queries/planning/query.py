"""Planning's root fields: saved MRP runs and their planned orders, ``mrpRun`` (planned
afresh from the read models by the planner the composition root gives, answered without
saving), and MRP's inputs: open supply and open demand.

MRP plans the whole plant (it nets every site's stock; a planned order carries no site),
so its runs, planned orders and ``mrpRun`` are answered only to a caller who may read
every site (`Context.whole_plant`). Purchase- and sales-order lines carry no site either
(the site is where a line is received or shipped): they are plant-level; a work order's
lines follow the site of its output location."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from projections.vocabulary import UNIT_COST
from queries.context import Context, described
from queries.enums import PlannedOrderStatus
from queries.planning import planner
from queries.planning.types import (
    MrpRun,
    OpenLine,
    Peg,
    PlannedOrder,
    PlanningException,
    PlanningRun,
)

MAX_HORIZON = 520
MAX_BUCKET_DAYS = 366
MAX_HOLDING_RATE = 100  # per year, of the unit cost (the admin route's bound too)


@strawberry.type
class PlanningQuery:
    @described(
        "Planned orders of saved MRP runs (default: those in force), with what each is"
        " pegged to and its exception messages"
    )
    async def planned_orders(
        self,
        info: Info[Context, None],
        status: PlannedOrderStatus | None = PlannedOrderStatus.PROPOSED,
        item: str | None = None,
        run_id: str | None = None,
        min_position: int | None = None,
    ) -> list[PlannedOrder]:
        ctx = info.context
        await ctx.whole_plant("plannedOrders")
        await ctx.ready(min_position)
        where = (
            "(? IS NULL OR o.status = ?) AND (? IS NULL OR o.item = ?)"
            " AND (? IS NULL OR o.run_id = ?)"
        )
        wanted = None if status is None else status.value
        params = [wanted, wanted, item, item, run_id, run_id]
        rows = await ctx.rows(
            f"SELECT {PlannedOrder.COLUMNS} FROM planned_orders o WHERE {where}"
            " ORDER BY release_date, number",
            params,
        )
        pegs: dict[str, list[Peg]] = defaultdict(list)
        for number, kind, reference, quantity, needed_on in await ctx.rows(
            "SELECT p.number, p.kind, p.reference, p.quantity, p.needed_on"
            " FROM planned_order_pegging p JOIN planned_orders o USING (number)"
            f" WHERE {where} ORDER BY p.number, p.seq",
            params,
        ):
            pegs[number].append(
                Peg(kind=kind, reference=reference, quantity=quantity, needed_on=needed_on)
            )
        exceptions: dict[str, list[PlanningException]] = defaultdict(list)
        for row in await ctx.rows(
            "SELECT x.reference, x.item, x.exception, x.reference, x.scheduled_date,"
            " x.suggested_date, x.quantity, x.message FROM planning_exceptions x"
            " JOIN planned_orders o"
            " ON o.run_id = x.run_id AND o.number = x.reference"
            f" WHERE {where} ORDER BY x.seq",
            params,
        ):
            exceptions[row[0]].append(PlanningException.from_row(row[1:]))
        return [PlannedOrder.from_row(r, pegs[r[0]], exceptions[r[0]]) for r in rows]

    @described("Saved MRP runs, the latest first")
    async def planning_runs(
        self, info: Info[Context, None], last: int = 10, min_position: int | None = None
    ) -> list[PlanningRun]:
        await info.context.whole_plant("planningRuns")
        await info.context.ready(min_position)
        rows = await info.context.rows(
            "SELECT run_id, proposed_at, proposed_by, start_date, bucket_days, horizon,"
            " planned_orders, superseded FROM planning_runs ORDER BY position DESC LIMIT ?",
            [max(1, min(last, 1000))],
        )
        return [
            PlanningRun(
                run_id=r, proposed_at=at, proposed_by=by, start_date=start, bucket_days=b,
                horizon=h, planned_orders=n, superseded=s,
            )
            for r, at, by, start, b, h, n, s in rows
        ]  # fmt: skip

    @described(
        "Plan afresh from the ledger (usable stock, open supply and demand, BOMs, lead"
        " times, lot-size rules) and answer without saving: planned orders with their"
        " pegging, exception messages, MRP records. Holding rate: per year, of the unit cost."
    )
    async def mrp_run(
        self,
        info: Info[Context, None],
        *,
        bucket_days: int = 7,
        horizon: int = 12,
        ordering_cost: Decimal = Decimal(0),
        holding_rate: Decimal = Decimal(0),
        min_position: int | None = None,
    ) -> MrpRun:
        _check_settings(bucket_days, horizon, ordering_cost, holding_rate)
        ctx = info.context
        await ctx.whole_plant("mrpRun")
        await ctx.ready(min_position)
        planning = ctx.mrp
        start = datetime.now(UTC).date()

        def run() -> planner.MrpPreview:
            with ctx.reader() as con:
                return planning.preview(
                    con,
                    start=start,
                    bucket_days=bucket_days,
                    horizon=horizon,
                    ordering_cost=float(ordering_cost),
                    holding_rate=float(holding_rate),
                )

        try:
            preview = await asyncio.to_thread(run)
        except planning.input_error as e:
            raise GraphQLError(str(e), extensions={"code": "PLANNING_INPUT"}) from None
        return MrpRun.from_preview(preview)

    @described("Open purchase-order lines and work-order output still to come")
    async def open_supply(
        self, info: Info[Context, None], item: str | None = None
    ) -> list[OpenLine]:
        return await _open_lines(info.context, "openSupply", "open_supply", item)

    @described("Open sales-order lines and released work orders' components still to issue")
    async def open_demand(
        self, info: Info[Context, None], item: str | None = None
    ) -> list[OpenLine]:
        return await _open_lines(info.context, "openDemand", "open_demand", item)


async def _open_lines(ctx: Context, field: str, view: str, item: str | None) -> list[OpenLine]:
    here, here_params = ctx.in_scope(field, "output_location")
    rows = await ctx.rows(
        f"SELECT kind, reference, line, item, due_date, quantity FROM {view}"
        " WHERE (? IS NULL OR item = ?) AND (kind <> 'work_order'"
        f" OR reference IN (SELECT number FROM work_orders WHERE {here}))"
        " ORDER BY due_date, item, reference, line",
        [item, item, *here_params],
    )
    return [
        OpenLine(kind=k, reference=r, line=ln, item=i, due_date=d, quantity=q)
        for k, r, ln, i, d, q in rows
    ]


def _check_settings(
    bucket_days: int, horizon: int, ordering_cost: Decimal, holding_rate: Decimal
) -> None:
    if not 1 <= bucket_days <= MAX_BUCKET_DAYS:
        msg = f"bucketDays must be 1..{MAX_BUCKET_DAYS}"
        raise GraphQLError(msg, extensions={"code": "BAD_USER_INPUT"})
    if not 1 <= horizon <= MAX_HORIZON:
        msg = f"horizon must be 1..{MAX_HORIZON} periods"
        raise GraphQLError(msg, extensions={"code": "BAD_USER_INPUT"})
    if not (0 <= ordering_cost <= UNIT_COST.largest and 0 <= holding_rate <= MAX_HOLDING_RATE):
        msg = (
            f"orderingCost must be 0..{UNIT_COST.largest} and holdingRate"
            f" 0..{MAX_HOLDING_RATE} (per year)"
        )
        raise GraphQLError(msg, extensions={"code": "BAD_USER_INPUT"})
