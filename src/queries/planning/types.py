"""GraphQL types of planning: saved MRP runs and their planned orders (pegging, exception
messages), a run planned afresh (``mrpRun``), and MRP's inputs (open supply and demand)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from queries.context import Context, described
from queries.enums import PlannedOrderStatus
from queries.planning import planner


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


@strawberry.type(description="A scheduled receipt or a requirement: MRP's inputs")
class OpenLine:
    kind: str
    reference: str
    line: int
    item: str
    due_date: date
    quantity: Decimal


@strawberry.type(description="A requirement the planned order covers")
class MrpPeg:
    kind: str
    reference: str
    quantity: Decimal
    needed_on: date | None


@strawberry.type
class MrpPlannedOrder:
    number: str = strawberry.field(description="PREVIEW-0001...: a preview is not saved")
    item: str
    kind: str = strawberry.field(description="purchase or production")
    quantity: Decimal
    low_level_code: int
    release_period: int
    receipt_period: int
    release_date: date
    due_date: date
    past_due: bool
    pegging: list[MrpPeg]
    messages: list[str]


@strawberry.type
class MrpException:
    item: str
    exception: str
    reference: str
    period: int
    suggested_period: int | None
    scheduled_date: date
    suggested_date: date | None
    quantity: Decimal
    message: str


@strawberry.type(description="One item's MRP record in one period")
class MrpRecord:
    item: str
    period: int
    start_date: date
    gross_requirements: Decimal
    scheduled_receipts: Decimal
    projected_available: Decimal
    net_requirements: Decimal
    planned_order_receipts: Decimal
    planned_order_releases: Decimal


@strawberry.type
class MrpRun:
    start_date: date = strawberry.field(description="Period 1 starts on this day (today)")
    bucket_days: int
    horizon: int
    planned_orders: list[MrpPlannedOrder]
    exceptions: list[MrpException]
    warnings: list[str]
    preview: strawberry.Private[planner.MrpPreview]

    @described("The item's MRP record, period by period")
    def records(self, item: str) -> list[MrpRecord]:
        return [MrpRecord(**row) for row in self.preview.records(item)]

    @classmethod
    def from_preview(cls, run: planner.MrpPreview) -> MrpRun:
        return cls(
            start_date=run.start_date,
            bucket_days=run.bucket_days,
            horizon=run.horizon,
            planned_orders=[
                MrpPlannedOrder(
                    number=o.number, item=o.item, kind=str(o.kind), quantity=o.quantity,
                    low_level_code=o.low_level_code, release_period=o.release_period,
                    receipt_period=o.receipt_period, release_date=o.release_date,
                    due_date=o.due_date, past_due=o.past_due,
                    pegging=[
                        MrpPeg(kind=str(p.kind), reference=p.reference, quantity=p.quantity,
                               needed_on=p.needed_on)
                        for p in o.pegging
                    ],
                    messages=list(o.messages),
                )
                for o in run.orders
            ],
            exceptions=[
                MrpException(
                    item=x.item, exception=str(x.exception), reference=x.reference,
                    period=x.period, suggested_period=x.suggested_period,
                    scheduled_date=x.scheduled_date, suggested_date=x.suggested_date,
                    quantity=x.quantity, message=x.message,
                )
                for x in run.exceptions
            ],
            warnings=list(run.warnings),
            preview=run,
        )  # fmt: skip
