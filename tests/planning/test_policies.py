"""(s, S) periodic review and (r, Q) continuous review: textbook example and brute force."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.continuous_review import rq_cost, rq_policy
from planning.errors import PlanningError
from planning.periodic_review import SsModel, demand_pmf, optimal_policy, ss_policy
from tests.support.planning import EXAMPLES, PLANNING


def markov_cost(model: SsModel, s: int, order_up_to: int) -> float:
    """Long-run average cost of (s, S) from the stationary distribution of the position
    after ordering (a Markov chain on s+1..S), independent of the renewal formula."""
    states = np.arange(s + 1, order_up_to + 1)
    n = states.size
    transition = np.zeros((n, n))
    ordering = np.zeros(n)
    for i, y in enumerate(states):
        for d, prob in enumerate(model.pmf):
            z = y - d
            if z <= s:
                transition[i, n - 1] += prob
                ordering[i] += prob
            else:
                transition[i, z - s - 1] += prob
    system = np.vstack([transition.T - np.eye(n), np.ones(n)])
    stationary = np.linalg.lstsq(system, np.r_[np.zeros(n), 1.0], rcond=None)[0]
    costs = model.loss_costs(states) + model.ordering_cost * ordering
    return float(stationary @ costs)


@settings(PLANNING, max_examples=max(20, EXAMPLES // 8))
@given(
    st.floats(1, 6),
    st.integers(0, 2),
    st.sampled_from([5.0, 20.0, 64.0]),
    st.sampled_from([4.0, 9.0, 19.0]),
)
def test_zheng_federgruen_finds_the_cheapest_policy(
    mean: float, lead: int, setup: float, backorder: float
) -> None:
    model = SsModel(
        pmf=demand_pmf("poisson", mean, 0.0, 1.0),
        lead_time=lead,
        ordering_cost=setup,
        holding_cost=1.0,
        backorder_cost=backorder,
    )
    s, up_to, cost = optimal_policy(model)
    assert cost == pytest.approx(markov_cost(model, s, up_to), rel=1e-9)
    centre = model.myopic()
    best = min(
        markov_cost(model, a, b)
        for a, b in itertools.product(
            range(centre - 12, centre + 3), range(centre - 2, centre + 25)
        )
        if b > a
    )
    assert cost <= best + 1e-9


def test_ss_policy_over_frames_reports_the_optimum() -> None:
    result = ss_policy(
        pl.DataFrame(
            [
                {
                    "item": "x",
                    "mean": 4.0,
                    "ordering_cost": 30.0,
                    "holding_cost": 1.0,
                    "backorder_cost": 9.0,
                }
            ]
        )
    )
    r = result.row(0, named=True)
    model = SsModel(
        pmf=demand_pmf("poisson", 4.0, 0.0, 1.0),
        lead_time=0,
        ordering_cost=30.0,
        holding_cost=1.0,
        backorder_cost=9.0,
    )
    assert r["expected_cost"] == pytest.approx(
        markov_cost(model, int(r["reorder_point"]), int(r["order_up_to"]))
    )
    assert r["reorder_point"] < r["myopic_level"] <= r["order_up_to"]


HARVEY = {
    "item": "mustard",
    "annual_demand": 200.0,
    "lead_time_demand_mean": 100.0,
    "lead_time_demand_std": 25.0,
    "ordering_cost": 50.0,
    "holding_cost": 2.0,
    "stockout_cost": 25.0,
}


def test_nahmias_harvey_specialty_shop() -> None:
    """Nahmias, Production and Operations Analysis, ch. 5, (Q, R) example (Harvey's
    Specialty Shop, imported mustard): $10 a jar, 20% annual interest (h = $2), K = $50,
    p = $25 per jar short, lambda = 200 jars a year, lead-time demand N(100, 25^2). The
    iteration from Q0 = EOQ = 100 converges to Q = 111, R = 143."""
    r = rq_policy(pl.DataFrame([HARVEY])).row(0, named=True)
    assert round(r["order_quantity"]) == 111
    assert round(r["reorder_point"]) == 143
    assert r["total_cost"] == pytest.approx(
        rq_cost(HARVEY, r["order_quantity"], r["reorder_point"])
    )


def test_normal_rq_is_a_local_minimum() -> None:
    r = rq_policy(pl.DataFrame([HARVEY])).row(0, named=True)
    q, rp = r["order_quantity"], r["reorder_point"]
    best = rq_cost(HARVEY, q, rp)
    for dq, dr in itertools.product((-2.0, -0.5, 0.0, 0.5, 2.0), repeat=2):
        assert best <= rq_cost(HARVEY, q + dq, rp + dr) + 1e-9


@PLANNING
@given(
    st.floats(50, 2000),
    st.floats(0.5, 30),
    st.floats(5, 200),
    st.floats(0.5, 10),
    st.floats(5, 100),
)
def test_poisson_rq_is_the_integer_optimum(
    demand: float, lead_mean: float, setup: float, hold: float, short: float
) -> None:
    row = {
        "item": "x",
        "distribution": "poisson",
        "annual_demand": demand,
        "lead_time_demand_mean": lead_mean,
        "ordering_cost": setup,
        "holding_cost": hold,
        "stockout_cost": short,
    }
    r = rq_policy(pl.DataFrame([row])).row(0, named=True)
    q, rp = int(r["order_quantity"]), int(r["reorder_point"])
    best = rq_cost(row, q, rp)
    for dq, dr in itertools.product(range(-3, 4), range(-3, 4)):
        if q + dq >= 1 and rp + dr >= 0:
            assert best <= rq_cost(row, q + dq, rp + dr) + 1e-9


def test_stockout_cost_too_low_is_refused() -> None:
    with pytest.raises(PlanningError) as caught:
        rq_policy(pl.DataFrame([{**HARVEY, "stockout_cost": 0.1}]))
    assert caught.value.field == "items.stockout_cost"
