"""The vectorised MRP against the naive reference, on random bills, demands, receipts and
lot-size rules (hypothesis), plus the invariants every plan must keep."""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from planning.lot_sizing import RULE_NAMES
from planning.mrp import run_mrp
from planning.mrp_reference import reference_mrp
from tests.support.planning import BOM_SCHEMA, DATED_SCHEMA, EXAMPLES, PLANNING

RECORD_COLUMNS = (
    "gross_requirements",
    "scheduled_receipts",
    "projected_available",
    "net_requirements",
    "planned_order_receipts",
    "planned_order_releases",
)


@st.composite
def problems(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(st.integers(1, 8))
    horizon = draw(st.integers(1, 10))
    names = [f"I{i}" for i in range(n)]
    items = []
    for name in names:
        precision = draw(st.sampled_from([0, 0, 1, 2]))
        rule = draw(st.sampled_from(RULE_NAMES))
        quantity = draw(st.sampled_from([0.0, 7.0, 10.0, 25.0]))
        if rule in {"fixed_order_quantity", "multiple"} and quantity == 0:
            quantity = 10.0
        items.append(
            {
                "item": name,
                "lead_time": draw(st.integers(0, 3)),
                "on_hand": float(draw(st.integers(0, 40))),
                "allocated": draw(st.sampled_from([0.0, 0.0, 3.0])),
                "safety_stock": draw(st.sampled_from([0.0, 0.0, 5.0, 7.5])),
                "lot_size_rule": rule,
                "lot_size_quantity": quantity,
                "minimum_lot": draw(st.sampled_from([0.0, 15.0, 30.0])),
                "periods_of_supply": draw(st.sampled_from([0, 2, 3])),
                "ordering_cost": draw(st.sampled_from([0.0, 20.0, 50.0, 100.0])),
                "holding_cost": draw(st.sampled_from([0.5, 1.0, 2.0])),
                "precision": precision,
                "average_demand": 0.0,
            }
        )
    # Edges only go from a lower to a higher index, so the bill is acyclic; an item may have
    # several parents (shared components) and skip levels.
    edges = draw(
        st.lists(
            st.tuples(
                st.integers(0, n - 1),
                st.integers(0, n - 1),
                st.sampled_from([0.25, 0.5, 1.0, 1.5, 2.0, 3.0]),
            ),
            max_size=3 * n,
        )
    )
    structure = [
        {"parent": names[i], "component": names[j], "quantity_per": q} for i, j, q in edges if i < j
    ]
    dated = st.tuples(
        st.sampled_from(names),
        st.integers(-1, horizon + 1),
        st.sampled_from([0.3, 5.0, 10.0, 12.5, 33.0]),
    )
    demand = [
        {"item": i, "period": t, "quantity": q} for i, t, q in draw(st.lists(dated, max_size=14))
    ]
    receipts = [
        {"item": i, "period": t, "quantity": q} for i, t, q in draw(st.lists(dated, max_size=5))
    ]
    return {
        "items": items,
        "bom": structure,
        "demand": demand,
        "receipts": receipts,
        "horizon": horizon,
    }


def plan_of(problem: dict[str, Any]) -> Any:
    return run_mrp(
        pl.DataFrame(problem["items"]),
        pl.DataFrame(problem["bom"], schema=BOM_SCHEMA),
        pl.DataFrame(problem["demand"], schema=DATED_SCHEMA),
        pl.DataFrame(problem["receipts"], schema=DATED_SCHEMA),
        horizon=problem["horizon"],
    )


@settings(PLANNING, max_examples=2 * EXAMPLES)
@given(problems())
def test_vectorised_mrp_equals_the_naive_reference(problem: dict[str, Any]) -> None:
    plan = plan_of(problem)
    reference = reference_mrp(
        problem["items"],
        problem["bom"],
        problem["demand"],
        problem["receipts"],
        problem["horizon"],
    )
    codes = dict(plan.items.select("item", "low_level_code").iter_rows())
    assert codes == reference.low_level_codes
    for row in plan.records.iter_rows(named=True):
        expected = reference.records[row["item"], row["period"]]
        for column in RECORD_COLUMNS:
            assert round(row[column], 6) == float(getattr(expected, column)), (
                row["item"],
                row["period"],
                column,
            )
    orders = sorted(
        (r["item"], r["release_period"], r["receipt_period"], round(r["quantity"], 6))
        for r in plan.planned_orders.iter_rows(named=True)
    )
    assert orders == sorted((i, a, b, float(q)) for i, a, b, q in reference.planned_orders)


@PLANNING
@given(problems())
def test_plan_invariants(problem: dict[str, Any]) -> None:
    plan = plan_of(problem)
    safety = {i["item"]: i["safety_stock"] for i in problem["items"]}
    # The projected balance never ends a period below safety stock after planned receipts.
    for item, balance in plan.records.select("item", "projected_available").iter_rows():
        assert balance >= safety[item] - 1e-9
    # Pegging explains every gross requirement, to the unit.
    pegged = plan.pegging.group_by("item", "period").agg(pl.col("quantity").sum())
    joined = plan.records.join(pegged, on=["item", "period"], how="left").with_columns(
        pl.col("quantity").fill_null(0.0)
    )
    for gross, pegged_quantity in joined.select("gross_requirements", "quantity").iter_rows():
        assert abs(gross - pegged_quantity) < 1e-6
    # Planned receipts add up to the planned orders, and every order is released lead time
    # before it is received.
    lead = {i["item"]: i["lead_time"] for i in problem["items"]}
    totals = plan.planned_orders.group_by("item").agg(pl.col("quantity").sum())
    record_totals = plan.records.group_by("item").agg(pl.col("planned_order_receipts").sum())
    merged = record_totals.join(totals, on="item", how="left").fill_null(0.0)
    for _, receipts, ordered in merged.iter_rows():
        assert abs(receipts - ordered) < 1e-6
    for item, release, receipt in plan.planned_orders.select(
        "item", "release_period", "receipt_period"
    ).iter_rows():
        assert receipt - release == lead[item]
    # Whole-unit items are ordered in whole units.
    precision = {i["item"]: i["precision"] for i in problem["items"]}
    for item, quantity in plan.planned_orders.select("item", "quantity").iter_rows():
        scaled = quantity * 10 ** precision[item]
        assert abs(scaled - round(scaled)) < 1e-6
