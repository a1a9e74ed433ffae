"""MRP worked examples and behaviours, each checked by hand."""

from __future__ import annotations

import polars as pl
import pytest

from planning.errors import PlanningError
from planning.mrp import run_mrp
from tests.support.planning import bom, dated, series

NO_RECEIPTS = dated([])


def test_heizer_render_product_a_net_requirements_plan() -> None:
    """Heizer and Render, Operations Management, ch. 14 (MRP), Examples 4 and 5: 50 units of
    the end item A in week 8. Structure: A = 2 B + 3 C; B = 2 D + 2 E; C = 2 E + 2 F;
    F = 1 G + 2 D. Lead times (weeks): A 1, B 2, C 1, D 1, E 2, F 3, G 2. On hand: A 10,
    B 15, C 20, D 10, E 10, F 5, G 0. Lot for lot.

    By hand: A nets 40, released week 7. B needs 80 in week 7, nets 65, released week 5.
    C needs 120 in week 7, nets 100, released week 6. E needs 130 (week 5, from B) and 200
    (week 6, from C): nets 120 released week 3 and 200 released week 4. F needs 200 in
    week 6, nets 195, released week 3. D needs 390 in week 3 (2 x 195 from F) and 130 in
    week 5 (from B): nets 380 released week 2 and 130 released week 4. G needs 195 in
    week 3, released week 1. D and G sit at low-level code 3 (under F), E at 2.
    """
    items = pl.DataFrame(
        {
            "item": list("ABCDEFG"),
            "lead_time": [1, 2, 1, 1, 2, 3, 2],
            "on_hand": [10.0, 15, 20, 10, 10, 5, 0],
        }
    )
    structure = bom(
        [
            ("A", "B", 2),
            ("A", "C", 3),
            ("B", "D", 2),
            ("B", "E", 2),
            ("C", "E", 2),
            ("C", "F", 2),
            ("F", "G", 1),
            ("F", "D", 2),
        ]
    )
    plan = run_mrp(items, structure, dated([("A", 8, 50)]), NO_RECEIPTS, horizon=8)
    orders = sorted(
        (r["item"], r["release_period"], r["receipt_period"], r["quantity"])
        for r in plan.planned_orders.iter_rows(named=True)
    )
    assert orders == [
        ("A", 7, 8, 40.0),
        ("B", 5, 7, 65.0),
        ("C", 6, 7, 100.0),
        ("D", 2, 3, 380.0),
        ("D", 4, 5, 130.0),
        ("E", 3, 5, 120.0),
        ("E", 4, 6, 200.0),
        ("F", 3, 6, 195.0),
        ("G", 1, 3, 195.0),
    ]
    codes = dict(plan.items.select("item", "low_level_code").iter_rows())
    assert codes == {"A": 0, "B": 1, "C": 1, "D": 3, "E": 2, "F": 2, "G": 3}
    assert series(plan.records, "D", "gross_requirements") == [0, 0, 390, 0, 130, 0, 0, 0]
    assert series(plan.records, "D", "projected_available") == [10, 10, 0, 0, 0, 0, 0, 0]
    assert series(plan.records, "D", "planned_order_releases") == [0, 380, 0, 130, 0, 0, 0, 0]
    pegged = plan.pegging.filter(pl.col("item") == "D").select("period", "parent", "quantity")
    assert pegged.rows() == [(3, "F", 390.0), (5, "B", 130.0)]
    assert plan.exceptions.height == 0


def test_safety_stock_is_netted_and_scheduled_receipts_are_used_as_dated() -> None:
    """One item, on hand 20, safety stock 10, a receipt of 30 in period 3, demand 15 a period.

    Period 1: 20 - 15 = 5 < 10, net 5; period 2: 10 - 15 = -5, net 15; period 3:
    10 + 30 - 15 = 25; period 4: 10; period 5: -5, net 15. The receipt in period 3 is
    needed in period 1 already (on hand 20 does not cover safety stock 10 plus period 1's
    15), so it is flagged to reschedule in to period 1; the planner still plans around it
    as dated.
    """
    items = pl.DataFrame({"item": ["X"], "on_hand": [20.0], "safety_stock": [10.0]})
    demand = dated([("X", t, 15) for t in range(1, 6)])
    receipts = pl.DataFrame({"item": ["X"], "period": [3], "quantity": [30.0], "order": ["PO-1"]})
    plan = run_mrp(items, bom([]), demand, receipts, horizon=5)
    assert series(plan.records, "X", "net_requirements") == [5, 15, 0, 0, 15]
    assert series(plan.records, "X", "planned_order_receipts") == [5, 15, 0, 0, 15]
    assert series(plan.records, "X", "projected_available") == [10, 10, 25, 10, 10]
    exceptions = plan.exceptions.select("exception", "order", "period", "suggested_period")
    assert exceptions.rows() == [("reschedule_in", "PO-1", 3, 1)]


def test_past_due_release_keeps_its_period_and_loads_components_in_period_one() -> None:
    """Lead time 3 and a requirement in period 2: the order should have been released in
    period -1. It stays at -1, raises past_due_release, and its component's requirement
    lands in period 1."""
    items = pl.DataFrame({"item": ["P", "C"], "lead_time": [3, 0]})
    plan = run_mrp(items, bom([("P", "C", 2)]), dated([("P", 2, 7)]), NO_RECEIPTS, horizon=4)
    order = plan.planned_orders.filter(pl.col("item") == "P").row(0, named=True)
    assert (order["release_period"], order["receipt_period"], order["past_due"]) == (-1, 2, True)
    assert series(plan.records, "P", "planned_order_releases") == [0, 0, 0, 0]
    assert series(plan.records, "C", "gross_requirements") == [14, 0, 0, 0]
    exception = plan.exceptions.row(0, named=True)
    assert (exception["item"], exception["exception"], exception["period"]) == (
        "P",
        "past_due_release",
        -1,
    )
    peg = plan.pegging.filter(pl.col("item") == "C").row(0, named=True)
    assert (peg["period"], peg["parent_release_period"]) == (1, -1)


def test_reschedule_out_and_cancel() -> None:
    """Receipts of 10 in periods 1 and 2 against demand of 10 in period 4 only: the first is
    needed in period 4 (reschedule out), the second not at all (cancel)."""
    items = pl.DataFrame({"item": ["X"]})
    receipts = dated([("X", 1, 10), ("X", 2, 10)])
    plan = run_mrp(items, bom([]), dated([("X", 4, 10)]), receipts, horizon=5)
    rows = plan.exceptions.select("exception", "order", "suggested_period").rows()
    assert rows == [("reschedule_out", "X@1", 4), ("cancel", "X@2", None)]
    assert plan.planned_orders.height == 0


def test_receipt_beyond_the_horizon_is_flagged_when_needed_inside_it() -> None:
    """A purchase order due in period 9 of a 6-period plan does not count in the plan, so
    period 3's requirement gets a planned order; the order is flagged to reschedule in to
    period 3. Another due in period 12 and not needed is left alone."""
    items = pl.DataFrame({"item": ["X"]})
    receipts = pl.DataFrame(
        {
            "item": ["X", "X"],
            "period": [9, 12],
            "quantity": [50.0, 50.0],
            "order": ["PO-9", "PO-12"],
        }
    )
    plan = run_mrp(items, bom([]), dated([("X", 3, 20)]), receipts, horizon=6)
    assert series(plan.records, "X", "planned_order_receipts") == [0, 0, 20, 0, 0, 0]
    rows = plan.exceptions.select("exception", "order", "period", "suggested_period").rows()
    assert rows == [("reschedule_in", "PO-9", 9, 3)]


def test_fixed_order_quantity_plans_several_lots_and_multiple_plans_one() -> None:
    items = pl.DataFrame(
        {
            "item": ["F", "M"],
            "lot_size_rule": ["fixed_order_quantity", "multiple"],
            "lot_size_quantity": [40.0, 40.0],
        }
    )
    demand = dated([("F", 1, 90), ("M", 1, 90)])
    plan = run_mrp(items, bom([]), demand, NO_RECEIPTS, horizon=2)
    lots = plan.planned_orders.group_by("item").agg(pl.col("quantity")).sort("item").rows()
    assert lots == [("F", [40.0, 40.0, 40.0]), ("M", [120.0])]
    assert series(plan.records, "F", "projected_available") == [30, 30]


def test_fractional_requirements_round_up_to_the_unit_precision() -> None:
    """0.25 kg of resin per part; 7 parts need 1.75 kg: whole kilograms order 2, a unit with
    one decimal orders 1.8, two decimals 1.75."""
    items = pl.DataFrame({"item": ["PART", "R0", "R1", "R2"], "precision": [0, 0, 1, 2]})
    structure = bom([("PART", "R0", 0.25), ("PART", "R1", 0.25), ("PART", "R2", 0.25)])
    plan = run_mrp(items, structure, dated([("PART", 1, 7)]), NO_RECEIPTS, horizon=1)
    receipts = dict(plan.records.select("item", "planned_order_receipts").iter_rows())
    assert receipts == {"PART": 7.0, "R0": 2.0, "R1": 1.8, "R2": 1.75}


def test_demand_outside_the_horizon_is_ignored_and_past_due_demand_counts_now() -> None:
    items = pl.DataFrame({"item": ["X"]})
    demand = dated([("X", 0, 3), ("X", -2, 4), ("X", 9, 100)])
    plan = run_mrp(items, bom([]), demand, NO_RECEIPTS, horizon=3)
    assert series(plan.records, "X", "gross_requirements") == [7, 0, 0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bom": bom([("A", "Z", 1)])}, "bom.component"),
        ({"bom": bom([("A", "B", 1), ("B", "A", 1)])}, "bom.component"),
        ({"bom": bom([("A", "B", 0)])}, "bom.quantity_per"),
        ({"demand": dated([("Q", 1, 1)])}, "demand.item"),
        ({"demand": dated([("A", 1, -1)])}, "demand.quantity"),
    ],
)
def test_invalid_input_names_the_field(change: dict[str, pl.DataFrame], field: str) -> None:
    frames = {"bom": bom([]), "demand": dated([]), "scheduled_receipts": dated([])} | change
    with pytest.raises(PlanningError) as caught:
        run_mrp(
            pl.DataFrame({"item": ["A", "B"]}),
            frames["bom"],
            frames["demand"],
            frames["scheduled_receipts"],
            horizon=3,
        )
    assert caught.value.field == field


def test_horizon_must_be_a_period_or_more() -> None:
    with pytest.raises(PlanningError) as caught:
        run_mrp(pl.DataFrame({"item": ["A"]}), bom([]), dated([]), dated([]), horizon=0)
    assert caught.value.field == "horizon"


def test_cycle_message_names_the_items_on_the_cycle() -> None:
    items = pl.DataFrame({"item": ["A", "B", "C"]})
    with pytest.raises(PlanningError, match="A -> B -> C -> A"):
        run_mrp(
            items,
            bom([("A", "B", 1), ("B", "C", 1), ("C", "A", 1)]),
            dated([]),
            dated([]),
            horizon=2,
        )


def test_items_missing_required_columns_are_refused() -> None:
    with pytest.raises(PlanningError) as caught:
        run_mrp(pl.DataFrame({"sku": ["A"]}), bom([]), dated([]), dated([]), horizon=2)
    assert caught.value.field == "items.item"


def test_lot_size_quantity_must_fit_the_unit_precision() -> None:
    items = pl.DataFrame(
        {"item": ["A"], "lot_size_rule": ["fixed_order_quantity"], "lot_size_quantity": [2.5]}
    )
    with pytest.raises(PlanningError) as caught:
        run_mrp(items, bom([]), dated([]), dated([]), horizon=2)
    assert caught.value.field == "items.lot_size_quantity"
