"""Time-phased, multi-level MRP: gross-to-net, lot sizing, offsetting and explosion.

``run_mrp(items, bom, demand, scheduled_receipts, horizon=T)`` plans every item level by
level in low-level-code order (an item is planned only after all its parents), and
within a level all items at once, as (items x periods) numpy arrays fed from and returned
as polars frames. The logic, in the planner's terms:

* Buckets are integer periods 1..T (``horizon``). ``on_hand`` (less ``allocated``) is the
  balance at the start of period 1. Scheduled receipts and planned receipts arrive at the
  start of their period. Demand or receipts dated before period 1 are past due and count
  in period 1; those dated after T are outside this plan and ignored.
* Gross-to-net: projected available balance
  ``PAB[t] = PAB[t-1] + scheduled_receipts[t] + planned_order_receipts[t] - gross_requirements[t]``.
  Safety stock is netted: a net requirement arises when the balance would end a period
  below ``safety_stock``, for the amount that brings it back to safety stock
  (``net_requirements[t] = max(0, safety_stock - (PAB[t-1] + SR[t] - GR[t]))``, with the
  planned receipts of earlier periods already in ``PAB[t-1]``).
* Lot sizing per the item's ``lot_size_rule`` (see ``lot_sizing.py``); quantities round up
  to the item's ``precision`` (see ``quantities.py``).
* Offsetting: a planned receipt in period t is released in ``t - lead_time``. A release
  before period 1 keeps its real (zero or negative) period in ``planned_orders``, raises a
  ``past_due_release`` exception, and its components' requirements land in period 1.
* Explosion: a release of q in period t is a gross requirement of ``q x quantity_per`` for
  each component in period t (per planned order, rounded to the 1e-6 grid).
* Scheduled receipts are never moved; each is compared with the period it is needed in
  (on hand, then scheduled receipts in due order, consumed by gross requirements plus
  safety stock) and flagged ``reschedule_in``, ``reschedule_out`` or ``cancel``.

Input frames (extra columns are ignored, so read-model frames can be passed as they are):

``items`` (one row per item)
    item (String); lead_time (Int64 periods, default 0); on_hand (Float64, 0);
    allocated (Float64, 0: on hand already promised to released orders); safety_stock
    (Float64, 0); lot_size_rule (String, lot_for_lot); lot_size_quantity (Float64, 0);
    minimum_lot (Float64, 0); periods_of_supply (Int64, 0); ordering_cost (Float64, 0);
    holding_cost (Float64, 0, per unit per period); precision (Int64, 0);
    average_demand (Float64, 0 = mean gross requirement per period over the horizon).
``bom`` (single-level bill: one row per parent-component pair)
    parent (String); component (String); quantity_per (Float64 > 0). Rows repeating a
    pair are added up.
``demand`` (independent demand: sales orders, forecasts, service parts)
    item (String); period (Int64); quantity (Float64 >= 0); source (String, default
    "demand": the order or forecast reference, carried into pegging).
``scheduled_receipts`` (open purchase and production orders)
    item (String); period (Int64, due period); quantity (Float64 >= 0); order (String,
    default ``item@period``).

Output: ``MrpPlan`` with the frames ``records`` (item x period: gross_requirements,
scheduled_receipts, projected_available, net_requirements, planned_order_receipts,
planned_order_releases), ``planned_orders``, ``pegging``, ``exceptions`` and ``items``
(low-level code and the setup/holding cost of the plan per item).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import polars as pl

from planning.errors import PlanningError
from planning.exception_messages import past_due_exceptions, scheduled_receipt_exceptions
from planning.frames import Column, conform, optional, require
from planning.lot_sizing import (
    PARAMETER_COLUMNS,
    LotSizeParameters,
    check_parameters,
    parameters_from_frame,
    plan_by_rule,
)
from planning.low_level_codes import low_level_codes
from planning.pegging import peg_requirements
from planning.quantities import FloatArray, ceil_to_precision, snap

IntArray = npt.NDArray[np.int64]

ITEM_COLUMNS = (
    Column("item", pl.String(), doc="item (SKU) key"),
    optional("lead_time", pl.Int64(), 0, "planned lead time in periods"),
    optional("on_hand", pl.Float64(), 0.0, "balance at the start of period 1"),
    optional("allocated", pl.Float64(), 0.0, "on hand already promised to released orders"),
    optional("safety_stock", pl.Float64(), 0.0, "balance the plan keeps at period ends"),
    *PARAMETER_COLUMNS[1:],
)
BOM_COLUMNS = (
    Column("parent", pl.String(), doc="item made from the component"),
    Column("component", pl.String(), doc="item consumed"),
    Column("quantity_per", pl.Float64(), doc="units of component per unit of parent"),
)
DEMAND_COLUMNS = (
    Column("item", pl.String(), doc="item demanded"),
    Column("period", pl.Int64(), doc="period the quantity is required in"),
    Column("quantity", pl.Float64(), doc="units required"),
    optional("source", pl.String(), "demand", "order or forecast reference"),
)
RECEIPT_COLUMNS = (
    Column("item", pl.String(), doc="item to be received"),
    Column("period", pl.Int64(), doc="due period"),
    Column("quantity", pl.Float64(), doc="open quantity"),
    optional("order", pl.String(), None, "order reference; default item@period"),
)


@dataclass(frozen=True)
class MrpPlan:
    records: pl.DataFrame
    planned_orders: pl.DataFrame
    pegging: pl.DataFrame
    exceptions: pl.DataFrame
    items: pl.DataFrame


@dataclass(frozen=True)
class _Inputs:
    items: pl.DataFrame
    bom: pl.DataFrame
    demand: pl.DataFrame
    receipts: pl.DataFrame


def _prepare(
    items: pl.DataFrame | pl.LazyFrame,
    bom: pl.DataFrame | pl.LazyFrame,
    demand: pl.DataFrame | pl.LazyFrame,
    scheduled_receipts: pl.DataFrame | pl.LazyFrame,
    horizon: int,
) -> _Inputs:
    if horizon < 1:
        raise PlanningError("must be at least 1 period", field="horizon")
    it = conform(items, "items", ITEM_COLUMNS)
    if it.get_column("item").is_duplicated().any():
        dup = it.filter(pl.col("item").is_duplicated()).item(0, "item")
        raise PlanningError(f"item {dup!r} appears more than once", field="items.item")
    for column in ("on_hand", "allocated", "safety_stock"):
        require(pl.col(column) >= 0, it, f"items.{column}", "must not be negative")
    require(pl.col("lead_time") >= 0, it, "items.lead_time", "must not be negative")
    check_parameters(it, "items")
    b = conform(bom, "bom", BOM_COLUMNS)
    require(pl.col("quantity_per") > 0, b, "bom.quantity_per", "must be positive")
    require(
        pl.col("parent") != pl.col("component"),
        b,
        "bom.component",
        "an item cannot be its own component",
    )
    b = b.group_by("parent", "component", maintain_order=True).agg(pl.col("quantity_per").sum())
    d = conform(demand, "demand", DEMAND_COLUMNS)
    require(pl.col("quantity") >= 0, d, "demand.quantity", "must not be negative")
    r = conform(scheduled_receipts, "scheduled_receipts", RECEIPT_COLUMNS)
    require(pl.col("quantity") >= 0, r, "scheduled_receipts.quantity", "must not be negative")
    r = r.with_columns(
        pl.col("order").fill_null(pl.col("item") + "@" + pl.col("period").cast(pl.String()))
    )
    known = it.select("item")
    for frame, name, column in (
        (b, "bom", "parent"),
        (b, "bom", "component"),
        (d, "demand", "item"),
        (r, "scheduled_receipts", "item"),
    ):
        unknown = frame.select(pl.col(column).alias("item")).join(known, on="item", how="anti")
        if unknown.height:
            raise PlanningError(
                f"unknown item {unknown.item(0, 'item')!r} (not in items)", field=f"{name}.{column}"
            )
    return _Inputs(items=it, bom=b, demand=d, receipts=r)


def _rows(keys: pl.Series, index: pl.DataFrame) -> IntArray:
    """Row numbers of ``keys`` in the item index (every key is known: checked before)."""
    joined = pl.DataFrame({"item": keys}).join(index, on="item", how="left", maintain_order="left")
    return joined.get_column("row").to_numpy().astype(np.int64)


def _bucket(
    frame: pl.DataFrame, index: pl.DataFrame, n: int, horizon: int
) -> tuple[FloatArray, pl.DataFrame]:
    """Dense (items x periods) matrix of a dated frame; past due lands in period 1."""
    inside = frame.filter(pl.col("period") <= horizon)
    matrix = np.zeros((n, horizon))
    if inside.height:
        rows = _rows(inside.get_column("item"), index)
        cols = np.clip(inside.get_column("period").to_numpy(), 1, horizon) - 1
        np.add.at(matrix, (rows, cols), inside.get_column("quantity").to_numpy())
    return snap(matrix), inside


@dataclass
class _Matrices:
    """The plan as (items x periods) arrays, row i being item i of the items frame."""

    names: pl.Series
    llc: IntArray
    lead: IntArray
    available: FloatArray
    safety: FloatArray
    params: LotSizeParameters
    rules: npt.NDArray[np.str_]
    gross: FloatArray
    scheduled: FloatArray
    receipts: FloatArray
    orders: IntArray


def _matrices(inputs: _Inputs, index: pl.DataFrame, horizon: int) -> tuple[_Matrices, pl.DataFrame]:
    it = inputs.items
    n = it.height
    gross, demand_in = _bucket(inputs.demand, index, n, horizon)
    scheduled, _ = _bucket(inputs.receipts, index, n, horizon)
    codes = low_level_codes(it, inputs.bom)
    matrices = _Matrices(
        names=it.get_column("item"),
        llc=codes.get_column("low_level_code").to_numpy().astype(np.int64),
        lead=it.get_column("lead_time").to_numpy().astype(np.int64),
        available=snap(it.get_column("on_hand").to_numpy() - it.get_column("allocated").to_numpy()),
        safety=it.get_column("safety_stock").to_numpy().astype(np.float64),
        params=parameters_from_frame(it),
        rules=np.asarray(it.get_column("lot_size_rule").to_list()),
        gross=gross,
        scheduled=scheduled,
        receipts=np.zeros((n, horizon)),
        orders=np.zeros((n, horizon), dtype=np.int64),
    )
    return matrices, demand_in


def _plan_levels(m: _Matrices, bom: pl.DataFrame, index: pl.DataFrame) -> None:
    """Gross-to-net, lot sizing and explosion, one low-level code at a time."""
    parents = _rows(bom.get_column("parent"), index)
    components = _rows(bom.get_column("component"), index)
    per = bom.get_column("quantity_per").to_numpy().astype(np.float64)
    edge_level = m.llc[parents] if bom.height else np.zeros(0, dtype=np.int64)
    p = m.params
    for level in range(int(m.llc.max()) + 1 if m.llc.size else 0):
        rows = np.flatnonzero(m.llc == level)
        g = snap(m.gross[rows])
        m.gross[rows] = g
        # Lot-for-lot nets: cumulative shortfall below safety stock, rounded up to the unit.
        balance = snap(m.available[rows, None] + np.cumsum(m.scheduled[rows] - g, axis=1))
        shortfall = np.maximum(snap(m.safety[rows, None] - balance), 0.0)
        covered = ceil_to_precision(
            np.maximum.accumulate(shortfall, axis=1), p.precision[rows, None]
        )
        nets = snap(np.diff(covered, axis=1, prepend=0.0))
        average = np.where(p.average_demand[rows] > 0, p.average_demand[rows], g.mean(axis=1))
        level_params = replace(p.take(rows), average_demand=average)
        lots = plan_by_rule(nets, m.rules[rows].tolist(), level_params)
        m.receipts[rows] = lots.quantity
        m.orders[rows] = lots.orders
        edges = np.flatnonzero(edge_level == level)
        if edges.size:
            _explode(m, parents=parents[edges], components=components[edges], per=per[edges])


def run_mrp(
    items: pl.DataFrame | pl.LazyFrame,
    bom: pl.DataFrame | pl.LazyFrame,
    demand: pl.DataFrame | pl.LazyFrame,
    scheduled_receipts: pl.DataFrame | pl.LazyFrame,
    *,
    horizon: int,
    reschedule_tolerance: int = 0,
) -> MrpPlan:
    """Plan every item over periods 1..``horizon``; see the module docstring."""
    inputs = _prepare(items, bom, demand, scheduled_receipts, horizon)
    index = (
        inputs.items.select("item").with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
    )
    m, demand_in = _matrices(inputs, index, horizon)
    _plan_levels(m, inputs.bom, index)
    projected = snap(m.available[:, None] + np.cumsum(m.scheduled + m.receipts - m.gross, axis=1))
    planned = _planned_orders(m)
    requirement = snap(m.safety[:, None] + np.cumsum(m.gross, axis=1))
    exceptions = pl.concat(
        [
            past_due_exceptions(planned),
            scheduled_receipt_exceptions(
                inputs.receipts, index, requirement, m.available, tolerance=reschedule_tolerance
            ),
        ],
        how="vertical",
    )
    return MrpPlan(
        records=_records(m, projected),
        planned_orders=planned,
        pegging=peg_requirements(planned, inputs.bom, demand_in, horizon=horizon),
        exceptions=exceptions,
        items=_summary(m, projected),
    )


def _records(m: _Matrices, projected: FloatArray) -> pl.DataFrame:
    n, periods = m.gross.shape
    net_requirements = np.maximum(snap(m.safety[:, None] - (projected - m.receipts)), 0.0)
    releases = np.zeros((n, periods))
    cols = np.arange(periods)[None, :] + m.lead[:, None]
    valid = cols < periods
    releases[valid] = m.receipts[np.nonzero(valid)[0], cols[valid]]
    return pl.DataFrame(
        {
            "item": m.names.gather(np.repeat(np.arange(n), periods)),
            "period": np.tile(np.arange(1, periods + 1, dtype=np.int64), n),
            "gross_requirements": m.gross.ravel(),
            "scheduled_receipts": m.scheduled.ravel(),
            "projected_available": projected.ravel(),
            "net_requirements": net_requirements.ravel(),
            "planned_order_receipts": m.receipts.ravel(),
            "planned_order_releases": releases.ravel(),
        }
    )


def _summary(m: _Matrices, projected: FloatArray) -> pl.DataFrame:
    count = m.orders.sum(axis=1)
    setup_cost = count * m.params.ordering_cost
    holding_cost = projected.sum(axis=1) * m.params.holding_cost
    return pl.DataFrame(
        {
            "item": m.names,
            "low_level_code": m.llc,
            "lead_time": m.lead,
            "lot_size_rule": m.rules.tolist(),
            "planned_orders": count.astype(np.int64),
            "setup_cost": setup_cost,
            "holding_cost": holding_cost,
            "total_cost": setup_cost + holding_cost,
            "ending_balance": projected[:, -1],
        }
    )


def _explode(m: _Matrices, *, parents: IntArray, components: IntArray, per: FloatArray) -> None:
    """Add the dependent requirements of the parents' planned releases to ``m.gross``."""
    periods = m.gross.shape[1]
    count = m.orders[parents]
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.where(count > 0, snap(m.receipts[parents] / np.maximum(count, 1)), 0.0)
    dependent = snap(unit * per[:, None]) * count  # per planned order, by receipt period
    # A receipt in column t is released in t - lead; releases before period 1 fold into it.
    cumulative = np.cumsum(dependent, axis=1)
    shifted = np.minimum(np.arange(periods)[None, :] + m.lead[parents][:, None], periods - 1)
    by_release = snap(np.diff(np.take_along_axis(cumulative, shifted, axis=1), axis=1, prepend=0.0))
    order = np.argsort(components, kind="stable")
    ordered = components[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    sums = np.add.reduceat(by_release[order], starts, axis=0)
    targets = ordered[starts]
    m.gross[targets] = snap(m.gross[targets] + sums)


def _planned_orders(m: _Matrices) -> pl.DataFrame:
    """One row per planned order (a fixed-order-quantity period with k lots gives k rows)."""
    rows, cols = np.nonzero(m.orders)
    count = m.orders[rows, cols]
    unit = snap(m.receipts[rows, cols] / count)
    repeat = np.repeat(np.arange(rows.size), count)
    rows, cols, unit = rows[repeat], cols[repeat], unit[repeat]
    receipt_period = cols + 1
    release_period = receipt_period - m.lead[rows]
    return pl.DataFrame(
        {
            "item": m.names.gather(rows),
            "low_level_code": m.llc[rows].astype(np.int64),
            "release_period": release_period.astype(np.int64),
            "receipt_period": receipt_period.astype(np.int64),
            "quantity": unit,
            "past_due": release_period < 1,
        },
        schema={
            "item": pl.String(),
            "low_level_code": pl.Int64(),
            "release_period": pl.Int64(),
            "receipt_period": pl.Int64(),
            "quantity": pl.Float64(),
            "past_due": pl.Boolean(),
        },
    )
