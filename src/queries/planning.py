"""GraphQL of saved MRP runs: planned orders with their pegging and exception messages,
and the runs themselves. (``mrpRun``, which plans afresh without saving, is the planning
package's: the composition root adds it to the schema.)"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from queries.context import Context, described


@strawberry.enum
class PlannedOrderStatus(Enum):
    PROPOSED = "proposed"  # in force: the latest run's, not yet firmed
    FIRMED = "firmed"  # turned into a purchase or work order
    SUPERSEDED = "superseded"  # a later run replaced it


@strawberry.type(description="A requirement a planned order covers")
class Peg:
    kind: str = strawberry.field(
        description="sales_order, work_order (its components), planned_order (a parent's),"
        " or stock (safety stock, or what the lot-size rule rounded up)"
    )
    reference: str
    quantity: Decimal
    needed_on: date | None


@strawberry.type(description="An exception message of an MRP run")
class PlanningException:
    item: str
    exception: str = strawberry.field(
        description="past_due_release, reschedule_in, reschedule_out or cancel"
    )
    reference: str = strawberry.field(description="The order concerned")
    scheduled_date: date
    suggested_date: date | None
    quantity: Decimal
    message: str

    COLUMNS = "item, exception, reference, scheduled_date, suggested_date, quantity, message"

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> PlanningException:
        item, exception, reference, scheduled, suggested, quantity, message = row
        return cls(
            item=item,
            exception=exception,
            reference=reference,
            scheduled_date=scheduled,
            suggested_date=suggested,
            quantity=quantity,
            message=message,
        )


@strawberry.type
class PlannedOrder:
    number: str
    run_id: str
    item: str
    kind: str = strawberry.field(description="purchase or production")
    quantity: Decimal
    release_date: date
    due_date: date
    status: PlannedOrderStatus
    proposed_at: datetime
    order_kind: str | None = strawberry.field(description="Firmed into a purchase or work order")
    order_number: str | None
    firmed_quantity: Decimal | None
    firmed_due_date: date | None
    firmed_by: str | None
    superseded_by: str | None = strawberry.field(description="The run that replaced it")
    messages: list[str]
    pegging: list[Peg]
    exceptions: list[PlanningException]

    COLUMNS = (
        "number, run_id, item, kind, quantity, release_date, due_date, status, proposed_at,"
        " order_kind, order_number, firmed_quantity, firmed_due_date, firmed_by,"
        " superseded_by, messages"
    )

    @classmethod
    def from_row(
        cls, row: tuple[Any, ...], pegging: list[Peg], exceptions: list[PlanningException]
    ) -> PlannedOrder:
        names = [
            "number", "run_id", "item", "kind", "quantity", "release_date", "due_date",
            "status", "proposed_at", "order_kind", "order_number", "firmed_quantity",
            "firmed_due_date", "firmed_by", "superseded_by", "messages",
        ]  # fmt: skip
        values = dict(zip(names, row, strict=True))
        values["status"] = PlannedOrderStatus(values["status"])
        values["messages"] = list(values["messages"] or [])
        return cls(**values, pegging=pegging, exceptions=exceptions)


@strawberry.type
class PlanningRun:
    run_id: str
    proposed_at: datetime
    proposed_by: str
    start_date: date = strawberry.field(description="Period 1 starts on this day")
    bucket_days: int
    horizon: int
    planned_orders: int
    superseded: int = strawberry.field(description="Proposals of the run before it replaced")

    @described("The run's exception messages")
    async def exceptions(
        self, info: Info[Context, None], item: str | None = None
    ) -> list[PlanningException]:
        rows = await info.context.rows(
            f"SELECT {PlanningException.COLUMNS} FROM planning_exceptions"
            " WHERE run_id = ? AND (? IS NULL OR item = ?) ORDER BY seq",
            [self.run_id, item, item],
        )
        return [PlanningException.from_row(r) for r in rows]


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
