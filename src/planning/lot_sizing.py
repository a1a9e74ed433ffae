"""Lot sizing: turning net requirements into planned order quantities, rule by rule.

Every rule works on a matrix of net requirements (one row per item, one column per
period 1..T), vectorised across the rows that share a rule; only the scan over periods
is a Python loop (T steps), and Wagner-Whitin's dynamic programme is T steps over
(rows x T) arrays. The net requirements fed in are lot-for-lot nets: the quantity that
must arrive at the start of each period to keep the projected balance at or above safety
stock (``mrp.py`` computes them; the ``lot-size`` CLI kind takes them as input).

Rules (the names are the item master's ``lot_size_rule`` values):

``lot_for_lot``
    Order each period's net requirement.
``fixed_order_quantity``
    Lots of exactly ``lot_size_quantity`` (Q); when the uncovered requirement exceeds Q,
    several lots of Q are planned in that period (APICS; SAP's fixed lot size), each
    counted as an order (a setup).
``multiple``
    One order, the uncovered requirement rounded up to a multiple of ``lot_size_quantity``.
``minimum``
    One order of the uncovered requirement, raised to ``minimum_lot`` when smaller.
``period_order_quantity``
    An order covers the net requirements of ``periods_of_supply`` consecutive periods
    (calendar periods, from the first period with a requirement). When
    ``periods_of_supply`` is 0 it is EOQ / average demand per period, rounded, at least 1
    (Orlicky's POQ).
``eoq``
    One order of the economic order quantity, or of the uncovered requirement when that is
    larger. EOQ is ``lot_size_quantity`` when positive, else sqrt(2 D S / h) with D the
    average demand per period, S ``ordering_cost`` and h ``holding_cost`` per unit per
    period, rounded to the item's precision (half up).
``silver_meal``
    Extend the lot while the average cost per period covered does not rise
    (Silver and Meal 1973; stop at the first increase).
``least_unit_cost``
    Extend the lot while the cost per unit ordered does not rise.
``part_period_balancing``
    Extend the lot while the holding cost it carries (part-periods x h) stays at or below
    the setup cost; at the first period that pushes it above, keep that period in the lot
    only when this leaves the holding cost closer to the setup cost (Nahmias' form of
    DeMatteis' rule).
``wagner_whitin``
    The optimal plan (Wagner and Whitin 1958) by dynamic programming. Among plans of equal
    cost it takes, at each step, the latest possible order period (least inventory).

Costs: a setup costs ``ordering_cost`` per order; holding is charged at ``holding_cost``
per unit on each period's *ending* inventory. Costs are compared with a relative
tolerance of 1e-9, so exact ties behave as ties whatever float rounding does.

Quantities: order quantities are rounded up to the row's ``precision`` (see
``quantities.py``); the heuristics sum nets that are already rounded, so their lots are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from ledger.values import LotSizeRule
from planning.errors import PlanningError
from planning.frames import Column, conform, optional, require
from planning.quantities import FloatArray, ceil_to_precision, round_to_precision, snap

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

TOLERANCE = 1e-9
# A lot covering less than this many units is no lot (Wagner-Whitin's "no setup needed").
NOTHING = 1e-12


RULE_NAMES = [rule.value for rule in LotSizeRule]


@dataclass(frozen=True)
class LotSizeParameters:
    """Per-row parameters (each array has one entry per row of the net matrix)."""

    lot_size_quantity: FloatArray
    minimum_lot: FloatArray
    periods_of_supply: IntArray
    ordering_cost: FloatArray
    holding_cost: FloatArray
    precision: IntArray
    average_demand: FloatArray

    def take(self, rows: IntArray) -> LotSizeParameters:
        return LotSizeParameters(
            lot_size_quantity=self.lot_size_quantity[rows],
            minimum_lot=self.minimum_lot[rows],
            periods_of_supply=self.periods_of_supply[rows],
            ordering_cost=self.ordering_cost[rows],
            holding_cost=self.holding_cost[rows],
            precision=self.precision[rows],
            average_demand=self.average_demand[rows],
        )


@dataclass(frozen=True)
class Lots:
    """Planned receipts per period and how many separate orders make each one up."""

    quantity: FloatArray
    orders: IntArray


def _le(a: FloatArray, b: FloatArray) -> BoolArray:
    result: BoolArray = a <= b + TOLERANCE * np.maximum(1.0, np.abs(b))
    return result


def economic_order_quantity(p: LotSizeParameters) -> FloatArray:
    """The EOQ of each row: ``lot_size_quantity`` when given, else sqrt(2 D S / h)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        computed = np.sqrt(2.0 * p.average_demand * p.ordering_cost / p.holding_cost)
    computed = np.where(np.isfinite(computed), computed, 0.0)
    eoq = np.where(p.lot_size_quantity > 0, p.lot_size_quantity, computed)
    return round_to_precision(eoq, p.precision)


def periods_of_supply(p: LotSizeParameters) -> IntArray:
    """POQ interval: ``periods_of_supply`` when given, else round(EOQ / D), at least 1."""
    eoq = economic_order_quantity(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(p.average_demand > 0, eoq / p.average_demand, 1.0)
    derived = np.maximum(1, np.floor(ratio + 0.5)).astype(np.int64)
    result: IntArray = np.where(p.periods_of_supply > 0, p.periods_of_supply, derived)
    return result


def plan_lots(net: FloatArray, rule: LotSizeRule, p: LotSizeParameters) -> Lots:
    """Planned receipts for rows that all follow ``rule``; ``net`` is lot-for-lot nets."""
    rows, _ = net.shape
    if rows == 0:
        return Lots(np.zeros_like(net), np.zeros(net.shape, dtype=np.int64))
    match rule:
        case LotSizeRule.LOT_FOR_LOT:
            quantity = net.copy()
            return Lots(quantity, (quantity > 0).astype(np.int64))
        case (
            LotSizeRule.FIXED_ORDER_QUANTITY
            | LotSizeRule.MULTIPLE
            | LotSizeRule.MINIMUM
            | LotSizeRule.EOQ
        ):
            return _carry_excess(net, rule, p)
        case LotSizeRule.PERIOD_ORDER_QUANTITY:
            return _period_order_quantity(net, periods_of_supply(p))
        case LotSizeRule.SILVER_MEAL | LotSizeRule.LEAST_UNIT_COST:
            return _forward_heuristic(net, rule, p)
        case LotSizeRule.PART_PERIOD_BALANCING:
            return _forward_heuristic(net, rule, p)
        case LotSizeRule.WAGNER_WHITIN:
            return _wagner_whitin(net, p)


def _carry_excess(net: FloatArray, rule: LotSizeRule, p: LotSizeParameters) -> Lots:
    """Rules that size one period's uncovered requirement; the excess covers later nets."""
    rows, periods = net.shape
    quantity = np.zeros_like(net)
    orders = np.zeros(net.shape, dtype=np.int64)
    excess = np.zeros(rows)
    q = p.lot_size_quantity
    eoq = economic_order_quantity(p) if rule is LotSizeRule.EOQ else q
    for t in range(periods):
        uncovered = snap(np.maximum(net[:, t] - excess, 0.0))
        need = uncovered > 0
        match rule:
            case LotSizeRule.FIXED_ORDER_QUANTITY:
                with np.errstate(divide="ignore", invalid="ignore"):
                    lots = np.ceil(np.round(uncovered / q, 9))
                lots = np.where(need, lots, 0.0)
                size = snap(lots * q)
                count = lots.astype(np.int64)
            case LotSizeRule.MULTIPLE:
                with np.errstate(divide="ignore", invalid="ignore"):
                    multiples = np.ceil(np.round(uncovered / q, 9))
                size = np.where(need, snap(multiples * q), 0.0)
                count = need.astype(np.int64)
            case LotSizeRule.MINIMUM:
                size = np.where(
                    need, ceil_to_precision(np.maximum(uncovered, p.minimum_lot), p.precision), 0.0
                )
                count = need.astype(np.int64)
            case _:  # EOQ
                size = np.where(
                    need, ceil_to_precision(np.maximum(uncovered, eoq), p.precision), 0.0
                )
                count = need.astype(np.int64)
        quantity[:, t] = size
        orders[:, t] = count
        excess = snap(excess + size - net[:, t])
    return Lots(quantity, orders)


def _period_order_quantity(net: FloatArray, interval: IntArray) -> Lots:
    rows, periods = net.shape
    cumulative = np.concatenate([np.zeros((rows, 1)), np.cumsum(net, axis=1)], axis=1)
    quantity = np.zeros_like(net)
    covered_until = np.zeros(rows, dtype=np.int64)  # first period not yet covered (0-based)
    index = np.arange(rows)
    for t in range(periods):
        start = (net[:, t] > 0) & (t >= covered_until)
        end = np.minimum(t + interval, periods)
        lot = snap(cumulative[index, end] - cumulative[:, t])
        quantity[:, t] = np.where(start, lot, 0.0)
        covered_until = np.where(start, end, covered_until)
    return Lots(quantity, (quantity > 0).astype(np.int64))


def _forward_heuristic(net: FloatArray, rule: LotSizeRule, p: LotSizeParameters) -> Lots:
    """Silver-Meal, least unit cost and part-period balancing: grow a lot period by period."""
    rows, periods = net.shape
    setup, hold = p.ordering_cost, p.holding_cost
    quantity = np.zeros_like(net)
    start = np.full(rows, -1, dtype=np.int64)  # open lot's first period, -1 when none
    size = np.zeros(rows)  # units in the open lot
    part_periods = np.zeros(rows)  # sum of (k - start) * net_k over the open lot
    index = np.arange(rows)

    def close(mask: BoolArray) -> None:
        quantity[index[mask], start[mask]] = size[mask]

    for t in range(periods):
        demand = net[:, t]
        positive = demand > 0
        is_open = start >= 0
        opening = positive & ~is_open
        deciding = positive & is_open
        age = (t - start).astype(np.float64)
        grown_pp = part_periods + age * demand
        grown_size = size + demand
        if rule is LotSizeRule.SILVER_MEAL:
            # Average cost per period covered, through t-1 (age periods) and through t.
            before = (setup + hold * part_periods) / np.maximum(age, 1.0)
            after = (setup + hold * grown_pp) / (age + 1.0)
            extend = _le(after, before)
            include_and_close = np.zeros(rows, dtype=np.bool_)
        elif rule is LotSizeRule.LEAST_UNIT_COST:
            with np.errstate(divide="ignore", invalid="ignore"):
                before = (setup + hold * part_periods) / size
                after = (setup + hold * grown_pp) / grown_size
            extend = _le(after, before)
            include_and_close = np.zeros(rows, dtype=np.bool_)
        else:  # part-period balancing
            extend = _le(hold * grown_pp, setup)
            above = np.abs(hold * grown_pp - setup)
            below = np.abs(hold * part_periods - setup)
            include_and_close = ~extend & (above < below - TOLERANCE * np.maximum(1.0, below))
        grow = deciding & (extend | include_and_close)
        restart = deciding & ~grow
        # Lots that end before t are written out; t opens the next one.
        close(restart)
        part_periods = np.where(grow, grown_pp, part_periods)
        size = np.where(grow, grown_size, size)
        finishing = deciding & include_and_close
        close(finishing)
        start = np.where(finishing, -1, start)
        fresh = opening | restart
        start = np.where(fresh, t, start)
        size = np.where(fresh, demand, size)
        part_periods = np.where(fresh, 0.0, part_periods)
    close(start >= 0)
    quantity = snap(quantity)
    return Lots(quantity, (quantity > 0).astype(np.int64))


def _wagner_whitin(net: FloatArray, p: LotSizeParameters) -> Lots:
    """Optimal uncapacitated lot sizes: f(j) = min_i f(i-1) + setup(i..j) + holding(i..j)."""
    rows, periods = net.shape
    k = np.arange(1, periods + 1, dtype=np.float64)
    zeros = np.zeros((rows, 1))
    units = np.concatenate([zeros, np.cumsum(net, axis=1)], axis=1)  # N[j] = sum n_1..n_j
    weighted = np.concatenate([zeros, np.cumsum(net * k, axis=1)], axis=1)  # sum k n_k
    best = np.zeros((rows, periods + 1))
    choice = np.zeros((rows, periods + 1), dtype=np.int64)
    setup = p.ordering_cost[:, None]
    hold = p.holding_cost[:, None]
    for j in range(1, periods + 1):
        i = np.arange(1, j + 1)  # candidate order period for the last lot covering ..j
        covered = units[:, [j]] - units[:, i - 1]
        carried = (weighted[:, [j]] - weighted[:, i - 1]) - i * covered
        cost = best[:, i - 1] + np.where(covered > NOTHING, setup, 0.0) + hold * carried
        lowest = cost.min(axis=1, keepdims=True)
        ties = cost <= lowest + TOLERANCE * np.maximum(1.0, np.abs(lowest))
        latest = j - np.argmax(ties[:, ::-1], axis=1)  # latest i among (near-)ties
        best[:, j] = cost[np.arange(rows), latest - 1]
        choice[:, j] = latest
    quantity = np.zeros_like(net)
    last = np.full(rows, periods, dtype=np.int64)  # last period of the lot being traced
    index = np.arange(rows)
    while (active := last > 0).any():
        rows_active = index[active]
        first = choice[rows_active, last[active]]
        lot = units[rows_active, last[active]] - units[rows_active, first - 1]
        quantity[rows_active, first - 1] = lot
        last[active] = first - 1
    quantity = snap(quantity)
    return Lots(quantity, (quantity > 0).astype(np.int64))


# --- the lot-size model over frames (the `lot-size` CLI kind) -------------------------

REQUIREMENTS_COLUMNS = (
    Column("item", pl.String(), doc="item (or scenario) the series belongs to"),
    Column("period", pl.Int64(), doc="bucket 1..T"),
    Column("net_requirements", pl.Float64(), doc="units needed at the start of the period"),
)

PARAMETER_COLUMNS = (
    Column("item", pl.String(), doc="item (or scenario) key"),
    optional("lot_size_rule", pl.String(), "lot_for_lot", "one of the rule names above"),
    optional("lot_size_quantity", pl.Float64(), 0.0, "Q for fixed/multiple; explicit EOQ"),
    optional("minimum_lot", pl.Float64(), 0.0, "smallest lot for the minimum rule"),
    optional("periods_of_supply", pl.Int64(), 0, "POQ interval; 0 derives it from EOQ"),
    optional("ordering_cost", pl.Float64(), 0.0, "cost per order (setup), S"),
    optional("holding_cost", pl.Float64(), 0.0, "cost per unit per period on ending stock, h"),
    optional("precision", pl.Int64(), 0, "decimals the unit allows; lots round up to it"),
    optional("average_demand", pl.Float64(), 0.0, "D for EOQ/POQ; 0 uses the series mean"),
)


def check_parameters(params: pl.DataFrame, frame: str) -> None:
    """Refuse parameter rows the rules cannot use, naming the field."""
    require(
        pl.col("lot_size_rule").is_in(RULE_NAMES),
        params,
        f"{frame}.lot_size_rule",
        f"must be one of {', '.join(RULE_NAMES)}",
    )
    for column in (
        "lot_size_quantity",
        "minimum_lot",
        "ordering_cost",
        "holding_cost",
        "average_demand",
    ):
        require(pl.col(column) >= 0, params, f"{frame}.{column}", "must not be negative")
    require(
        pl.col("periods_of_supply") >= 0,
        params,
        f"{frame}.periods_of_supply",
        "must not be negative",
    )
    require(
        pl.col("precision").is_between(0, 6), params, f"{frame}.precision", "must be 0..6 decimals"
    )
    scale = pl.lit(10.0).pow(pl.col("precision"))
    for column in ("lot_size_quantity", "minimum_lot"):
        scaled = (pl.col(column) * scale).round(6)
        require(
            (scaled - scaled.round(0)).abs() < TOLERANCE,
            params,
            f"{frame}.{column}",
            "must be a whole number of the unit's smallest step (see precision)",
        )
    needs_q = pl.col("lot_size_rule").is_in(["fixed_order_quantity", "multiple"])
    require(
        ~needs_q | (pl.col("lot_size_quantity") > 0),
        params,
        f"{frame}.lot_size_quantity",
        "must be positive for the fixed_order_quantity and multiple rules",
    )
    needs_eoq = (pl.col("lot_size_rule") == "eoq") & (pl.col("lot_size_quantity") <= 0)
    require(
        ~needs_eoq | (pl.col("holding_cost") > 0),
        params,
        f"{frame}.holding_cost",
        "must be positive to compute an EOQ (or give lot_size_quantity)",
    )
    needs_poq = (
        (pl.col("lot_size_rule") == "period_order_quantity")
        & (pl.col("periods_of_supply") == 0)
        & (pl.col("lot_size_quantity") <= 0)
    )
    require(
        ~needs_poq | (pl.col("holding_cost") > 0),
        params,
        f"{frame}.holding_cost",
        "must be positive to derive periods_of_supply (or give periods_of_supply)",
    )


def parameters_from_frame(params: pl.DataFrame) -> LotSizeParameters:
    return LotSizeParameters(
        lot_size_quantity=params.get_column("lot_size_quantity").to_numpy().astype(np.float64),
        minimum_lot=params.get_column("minimum_lot").to_numpy().astype(np.float64),
        periods_of_supply=params.get_column("periods_of_supply").to_numpy().astype(np.int64),
        ordering_cost=params.get_column("ordering_cost").to_numpy().astype(np.float64),
        holding_cost=params.get_column("holding_cost").to_numpy().astype(np.float64),
        precision=params.get_column("precision").to_numpy().astype(np.int64),
        average_demand=params.get_column("average_demand").to_numpy().astype(np.float64),
    )


def plan_by_rule(net: FloatArray, rules: list[str], p: LotSizeParameters) -> Lots:
    """Dispatch each row to its rule, vectorised within each rule's group of rows."""
    quantity = np.zeros_like(net)
    orders = np.zeros(net.shape, dtype=np.int64)
    rule_array = np.asarray(rules)
    for name in np.unique(rule_array):
        rows = np.flatnonzero(rule_array == name)
        lots = plan_lots(net[rows], LotSizeRule(str(name)), p.take(rows))
        quantity[rows] = lots.quantity
        orders[rows] = lots.orders
    return Lots(quantity, orders)


@dataclass(frozen=True)
class LotSizePlan:
    schedule: (
        pl.DataFrame
    )  # item, period, net_requirements, planned_receipts, orders, ending_inventory
    summary: pl.DataFrame  # item, lot_size_rule, orders, setup_cost, holding_cost, total_cost


def lot_size(requirements: pl.DataFrame, parameters: pl.DataFrame) -> LotSizePlan:
    """Size lots for each item's net-requirement series with the item's rule, with costs.

    ``requirements``: item, period (1..T), net_requirements (>= 0); periods missing for an
    item count as zero. ``parameters``: one row per item, the columns of ``PARAMETER_COLUMNS``.
    Ending inventory starts at zero (the series is already net of stock on hand).
    """
    req = conform(requirements, "requirements", REQUIREMENTS_COLUMNS)
    params = conform(parameters, "parameters", PARAMETER_COLUMNS)
    require(pl.col("period") >= 1, req, "requirements.period", "must be 1 or more")
    require(
        pl.col("net_requirements") >= 0,
        req,
        "requirements.net_requirements",
        "must not be negative",
    )
    check_parameters(params, "parameters")
    if params.get_column("item").is_duplicated().any():
        raise PlanningError("each item must appear once", field="parameters.item")
    unknown = req.join(params, on="item", how="anti")
    if unknown.height:
        raise PlanningError(
            f"item {unknown.item(0, 'item')!r} has requirements but no parameters",
            field="requirements.item",
        )
    items = params.get_column("item").to_list()
    horizon = int(req.get_column("period").to_numpy().max()) if req.height else 0
    index = {item: row for row, item in enumerate(items)}
    net = np.zeros((len(items), horizon))
    if req.height:
        rows = np.array([index[i] for i in req.get_column("item").to_list()], dtype=np.int64)
        np.add.at(
            net,
            (rows, req.get_column("period").to_numpy() - 1),
            req.get_column("net_requirements").to_numpy(),
        )
    net = snap(net)
    p = parameters_from_frame(params)
    mean = net.mean(axis=1) if horizon else np.zeros(len(items))
    p = LotSizeParameters(
        lot_size_quantity=p.lot_size_quantity,
        minimum_lot=p.minimum_lot,
        periods_of_supply=p.periods_of_supply,
        ordering_cost=p.ordering_cost,
        holding_cost=p.holding_cost,
        precision=p.precision,
        average_demand=np.where(p.average_demand > 0, p.average_demand, mean),
    )
    lots = plan_by_rule(net, params.get_column("lot_size_rule").to_list(), p)
    ending = snap(np.cumsum(lots.quantity - net, axis=1))
    n_items = len(items)
    schedule = pl.DataFrame(
        {
            "item": np.repeat(np.asarray(items, dtype=object), horizon).tolist(),
            "period": np.tile(np.arange(1, horizon + 1), n_items),
            "net_requirements": net.ravel(),
            "planned_receipts": lots.quantity.ravel(),
            "orders": lots.orders.ravel(),
            "ending_inventory": ending.ravel(),
        },
        schema={
            "item": pl.String(),
            "period": pl.Int64(),
            "net_requirements": pl.Float64(),
            "planned_receipts": pl.Float64(),
            "orders": pl.Int64(),
            "ending_inventory": pl.Float64(),
        },
    )
    order_count = lots.orders.sum(axis=1)
    setup_cost = order_count * p.ordering_cost
    holding_cost = ending.sum(axis=1) * p.holding_cost
    summary = pl.DataFrame(
        {
            "item": items,
            "lot_size_rule": params.get_column("lot_size_rule").to_list(),
            "orders": order_count,
            "setup_cost": setup_cost,
            "holding_cost": holding_cost,
            "total_cost": setup_cost + holding_cost,
        },
        schema={
            "item": pl.String(),
            "lot_size_rule": pl.String(),
            "orders": pl.Int64(),
            "setup_cost": pl.Float64(),
            "holding_cost": pl.Float64(),
            "total_cost": pl.Float64(),
        },
    )
    return LotSizePlan(schedule=schedule, summary=summary)
