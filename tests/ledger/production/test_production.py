"""Work orders on the ledger, on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ledger import errors
from ledger.engineering.aggregates import NoEffectiveVersion
from ledger.engineering.commands import (
    DefineRouting,
    OperationInput,
)
from ledger.ids import derived_id
from ledger.production.commands import (
    CancelWorkOrder,
    CloseWorkOrder,
    CompleteWorkOrder,
    CreateWorkOrder,
    IssueToWorkOrder,
    ReceiveWorkOrderOutput,
    ReleaseWorkOrder,
    ReportOperation,
    ReturnFromWorkOrder,
)
from ledger.production.work_order import NotInWorkOrder, OverReported, WorkOrder, WorkOrderState
from tests.support.plant import Plant, bom

D = Decimal
TODAY = datetime.now(UTC).date()
SINCE = TODAY - timedelta(days=30)


def wo(ledger_plant: Plant, number: str, item: str, quantity: str, **kw: str) -> None:
    ledger_plant.ledger.execute(
        CreateWorkOrder(
            number=number, item=item, quantity=D(quantity), due_date=TODAY + timedelta(days=7),
            output_location=kw.get("output", "B"), supply_location=kw.get("supply", "A"),
        )
    )  # fmt: skip


def work_order(plant: Plant, number: str) -> WorkOrder:
    found = plant.ledger.find(WorkOrder, derived_id("work-order", number))  # type: ignore[arg-type]
    assert found is not None
    return found


def test_release_takes_the_version_effective_that_day_and_explodes_phantoms(shop: Plant) -> None:
    run = shop.ledger.execute
    shop.item("BOLT", unit_of_measure="ea", precision=0)
    shop.item("KIT", unit_of_measure="ea", precision=0)
    shop.receive("BOLT", "100", "0.10")
    run(bom("KIT", ("BOLT", "4"), ("PAINT", "0.1")))
    run(bom("BIKE", ("STEEL", "5"), version="OLD", effective_from=SINCE))
    run(
        bom(
            "BIKE", ("STEEL", "4"), ("KIT", "2"), ("BOLT", "1"), version="NEW",
            effective_from=TODAY - timedelta(days=2), KIT={"phantom": True},
        )
    )  # fmt: skip
    wo(shop, "WO-1", "BIKE", "3")
    released = run(ReleaseWorkOrder(number="WO-1"))
    assert released.data["bom_version"] == "NEW"
    order = work_order(shop, "WO-1")
    assert {r.component: r.required for r in order.requirements} == {
        "STEEL": D(12), "BOLT": D(27), "PAINT": D("0.6"),  # 3 x (1 + 2 x 4) bolts
    }  # fmt: skip
    assert shop.card("BOLT").reserved == 27
    wo(shop, "WO-OLD", "BIKE", "1")
    old = run(ReleaseWorkOrder(number="WO-OLD", effective_at=datetime.now(UTC) - timedelta(days=5)))
    assert old.data["bom_version"] == "OLD"


def test_release_without_an_effective_bom_is_refused(shop: Plant) -> None:
    wo(shop, "WO-X", "BIKE", "1")
    position = shop.ledger.max_position()
    with pytest.raises(NoEffectiveVersion):
        shop.ledger.execute(ReleaseWorkOrder(number="WO-X"))
    assert shop.ledger.max_position() == position
    shop.ledger.execute(bom("BIKE", ("STEEL", "1"), effective_from=TODAY + timedelta(days=10)))
    position = shop.ledger.max_position()
    with pytest.raises(NoEffectiveVersion):
        shop.ledger.execute(ReleaseWorkOrder(number="WO-X"))
    assert work_order(shop, "WO-X").status == "created"
    assert shop.ledger.max_position() == position


def test_costs_and_variances_of_a_work_order(shop: Plant) -> None:
    run = shop.ledger.execute
    run(
        bom(
            "FRAME",
            ("STEEL", "2"),
            ("PAINT", "0.5"),
            STEEL={"scrap_factor": D("0.1")},
            PAINT={"backflush": "operation", "operation": 20},
        )
    )
    run(
        DefineRouting(
            item="FRAME", version="A", effective_from=SINCE,
            operations=[
                OperationInput(seq=10, work_center="WELD", setup_hours=D(2), run_hours_per_unit=D("0.5")),
                OperationInput(seq=20, work_center="PAINTSHOP", run_hours_per_unit=D("0.25")),
            ],
        )
    )  # fmt: skip
    wo(shop, "WO-F", "FRAME", "10")
    run(ReleaseWorkOrder(number="WO-F"))
    # Over-issue steel by pick list, return some.
    run(IssueToWorkOrder(number="WO-F", component="STEEL", location="A", quantity=D(25)))
    run(ReturnFromWorkOrder(number="WO-F", component="STEEL", location="A", quantity=D(1)))
    with pytest.raises(NotInWorkOrder):
        run(IssueToWorkOrder(number="WO-F", component="BIKE", location="A", quantity=D(1)))
    run(
        ReportOperation(
            number="WO-F",
            operation=10,
            good=D(9),
            scrap=D(1),
            labour_hours=D(7),
            machine_hours=D(7),
        )
    )
    with pytest.raises(OverReported):
        run(ReportOperation(number="WO-F", operation=20, good=D(10)))
    run(
        ReportOperation(
            number="WO-F", operation=20, good=D(9), labour_hours=D(2), machine_hours=D(2)
        )
    )
    with pytest.raises(OverReported):
        run(ReceiveWorkOrderOutput(number="WO-F", quantity=D(10)))
    first = run(ReceiveWorkOrderOutput(number="WO-F", quantity=D(4)))
    second = run(ReceiveWorkOrderOutput(number="WO-F", quantity=D(5)))
    order = work_order(shop, "WO-F")
    consumed = order.material_value
    conversion = order.conversion_value
    # Paint backflushed at operation 20 for 9 units: 4.5 l at the moving average 5.
    assert order.issued["PAINT"] == (D("4.500"), D("22.5"))
    assert order.issued["STEEL"] == (D(24), D(72))
    assert conversion == 7 * 50 + 2 * 30
    assert D(first.data["value"]) + D(second.data["value"]) == consumed + conversion
    frame = shop.card("FRAME")
    assert frame.value == consumed + conversion
    assert set(frame.lots) == {"WO-F-1", "WO-F-2"}
    closed = run(CloseWorkOrder(number="WO-F"))
    event = shop.ledger.app.repository.get(order.id).version
    assert event == order.version + 1
    actual, standard = D(closed.data["actual_cost"]), D(closed.data["standard_cost"])
    assert actual == consumed + conversion
    closed_event: WorkOrder.Closed = list(shop.ledger.app.events.get(order.id))[-1]  # type: ignore[assignment]
    total = (
        closed_event.material_price_variance
        + closed_event.material_usage_variance
        + closed_event.efficiency_variance
        + closed_event.yield_variance
    )
    assert total == actual - standard
    # Standard per unit: steel 2 x 1.1 x 3 + paint 0.5 x 5, weld (2/10 + 0.5) x 50, paint 0.25 x 30.
    assert standard == 9 * (D("6.6") + D("2.5") + D(35) + D("7.5"))
    assert closed_event.material_usage_variance == (24 - 9 * D("2.2")) * 3
    assert closed_event.wip_written_off == 0
    with pytest.raises(WorkOrderState):
        run(ReportOperation(number="WO-F", operation=10, good=D(1)))


def test_backflush_draws_first_to_expire_lots_and_refuses_when_short(shop: Plant) -> None:
    run = shop.ledger.execute
    shop.item("GLUE", tracking="lot", precision=2)
    shop.receive("GLUE", "3", "2", lot="LATE", expiry=TODAY + timedelta(days=90))
    shop.receive("GLUE", "3", "2", lot="SOON", expiry=TODAY + timedelta(days=10))
    run(bom("BIKE", ("GLUE", "1"), GLUE={"backflush": "completion"}))
    wo(shop, "WO-G", "BIKE", "4")
    run(ReleaseWorkOrder(number="WO-G"))
    run(ReceiveWorkOrderOutput(number="WO-G", quantity=D(4)))
    assert work_order(shop, "WO-G").lots == {("GLUE", "SOON"): D(3), ("GLUE", "LATE"): D(1)}
    wo(shop, "WO-H", "BIKE", "4")
    run(ReleaseWorkOrder(number="WO-H"))
    position = shop.ledger.max_position()
    with pytest.raises(errors.InsufficientStock):
        run(ReceiveWorkOrderOutput(number="WO-H", quantity=D(4)))
    assert shop.ledger.max_position() == position


def test_complete_reports_everything_left_and_receives_in_one_command(shop: Plant) -> None:
    run = shop.ledger.execute
    shop.item("SCREW", unit_of_measure="ea", precision=0)
    shop.receive("SCREW", "100", "0.05")
    run(bom("BIKE", ("SCREW", "6"), SCREW={"backflush": "operation", "operation": 10}))
    run(
        DefineRouting(
            item="BIKE", version="A", effective_from=SINCE,
            operations=[OperationInput(seq=10, work_center="WELD", setup_hours=D(1), run_hours_per_unit=D(1))],
        )
    )  # fmt: skip
    wo(shop, "WO-C", "BIKE", "5")
    run(ReleaseWorkOrder(number="WO-C"))
    done = run(CompleteWorkOrder(number="WO-C"))
    assert done.data["received"] == "5"
    assert {e.type for e in done.events} >= {
        "WorkOrder.OperationReported", "WorkOrder.MaterialIssued", "WorkOrder.OutputReceived",
        "Stock.Issued", "Stock.Received",
    }  # fmt: skip
    order = work_order(shop, "WO-C")
    assert order.progress[10].good == 5
    assert order.conversion_value == (1 + 5) * (30 + 20)  # hours at the labour and machine rates
    assert shop.card("SCREW").on_hand == 70
    assert shop.card("BIKE").on_hand == 5


def test_by_products_come_out_with_the_output(shop: Plant) -> None:
    run = shop.ledger.execute
    shop.item(
        "CHIPS", kind="raw_material", precision=2, costing_method="standard", standard_cost=D("0.5")
    )
    run(bom("FRAME", ("STEEL", "3"), ("CHIPS", "0.5"), CHIPS={"by_product": True}))
    wo(shop, "WO-B", "FRAME", "2")
    run(ReleaseWorkOrder(number="WO-B"))
    run(IssueToWorkOrder(number="WO-B", component="STEEL", location="A", quantity=D(6)))
    run(ReceiveWorkOrderOutput(number="WO-B", quantity=D(2)))
    assert shop.card("CHIPS").on_hand == 1
    # The by-product's value is credited: the frames cost the steel less the chips.
    assert shop.card("FRAME").value == 18 - D("0.5")


def test_cancel_and_close_release_the_reservations(shop: Plant) -> None:
    run = shop.ledger.execute
    run(bom("BIKE", ("STEEL", "10")))
    wo(shop, "WO-1", "BIKE", "3")
    wo(shop, "WO-2", "BIKE", "3")
    run(ReleaseWorkOrder(number="WO-1"))
    run(ReleaseWorkOrder(number="WO-2"))
    assert shop.card("STEEL").reserved == 60
    run(CancelWorkOrder(number="WO-1", reason="customer cancelled"))
    assert shop.card("STEEL").reserved == 30
    run(IssueToWorkOrder(number="WO-2", component="STEEL", location="A", quantity=D(10)))
    with pytest.raises(WorkOrderState):
        run(CancelWorkOrder(number="WO-2", reason="too late"))
    run(CloseWorkOrder(number="WO-2"))
    assert shop.card("STEEL").reserved == 0


def test_release_reserves_only_what_is_free_and_records_the_shortage(shop: Plant) -> None:
    run = shop.ledger.execute
    run(bom("BIKE", ("STEEL", "40")))
    wo(shop, "WO-1", "BIKE", "2")
    wo(shop, "WO-2", "BIKE", "2")
    assert run(ReleaseWorkOrder(number="WO-1")).data["shortages"] == "0"
    assert run(ReleaseWorkOrder(number="WO-2")).data["shortages"] == "1"
    card = shop.card("STEEL")
    assert card.reserved == 100  # 80 + the 20 that were left
    assert card.reserved <= card.available
