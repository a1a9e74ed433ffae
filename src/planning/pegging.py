"""Pegging: where each gross requirement comes from (single-level, like a where-used).

Every gross requirement of an item in a period is either independent demand (a sales
order, forecast or other ``demand`` row, identified by its ``source``) or dependent demand
from one planned order of a parent: ``quantity x quantity_per`` in the period the parent's
order is released (period 1 when that release is past due). One pegging row per
requirement source; the rows of an item and period add up to its gross requirements.
Full multi-level pegging is a chain of these rows: a dependent row names the parent and
its order's release and receipt periods, which identify the parent's planned order, whose
own requirements peg further up.

Output columns: item, period, quantity, source ("demand" | "planned_order"), parent,
parent_release_period, parent_receipt_period (null for demand), reference (the demand's
source, null for planned orders).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from planning.quantities import snap

PEGGING_SCHEMA = pl.Schema(
    {
        "item": pl.String(),
        "period": pl.Int64(),
        "quantity": pl.Float64(),
        "source": pl.String(),
        "parent": pl.String(),
        "parent_release_period": pl.Int64(),
        "parent_receipt_period": pl.Int64(),
        "reference": pl.String(),
    }
)


def peg_requirements(
    planned_orders: pl.DataFrame, bom: pl.DataFrame, demand: pl.DataFrame, *, horizon: int
) -> pl.DataFrame:
    """Pegging rows for dependent requirements (from ``planned_orders`` x ``bom``) and demand."""
    dependent = planned_orders.join(bom, left_on="item", right_on="parent", how="inner")
    quantity = snap(
        snap(
            dependent.get_column("quantity").to_numpy()
            * dependent.get_column("quantity_per").to_numpy()
        )
    )
    dependent_rows = dependent.select(
        pl.col("component").alias("item"),
        pl.max_horizontal(pl.col("release_period"), pl.lit(1)).alias("period"),
        pl.Series("quantity", quantity, dtype=pl.Float64()),
        pl.lit("planned_order").alias("source"),
        pl.col("item").alias("parent"),
        pl.col("release_period").alias("parent_release_period"),
        pl.col("receipt_period").alias("parent_receipt_period"),
        pl.lit(None, dtype=pl.String()).alias("reference"),
    )
    inside = demand.filter(pl.col("period") <= horizon)
    independent_rows = inside.select(
        pl.col("item"),
        pl.max_horizontal(pl.col("period"), pl.lit(1)).alias("period"),
        pl.Series(
            "quantity",
            snap(inside.get_column("quantity").to_numpy().astype(np.float64)),
            dtype=pl.Float64(),
        ),
        pl.lit("demand").alias("source"),
        pl.lit(None, dtype=pl.String()).alias("parent"),
        pl.lit(None, dtype=pl.Int64()).alias("parent_release_period"),
        pl.lit(None, dtype=pl.Int64()).alias("parent_receipt_period"),
        pl.col("source").alias("reference"),
    )
    return (
        pl.concat([independent_rows.cast(PEGGING_SCHEMA), dependent_rows.cast(PEGGING_SCHEMA)])
        .filter(pl.col("quantity") > 0)
        .sort("item", "period", maintain_order=True)
    )
