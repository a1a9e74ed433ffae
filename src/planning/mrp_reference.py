"""The naive MRP: plain Python loops over exact fractions, one item at a time.

This is the oracle the vectorised ``mrp.run_mrp`` is checked against (property tests) and
timed beside (``./scripts/bench planning``). It follows the textbook procedure literally:
items in low-level-code order; for each, the period-by-period gross-to-net record, the
lot-sizing rule applied as the books state it (fixed, multiple, minimum and EOQ lots
sized period by period from the running balance; POQ and the heuristics over the
lot-for-lot net requirement series), offsetting and explosion of every planned order.
It shares no code with the vectorised planner beyond the rounding *conventions* of
``quantities.py``, re-implemented here on ``Fraction``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

GRID = Fraction(1, 10**6)


def exact(value: float | str) -> Fraction:
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def snap(x: Fraction) -> Fraction:
    return Fraction(round(x, 6))


def ceil_to(x: Fraction, precision: int) -> Fraction:
    scale = 10**precision
    return Fraction(math.ceil(snap(x) * scale), scale)


def round_to(x: Fraction, precision: int) -> Fraction:
    scale = 10**precision
    return Fraction(math.floor(snap(x) * scale + Fraction(1, 2)), scale)


@dataclass
class Record:
    gross_requirements: Fraction = Fraction(0)
    scheduled_receipts: Fraction = Fraction(0)
    projected_available: Fraction = Fraction(0)
    net_requirements: Fraction = Fraction(0)
    planned_order_receipts: Fraction = Fraction(0)
    planned_order_releases: Fraction = Fraction(0)


@dataclass
class ReferencePlan:
    low_level_codes: dict[str, int]
    records: dict[tuple[str, int], Record]
    planned_orders: list[tuple[str, int, int, Fraction]] = field(default_factory=list)


def low_level_codes(items: list[str], bom: list[dict[str, Any]]) -> dict[str, int]:
    code = dict.fromkeys(items, 0)
    changed = True
    while changed:
        changed = False
        for edge in bom:
            deeper = code[edge["parent"]] + 1
            if deeper > code[edge["component"]]:
                code[edge["component"]] = deeper
                changed = True
                if deeper > len(items):
                    raise ValueError("cycle")
    return code


def _dated(rows: list[dict[str, Any]], names: list[str], horizon: int) -> dict[str, list[Fraction]]:
    """Quantities per item and period 1..T (index 0 unused); past due counts in period 1."""
    table = {n: [Fraction(0)] * (horizon + 1) for n in names}
    for row in rows:
        if row["period"] <= horizon:
            table[row["item"]][max(row["period"], 1)] += exact(row["quantity"])
    return table


def reference_mrp(
    items: list[dict[str, Any]],
    bom: list[dict[str, Any]],
    demand: list[dict[str, Any]],
    receipts: list[dict[str, Any]],
    horizon: int,
) -> ReferencePlan:
    names = [row["item"] for row in items]
    codes = low_level_codes(names, bom)
    gross = _dated(demand, names, horizon)
    sched = _dated(receipts, names, horizon)
    per: dict[tuple[str, str], Fraction] = defaultdict(Fraction)
    for edge in bom:
        per[edge["parent"], edge["component"]] += exact(edge["quantity_per"])
    plan = ReferencePlan(low_level_codes=codes, records={})
    for row in sorted(items, key=lambda r: codes[r["item"]]):
        name = row["item"]
        g = [snap(x) for x in gross[name]]
        receipts_by_period, order_sizes = plan_item(row, g, sched[name], horizon)
        _record(plan, row=row, g=g, sched=sched[name], receipts=receipts_by_period, horizon=horizon)
        lead = int(row.get("lead_time", 0))
        for t in range(1, horizon + 1):
            for size in order_sizes[t]:
                plan.planned_orders.append((name, t - lead, t, size))
                for (parent, component), quantity_per in per.items():
                    if parent == name:
                        gross[component][max(t - lead, 1)] += snap(size * quantity_per)
    return plan


def _record(
    plan: ReferencePlan,
    *,
    row: dict[str, Any],
    g: list[Fraction],
    sched: list[Fraction],
    receipts: list[Fraction],
    horizon: int,
) -> None:
    name, lead = row["item"], int(row.get("lead_time", 0))
    balance = exact(row.get("on_hand", 0.0)) - exact(row.get("allocated", 0.0))
    safety = exact(row.get("safety_stock", 0.0))
    for t in range(1, horizon + 1):
        before = balance + sched[t] - g[t]
        balance = snap(before + receipts[t])
        plan.records[name, t] = Record(
            gross_requirements=g[t],
            scheduled_receipts=sched[t],
            projected_available=balance,
            net_requirements=max(Fraction(0), snap(safety - before)),
            planned_order_receipts=receipts[t],
            planned_order_releases=receipts[t + lead] if t + lead <= horizon else Fraction(0),
        )


def _eoq(row: dict[str, Any], average: float) -> Fraction:
    precision = int(row.get("precision", 0))
    q = exact(row.get("lot_size_quantity", 0.0))
    hold = float(row.get("holding_cost", 0.0))
    if q > 0:
        return round_to(q, precision)
    if hold > 0:
        return round_to(
            exact(math.sqrt(2 * average * float(row.get("ordering_cost", 0.0)) / hold)), precision
        )
    return Fraction(0)


def _sizes(row: dict[str, Any], net: Fraction, eoq: Fraction) -> list[Fraction]:
    """The orders placed for a net requirement by the period-by-period rules."""
    precision = int(row.get("precision", 0))
    q = exact(row.get("lot_size_quantity", 0.0))
    match row.get("lot_size_rule", "lot_for_lot"):
        case "fixed_order_quantity":
            return [q] * math.ceil(net / q)
        case "multiple":
            return [snap(math.ceil(net / q) * q)]
        case "minimum":
            return [ceil_to(max(net, exact(row.get("minimum_lot", 0.0))), precision)]
        case "eoq":
            return [ceil_to(max(net, eoq), precision)]
        case _:
            return [ceil_to(net, precision)]


PERIOD_BY_PERIOD = {"lot_for_lot", "fixed_order_quantity", "multiple", "minimum", "eoq"}


def plan_item(
    row: dict[str, Any], g: list[Fraction], sched: list[Fraction], horizon: int
) -> tuple[list[Fraction], list[list[Fraction]]]:
    """Planned receipts per period (index 1..T) and the order sizes that make them up."""
    rule = row.get("lot_size_rule", "lot_for_lot")
    precision = int(row.get("precision", 0))
    safety = exact(row.get("safety_stock", 0.0))
    average = float(row.get("average_demand", 0.0)) or float(sum(g[1:]) / horizon)
    eoq = _eoq(row, average)
    receipts = [Fraction(0)] * (horizon + 1)
    sizes: list[list[Fraction]] = [[] for _ in range(horizon + 1)]
    lfl = [Fraction(0)] * (horizon + 1)
    balance = exact(row.get("on_hand", 0.0)) - exact(row.get("allocated", 0.0))
    for t in range(1, horizon + 1):
        before = snap(balance + sched[t] - g[t])
        if before < safety:
            net = snap(safety - before)
            sizes[t] = _sizes(row, net, eoq)
            lfl[t] = ceil_to(net, precision)
        receipts[t] = snap(sum(sizes[t], Fraction(0)))
        balance = snap(before + receipts[t])
    if rule in PERIOD_BY_PERIOD:
        return receipts, sizes
    nets = lfl[1:]
    if rule == "period_order_quantity":
        interval = int(row.get("periods_of_supply", 0))
        if interval <= 0:
            ratio = float(eoq) / average if average > 0 else 1.0
            interval = max(1, math.floor(ratio + 0.5))
        lots = poq(nets, interval)
    elif rule == "wagner_whitin":
        lots = wagner_whitin(
            nets, exact(row.get("ordering_cost", 0.0)), exact(row.get("holding_cost", 0.0))
        )
    else:
        lots = forward(
            nets, rule, exact(row.get("ordering_cost", 0.0)), exact(row.get("holding_cost", 0.0))
        )
    windowed = [Fraction(0), *lots]
    return windowed, [[x] if x > 0 else [] for x in windowed]


def poq(nets: list[Fraction], interval: int) -> list[Fraction]:
    lots = [Fraction(0)] * len(nets)
    t = 0
    while t < len(nets):
        if nets[t] > 0:
            lots[t] = sum(nets[t : t + interval], Fraction(0))
            t += interval
        else:
            t += 1
    return lots


def forward(nets: list[Fraction], rule: str, setup: Fraction, hold: Fraction) -> list[Fraction]:
    """Silver-Meal, least unit cost, part-period balancing, as the textbooks state them."""
    lots = [Fraction(0)] * len(nets)
    t = 0
    while t < len(nets):
        if nets[t] == 0:
            t += 1
            continue
        end = t  # last period in the lot
        part_periods = Fraction(0)
        size = nets[t]
        stop_after: int | None = None
        for j in range(t + 1, len(nets)):
            grown = part_periods + (j - t) * nets[j]
            if rule == "silver_meal":
                keep = (setup + hold * grown) / (j - t + 1) <= (setup + hold * part_periods) / (
                    j - t
                )
            elif rule == "least_unit_cost":
                keep = (setup + hold * grown) / (size + nets[j]) <= (
                    setup + hold * part_periods
                ) / size
            else:
                keep = hold * grown <= setup
                if not keep and abs(hold * grown - setup) < abs(hold * part_periods - setup):
                    stop_after = j
            if not keep and stop_after is None:
                break
            part_periods, size, end = grown, size + nets[j], j
            if stop_after is not None:
                break
        lots[t] = size
        t = end + 1
    return lots


def wagner_whitin(nets: list[Fraction], setup: Fraction, hold: Fraction) -> list[Fraction]:
    periods = len(nets)
    best = [Fraction(0)] * (periods + 1)
    choice = [0] * (periods + 1)
    for j in range(1, periods + 1):
        candidates = []
        covered = carried = Fraction(0)  # units of periods i..j, and their part-periods
        for i in range(j, 0, -1):
            carried += covered
            covered += nets[i - 1]
            cost = best[i - 1] + (setup if covered > 0 else 0) + hold * carried
            candidates.append((cost, i))
        lowest = min(c for c, _ in candidates)
        choice[j] = max(i for c, i in candidates if c == lowest)
        best[j] = lowest
    lots = [Fraction(0)] * periods
    j = periods
    while j > 0:
        i = choice[j]
        lots[i - 1] = sum(nets[i - 1 : j], Fraction(0))
        j = i - 1
    return lots
