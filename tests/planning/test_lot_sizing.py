"""Lot-sizing rules against the textbooks' worked examples, brute force and each other."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planning.errors import PlanningError
from planning.lot_sizing import RULE_NAMES, lot_size
from tests.support.planning import PLANNING


def plan(
    requirements: list[float],
    ordering_cost: float,
    holding_cost: float,
    rules: dict[str, dict[str, float]],
) -> pl.DataFrame:
    """Summary per rule (keyed by rule label) with the planned receipts attached."""
    labels = list(rules)
    periods = len(requirements)
    req = pl.DataFrame(
        {
            "item": [label for label in labels for _ in range(periods)],
            "period": [t + 1 for _ in labels for t in range(periods)],
            "net_requirements": [float(q) for _ in labels for q in requirements],
        }
    )
    params = pl.DataFrame(
        [
            {
                "item": label,
                "lot_size_rule": extra.get("rule", label),
                "ordering_cost": ordering_cost,
                "holding_cost": holding_cost,
                **{k: v for k, v in extra.items() if k != "rule"},
            }
            for label, extra in rules.items()
        ]
    )
    result = lot_size(req, params)
    lots = result.schedule.group_by("item", maintain_order=True).agg(pl.col("planned_receipts"))
    return result.summary.join(lots, on="item")


def row(summary: pl.DataFrame, label: str) -> dict[str, object]:
    return summary.filter(pl.col("item") == label).row(0, named=True)


NAHMIAS = [18.0, 30, 42, 5, 20]


def test_nahmias_valve_example() -> None:
    """Nahmias, Production and Operations Analysis, ch. 7 (push and pull production control
    systems), section 7.3 lot-sizing examples: r = (18, 30, 42, 5, 20), K = $80, h = $2 per
    unit per week. Silver-Meal: y = (48, 0, 47, 0, 20), cost $310. Least unit cost:
    y = (48, 0, 42, 25, 0), cost $340. Part-period balancing: y = (48, 0, 67, 0, 0), cost
    $310. The optimum (Wagner-Whitin) is $310 too."""
    summary = plan(
        NAHMIAS,
        80,
        2,
        {
            r: {}
            for r in ("silver_meal", "least_unit_cost", "part_period_balancing", "wagner_whitin")
        },
    )
    sm = row(summary, "silver_meal")
    assert sm["planned_receipts"] == [48, 0, 47, 0, 20]
    assert sm["total_cost"] == pytest.approx(310)
    luc = row(summary, "least_unit_cost")
    assert luc["planned_receipts"] == [48, 0, 42, 25, 0]
    assert luc["total_cost"] == pytest.approx(340)
    ppb = row(summary, "part_period_balancing")
    assert ppb["planned_receipts"] == [48, 0, 67, 0, 0]
    assert (ppb["setup_cost"], ppb["holding_cost"]) == (160, 150)
    assert row(summary, "wagner_whitin")["total_cost"] == pytest.approx(310)


HEIZER = [0.0, 30, 40, 0, 10, 40, 30, 0, 30, 55]


def test_heizer_render_lot_sizing_examples() -> None:
    """Heizer and Render, Operations Management, ch. 14 (MRP), lot-sizing examples: gross
    requirements 35, 30, 40, 0, 10, 40, 30, 0, 30, 55 with 35 on hand (so the net
    requirements below), setup $100, holding $1 per unit per week. Lot-for-lot: $700.
    EOQ: 73 units (from the average weekly gross requirement of 27), 4 orders, $400 setup
    and $375 holding, $775. Part-period balancing (EPP 100): lots of 80 (week 2), 100
    (week 6), 55 (week 10), $300 + $190 = $490."""
    summary = plan(
        HEIZER,
        100,
        1,
        {"lot_for_lot": {}, "eoq": {"average_demand": 27.0}, "part_period_balancing": {}},
    )
    assert row(summary, "lot_for_lot")["total_cost"] == pytest.approx(700)
    eoq = row(summary, "eoq")
    assert eoq["planned_receipts"] == [0, 73, 0, 0, 73, 0, 73, 0, 0, 73]
    assert (eoq["setup_cost"], eoq["holding_cost"], eoq["total_cost"]) == (400, 375, 775)
    ppb = row(summary, "part_period_balancing")
    assert ppb["planned_receipts"] == [0, 80, 0, 0, 0, 100, 0, 0, 0, 55]
    assert ppb["total_cost"] == pytest.approx(490)


SILVER = [10.0, 62, 12, 130, 154, 129, 88, 52, 124, 160, 238, 41]


def test_silver_pyke_peterson_time_varying_example() -> None:
    """Silver, Pyke and Peterson, Inventory Management and Production Planning and
    Scheduling, 3rd ed., ch. 6 (lot sizing with time-varying demand), numerical example
    (Silver, Pyke and Thomas, 4th ed., ch. 5): monthly demand 10, 62, 12, 130, 154, 129, 88,
    52, 124, 160, 238, 41; A = $54, v = $20/box, r = 0.02 $/$/month, so h = $0.40 per box per
    month. Wagner-Whitin and Silver-Meal both cost $501.20 here."""
    summary = plan(SILVER, 54, 0.4, {"wagner_whitin": {}, "silver_meal": {}})
    assert row(summary, "wagner_whitin")["total_cost"] == pytest.approx(501.2)
    assert row(summary, "silver_meal")["total_cost"] == pytest.approx(501.2)
    assert row(summary, "silver_meal")["planned_receipts"] == [
        84,
        0,
        0,
        130,
        283,
        0,
        140,
        0,
        124,
        160,
        279,
        0,
    ]


def brute_force_cost(requirements: list[float], setup: float, hold: float) -> float:
    """Cheapest plan by enumerating every set of order periods (orders cover up to the next)."""
    n = len(requirements)
    best = float("inf")
    positive = [t for t, r in enumerate(requirements) if r > 0]
    if not positive:
        return 0.0
    first = positive[0]
    for mask in itertools.product([False, True], repeat=n):
        if not mask[first] or any(mask[t] for t in range(first)):
            continue
        cost, stock = 0.0, 0.0
        starts = [t for t in range(n) if mask[t]]
        for index, t in enumerate(starts):
            end = starts[index + 1] if index + 1 < len(starts) else n
            lot = sum(requirements[t:end])
            if lot > 0:
                cost += setup
            stock = lot
            for k in range(t, end):
                stock -= requirements[k]
                cost += hold * stock
        best = min(best, cost)
    return best


SERIES = st.lists(st.integers(0, 60).map(float), min_size=1, max_size=9)
COSTS = st.sampled_from([0.0, 10.0, 50.0, 120.0])
HOLDS = st.sampled_from([0.1, 0.5, 1.0, 3.0])


@PLANNING
@given(SERIES, COSTS, HOLDS)
def test_wagner_whitin_is_optimal(requirements: list[float], setup: float, hold: float) -> None:
    summary = plan(requirements, setup, hold, {"wagner_whitin": {}})
    expected = brute_force_cost(requirements, setup, hold)
    assert row(summary, "wagner_whitin")["total_cost"] == pytest.approx(expected, abs=1e-6)


@PLANNING
@given(SERIES, COSTS, HOLDS)
def test_wagner_whitin_is_never_costlier_than_any_heuristic(
    requirements: list[float], setup: float, hold: float
) -> None:
    rules = {name: {"lot_size_quantity": 20.0, "minimum_lot": 30.0} for name in RULE_NAMES}
    summary = plan(requirements, setup, hold, rules)
    optimum = row(summary, "wagner_whitin")["total_cost"]
    total = float(np.sum(requirements))
    for name in RULE_NAMES:
        result = row(summary, name)
        assert optimum <= result["total_cost"] + 1e-6, name
        # Every rule covers every requirement, in time.
        receipts = np.cumsum(result["planned_receipts"])
        assert np.all(receipts >= np.cumsum(requirements) - 1e-9), name
        assert receipts[-1] >= total - 1e-9


def test_period_order_quantity_derives_its_interval_from_the_eoq() -> None:
    """EOQ = sqrt(2 x 20 x 90 / 1) = 60 units, average demand 20 a period: POQ covers
    round(60 / 20) = 3 periods per order."""
    summary = plan([20.0] * 6, 90, 1, {"period_order_quantity": {}})
    assert row(summary, "period_order_quantity")["planned_receipts"] == [60, 0, 0, 60, 0, 0]


def test_unknown_rule_is_refused() -> None:
    with pytest.raises(PlanningError) as caught:
        plan([1.0], 1, 1, {"x": {"rule": "just_in_case"}})
    assert caught.value.field == "parameters.lot_size_rule"


def test_fixed_order_quantity_needs_a_quantity() -> None:
    with pytest.raises(PlanningError) as caught:
        plan([1.0], 1, 1, {"fixed_order_quantity": {}})
    assert caught.value.field == "parameters.lot_size_quantity"
