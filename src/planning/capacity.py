"""Capacity planning (MRP II): detailed capacity requirements and rough-cut capacity.

CRP, ``capacity_requirements``: every order (planned orders from the MRP, released
production orders from the shop floor) loads each remaining operation of its item's
routing on the operation's work center: ``setup_hours + run_hours x quantity``, in period
``release_period + offset_periods`` (the operation's offset from the order release, so a
routing spread over the lead time loads each center when the work reaches it). Loads
before period 1 are past due and land in period 1 (counted in ``past_due_hours``); loads
after the horizon are outside the plan. A released order skips the operations it has
completed (``completed_operations``: operations with a sequence number up to it).

RCCP, ``rough_cut_capacity``: the master production schedule (end item, period,
quantity) times a bill of resources (hours of each key work center per unit of the end
item, ``offset_periods`` before the MPS period: the lead-time offset), with the same
past-due and horizon rules.

Both compare the load with ``capacity`` (work_center, available_hours per period; a row
with a ``period`` overrides the default row of that center for that period) and flag
overloads. Output ``load``: work_center, period, load_hours, past_due_hours,
available_hours, utilisation (load / available; null without capacity), overload_hours
(load above capacity), overloaded. CRP also returns ``detail``: one row per order and
operation loaded (order, item, operation, work_center, period, hours), for explaining a
load.

Input frames:

``orders``: item; release_period (Int64); quantity; order (String, default
item@release_period); completed_operations (Int64, default 0).
``routings``: item; operation (Int64 sequence); work_center; setup_hours (default 0);
run_hours (per unit); offset_periods (Int64, default 0).
``mps``: item; period; quantity.
``bill_of_resources``: item; work_center; hours_per_unit; offset_periods (Int64, default 0).
``capacity``: work_center; available_hours; period (Int64, default null = every period).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from planning.errors import PlanningError
from planning.frames import Column, conform, optional, require

ORDER_COLUMNS = (
    Column("item", pl.String(), doc="item the order makes"),
    Column("release_period", pl.Int64(), doc="period the order is (to be) released"),
    Column("quantity", pl.Float64(), doc="order quantity still to make"),
    optional("order", pl.String(), None, "order reference; default item@release_period"),
    optional("completed_operations", pl.Int64(), 0, "operations done up to this sequence"),
)
ROUTING_COLUMNS = (
    Column("item", pl.String(), doc="item the routing makes"),
    Column("operation", pl.Int64(), doc="operation sequence number"),
    Column("work_center", pl.String(), doc="work center doing the operation"),
    optional("setup_hours", pl.Float64(), 0.0, "hours per order"),
    Column("run_hours", pl.Float64(), doc="hours per unit"),
    optional("offset_periods", pl.Int64(), 0, "periods after release the operation runs"),
)
MPS_COLUMNS = (
    Column("item", pl.String(), doc="end item"),
    Column("period", pl.Int64(), doc="MPS period"),
    Column("quantity", pl.Float64(), doc="quantity scheduled"),
)
BOR_COLUMNS = (
    Column("item", pl.String(), doc="end item"),
    Column("work_center", pl.String(), doc="key resource"),
    Column("hours_per_unit", pl.Float64(), doc="hours per unit of end item"),
    optional("offset_periods", pl.Int64(), 0, "periods before the MPS period"),
)
CAPACITY_COLUMNS = (
    Column("work_center", pl.String(), doc="work center"),
    Column("available_hours", pl.Float64(), doc="hours available per period"),
    optional("period", pl.Int64(), None, "period the row applies to; null = every period"),
)
LOAD_SCHEMA = pl.Schema(
    {
        "work_center": pl.String(),
        "period": pl.Int64(),
        "load_hours": pl.Float64(),
        "past_due_hours": pl.Float64(),
        "available_hours": pl.Float64(),
        "utilisation": pl.Float64(),
        "overload_hours": pl.Float64(),
        "overloaded": pl.Boolean(),
    }
)


@dataclass(frozen=True)
class CapacityPlan:
    load: pl.DataFrame
    detail: pl.DataFrame


def _summarise(loads: pl.DataFrame, capacity: pl.DataFrame, horizon: int) -> pl.DataFrame:
    """Sum ``loads`` (work_center, period, hours; period may be < 1) per center and period."""
    if horizon < 1:
        raise PlanningError("must be at least 1 period", field="horizon")
    cap = conform(capacity, "capacity", CAPACITY_COLUMNS)
    require(pl.col("available_hours") >= 0, cap, "capacity.available_hours", "must not be negative")
    inside = loads.filter(pl.col("period") <= horizon).with_columns(
        (pl.col("period") < 1).alias("past_due"),
        pl.max_horizontal(pl.col("period"), pl.lit(1)).alias("period"),
    )
    centers = (
        pl.concat([inside.select("work_center"), cap.select("work_center")])
        .unique()
        .sort("work_center")
    )
    grid = centers.join(
        pl.DataFrame({"period": list(range(1, horizon + 1))}, schema={"period": pl.Int64()}),
        how="cross",
    )
    summed = inside.group_by("work_center", "period").agg(
        pl.col("hours").sum().alias("load_hours"),
        pl.col("hours").filter(pl.col("past_due")).sum().alias("past_due_hours"),
    )
    default = (
        cap.filter(pl.col("period").is_null())
        .group_by("work_center")
        .agg(pl.col("available_hours").sum().alias("default_hours"))
    )
    specific = (
        cap.filter(pl.col("period").is_not_null())
        .group_by("work_center", "period")
        .agg(pl.col("available_hours").sum().alias("period_hours"))
    )
    load = (
        grid.join(summed, on=["work_center", "period"], how="left")
        .join(default, on="work_center", how="left")
        .join(specific, on=["work_center", "period"], how="left")
        .with_columns(
            pl.col("load_hours").fill_null(0.0),
            pl.col("past_due_hours").fill_null(0.0),
            pl.coalesce("period_hours", "default_hours").alias("available_hours"),
        )
    )
    available = pl.col("available_hours")
    return (
        load.select(
            "work_center",
            "period",
            "load_hours",
            "past_due_hours",
            "available_hours",
            pl.when(available > 0).then(pl.col("load_hours") / available).alias("utilisation"),
            pl.max_horizontal(pl.col("load_hours") - available.fill_null(0.0), pl.lit(0.0)).alias(
                "overload_hours"
            ),
            (pl.col("load_hours") > available.fill_null(0.0) + 1e-9).alias("overloaded"),
        )
        .cast(LOAD_SCHEMA)
        .sort("work_center", "period")
    )


def capacity_requirements(
    orders: pl.DataFrame | pl.LazyFrame,
    routings: pl.DataFrame | pl.LazyFrame,
    capacity: pl.DataFrame | pl.LazyFrame,
    *,
    horizon: int,
) -> CapacityPlan:
    """CRP: load of planned and released orders per work center and period."""
    od = conform(orders, "orders", ORDER_COLUMNS)
    require(pl.col("quantity") >= 0, od, "orders.quantity", "must not be negative")
    od = od.with_columns(
        pl.col("order").fill_null(pl.col("item") + "@" + pl.col("release_period").cast(pl.String()))
    )
    rt = conform(routings, "routings", ROUTING_COLUMNS)
    for column in ("setup_hours", "run_hours"):
        require(pl.col(column) >= 0, rt, f"routings.{column}", "must not be negative")
    require(pl.col("offset_periods") >= 0, rt, "routings.offset_periods", "must not be negative")
    if rt.select("item", "operation").is_duplicated().any():
        raise PlanningError("an operation appears twice in a routing", field="routings.operation")
    missing = od.join(rt, on="item", how="anti")
    if missing.height:
        raise PlanningError(f"item {missing.item(0, 'item')!r} has no routing", field="orders.item")
    detail = (
        od.join(rt, on="item", how="inner")
        .filter(pl.col("operation") > pl.col("completed_operations"))
        .select(
            "order",
            "item",
            "operation",
            "work_center",
            (pl.col("release_period") + pl.col("offset_periods")).alias("period"),
            (pl.col("setup_hours") + pl.col("run_hours") * pl.col("quantity")).alias("hours"),
        )
        .sort("order", "operation")
    )
    cap = conform(capacity, "capacity", CAPACITY_COLUMNS)
    return CapacityPlan(load=_summarise(detail, cap, horizon), detail=detail)


def rough_cut_capacity(
    mps: pl.DataFrame | pl.LazyFrame,
    bill_of_resources: pl.DataFrame | pl.LazyFrame,
    capacity: pl.DataFrame | pl.LazyFrame,
    *,
    horizon: int,
) -> pl.DataFrame:
    """RCCP: MPS x bill of resources, offset backwards, against key-resource capacity."""
    schedule = conform(mps, "mps", MPS_COLUMNS)
    require(pl.col("quantity") >= 0, schedule, "mps.quantity", "must not be negative")
    bor = conform(bill_of_resources, "bill_of_resources", BOR_COLUMNS)
    require(
        pl.col("hours_per_unit") >= 0,
        bor,
        "bill_of_resources.hours_per_unit",
        "must not be negative",
    )
    require(
        pl.col("offset_periods") >= 0,
        bor,
        "bill_of_resources.offset_periods",
        "must not be negative",
    )
    missing = schedule.join(bor, on="item", how="anti")
    if missing.height:
        raise PlanningError(
            f"item {missing.item(0, 'item')!r} has no bill of resources", field="mps.item"
        )
    loads = schedule.join(bor, on="item", how="inner").select(
        "work_center",
        (pl.col("period") - pl.col("offset_periods")).alias("period"),
        (pl.col("quantity") * pl.col("hours_per_unit")).alias("hours"),
    )
    cap = conform(capacity, "capacity", CAPACITY_COLUMNS)
    return _summarise(loads, cap, horizon)
