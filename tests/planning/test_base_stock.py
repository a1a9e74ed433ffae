"""Base-stock levels against closed forms and brute force."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from planning.base_stock import base_stock
from tests.support.planning import PLANNING


def one(**row: object) -> dict[str, float]:
    return base_stock(pl.DataFrame([{"item": "x", **row}])).row(0, named=True)


def poisson_cost(level: int, mean: float, h: float, p: float) -> float:
    k = np.arange(0, int(stats.poisson.isf(1e-14, mean)) + level + 2)
    pmf = stats.poisson.pmf(k, mean)
    return float(np.sum(pmf * (h * np.maximum(level - k, 0) + p * np.maximum(k - level, 0))))


@PLANNING
@given(st.floats(0.2, 20), st.integers(0, 4), st.floats(0.1, 5), st.floats(0.5, 50))
def test_poisson_base_stock_minimises_expected_cost(
    mean: float, lead: int, h: float, p: float
) -> None:
    r = one(distribution="poisson", mean=mean, lead_time=lead, holding_cost=h, backorder_cost=p)
    level = int(r["base_stock_level"])
    over = (lead + 1) * mean
    costs = [poisson_cost(s, over, h, p) for s in range(level + 20)]
    assert poisson_cost(level, over, h, p) == pytest.approx(min(costs), abs=1e-9)
    assert r["expected_cost"] == pytest.approx(poisson_cost(level, over, h, p), abs=1e-9)


def test_normal_base_stock_over_the_protection_interval() -> None:
    """Lead time 3 with N(50, 10^2) per period: protect 4 periods, N(200, 20^2); with
    h = 1 and p = 9 the level is 200 + 20 x z(0.9) = 225.63 and the cost
    (h + p) sigma phi(z) = 10 x 20 x phi(1.2816) = 35.10."""
    r = one(mean=50.0, std=10.0, lead_time=3, holding_cost=1.0, backorder_cost=9.0)
    assert r["base_stock_level"] == pytest.approx(225.63, abs=0.01)
    assert r["expected_cost"] == pytest.approx(35.10, abs=0.01)
    assert r["stockout_probability"] == pytest.approx(0.1)
