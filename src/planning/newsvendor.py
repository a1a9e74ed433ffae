"""The newsvendor: one order for one selling season (or one period) under uncertain demand.

Per unit: ``price`` p, ``unit_cost`` c, ``salvage_value`` v of a leftover (may be
negative: a disposal cost), ``shortage_cost`` g of a unit short beyond the lost margin
(goodwill, default 0). Underage cost c_u = p - c + g, overage cost c_o = c - v, critical
ratio c_u / (c_u + c_o); the optimal order Q* is the smallest quantity with
F(Q*) >= critical ratio (Nahmias ch. 5; Snyder and Shen ch. 4; Chopra and Meindl ch. 13).

Demand is ``normal`` (``mean``, ``std``: Q* is continuous, and ``order_quantity_integer``
is the better of its floor and ceiling) or ``poisson`` (``mean``; Q* is an integer).

Output: critical_ratio, order_quantity, order_quantity_integer, expected_sales,
expected_leftover, expected_shortage, expected_profit (p sales + v leftover - c Q - g
shortage), fill_rate (expected sales / mean demand), in_stock_probability (F(Q)).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from planning.distributions import normal_loss, poisson_loss
from planning.frames import Column, conform, optional, require

ITEM_COLUMNS = (
    Column("item", pl.String(), doc="item key"),
    Column("price", pl.Float64(), doc="selling price per unit"),
    Column("unit_cost", pl.Float64(), doc="purchase or production cost per unit"),
    optional("salvage_value", pl.Float64(), 0.0, "value of a unit left over"),
    optional("shortage_cost", pl.Float64(), 0.0, "goodwill cost per unit short"),
    optional("distribution", pl.String(), "normal", "normal | poisson"),
    Column("mean", pl.Float64(), doc="mean demand"),
    optional("std", pl.Float64(), 0.0, "standard deviation (normal)"),
)
OUTPUT_SCHEMA = pl.Schema(
    {
        "item": pl.String(),
        "critical_ratio": pl.Float64(),
        "order_quantity": pl.Float64(),
        "order_quantity_integer": pl.Int64(),
        "expected_sales": pl.Float64(),
        "expected_leftover": pl.Float64(),
        "expected_shortage": pl.Float64(),
        "expected_profit": pl.Float64(),
        "fill_rate": pl.Float64(),
        "in_stock_probability": pl.Float64(),
    }
)


def _outcome(row: dict[str, Any], q: float) -> dict[str, float]:
    mean = row["mean"]
    if row["distribution"] == "poisson":
        shortage = float(poisson_loss(q, mean))
        in_stock = float(stats.poisson.cdf(q, mean))
    elif row["std"] > 0:
        z = (q - mean) / row["std"]
        shortage = row["std"] * float(normal_loss(z))
        in_stock = float(stats.norm.cdf(z))
    else:
        shortage, in_stock = max(0.0, mean - q), float(q >= mean)
    sales = mean - shortage
    leftover = q - sales
    profit = (
        row["price"] * sales
        + row["salvage_value"] * leftover
        - row["unit_cost"] * q
        - row["shortage_cost"] * shortage
    )
    return {
        "expected_sales": sales,
        "expected_leftover": leftover,
        "expected_shortage": shortage,
        "expected_profit": profit,
        "fill_rate": sales / mean if mean > 0 else 1.0,
        "in_stock_probability": in_stock,
    }


def newsvendor(items: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    it = conform(items, "items", ITEM_COLUMNS)
    require(
        pl.col("distribution").is_in(["normal", "poisson"]),
        it,
        "items.distribution",
        "must be normal or poisson",
    )
    require(pl.col("mean") >= 0, it, "items.mean", "must not be negative")
    require(pl.col("std") >= 0, it, "items.std", "must not be negative")
    require(
        pl.col("price") > pl.col("unit_cost") - pl.col("shortage_cost"),
        it,
        "items.price",
        "must exceed unit_cost (less shortage_cost): otherwise ordering nothing is best",
    )
    require(
        pl.col("unit_cost") > pl.col("salvage_value"),
        it,
        "items.salvage_value",
        "must be below unit_cost: otherwise the order is unbounded",
    )
    rows = []
    for row in it.iter_rows(named=True):
        under = row["price"] - row["unit_cost"] + row["shortage_cost"]
        over = row["unit_cost"] - row["salvage_value"]
        ratio = under / (under + over)
        if row["distribution"] == "poisson":
            q = float(stats.poisson.ppf(ratio, row["mean"]))
            integer = int(q)
        else:
            q = (
                float(stats.norm.ppf(ratio, row["mean"], row["std"]))
                if row["std"] > 0
                else row["mean"]
            )
            q = max(q, 0.0)
            low, high = math.floor(q), math.ceil(q)
            integer = max((low, high), key=lambda k: _outcome(row, float(k))["expected_profit"])
        rows.append(
            {
                "item": row["item"],
                "critical_ratio": ratio,
                "order_quantity": q,
                "order_quantity_integer": int(np.int64(integer)),
                **_outcome(row, q),
            }
        )
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA)
