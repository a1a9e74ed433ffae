"""Safety stock, reorder point, cycle service level and fill rate: Chopra and Meindl ch. 12."""

from __future__ import annotations

import polars as pl
import pytest

from planning.errors import PlanningError
from planning.safety_stock import safety_stock

WEEKLY = {"demand_mean": 2500.0, "demand_std": 500.0, "lead_time": 2.0}


def one(**row: object) -> dict[str, float]:
    return safety_stock(pl.DataFrame([{"item": "x", **row}])).row(0, named=True)


def test_chopra_meindl_examples_12_1_to_12_3_evaluate_a_policy() -> None:
    """Chopra and Meindl, Supply Chain Management, ch. 12 (safety inventory), Examples 12-1
    to 12-3 (B&M Office Supplies): weekly demand N(2,500, 500), lead time 2 weeks, Q =
    10,000, ROP = 6,000. Safety inventory 6,000 - 5,000 = 1,000; sigma_L = 707; CSL =
    NORMDIST(6,000, 5,000, 707) = 0.92; ESC = 25.13; fill rate 1 - 25.13/10,000 = 0.9975."""
    r = one(**WEEKLY, method="given", safety_stock=1000.0, order_quantity=10000.0)
    assert r["sigma_protection"] == pytest.approx(707.1, abs=0.1)
    assert r["reorder_point"] == pytest.approx(6000)
    assert r["cycle_service_level"] == pytest.approx(0.92, abs=0.005)
    assert r["expected_shortage_per_cycle"] == pytest.approx(25.13, abs=0.01)
    assert r["fill_rate"] == pytest.approx(0.9975, abs=0.0001)


def test_chopra_meindl_example_12_4_safety_stock_for_a_cycle_service_level() -> None:
    """Example 12-4: the same demand and lead time, CSL 0.90: ss = NORMSINV(0.9) x 707 = 906."""
    r = one(**WEEKLY, method="cycle_service_level", target=0.9)
    assert round(r["safety_stock"]) == 906


def test_chopra_meindl_example_12_5_safety_stock_for_a_fill_rate() -> None:
    """Example 12-5: fill rate 0.975 with Q = 10,000: ESC = (1 - 0.975) x 10,000 = 250, and
    the safety inventory that gives it is 67."""
    r = one(**WEEKLY, method="fill_rate", target=0.975, order_quantity=10000.0)
    assert r["expected_shortage_per_cycle"] == pytest.approx(250)
    assert round(r["safety_stock"]) == 67


def test_chopra_meindl_example_12_6_lead_time_uncertainty() -> None:
    """Example 12-6 (Dell): daily demand N(2,500, 500), lead time 7 days with standard
    deviation 7 days, CSL 0.90: sigma_L = sqrt(7 x 500^2 + 2,500^2 x 7^2) = 17,550 and
    ss = NORMSINV(0.9) x 17,550 = 22,491."""
    r = one(
        demand_mean=2500.0,
        demand_std=500.0,
        lead_time=7.0,
        lead_time_std=7.0,
        method="cycle_service_level",
        target=0.9,
    )
    assert round(r["sigma_protection"]) == 17550
    assert round(r["safety_stock"]) == 22491


def test_periodic_review_protects_lead_time_plus_review_period() -> None:
    r = one(
        demand_mean=100.0,
        demand_std=20.0,
        lead_time=2.0,
        review_period=2.0,
        method="cycle_service_level",
        target=0.5,
    )
    assert r["sigma_protection"] == pytest.approx(40)
    assert r["safety_stock"] == pytest.approx(0, abs=1e-9)
    assert r["reorder_point"] == pytest.approx(400)
    assert r["fill_rate"] == pytest.approx(1 - 40 * 0.398942 / 200, abs=1e-6)


def test_fill_rate_needs_an_order_quantity() -> None:
    with pytest.raises(PlanningError) as caught:
        one(**WEEKLY, method="fill_rate", target=0.99)
    assert caught.value.field == "items.order_quantity"


def test_target_must_be_a_probability() -> None:
    with pytest.raises(PlanningError) as caught:
        one(**WEEKLY, method="cycle_service_level", target=1.0)
    assert caught.value.field == "items.target"
