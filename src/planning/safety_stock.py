"""Safety stock and reorder points for normally distributed demand.

Per period demand ~ N(``demand_mean``, ``demand_std``); replenishment lead time L periods,
itself variable with standard deviation s_L (``lead_time_std``, default 0); with periodic
review every R periods (``review_period``, default 0 = continuous review) the protection
interval is L + R. Demand over the protection interval has

    sigma = sqrt((L + R) demand_std**2 + demand_mean**2 s_L**2)

(Chopra and Meindl, ch. 12, with lead-time variability; s_L = 0 gives sigma sqrt(L + R)).
``method`` picks how safety stock ``ss`` is set:

* ``cycle_service_level``: probability of no stockout in a replenishment cycle = ``target``;
  ss = Phi^-1(target) sigma.
* ``fill_rate``: fraction of demand served from stock = ``target``; the expected shortage
  per cycle ESC = sigma G(ss / sigma) (G the normal loss function) must equal
  (1 - target) Q, with Q ``order_quantity`` (continuous review) or the mean demand per
  review period R demand_mean (periodic review). ss may come out negative when the
  order quantity alone achieves the fill rate; it is reported as computed.
* ``given``: evaluate the ``safety_stock`` given (the service it achieves).

Output per item: sigma_protection (sigma above), safety_factor (z = ss / sigma),
safety_stock, reorder_point (mean demand over L (+ R) plus ss: the reorder point of a
continuous review (r, Q), or the order-up-to level of a periodic review),
cycle_service_level, expected_shortage_per_cycle, fill_rate (null without an order
quantity).
"""

from __future__ import annotations

import math

import polars as pl
from scipy import stats

from planning.distributions import normal_loss, normal_loss_inverse
from planning.errors import PlanningError
from planning.frames import Column, conform, optional, require

ITEM_COLUMNS = (
    Column("item", pl.String(), doc="item key"),
    Column("demand_mean", pl.Float64(), doc="mean demand per period"),
    Column("demand_std", pl.Float64(), doc="standard deviation of demand per period"),
    Column("lead_time", pl.Float64(), doc="mean replenishment lead time, periods"),
    optional("lead_time_std", pl.Float64(), 0.0, "standard deviation of the lead time"),
    optional("review_period", pl.Float64(), 0.0, "R; 0 = continuous review"),
    optional(
        "method", pl.String(), "cycle_service_level", "cycle_service_level | fill_rate | given"
    ),
    optional("target", pl.Float64(), None, "target service level in (0, 1)"),
    optional("order_quantity", pl.Float64(), None, "Q, for fill rates (continuous review)"),
    optional("safety_stock", pl.Float64(), None, "safety stock to evaluate (method given)"),
)
OUTPUT_SCHEMA = pl.Schema(
    {
        "item": pl.String(),
        "sigma_protection": pl.Float64(),
        "safety_factor": pl.Float64(),
        "safety_stock": pl.Float64(),
        "reorder_point": pl.Float64(),
        "cycle_service_level": pl.Float64(),
        "expected_shortage_per_cycle": pl.Float64(),
        "fill_rate": pl.Float64(),
    }
)


def safety_stock(items: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    it = conform(items, "items", ITEM_COLUMNS)
    for column in ("demand_mean", "demand_std", "lead_time", "lead_time_std", "review_period"):
        require(pl.col(column) >= 0, it, f"items.{column}", "must not be negative")
    require(
        pl.col("method").is_in(["cycle_service_level", "fill_rate", "given"]),
        it,
        "items.method",
        "must be cycle_service_level, fill_rate or given",
    )
    wants_target = pl.col("method") != "given"
    require(
        ~wants_target | pl.col("target").is_between(0, 1, closed="none"),
        it,
        "items.target",
        "must be strictly between 0 and 1",
    )
    require(
        (pl.col("method") != "given") | pl.col("safety_stock").is_not_null(),
        it,
        "items.safety_stock",
        "is required when method is given",
    )
    require(
        pl.col("order_quantity").is_null() | (pl.col("order_quantity") > 0),
        it,
        "items.order_quantity",
        "must be positive",
    )
    rows = []
    for row in it.iter_rows(named=True):
        protection = row["lead_time"] + row["review_period"]
        sigma = math.sqrt(
            protection * row["demand_std"] ** 2
            + row["demand_mean"] ** 2 * row["lead_time_std"] ** 2
        )
        quantity = row["order_quantity"]
        if quantity is None and row["review_period"] > 0:
            quantity = row["review_period"] * row["demand_mean"]
        method = row["method"]
        if sigma == 0:
            ss = row["safety_stock"] if method == "given" else 0.0
            z = math.nan  # no spread: the safety factor is undefined (null in JSON)
        elif method == "cycle_service_level":
            z = float(stats.norm.ppf(row["target"]))
            ss = z * sigma
        elif method == "fill_rate":
            if not quantity:
                raise PlanningError(
                    f"item {row['item']!r}: a fill rate needs order_quantity (or a review period)",
                    field="items.order_quantity",
                )
            z = normal_loss_inverse((1 - row["target"]) * quantity / sigma)
            ss = z * sigma
        else:
            ss = row["safety_stock"]
            z = ss / sigma
        if sigma == 0:
            csl, shortage = (1.0 if ss >= 0 else 0.0), max(0.0, -ss)
        else:
            csl = float(stats.norm.cdf(z))
            shortage = sigma * float(normal_loss(z))
        rows.append(
            {
                "item": row["item"],
                "sigma_protection": sigma,
                "safety_factor": z,
                "safety_stock": ss,
                "reorder_point": protection * row["demand_mean"] + ss,
                "cycle_service_level": csl,
                "expected_shortage_per_cycle": shortage,
                "fill_rate": None if not quantity else 1 - shortage / quantity,
            }
        )
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA)
