"""Engineering, work orders and orders on the ledger, on every store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ledger import errors
from ledger.engineering.aggregates import BomCycle, NoEffectiveVersion
from ledger.engineering.commands import (
    BomLineInput,
    DefineBom,
    DefineRouting,
    DefineWorkCenter,
    OperationInput,
)
from ledger.ids import derived_id
from ledger.master_data.commands import ChangePlanningParameters, PlanningParametersInput
from ledger.orders.aggregates import OrderState, OverReceipt
from ledger.orders.commands import (
    AllocateSalesOrder,
    ClosePurchaseOrder,
    ConfirmPurchaseOrder,
    CreatePurchaseOrder,
    CreateSalesOrder,
    OrderLineInput,
    PickSalesOrder,
    ReceiptLineInput,
    ReceivePurchaseOrder,
    ReturnSalesOrder,
    ReturnToSupplier,
    ShipmentLineInput,
    ShipSalesOrder,
)
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
from ledger.stock.commands import ChangeStockStatus
from ledger.values import StockStatus
from tests.ledger.conftest import Plant

D = Decimal
TODAY = datetime.now(UTC).date()
SINCE = TODAY - timedelta(days=30)


def bom(parent: str, *lines: tuple[str, str], version: str = "A", **extra: object) -> DefineBom:
    return DefineBom(
        parent=parent,
        version=version,
        effective_from=extra.pop("effective_from", SINCE),  # type: ignore[arg-type]
        lines=[
            BomLineInput(component=component, quantity=D(quantity), **extra.get(component, {}))  # type: ignore[arg-type]
            for component, quantity in lines
        ],
    )


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


@pytest.fixture
def shop(plant: Plant) -> Plant:
    plant.item("STEEL", precision=2)
    plant.item("PAINT", costing_method="moving_average", precision=3)
    plant.item("FRAME", kind="subassembly", unit_of_measure="ea", precision=0, tracking="lot")
    plant.item("BIKE", kind="finished_good", unit_of_measure="ea", precision=0)
    plant.ledger.execute(DefineWorkCenter(code="WELD", labour_rate=D(30), machine_rate=D(20)))
    plant.ledger.execute(DefineWorkCenter(code="PAINTSHOP", labour_rate=D(20), machine_rate=D(10)))
    plant.receive("STEEL", "100", "3")
    plant.receive("PAINT", "10", "4")
    plant.receive("PAINT", "10", "6")
    return plant


def test_a_bom_that_would_contain_itself_is_refused(shop: Plant) -> None:
    run = shop.ledger.execute
    run(bom("FRAME", ("STEEL", "2")))
    run(bom("BIKE", ("FRAME", "1")))
    position = shop.ledger.max_position()
    with pytest.raises(BomCycle) as refused:
        run(bom("STEEL", ("BIKE", "1")))
    assert refused.value.facts["cycle"] == ["STEEL", "BIKE", "FRAME", "STEEL"]
    with pytest.raises(BomCycle):
        run(bom("FRAME", ("FRAME", "1"), version="B"))
    with pytest.raises(errors.UnknownItem):
        run(bom("BIKE", ("NOTHING", "1"), version="B"))
    with pytest.raises(errors.InvalidMasterData):
        run(bom("FRAME", ("STEEL", "1")))  # version A exists
    assert shop.ledger.max_position() == position


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


def test_purchase_orders_receive_within_tolerance_return_and_close(shop: Plant) -> None:
    run = shop.ledger.execute
    shop.item("RESIN", inspection_required=True)
    run(
        CreatePurchaseOrder(
            number="PO-1", supplier="ACME", over_receipt_tolerance=D("0.1"),
            lines=[
                OrderLineInput(line=1, sku="STEEL", quantity=D(50), due_date=TODAY, unit_price=D("2.5")),
                OrderLineInput(line=2, sku="RESIN", quantity=D(10), due_date=TODAY, unit_price=D(8)),
            ],
        )
    )  # fmt: skip
    with pytest.raises(OrderState):
        run(
            ReceivePurchaseOrder(
                number="PO-1", location="RECV", lines=[ReceiptLineInput(line=1, quantity=D(1))]
            )
        )
    run(ConfirmPurchaseOrder(number="PO-1"))
    run(
        ReceivePurchaseOrder(
            number="PO-1", location="RECV",
            lines=[ReceiptLineInput(line=1, quantity=D(30)), ReceiptLineInput(line=2, quantity=D(10))],
        )
    )  # fmt: skip
    assert shop.card("RESIN").balances == {("RECV", "", StockStatus.QUARANTINE): D(10)}
    with pytest.raises(OverReceipt):
        run(
            ReceivePurchaseOrder(
                number="PO-1", location="RECV", lines=[ReceiptLineInput(line=1, quantity=D(26))]
            )
        )
    run(
        ReceivePurchaseOrder(
            number="PO-1", location="RECV", lines=[ReceiptLineInput(line=1, quantity=D(25))]
        )
    )
    with pytest.raises(errors.LedgerError):
        run(
            ReceivePurchaseOrder(
                number="PO-1", location="RECV", lines=[ReceiptLineInput(line=9, quantity=D(1))]
            )
        )
    run(ReturnToSupplier(number="PO-1", line=2, location="RECV", quantity=D(4), reason="damaged"))
    assert shop.card("RESIN").on_hand == 6
    run(ClosePurchaseOrder(number="PO-1"))
    position = shop.ledger.max_position()
    with pytest.raises(OrderState):
        run(
            ReceivePurchaseOrder(
                number="PO-1", location="RECV", lines=[ReceiptLineInput(line=1, quantity=D(1))]
            )
        )
    assert shop.ledger.max_position() == position


def test_sales_orders_allocate_first_to_expire_ship_and_take_returns_into_quarantine(
    shop: Plant,
) -> None:
    run = shop.ledger.execute
    shop.item("JAM", tracking="lot", unit_of_measure="ea", precision=0)
    shop.receive("JAM", "5", "1", lot="J-LATE", expiry=TODAY + timedelta(days=200))
    shop.receive("JAM", "5", "2", lot="J-SOON", expiry=TODAY + timedelta(days=20), location="B")
    run(
        CreateSalesOrder(
            number="SO-1", customer="SHOP-9",
            lines=[OrderLineInput(line=1, sku="JAM", quantity=D(8), due_date=TODAY)],
        )
    )  # fmt: skip
    allocated = run(AllocateSalesOrder(number="SO-1"))
    assert allocated.data["allocated"] == "8"
    card = shop.card("JAM")
    assert card.pinned == {("B", "J-SOON"): D(5), ("A", "J-LATE"): D(3)}
    with pytest.raises(errors.InsufficientStock):
        shop.issue("JAM", "3", location="A", lot="J-LATE")  # 2 free: the rest is promised
    run(PickSalesOrder(number="SO-1", line=1, quantity=D(8)))
    with pytest.raises(OverReceipt):
        run(PickSalesOrder(number="SO-1", line=1, quantity=D(1)))
    shipped = run(
        ShipSalesOrder(
            number="SO-1", shipment="SH-1", lines=[ShipmentLineInput(line=1, quantity=D(8))]
        )
    )
    assert shipped.data["shipped"] == "8"
    card = shop.card("JAM")
    assert card.on_hand == 2
    assert card.reserved == 0
    assert card.value == 2  # the two left are from the lot received at 1
    run(
        ReturnSalesOrder(
            number="SO-1", line=1, location="QA", quantity=D(2), lot="J-SOON", reason="dented"
        )
    )
    assert shop.card("JAM").balances[("QA", "J-SOON", StockStatus.QUARANTINE)] == 2
    assert shop.card("JAM").value == 2 + 4


def test_a_command_that_changes_nothing_is_answered_with_the_receipt_position(
    shop: Plant,
) -> None:
    """Planning parameters set to what they are save no event but the command's receipt."""
    same = shop.ledger.execute(
        ChangePlanningParameters(sku="STEEL", planning=PlanningParametersInput(), reason="x")
    )
    assert same.events == ()
    assert same.position == shop.ledger.max_position()


def test_allocating_nothing_is_refused_with_the_reason(shop: Plant) -> None:
    run = shop.ledger.execute
    run(
        CreateSalesOrder(
            number="SO-0", customer="X",
            lines=[OrderLineInput(line=1, sku="STEEL", quantity=D(5), due_date=TODAY)],
        )
    )  # fmt: skip
    run(
        ChangeStockStatus(
            sku="STEEL", location="A", quantity=D(100), from_status="available",
            to_status="held", reason="supplier complaint",
        )  # type: ignore[arg-type]
    )  # fmt: skip
    position = shop.ledger.max_position()
    with pytest.raises(errors.InsufficientStock) as refused:
        run(AllocateSalesOrder(number="SO-0"))
    assert refused.value.facts["unavailable"] == {"STEEL": {"held": "100"}}
    assert shop.ledger.max_position() == position
