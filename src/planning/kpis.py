"""Inventory KPIs: turnover, days and weeks of supply, slow-moving and obsolete stock.

Per item (or per any grouping the adapter chooses), over a period of ``period_days``:

* inventory turnover = ``cost_of_goods_used`` / ``average_inventory_value`` (times per
  period; Heizer and Render's "cost of goods sold / average inventory investment");
* days of supply = ``average_inventory_value`` / (``cost_of_goods_used`` / period_days), and
  weeks of supply = days / 7 (null when nothing was used);
* stock status: ``obsolete`` when there is stock (``on_hand_quantity`` > 0) and no issue
  for ``obsolete_days`` (default 365) or never; ``slow_moving`` when there is stock and no
  issue for ``slow_moving_days`` (default 90); ``no_stock`` without stock; else ``active``.
  ``days_since_last_issue`` is null for an item never issued.
"""

from __future__ import annotations

import polars as pl

from planning.errors import PlanningError
from planning.frames import Column, conform, optional, require

ITEM_COLUMNS = (
    Column("item", pl.String(), doc="item key"),
    Column("cost_of_goods_used", pl.Float64(), doc="value consumed or sold in the period"),
    Column("average_inventory_value", pl.Float64(), doc="average stock value in the period"),
    optional("on_hand_quantity", pl.Float64(), 0.0, "stock now"),
    optional("on_hand_value", pl.Float64(), 0.0, "value of the stock now"),
    optional("days_since_last_issue", pl.Int64(), None, "null when never issued"),
    optional("period_days", pl.Float64(), 365.0, "length of the period, days"),
)


def inventory_kpis(
    items: pl.DataFrame | pl.LazyFrame, *, slow_moving_days: int = 90, obsolete_days: int = 365
) -> pl.DataFrame:
    it = conform(items, "items", ITEM_COLUMNS)
    for column in (
        "cost_of_goods_used",
        "average_inventory_value",
        "on_hand_quantity",
        "on_hand_value",
    ):
        require(pl.col(column) >= 0, it, f"items.{column}", "must not be negative")
    require(pl.col("period_days") > 0, it, "items.period_days", "must be positive")
    if not 0 < slow_moving_days <= obsolete_days:
        raise PlanningError("must be positive and at most obsolete_days", field="slow_moving_days")
    used = pl.col("cost_of_goods_used")
    days = pl.when(used > 0).then(
        pl.col("average_inventory_value") / (used / pl.col("period_days"))
    )
    idle = pl.col("days_since_last_issue")
    stocked = pl.col("on_hand_quantity") > 0
    status = (
        pl.when(~stocked)
        .then(pl.lit("no_stock"))
        .when(idle.is_null() | (idle >= obsolete_days))
        .then(pl.lit("obsolete"))
        .when(idle >= slow_moving_days)
        .then(pl.lit("slow_moving"))
        .otherwise(pl.lit("active"))
    )
    return it.select(
        "item",
        pl.when(pl.col("average_inventory_value") > 0)
        .then(used / pl.col("average_inventory_value"))
        .alias("turnover"),
        days.alias("days_of_supply"),
        (days / 7).alias("weeks_of_supply"),
        status.alias("status"),
        "on_hand_value",
    )
