"""MRP exception messages: what the planner should act on, and why.

* ``past_due_release``: a planned order whose release period is before period 1 (its lead
  time no longer fits): release it now or expedite; its components were required in
  period 1.
* ``reschedule_in`` / ``reschedule_out``: a scheduled receipt (open order) is due later /
  earlier than the period it is needed in. Need periods come from consuming supply in due
  order (on hand less allocated first, then scheduled receipts by due period, then order
  reference) against cumulative requirements (gross requirements plus safety stock): a
  receipt is needed in the first period whose cumulative requirement exceeds the supply
  before it. A past-due receipt (due before period 1) is always flagged with the period it
  is needed in. ``tolerance`` (periods) suppresses moves of that many periods or fewer.
* ``cancel``: a scheduled receipt due within the horizon but not needed in it.

Receipts due after the horizon do not count in the plan, but they are still examined:
one needed within the horizon is flagged ``reschedule_in`` (it could replace a planned
order); one not needed is left alone.

The planner never moves scheduled receipts itself: it plans around them as dated and
leaves the decision to the planner reading these messages.

Output columns: item, exception, order (null for planned orders), period (the order's
current release or due period), suggested_period (null for cancel), quantity, message.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from planning.quantities import FloatArray

EXCEPTION_SCHEMA = pl.Schema(
    {
        "item": pl.String(),
        "exception": pl.String(),
        "order": pl.String(),
        "period": pl.Int64(),
        "suggested_period": pl.Int64(),
        "quantity": pl.Float64(),
        "message": pl.String(),
    }
)


def past_due_exceptions(planned_orders: pl.DataFrame) -> pl.DataFrame:
    late = planned_orders.filter(pl.col("past_due"))
    return late.select(
        pl.col("item"),
        pl.lit("past_due_release").alias("exception"),
        pl.lit(None, dtype=pl.String()).alias("order"),
        pl.col("release_period").alias("period"),
        pl.lit(1, dtype=pl.Int64()).alias("suggested_period"),
        pl.col("quantity"),
        pl.format(
            "planned order for receipt in period {} should have been released in period {}: "
            "release now or expedite",
            pl.col("receipt_period"),
            pl.col("release_period"),
        ).alias("message"),
    ).cast(EXCEPTION_SCHEMA)


def scheduled_receipt_exceptions(
    receipts: pl.DataFrame,
    index: pl.DataFrame,
    requirement: FloatArray,
    available: FloatArray,
    *,
    tolerance: int = 0,
) -> pl.DataFrame:
    """Flag scheduled receipts due out of step with need; ``requirement`` is cumulative."""
    periods = requirement.shape[1]
    open_ = (
        receipts.filter(pl.col("quantity") > 0)
        .join(index, on="item", how="left")
        .with_columns(pl.max_horizontal(pl.col("period"), pl.lit(1)).alias("arrives"))
        .sort("row", "arrives", "order")
        .with_columns(
            (pl.col("quantity").cum_sum().over("row") - pl.col("quantity")).alias("ahead")
        )
    )
    if open_.height == 0:
        return pl.DataFrame(schema=EXCEPTION_SCHEMA)
    rows = open_.get_column("row").to_numpy().astype(np.int64)
    before = available[rows] + open_.get_column("ahead").to_numpy()
    need_col = (requirement[rows] <= before[:, None] + 1e-9).sum(axis=1)
    flagged = open_.with_columns(
        pl.Series("need", need_col + 1, dtype=pl.Int64()),
    ).with_columns(
        pl.when((pl.col("need") > periods) & (pl.col("period") > periods))
        .then(None)
        .when(pl.col("need") > periods)
        .then(pl.lit("cancel"))
        .when((pl.col("period") < 1) | (pl.col("need") - pl.col("period") > tolerance))
        .then(pl.lit("reschedule_out"))
        .when(pl.col("period") - pl.col("need") > tolerance)
        .then(pl.lit("reschedule_in"))
        .otherwise(None)
        .alias("exception")
    )
    flagged = flagged.filter(pl.col("exception").is_not_null())
    return flagged.select(
        pl.col("item"),
        pl.col("exception"),
        pl.col("order"),
        pl.col("period"),
        pl.when(pl.col("exception") == "cancel")
        .then(None)
        .otherwise(pl.col("need"))
        .alias("suggested_period"),
        pl.col("quantity"),
        pl.when(pl.col("exception") == "cancel")
        .then(
            pl.format(
                "cancel {}: not needed within the {}-period horizon",
                pl.col("order"),
                pl.lit(periods),
            )
        )
        .when(pl.col("exception") == "reschedule_in")
        .then(
            pl.format(
                "reschedule {} in from period {} to period {}",
                pl.col("order"),
                pl.col("period"),
                pl.col("need"),
            )
        )
        .otherwise(
            pl.format(
                "reschedule {} out from period {} to period {}",
                pl.col("order"),
                pl.col("period"),
                pl.col("need"),
            )
        )
        .alias("message"),
    ).cast(EXCEPTION_SCHEMA)
