"""The ledger-driven MRP planned afresh from the read models and answered without saving
anything (GraphQL's ``mrpRun``; ``mims plan mrp --from-ledger`` saves a run).

Plain values only: the GraphQL layer declares what it needs of a preview
(``queries.planning.planner``) and the composition root hands it ``preview_mrp``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import polars as pl

from planning.ledger_inputs import (
    ExceptionLine,
    MrpSettings,
    ProposedOrder,
    plan_from_read_models,
    to_decimal,
)

PREVIEW = "PREVIEW"  # the run id: its planned orders are PREVIEW-0001...
RECORD_FIELDS = (
    "gross_requirements",
    "scheduled_receipts",
    "projected_available",
    "net_requirements",
    "planned_order_receipts",
    "planned_order_releases",
)


@dataclass(frozen=True, kw_only=True)
class MrpPreview:
    start_date: date
    bucket_days: int
    horizon: int
    orders: tuple[ProposedOrder, ...]
    exceptions: tuple[ExceptionLine, ...]
    warnings: tuple[str, ...]
    frame: pl.DataFrame  # every item's records: read per item, when asked for

    def records(self, item: str) -> list[dict[str, Any]]:
        """The item's MRP record, period by period: item, period, start_date and the
        quantities (as decimals)."""
        return [
            {
                "item": row["item"],
                "period": row["period"],
                "start_date": row["start_date"],
                **{name: to_decimal(row[name]) for name in RECORD_FIELDS},
            }
            for row in self.frame.filter(pl.col("item") == item).iter_rows(named=True)
        ]


def preview_mrp(
    con: duckdb.DuckDBPyConnection,
    *,
    start: date,
    bucket_days: int,
    horizon: int,
    ordering_cost: float,
    holding_rate: float,
) -> MrpPreview:
    """Plan from the read models on ``con``; raises ``PlanningError`` (naming the input)
    when they hold something MRP cannot plan with."""
    settings = MrpSettings(
        start=start,
        bucket_days=bucket_days,
        horizon=horizon,
        ordering_cost=ordering_cost,
        holding_rate=holding_rate,
    )
    run = plan_from_read_models(con, settings, PREVIEW)
    return MrpPreview(
        start_date=settings.start,
        bucket_days=settings.bucket_days,
        horizon=settings.horizon,
        orders=run.orders,
        exceptions=run.exceptions,
        warnings=run.warnings,
        frame=run.records,
    )
