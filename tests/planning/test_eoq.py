"""EOQ, EPQ and quantity discounts: textbook examples and the optimality of EOQ."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planning.eoq import economic_order_quantity, eoq_cost
from planning.errors import PlanningError
from tests.support.planning import PLANNING


def one(
    items: dict[str, object], breaks: list[dict[str, object]] | None = None
) -> dict[str, float]:
    frame = pl.DataFrame([{"item": "x", **items}])
    result = economic_order_quantity(frame, pl.DataFrame(breaks) if breaks else None)
    return result.row(0, named=True)


def test_heizer_render_sharp_needles() -> None:
    """Heizer and Render, Operations Management, ch. 12 (inventory management), Examples 3-5
    (Sharp, Inc., hypodermic needles): D = 1,000 units/year, S = $10, H = $0.50 per unit
    per year, 250 working days. Q* = 200, N = 5 orders, T = 50 days, TC = $100."""
    r = one(
        {"annual_demand": 1000.0, "ordering_cost": 10.0, "holding_cost": 0.5, "working_days": 250.0}
    )
    assert r["order_quantity"] == pytest.approx(200)
    assert r["orders_per_year"] == pytest.approx(5)
    assert r["cycle_days"] == pytest.approx(50)
    assert r["ordering_cost_per_year"] + r["holding_cost_per_year"] == pytest.approx(100)


def test_heizer_render_production_order_quantity() -> None:
    """Heizer and Render, ch. 12, production order quantity example (Nathan Manufacturing,
    hubcaps): D = 1,000/year, S = $10, H = $0.50, d = 4/day, p = 8/day: Q* = 282.8 ~ 283."""
    r = one(
        {
            "annual_demand": 1000.0,
            "ordering_cost": 10.0,
            "holding_cost": 0.5,
            "production_rate": 2000.0,
        }
    )
    assert r["order_quantity"] == pytest.approx(282.84, abs=0.01)
    assert r["maximum_inventory"] == pytest.approx(282.84 / 2, abs=0.01)


def test_chopra_meindl_best_buy_lot_size() -> None:
    """Chopra and Meindl, Supply Chain Management, ch. 11 (cycle inventory), Example 11-1
    (Best Buy, Deskpro computers): D = 1,000/month, S = $4,000, C = $500, h = 20%/year:
    Q* = sqrt(2 x 12,000 x 4,000 / 100) = 980."""
    r = one(
        {"annual_demand": 12000.0, "ordering_cost": 4000.0, "holding_rate": 0.2, "unit_cost": 500.0}
    )
    assert round(r["order_quantity"]) == 980
    assert r["orders_per_year"] == pytest.approx(12.25, abs=0.01)


def test_heizer_render_all_units_discount() -> None:
    """Heizer and Render, ch. 12, quantity discount example (Wohl's Discount Store, toy
    cars): D = 5,000, S = $49, I = 20%; $5.00 below 1,000, $4.80 for 1,000-1,999, $4.75 from
    2,000. EOQs 700, 714, 718; adjusted 700, 1,000, 2,000; total costs $25,700, $24,725,
    $24,822.50: order 1,000."""
    breaks = [
        {"item": "x", "min_quantity": 0.0, "unit_price": 5.0},
        {"item": "x", "min_quantity": 1000.0, "unit_price": 4.8},
        {"item": "x", "min_quantity": 2000.0, "unit_price": 4.75},
    ]
    r = one(
        {
            "annual_demand": 5000.0,
            "ordering_cost": 49.0,
            "holding_rate": 0.2,
            "discount": "all_units",
        },
        breaks,
    )
    assert r["order_quantity"] == pytest.approx(1000)
    assert r["unit_price"] == pytest.approx(4.8)
    assert r["total_cost_per_year"] == pytest.approx(24725)


def test_chopra_meindl_incremental_discount() -> None:
    """Chopra and Meindl, ch. 11, incremental unit quantity discount example (Drugs
    Online): D = 120,000 bottles/year, S = $100, h = 20%; $3.00 for the first 5,000,
    $2.96 for the next 5,000, $2.92 beyond 10,000. Optimal Q = 16,961, annual cost
    $360,365."""
    breaks = [
        {"item": "x", "min_quantity": 0.0, "unit_price": 3.0},
        {"item": "x", "min_quantity": 5000.0, "unit_price": 2.96},
        {"item": "x", "min_quantity": 10000.0, "unit_price": 2.92},
    ]
    r = one(
        {
            "annual_demand": 120000.0,
            "ordering_cost": 100.0,
            "holding_rate": 0.2,
            "discount": "incremental",
        },
        breaks,
    )
    assert round(r["order_quantity"]) == 16961
    assert r["total_cost_per_year"] == pytest.approx(360365, abs=1)


def test_all_units_with_the_same_schedule_orders_at_the_break() -> None:
    """The same Drugs Online schedule as an all-units discount: the 2.92 tier's EOQ (6,410)
    is below its break, so Q = 10,000 at 120,000/10,000 x 100 + 10,000/2 x 0.584 +
    120,000 x 2.92 = $354,520."""
    breaks = [
        {"item": "x", "min_quantity": 0.0, "unit_price": 3.0},
        {"item": "x", "min_quantity": 5000.0, "unit_price": 2.96},
        {"item": "x", "min_quantity": 10000.0, "unit_price": 2.92},
    ]
    r = one(
        {
            "annual_demand": 120000.0,
            "ordering_cost": 100.0,
            "holding_rate": 0.2,
            "discount": "all_units",
        },
        breaks,
    )
    assert r["order_quantity"] == pytest.approx(10000)
    assert r["total_cost_per_year"] == pytest.approx(354520)


@PLANNING
@given(
    st.floats(10, 1e6),
    st.floats(1, 1e4),
    st.floats(0.01, 100),
    st.sampled_from([0.5, 0.9, 0.99, 1.01, 1.1, 2.0]),
)
def test_eoq_cost_is_minimal_among_nearby_quantities(
    demand: float, setup: float, holding: float, factor: float
) -> None:
    r = one({"annual_demand": demand, "ordering_cost": setup, "holding_cost": holding})
    q = r["order_quantity"]
    best = eoq_cost(q, annual_demand=demand, ordering_cost=setup, holding_cost=holding)
    assert best == pytest.approx(r["ordering_cost_per_year"] + r["holding_cost_per_year"])
    other = eoq_cost(q * factor, annual_demand=demand, ordering_cost=setup, holding_cost=holding)
    assert best <= other * (1 + 1e-12)


def test_discount_without_breaks_is_refused() -> None:
    with pytest.raises(PlanningError) as caught:
        one(
            {
                "annual_demand": 1.0,
                "ordering_cost": 1.0,
                "holding_rate": 0.2,
                "discount": "all_units",
            }
        )
    assert caught.value.field == "price_breaks.item"


def test_production_rate_below_demand_is_refused() -> None:
    with pytest.raises(PlanningError) as caught:
        one(
            {
                "annual_demand": 100.0,
                "ordering_cost": 1.0,
                "holding_cost": 1.0,
                "production_rate": 50.0,
            }
        )
    assert caught.value.field == "items.production_rate"
