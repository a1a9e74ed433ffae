"""Economic order quantities: EOQ, EPQ and quantity discounts (all-units and incremental).

Costs are per year (or any period, consistently): D demand per year, S ``ordering_cost``
per order (setup), H holding cost per unit per year, given as ``holding_cost`` or as
``holding_rate`` x unit price (the rate form makes H follow the price tier, as in the
discount models of Chopra and Meindl and of Heizer and Render).

* Basic EOQ (Harris): Q* = sqrt(2 D S / H).
* EPQ / production order quantity, produced at ``production_rate`` p > D per year:
  Q* = sqrt(2 D S / (H (1 - D/p))), maximum inventory Q (1 - D/p).
* All-units discount: every unit is charged the price of the tier the order falls in;
  each tier's EOQ is raised to the tier's minimum when below it and the tier is skipped
  when its EOQ reaches the next tier (that tier is then cheaper); the cheapest candidate
  wins, purchase cost included.
* Incremental discount: each tier's price applies only to the units inside the tier. An
  order of Q in tier i costs F_i + p_i Q, with F_i the fixed part from the lower tiers;
  Q_i = sqrt(2 D (S + F_i) / H_i) with H_i = H, or holding_rate x p_i plus the rate on F_i/Q
  (Chopra and Meindl, ch. 11), clamped to the tier; the cheapest candidate wins.

Input frames:

``items``: item; annual_demand (D > 0); ordering_cost (S >= 0); holding_cost (H, default
0) or holding_rate (default 0; one must be positive); unit_cost (default 0: the price when
there are no price breaks); production_rate (default 0 = instantaneous replenishment);
discount ("none" | "all_units" | "incremental", default "none"); working_days (default 365,
to express the cycle in days).

``price_breaks`` (only for items with a discount): item; min_quantity (the tier starts at
this order size); unit_price.

Output, one row per item: order_quantity, unit_price (of the chosen tier; average price
for incremental), orders_per_year, cycle_days, maximum_inventory, ordering_cost_per_year,
holding_cost_per_year, purchase_cost_per_year, total_cost_per_year.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import polars as pl

from planning.errors import PlanningError
from planning.frames import Column, conform, optional, require

ITEM_COLUMNS = (
    Column("item", pl.String(), doc="item key"),
    Column("annual_demand", pl.Float64(), doc="D, units per year"),
    Column("ordering_cost", pl.Float64(), doc="S, cost per order or setup"),
    optional("holding_cost", pl.Float64(), 0.0, "H, per unit per year"),
    optional("holding_rate", pl.Float64(), 0.0, "H as a fraction of the unit price per year"),
    optional("unit_cost", pl.Float64(), 0.0, "price per unit without price breaks"),
    optional("production_rate", pl.Float64(), 0.0, "p, units per year; 0 = instantaneous"),
    optional("discount", pl.String(), "none", "none | all_units | incremental"),
    optional("working_days", pl.Float64(), 365.0, "days per year for cycle_days"),
)
BREAK_COLUMNS = (
    Column("item", pl.String(), doc="item key"),
    Column("min_quantity", pl.Float64(), doc="smallest order size of the tier"),
    Column("unit_price", pl.Float64(), doc="price per unit in the tier"),
)
OUTPUT_SCHEMA = pl.Schema(
    {
        "item": pl.String(),
        "order_quantity": pl.Float64(),
        "unit_price": pl.Float64(),
        "orders_per_year": pl.Float64(),
        "cycle_days": pl.Float64(),
        "maximum_inventory": pl.Float64(),
        "ordering_cost_per_year": pl.Float64(),
        "holding_cost_per_year": pl.Float64(),
        "purchase_cost_per_year": pl.Float64(),
        "total_cost_per_year": pl.Float64(),
    }
)


@dataclass(frozen=True)
class _Candidate:
    quantity: float
    ordering: float
    holding: float
    purchase: float
    average_price: float

    @property
    def total(self) -> float:
        return self.ordering + self.holding + self.purchase


def _holding(row: dict[str, Any], price: float) -> float:
    holding = float(row["holding_cost"])
    return holding if holding > 0 else float(row["holding_rate"]) * price


def _plain(row: dict[str, Any]) -> _Candidate:
    d, s, price = row["annual_demand"], row["ordering_cost"], row["unit_cost"]
    h = _holding(row, price)
    ratio = 1.0 - d / row["production_rate"] if row["production_rate"] > 0 else 1.0
    q = math.sqrt(2 * d * s / (h * ratio))
    return _Candidate(q, d / q * s, h * q * ratio / 2, d * price, price)


def _all_units(row: dict[str, Any], breaks: list[tuple[float, float]]) -> _Candidate:
    d, s = row["annual_demand"], row["ordering_cost"]
    best: _Candidate | None = None
    for tier, (low, price) in enumerate(breaks):
        high = breaks[tier + 1][0] if tier + 1 < len(breaks) else math.inf
        h = _holding(row, price)
        q = max(math.sqrt(2 * d * s / h), low, 1e-12)
        if q >= high:
            continue
        candidate = _Candidate(q, d / q * s, h * q / 2, d * price, price)
        if best is None or candidate.total < best.total:
            best = candidate
    if best is None:  # pragma: no cover - the last tier is unbounded, so it always qualifies
        raise PlanningError("no feasible tier", field="price_breaks")
    return best


def _incremental(row: dict[str, Any], breaks: list[tuple[float, float]]) -> _Candidate:
    d, s = row["annual_demand"], row["ordering_cost"]
    best: _Candidate | None = None
    paid_below = 0.0  # cost of the units below the current tier's start
    for tier, (low, price) in enumerate(breaks):
        if tier:
            prev_low, prev_price = breaks[tier - 1]
            paid_below += prev_price * (low - prev_low)
        fixed = paid_below - price * low  # cost of Q units in this tier = fixed + price * Q
        high = breaks[tier + 1][0] if tier + 1 < len(breaks) else math.inf
        if row["holding_cost"] > 0:
            q = math.sqrt(2 * d * (s + fixed) / row["holding_cost"])
        else:
            q = math.sqrt(2 * d * (s + fixed) / (row["holding_rate"] * price))
        q = min(max(q, low, 1e-12), high)
        average = (fixed + price * q) / q
        holding = _holding(row, average) * q / 2
        candidate = _Candidate(q, d / q * s, holding, d * average, average)
        if best is None or candidate.total < best.total:
            best = candidate
    if best is None:  # pragma: no cover - there is always a tier
        raise PlanningError("no tier", field="price_breaks")
    return best


def economic_order_quantity(
    items: pl.DataFrame | pl.LazyFrame, price_breaks: pl.DataFrame | pl.LazyFrame | None = None
) -> pl.DataFrame:
    """EOQ/EPQ with optional quantity discounts per item; see the module docstring."""
    it = conform(items, "items", ITEM_COLUMNS)
    require(pl.col("annual_demand") > 0, it, "items.annual_demand", "must be positive")
    require(pl.col("ordering_cost") >= 0, it, "items.ordering_cost", "must not be negative")
    for column in ("holding_cost", "holding_rate", "unit_cost", "production_rate"):
        require(pl.col(column) >= 0, it, f"items.{column}", "must not be negative")
    require(
        (pl.col("holding_cost") > 0) | (pl.col("holding_rate") > 0),
        it,
        "items.holding_cost",
        "give a positive holding_cost or holding_rate",
    )
    require(
        pl.col("discount").is_in(["none", "all_units", "incremental"]),
        it,
        "items.discount",
        "must be none, all_units or incremental",
    )
    require(
        (pl.col("production_rate") == 0) | (pl.col("production_rate") > pl.col("annual_demand")),
        it,
        "items.production_rate",
        "must exceed annual_demand (or be 0)",
    )
    require(
        (pl.col("discount") == "none") | (pl.col("production_rate") == 0),
        it,
        "items.production_rate",
        "quantity discounts apply to purchased items only",
    )
    empty = pl.DataFrame(schema={c.name: c.dtype for c in BREAK_COLUMNS})
    br = conform(price_breaks if price_breaks is not None else empty, "price_breaks", BREAK_COLUMNS)
    require(pl.col("min_quantity") >= 0, br, "price_breaks.min_quantity", "must not be negative")
    require(pl.col("unit_price") > 0, br, "price_breaks.unit_price", "must be positive")
    tiers: dict[str, list[tuple[float, float]]] = {}
    for item, low, price in br.sort("item", "min_quantity").iter_rows():
        tiers.setdefault(item, []).append((low, price))
    rows = []
    for row in it.iter_rows(named=True):
        discount = row["discount"]
        if discount == "none":
            if row["holding_cost"] <= 0 and row["unit_cost"] <= 0:
                raise PlanningError(
                    "holding_rate needs a positive unit_cost", field="items.unit_cost"
                )
            best = _plain(row)
        else:
            breaks = tiers.get(row["item"])
            if not breaks:
                raise PlanningError(
                    f"item {row['item']!r} has a {discount} discount but no price breaks",
                    field="price_breaks.item",
                )
            if len({low for low, _ in breaks}) != len(breaks):
                raise PlanningError(
                    f"item {row['item']!r} has two tiers with the same min_quantity",
                    field="price_breaks.min_quantity",
                )
            best = _all_units(row, breaks) if discount == "all_units" else _incremental(row, breaks)
        d = row["annual_demand"]
        ratio = 1.0 - d / row["production_rate"] if row["production_rate"] > 0 else 1.0
        rows.append(
            {
                "item": row["item"],
                "order_quantity": best.quantity,
                "unit_price": best.average_price,
                "orders_per_year": d / best.quantity,
                "cycle_days": row["working_days"] * best.quantity / d,
                "maximum_inventory": best.quantity * ratio,
                "ordering_cost_per_year": best.ordering,
                "holding_cost_per_year": best.holding,
                "purchase_cost_per_year": best.purchase,
                "total_cost_per_year": best.total,
            }
        )
    return pl.DataFrame(rows, schema=OUTPUT_SCHEMA)


def eoq_cost(
    quantity: float, *, annual_demand: float, ordering_cost: float, holding_cost: float
) -> float:
    """Annual ordering plus holding cost of ordering ``quantity`` at a time (basic model)."""
    return annual_demand / quantity * ordering_cost + holding_cost * quantity / 2
