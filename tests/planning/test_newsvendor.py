"""The newsvendor: Nahmias' newsstand, and the discrete optimum against brute force."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from planning.newsvendor import newsvendor
from tests.support.planning import PLANNING


def one(**row: object) -> dict[str, float]:
    return newsvendor(pl.DataFrame([{"item": "x", **row}])).row(0, named=True)


def test_nahmias_mac_newsstand() -> None:
    """Nahmias, Production and Operations Analysis, ch. 5 (inventory control subject to
    uncertain demand), the newsboy example: the Journal costs Mac 25 cents and sells for 75
    cents, unsold copies are worthless; demand ~ N(11.73, 4.74). c_u = 0.50, c_o = 0.25,
    critical ratio 2/3, z = 0.43, Q* = 11.73 + 0.43 x 4.74 = 13.77 ~ 14."""
    r = one(price=0.75, unit_cost=0.25, mean=11.73, std=4.74)
    assert r["critical_ratio"] == pytest.approx(2 / 3)
    assert r["order_quantity"] == pytest.approx(13.77, abs=0.01)
    assert r["order_quantity_integer"] == 14


def expected_profit(q: int, price: float, cost: float, salvage: float, mean: float) -> float:
    k = np.arange(0, int(stats.poisson.isf(1e-14, mean)) + q + 2)
    pmf = stats.poisson.pmf(k, mean)
    sales = np.minimum(k, q)
    return float(np.sum(pmf * (price * sales + salvage * (q - sales))) - cost * q)


@PLANNING
@given(st.floats(0.5, 30), st.floats(1.5, 10), st.floats(0, 0.9))
def test_poisson_order_maximises_expected_profit(
    mean: float, price: float, salvage_share: float
) -> None:
    cost, salvage = 1.0, salvage_share
    r = one(price=price, unit_cost=cost, salvage_value=salvage, mean=mean, distribution="poisson")
    q = int(r["order_quantity"])
    best = max(range(q + 15), key=lambda k: expected_profit(k, price, cost, salvage, mean))
    assert expected_profit(q, price, cost, salvage, mean) == pytest.approx(
        expected_profit(best, price, cost, salvage, mean), abs=1e-9
    )
    assert r["expected_profit"] == pytest.approx(expected_profit(q, price, cost, salvage, mean))


def test_normal_integer_order_is_the_better_neighbour() -> None:
    r = one(price=10.0, unit_cost=4.0, salvage_value=1.0, mean=100.0, std=30.0)
    low = one(price=10.0, unit_cost=4.0, salvage_value=1.0, mean=100.0, std=30.0)
    assert r["order_quantity_integer"] in {
        np.floor(low["order_quantity"]),
        np.ceil(low["order_quantity"]),
    }
