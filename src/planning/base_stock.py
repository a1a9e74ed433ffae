"""Base-stock (order-up-to S every period) with backorders: the multi-period newsvendor.

Each period the inventory position is raised to S; the order arrives after ``lead_time``
L periods, so the net inventory at the end of a period is S minus the demand of L + 1
periods, D' (Snyder and Shen, ch. 4). Per period, ``holding_cost`` h per unit on hand and
``backorder_cost`` p per unit backordered at the period end:

    g(S) = h E[(S - D')+] + p E[(D' - S)+],   S* = F'^-1(p / (p + h)).

Demand per period is ``normal`` (``mean``, ``std``; D' ~ N((L+1) mean, (L+1) std^2), S* is
continuous) or ``poisson`` (``mean``; D' ~ Poisson((L+1) mean), S* the smallest integer
with F'(S) >= p / (p + h)).

Output: critical_ratio, base_stock_level, expected_cost (per period), expected_on_hand,
expected_backorders (at a period end), stockout_probability (1 - F'(S)).
"""

from __future__ import annotations

import math

import polars as pl
from scipy import stats

from planning.distributions import normal_loss, poisson_loss
from planning.frames import Column, conform, optional, require

ITEM_COLUMNS = (
    Column("item", pl.String(), doc="item key"),
    optional("distribution", pl.String(), "normal", "normal | poisson"),
    Column("mean", pl.Float64(), doc="mean demand per period"),
    optional("std", pl.Float64(), 0.0, "standard deviation per period (normal)"),
    optional("lead_time", pl.Int64(), 0, "L, periods"),
    Column("holding_cost", pl.Float64(), doc="h, per unit per period"),
    Column("backorder_cost", pl.Float64(), doc="p, per unit backordered per period"),
)
OUTPUT_SCHEMA = pl.Schema(
    {
        "item": pl.String(),
        "critical_ratio": pl.Float64(),
        "base_stock_level": pl.Float64(),
        "expected_cost": pl.Float64(),
        "expected_on_hand": pl.Float64(),
        "expected_backorders": pl.Float64(),
        "stockout_probability": pl.Float64(),
    }
)


def base_stock(items: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    it = conform(items, "items", ITEM_COLUMNS)
    require(
        pl.col("distribution").is_in(["normal", "poisson"]),
        it,
        "items.distribution",
        "must be normal or poisson",
    )
    require(pl.col("mean") >= 0, it, "items.mean", "must not be negative")
    require(pl.col("std") >= 0, it, "items.std", "must not be negative")
    require(pl.col("lead_time") >= 0, it, "items.lead_time", "must not be negative")
    require(pl.col("holding_cost") > 0, it, "items.holding_cost", "must be positive")
    require(pl.col("backorder_cost") > 0, it, "items.backorder_cost", "must be positive")
    rows = []
    for row in it.iter_rows(named=True):
        h, p = row["holding_cost"], row["backorder_cost"]
        ratio = p / (p + h)
        periods = row["lead_time"] + 1
        mean = periods * row["mean"]
        if row["distribution"] == "poisson":
            level = float(stats.poisson.ppf(ratio, mean))
            backorders = float(poisson_loss(level, mean))
            stockout = float(stats.poisson.sf(level, mean))
        else:
            sigma = math.sqrt(periods) * row["std"]
            if sigma > 0:
                z = float(stats.norm.ppf(ratio))
                level = mean + z * sigma
                backorders = sigma * float(normal_loss(z))
                stockout = 1 - ratio
            else:
                level, backorders, stockout = mean, 0.0, 0.0
        on_hand = level - mean + backorders
        rows.append(
            {
                "item": row["item"],
                "critical_ratio": ratio,
                "base_stock_level": level,
                "expected_cost": h * on_hand + p * backorders,
                "expected_on_hand": on_hand,
                "expected_backorders": backorders,
                "stockout_probability": stockout,
            }
        )
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA)
