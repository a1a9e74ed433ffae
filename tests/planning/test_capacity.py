"""Capacity requirements (CRP) and rough-cut capacity (RCCP), checked by hand."""

from __future__ import annotations

import polars as pl
import pytest

from planning.capacity import capacity_requirements, rough_cut_capacity
from planning.errors import PlanningError

ROUTINGS = pl.DataFrame(
    {
        "item": ["A", "A", "B"],
        "operation": [10, 20, 10],
        "work_center": ["SAW", "WELD", "SAW"],
        "setup_hours": [2.0, 1.0, 0.5],
        "run_hours": [0.1, 0.25, 0.2],
        "offset_periods": [0, 1, 0],
    }
)
CAPACITY = pl.DataFrame(
    {
        "work_center": ["SAW", "WELD", "WELD"],
        "available_hours": [10.0, 8.0, 4.0],
        "period": [None, None, 3],
    }
)


def test_crp_loads_operations_offset_from_release() -> None:
    """Order A of 40 released in period 1: SAW 2 + 0.1 x 40 = 6 h in period 1, WELD
    1 + 0.25 x 40 = 11 h in period 2 (over 8). Order B of 30 released in period 1: SAW
    0.5 + 0.2 x 30 = 6.5 h in period 1, so SAW carries 12.5 h against 10. Released order A
    of 12 with operation 10 done, released in period 2: WELD 1 + 3 = 4 h in period 3 (the
    period-3 override gives WELD 4 h: exactly full)."""
    orders = pl.DataFrame(
        {
            "item": ["A", "B", "A"],
            "release_period": [1, 1, 2],
            "quantity": [40.0, 30.0, 12.0],
            "order": ["PLN-1", "PLN-2", "WO-7"],
            "completed_operations": [0, 0, 10],
        }
    )
    plan = capacity_requirements(orders, ROUTINGS, CAPACITY, horizon=3)
    load = {(r["work_center"], r["period"]): r for r in plan.load.iter_rows(named=True)}
    assert load["SAW", 1]["load_hours"] == pytest.approx(12.5)
    assert load["SAW", 1]["overloaded"]
    assert load["SAW", 1]["overload_hours"] == pytest.approx(2.5)
    assert load["WELD", 2]["load_hours"] == pytest.approx(11)
    assert load["WELD", 2]["utilisation"] == pytest.approx(11 / 8)
    assert load["WELD", 3]["load_hours"] == pytest.approx(4)
    assert load["WELD", 3]["available_hours"] == pytest.approx(4)
    assert not load["WELD", 3]["overloaded"]
    assert plan.detail.filter(pl.col("order") == "WO-7").get_column("operation").to_list() == [20]


def test_crp_past_due_load_lands_in_period_one() -> None:
    orders = pl.DataFrame({"item": ["B"], "release_period": [-1], "quantity": [10.0]})
    plan = capacity_requirements(orders, ROUTINGS, CAPACITY, horizon=2)
    saw = plan.load.filter(pl.col("work_center") == "SAW").sort("period")
    assert saw.get_column("load_hours").to_list() == [pytest.approx(2.5), 0.0]
    assert saw.get_column("past_due_hours").to_list() == [pytest.approx(2.5), 0.0]


def test_rccp_offsets_the_bill_of_resources_before_the_mps_period() -> None:
    """MPS: 100 of X in period 3 and 50 in period 4. Bill of resources: 0.5 h of ASSY per X
    in the MPS period, 0.2 h of MACH one period earlier. ASSY: 50 h in period 3, 25 h in
    period 4; MACH: 20 h in period 2, 10 h in period 3; MACH has 15 h: overloaded in 2."""
    mps = pl.DataFrame({"item": ["X", "X"], "period": [3, 4], "quantity": [100.0, 50.0]})
    bor = pl.DataFrame(
        {
            "item": ["X", "X"],
            "work_center": ["ASSY", "MACH"],
            "hours_per_unit": [0.5, 0.2],
            "offset_periods": [0, 1],
        }
    )
    capacity = pl.DataFrame({"work_center": ["ASSY", "MACH"], "available_hours": [60.0, 15.0]})
    load = rough_cut_capacity(mps, bor, capacity, horizon=4)
    got = {
        (r["work_center"], r["period"]): (r["load_hours"], r["overloaded"])
        for r in load.iter_rows(named=True)
    }
    assert got["ASSY", 3] == (pytest.approx(50), False)
    assert got["ASSY", 4] == (pytest.approx(25), False)
    assert got["MACH", 2] == (pytest.approx(20), True)
    assert got["MACH", 3] == (pytest.approx(10), False)


def test_order_without_routing_is_refused() -> None:
    orders = pl.DataFrame({"item": ["Z"], "release_period": [1], "quantity": [1.0]})
    with pytest.raises(PlanningError) as caught:
        capacity_requirements(orders, ROUTINGS, CAPACITY, horizon=2)
    assert caught.value.field == "orders.item"
