"""ABC and XYZ classification, and the inventory KPIs."""

from __future__ import annotations

import polars as pl
import pytest

from planning.classification import abc, xyz
from planning.errors import PlanningError
from planning.kpis import inventory_kpis

SILICON_CHIPS = pl.DataFrame(
    {
        "item": [
            "#10286",
            "#11526",
            "#12760",
            "#10867",
            "#10500",
            "#12572",
            "#14075",
            "#01036",
            "#01307",
            "#10572",
        ],
        "annual_quantity": [1000.0, 500, 1550, 350, 1000, 600, 2000, 100, 1200, 250],
        "unit_cost": [90.0, 154, 17, 42.86, 12.5, 14.17, 0.6, 8.5, 0.42, 0.6],
    }
)


def test_heizer_render_silicon_chips_abc() -> None:
    """Heizer and Render, Operations Management, ch. 12, Example 1 (Silicon Chips, Inc.):
    ten items; total annual dollar volume $232,057. By share of items (20% / 30% / 50%):
    A = #10286, #11526 (72% of the value); B = #12760, #10867, #10500 (23%); C = the other
    five (5%)."""
    result = abc(SILICON_CHIPS, rule="item_share")
    classes = dict(result.select("item", "class").iter_rows())
    assert [k for k, v in classes.items() if v == "A"] == ["#10286", "#11526"]
    assert sorted(k for k, v in classes.items() if v == "B") == ["#10500", "#10867", "#12760"]
    assert result.get_column("annual_value").sum() == pytest.approx(232057, abs=0.5)
    shares = result.group_by("class").agg(pl.col("share").sum()).sort("class")
    assert [round(100 * s) for s in shares.get_column("share")] == [72, 23, 5]


def test_value_share_rule_counts_the_item_itself() -> None:
    """With thresholds 80% / 95% of cumulative value: #12760 brings the total to 83.3% and
    is B; #10500 reaches 95.07% and is C."""
    result = abc(SILICON_CHIPS, rule="value_share", a=0.8, b=0.95)
    classes = dict(result.select("item", "class").iter_rows())
    assert classes["#11526"] == "A"
    assert classes["#12760"] == "B"
    assert classes["#10867"] == "B"
    assert classes["#10500"] == "C"


def test_abc_needs_a_value() -> None:
    with pytest.raises(PlanningError) as caught:
        abc(pl.DataFrame({"item": ["a"], "unit_cost": [1.0]}))
    assert caught.value.field == "items.annual_value"


def test_xyz_by_coefficient_of_variation() -> None:
    """Steady: 10, 10, 10, 10 (CV 0, X). Lumpy: 0, 20, 0, 20 (mean 10, sample std 11.55, CV
    1.15, Z). Moving: 5, 15, 5, 15 (CV 0.577, Y). Missing periods count as zero."""
    history = pl.DataFrame(
        {
            "item": ["steady"] * 4 + ["lumpy"] * 2 + ["moving"] * 4,
            "period": [1, 2, 3, 4, 2, 4, 1, 2, 3, 4],
            "quantity": [10.0, 10, 10, 10, 20, 20, 5, 15, 5, 15],
        }
    )
    result = xyz(history)
    rows = {r["item"]: r for r in result.iter_rows(named=True)}
    assert rows["steady"]["class"] == "X"
    assert rows["moving"]["coefficient_of_variation"] == pytest.approx(0.57735, abs=1e-5)
    assert rows["moving"]["class"] == "Y"
    assert rows["lumpy"]["coefficient_of_variation"] == pytest.approx(1.1547, abs=1e-4)
    assert rows["lumpy"]["class"] == "Z"


def test_heizer_render_turnover_and_weeks_of_supply() -> None:
    """Heizer and Render, ch. 11 (supply chain management), PepsiCo examples: cost of goods
    sold $14.2 billion, inventory $1.69 billion (raw 0.74 + WIP 0.11 + finished 0.84):
    turnover 14.2 / 1.69 = 8.4; weeks of supply 1.69 / (14.2 / 52) = 6.19."""
    result = inventory_kpis(
        pl.DataFrame(
            {
                "item": ["pepsico"],
                "cost_of_goods_used": [14.2],
                "average_inventory_value": [1.69],
                "on_hand_quantity": [1.0],
                "days_since_last_issue": [0],
                "period_days": [364.0],
            }
        )
    )
    r = result.row(0, named=True)
    assert r["turnover"] == pytest.approx(8.4, abs=0.01)
    assert r["weeks_of_supply"] == pytest.approx(6.19, abs=0.01)
    assert r["status"] == "active"


def test_slow_moving_and_obsolete_stock() -> None:
    items = pl.DataFrame(
        {
            "item": ["fresh", "slow", "dead", "never", "empty"],
            "cost_of_goods_used": [100.0, 10, 0, 0, 50],
            "average_inventory_value": [10.0, 10, 10, 10, 0],
            "on_hand_quantity": [5.0, 5, 5, 5, 0],
            "days_since_last_issue": [3, 120, 400, None, 500],
        }
    )
    result = inventory_kpis(items, slow_moving_days=90, obsolete_days=365)
    assert result.get_column("status").to_list() == [
        "active",
        "slow_moving",
        "obsolete",
        "obsolete",
        "no_stock",
    ]
    assert result.get_column("days_of_supply").to_list()[:3] == [
        pytest.approx(36.5),
        pytest.approx(365.0),
        None,
    ]
