"""The (r, Q) continuous-review policy with backorders: order Q when the position hits r.

Cost model (Hadley and Whitin 1963, as taught by Nahmias, ch. 5): per year, with
``annual_demand`` lambda, ``ordering_cost`` K, ``holding_cost`` h per unit per year,
``stockout_cost`` p per unit backordered (once, not per unit of time), and lead-time
demand D_L with mean mu and loss function n(r) = E[(D_L - r)+],

    G(Q, r) = h (Q / 2 + r - mu) + K lambda / Q + p lambda n(r) / Q.

Normal lead-time demand (``lead_time_demand_mean``, ``lead_time_demand_std``): the optimum
solves Q = sqrt(2 lambda (K + p n(r)) / h) and 1 - F(r) = Q h / (p lambda); it is found by
Nahmias' iteration from Q0 = EOQ until Q and r change by less than 1e-9 (relative).

Poisson lead-time demand (``lead_time_demand_mean`` = lambda x lead time): Q and r are
integers; for each Q the best r is the smallest with 1 - F(r) <= Q h / (p lambda) (the
exact discrete optimality condition of G in r), and Q is searched exhaustively up to
twice sqrt(2 lambda (K + p mu) / h) (no optimum lies beyond it). Reorder points are >= 0.

Output: order_quantity, reorder_point, safety_stock (r - mu), cycle_service_level (F(r)),
expected_shortage_per_cycle (n(r)), fill_rate (1 - n(r) / Q), orders_per_year, and the
yearly holding_cost, ordering_cost, shortage_cost and total_cost, plus iterations.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from planning.distributions import normal_loss, poisson_loss
from planning.errors import PlanningError
from planning.frames import Column, conform, optional, require

ITEM_COLUMNS = (
    Column("item", pl.String(), doc="item key"),
    optional("distribution", pl.String(), "normal", "normal | poisson (lead-time demand)"),
    Column("annual_demand", pl.Float64(), doc="lambda, units per year"),
    Column("lead_time_demand_mean", pl.Float64(), doc="mu, mean demand over the lead time"),
    optional("lead_time_demand_std", pl.Float64(), 0.0, "sigma (normal)"),
    Column("ordering_cost", pl.Float64(), doc="K, per order"),
    Column("holding_cost", pl.Float64(), doc="h, per unit per year"),
    Column("stockout_cost", pl.Float64(), doc="p, per unit backordered"),
)
OUTPUT_SCHEMA = pl.Schema(
    {
        "item": pl.String(),
        "order_quantity": pl.Float64(),
        "reorder_point": pl.Float64(),
        "safety_stock": pl.Float64(),
        "cycle_service_level": pl.Float64(),
        "expected_shortage_per_cycle": pl.Float64(),
        "fill_rate": pl.Float64(),
        "orders_per_year": pl.Float64(),
        "holding_cost": pl.Float64(),
        "ordering_cost": pl.Float64(),
        "shortage_cost": pl.Float64(),
        "total_cost": pl.Float64(),
        "iterations": pl.Int64(),
    }
)
MAX_ITERATIONS = 1000


def _normal(row: dict[str, Any]) -> tuple[float, float, float, float, int]:
    lam, k, h, p = (
        row["annual_demand"],
        row["ordering_cost"],
        row["holding_cost"],
        row["stockout_cost"],
    )
    mu, sigma = row["lead_time_demand_mean"], row["lead_time_demand_std"]
    q = math.sqrt(2 * lam * k / h)
    r = mu
    for iteration in range(1, MAX_ITERATIONS + 1):
        tail = q * h / (p * lam)
        if tail >= 1:
            raise PlanningError(
                f"item {row['item']!r}: stockout_cost is too low for these costs (Q h / (p "
                "lambda) >= 1: no reorder point balances it)",
                field="items.stockout_cost",
            )
        r_next = mu + sigma * float(stats.norm.isf(tail))
        shortage = sigma * float(normal_loss((r_next - mu) / sigma))
        q_next = math.sqrt(2 * lam * (k + p * shortage) / h)
        done = abs(q_next - q) <= 1e-9 * q and abs(r_next - r) <= 1e-9 * max(1.0, abs(r))
        q, r = q_next, r_next
        if done:
            return q, r, shortage, float(stats.norm.cdf((r - mu) / sigma)), iteration
    raise PlanningError(
        f"item {row['item']!r}: the (r, Q) iteration did not converge", field="items"
    )  # pragma: no cover - it converges for valid inputs


def _poisson(row: dict[str, Any]) -> tuple[float, float, float, float, int]:
    lam, k, h, p = (
        row["annual_demand"],
        row["ordering_cost"],
        row["holding_cost"],
        row["stockout_cost"],
    )
    mu = row["lead_time_demand_mean"]
    top = int(2 * math.sqrt(2 * lam * (k + p * mu) / h)) + 2
    quantities = np.arange(1, top + 1, dtype=np.float64)
    support = np.arange(int(stats.poisson.isf(1e-15, mu)) + 2, dtype=np.float64)
    tail = stats.poisson.sf(support, mu)  # P(D > r) for r = 0, 1, ...
    thresholds = quantities * h / (p * lam)
    # smallest r with P(D > r) <= threshold; tail is non-increasing
    r = np.searchsorted(-tail, -thresholds, side="left").astype(np.float64)
    shortage = poisson_loss(r, mu)
    cost = h * (quantities / 2 + r - mu) + k * lam / quantities + p * lam * shortage / quantities
    best = int(np.argmin(cost))
    q, r_best = float(quantities[best]), float(r[best])
    return q, r_best, float(shortage[best]), float(stats.poisson.cdf(r_best, mu)), top


def rq_policy(items: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    it = conform(items, "items", ITEM_COLUMNS)
    require(
        pl.col("distribution").is_in(["normal", "poisson"]),
        it,
        "items.distribution",
        "must be normal or poisson",
    )
    require(pl.col("annual_demand") > 0, it, "items.annual_demand", "must be positive")
    require(
        pl.col("lead_time_demand_mean") >= 0,
        it,
        "items.lead_time_demand_mean",
        "must not be negative",
    )
    require(
        (pl.col("distribution") == "poisson") | (pl.col("lead_time_demand_std") > 0),
        it,
        "items.lead_time_demand_std",
        "must be positive for normal demand",
    )
    require(pl.col("ordering_cost") >= 0, it, "items.ordering_cost", "must not be negative")
    require(pl.col("holding_cost") > 0, it, "items.holding_cost", "must be positive")
    require(pl.col("stockout_cost") > 0, it, "items.stockout_cost", "must be positive")
    rows = []
    for row in it.iter_rows(named=True):
        solve = _poisson if row["distribution"] == "poisson" else _normal
        q, r, shortage, csl, iterations = solve(row)
        lam, mu = row["annual_demand"], row["lead_time_demand_mean"]
        holding = row["holding_cost"] * (q / 2 + r - mu)
        ordering = row["ordering_cost"] * lam / q
        short = row["stockout_cost"] * lam * shortage / q
        rows.append(
            {
                "item": row["item"],
                "order_quantity": q,
                "reorder_point": r,
                "safety_stock": r - mu,
                "cycle_service_level": csl,
                "expected_shortage_per_cycle": shortage,
                "fill_rate": 1 - shortage / q,
                "orders_per_year": lam / q,
                "holding_cost": holding,
                "ordering_cost": ordering,
                "shortage_cost": short,
                "total_cost": holding + ordering + short,
                "iterations": iterations,
            }
        )
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA)


def rq_cost(row: dict[str, Any], q: float, r: float) -> float:
    """G(Q, r) of the module docstring, for checks and tables."""
    lam, mu = row["annual_demand"], row["lead_time_demand_mean"]
    if row.get("distribution", "normal") == "poisson":
        shortage = float(poisson_loss(r, mu))
    else:
        sigma = row["lead_time_demand_std"]
        shortage = sigma * float(normal_loss((r - mu) / sigma))
    return float(
        row["holding_cost"] * (q / 2 + r - mu)
        + row["ordering_cost"] * lam / q
        + row["stockout_cost"] * lam * shortage / q
    )
