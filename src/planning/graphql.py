"""GraphQL ``mrpRun``: the ledger-driven MRP planned afresh from the read models and
answered without saving anything (``mims plan mrp --from-ledger`` saves a run).

The planning package may not import ``queries``, so the context is read by duck typing
(the read models and the read-your-writes wait every context has), and the composition
root adds ``MrpRunQuery`` to the schema.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar, cast

import polars as pl
import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from ledger.values import UNIT_COST
from planning.errors import PlanningError
from planning.ledger_inputs import LedgerMrpRun, MrpSettings, plan_from_read_models, to_decimal
from projections.engine.view import ReadModels

PREVIEW = "PREVIEW"
MAX_HORIZON = 520
MAX_BUCKET_DAYS = 366
MAX_HOLDING_RATE = 100  # per year, of the unit cost (the admin route's bound too)


F = TypeVar("F", bound=Callable[..., Any])


def described(text: str) -> Callable[[F], F]:
    """``@strawberry.field(description=...)`` keeping the resolver's type for mypy."""
    return cast("Callable[[F], F]", strawberry.field(description=text))


class ReadModelsContext(Protocol):
    models: ReadModels

    async def ready(self, min_position: int | None) -> None: ...


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


RECORD_FIELDS = (
    "gross_requirements",
    "scheduled_receipts",
    "projected_available",
    "net_requirements",
    "planned_order_receipts",
    "planned_order_releases",
)


@strawberry.type
class MrpRun:
    start_date: date = strawberry.field(description="Period 1 starts on this day (today)")
    bucket_days: int
    horizon: int
    planned_orders: list[MrpPlannedOrder]
    exceptions: list[MrpException]
    warnings: list[str]
    frame: strawberry.Private[pl.DataFrame]

    @described("The item's MRP record, period by period")
    def records(self, item: str) -> list[MrpRecord]:
        return [
            MrpRecord(
                item=row["item"],
                period=row["period"],
                start_date=row["start_date"],
                **{name: to_decimal(row[name]) for name in RECORD_FIELDS},
            )
            for row in self.frame.filter(pl.col("item") == item).iter_rows(named=True)
        ]

    @classmethod
    def from_run(cls, run: LedgerMrpRun) -> MrpRun:
        s = run.settings
        return cls(
            start_date=s.start,
            bucket_days=s.bucket_days,
            horizon=s.horizon,
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
            frame=run.records,
        )  # fmt: skip


def _settings(
    bucket_days: int, horizon: int, ordering_cost: Decimal, holding_rate: Decimal
) -> MrpSettings:
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
    return MrpSettings(
        start=datetime.now(UTC).date(),
        bucket_days=bucket_days,
        horizon=horizon,
        ordering_cost=float(ordering_cost),
        holding_rate=float(holding_rate),
    )


@strawberry.type
class MrpRunQuery:
    @described(
        "Plan afresh from the ledger (usable stock, open supply and demand, BOMs, lead"
        " times, lot-size rules) and answer without saving: planned orders with their"
        " pegging, exception messages, MRP records. Holding rate: per year, of the unit cost."
    )
    async def mrp_run(
        self,
        info: Info[ReadModelsContext, None],
        *,
        bucket_days: int = 7,
        horizon: int = 12,
        ordering_cost: Decimal = Decimal(0),
        holding_rate: Decimal = Decimal(0),
        min_position: int | None = None,
    ) -> MrpRun:
        settings = _settings(bucket_days, horizon, ordering_cost, holding_rate)
        await info.context.ready(min_position)
        models = info.context.models

        def run() -> LedgerMrpRun:
            with models.reader() as con:
                return plan_from_read_models(con, settings, PREVIEW)

        try:
            result = await asyncio.to_thread(run)
        except PlanningError as e:
            raise GraphQLError(
                f"{e.field}: {e.reason}", extensions={"code": "PLANNING_INPUT"}
            ) from None
        return MrpRun.from_run(result)
