"""Inventory policies from the plant's own history: safety stock, reorder point and EOQ per
item, proposed as ``ChangePlanningParameters`` commands.

``propose_policies(con, settings, run_id)`` reads the read models and, per item:

* **Demand**: the quantity issued per day (``consumption_daily``) over the history window,
  the ``days`` complete days before ``today`` (today is still running), from the item's
  first issue if that is later; days without issues count as zero. Mean d and sample
  standard deviation s_d per day. An item needs ``min_days`` days of history.
* **Lead time**: each purchase-order receipt in the window, in calendar days from the
  order's date to the receipt's; mean L and sample standard deviation s_L, when there are
  at least ``min_receipts`` of them; otherwise the item's planned lead time with s_L = 0.
* **Safety stock** for the cycle service level ``service_level`` (``safety_stock.py``):
  ``ss = z sqrt(L s_d^2 + d^2 s_L^2)``, z = Phi^-1(service level); **reorder point**
  ``L d + ss``; both rounded up to the item's unit.
* **EOQ** (``eoq.py``): ``sqrt(2 D S / (h c))`` with D = 365 d per year, S
  ``ordering_cost`` per order, h ``holding_rate`` per year and c the item's unit cost now
  (standard, else the average on hand), rounded half up to the unit (at least one unit).

The proposal keeps the item's lead time and minimum lot and sets the lot-size rule to
``eoq`` with the EOQ as its quantity. Items without consumption, with too short a
history, without a lead time or without a unit cost are skipped, each with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from ledger.master_data.commands import ChangePlanningParameters, PlanningParametersInput
from ledger.values import LotSizeRule
from planning.eoq import economic_order_quantity
from planning.ledger_inputs import to_decimal
from planning.quantities import ceil_to_precision, round_to_precision
from planning.safety_stock import safety_stock
from projections import frames

DAYS_PER_YEAR = 365


@dataclass(frozen=True, kw_only=True)
class PolicySettings:
    today: date
    service_level: float = 0.95
    ordering_cost: float = 50.0
    holding_rate: float = 0.25
    days: int = 90
    min_days: int = 28
    min_receipts: int = 3

    def __post_init__(self) -> None:
        if not 0 < self.service_level < 1:
            msg = "service_level must be strictly between 0 and 1"
            raise ValueError(msg)
        if self.ordering_cost <= 0 or self.holding_rate <= 0:
            msg = "ordering_cost and holding_rate must be positive"
            raise ValueError(msg)
        if not 1 <= self.min_days <= self.days or self.min_receipts < 2:  # noqa: PLR2004
            msg = "need 1 <= min_days <= days and min_receipts >= 2 (a spread needs two)"
            raise ValueError(msg)

    @property
    def since(self) -> date:
        return self.today - timedelta(days=self.days)

    @property
    def until(self) -> date:
        return self.today - timedelta(days=1)


PROPOSAL_SCHEMA = {
    "item": pl.String(),
    "history_days": pl.Int64(),
    "demand_mean": pl.Float64(),
    "demand_std": pl.Float64(),
    "lead_time": pl.Float64(),
    "lead_time_std": pl.Float64(),
    "lead_time_source": pl.String(),
    "receipts": pl.Int64(),
    "unit_cost": pl.Float64(),
    "precision": pl.Int64(),
    "lead_time_days": pl.Int64(),
    "minimum_lot": pl.Float64(),
    "current_safety_stock": pl.Float64(),
    "current_reorder_point": pl.Float64(),
    "current_lot_size_rule": pl.String(),
    "current_lot_size_quantity": pl.Float64(),
}


@dataclass(frozen=True)
class PolicyRun:
    run_id: str
    settings: PolicySettings
    proposals: pl.DataFrame  # PROPOSAL_SCHEMA + safety_stock, reorder_point, eoq
    skipped: pl.DataFrame  # item, reason

    def reason(self) -> str:
        s = self.settings
        return (
            f"inventory policies {self.run_id}: cycle service level {s.service_level:.1%},"
            f" ordering cost {s.ordering_cost:g} per order, holding rate"
            f" {s.holding_rate:.1%} a year, {s.days}-day history to {s.until.isoformat()}"
        )

    def commands(self) -> list[ChangePlanningParameters]:
        return [
            ChangePlanningParameters(
                sku=row["item"],
                planning=PlanningParametersInput(
                    lead_time_days=row["lead_time_days"],
                    lot_size_rule=LotSizeRule.EOQ,
                    lot_size_quantity=to_decimal(row["eoq"], row["precision"]),
                    minimum_lot=to_decimal(row["minimum_lot"]),
                    safety_stock=to_decimal(row["safety_stock"], row["precision"]),
                    reorder_point=to_decimal(row["reorder_point"], row["precision"]),
                ),
                reason=self.reason(),
            )
            for row in self.proposals.iter_rows(named=True)
        ]


def _series(quantities: list[tuple[date, float]], first: date, until: date) -> np.ndarray:
    days = (until - first).days + 1
    series = np.zeros(days)
    for day, quantity in quantities:
        if first <= day <= until:
            series[(day - first).days] += quantity
    return series


def _history(
    con: duckdb.DuckDBPyConnection, s: PolicySettings
) -> tuple[list[dict[str, object]], list[tuple[str, str]]]:
    """One row per item with enough history (PROPOSAL_SCHEMA), and the skipped items."""
    consumption: dict[str, list[tuple[date, float]]] = {}
    first_issue: dict[str, date] = {}
    for item, day, quantity, first_day in frames.consumption(con, s.since, s.until).iter_rows():
        consumption.setdefault(item, []).append((day, quantity))
        first_issue[item] = first_day
    lead_times: dict[str, list[float]] = {}
    for row in frames.purchase_lead_times(con, s.since).iter_rows(named=True):
        lead_times.setdefault(row["item"], []).append(float(row["lead_time_days"]))
    costs = dict(frames.unit_costs(con).iter_rows())
    rows: list[dict[str, object]] = []
    skipped: list[tuple[str, str]] = []
    for item in frames.items(con).iter_rows(named=True):
        sku = item["item"]
        if sku not in consumption:
            skipped.append((sku, f"no issues in the {s.days} days to {s.until.isoformat()}"))
            continue
        first = max(s.since, first_issue[sku])
        days = (s.until - first).days + 1
        if days < s.min_days:
            short = f"{days} days of consumption history (since {first.isoformat()})"
            skipped.append((sku, f"{short}, fewer than {s.min_days}"))
            continue
        series = _series(consumption[sku], first, s.until)
        samples = lead_times.get(sku, [])
        if len(samples) >= s.min_receipts:
            lead, spread, source = (
                float(np.mean(samples)),
                float(np.std(samples, ddof=1)),
                "receipts",
            )
        elif item["lead_time_days"] > 0:
            lead, spread, source = float(item["lead_time_days"]), 0.0, "planned"
        else:
            few = f"{len(samples)} purchase receipts (fewer than {s.min_receipts})"
            skipped.append((sku, f"no lead time: {few} and no planned lead time"))
            continue
        cost = costs.get(sku)
        if cost is None or cost <= 0:
            skipped.append((sku, "no unit cost: no stock on hand and no standard cost"))
            continue
        rows.append(
            {
                "item": sku,
                "history_days": days,
                "demand_mean": float(series.mean()),
                "demand_std": float(series.std(ddof=1)),
                "lead_time": lead,
                "lead_time_std": spread,
                "lead_time_source": source,
                "receipts": len(samples),
                "unit_cost": float(cost),
                "precision": item["precision"],
                "lead_time_days": item["lead_time_days"],
                "minimum_lot": item["minimum_lot"],
                "current_safety_stock": item["safety_stock"],
                "current_reorder_point": item["reorder_point"],
                "current_lot_size_rule": item["lot_size_rule"],
                "current_lot_size_quantity": item["lot_size_quantity"],
            }
        )
    return rows, skipped


def propose_policies(
    con: duckdb.DuckDBPyConnection, settings: PolicySettings, run_id: str
) -> PolicyRun:
    """The proposals for every item with enough history, and the items skipped."""
    rows, skipped = _history(con, settings)
    history = pl.DataFrame(rows, schema=PROPOSAL_SCHEMA, orient="row")
    skipped_frame = pl.DataFrame(
        skipped, schema={"item": pl.String(), "reason": pl.String()}, orient="row"
    )
    if history.height == 0:
        empty = history.with_columns(
            pl.lit(None, pl.Float64()).alias(name)
            for name in ("safety_stock", "reorder_point", "eoq")
        )
        return PolicyRun(run_id, settings, empty, skipped_frame)
    protection = safety_stock(
        history.select(
            "item",
            "demand_mean",
            "demand_std",
            "lead_time",
            "lead_time_std",
            pl.lit("cycle_service_level").alias("method"),
            pl.lit(settings.service_level).alias("target"),
        )
    )
    economic = economic_order_quantity(
        history.select(
            "item",
            (pl.col("demand_mean") * DAYS_PER_YEAR).alias("annual_demand"),
            pl.lit(settings.ordering_cost).alias("ordering_cost"),
            pl.lit(settings.holding_rate).alias("holding_rate"),
            "unit_cost",
        ),
        None,
    )
    precision = history.get_column("precision").to_numpy().astype(np.int64)
    # A safety stock or reorder point a fraction short of a unit is short: round up.
    ss = ceil_to_precision(
        np.maximum(protection.get_column("safety_stock").to_numpy(), 0.0), precision
    )
    rop = ceil_to_precision(
        np.maximum(protection.get_column("reorder_point").to_numpy(), 0.0), precision
    )
    step = np.power(10.0, -precision)
    eoq = np.maximum(
        round_to_precision(economic.get_column("order_quantity").to_numpy(), precision), step
    )
    proposals = history.with_columns(
        pl.Series("safety_stock", ss),
        pl.Series("reorder_point", rop),
        pl.Series("eoq", eoq),
    )
    return PolicyRun(run_id, settings, proposals, skipped_frame)
