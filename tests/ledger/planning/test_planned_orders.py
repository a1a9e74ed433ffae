"""Planned orders on the ledger, on every store: a run saved whole, the next run
superseding what nobody firmed, firming into purchase and work orders, and every refusal
saving nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ledger import errors
from ledger.commands import Command
from ledger.ids import derived_id
from ledger.orders.aggregates import PurchaseOrder
from ledger.planning.aggregates import (
    PLANNING_BOARD_ID,
    FirmingIncomplete,
    PlannedOrder,
    PlannedOrderFirmed,
    PlannedOrderStatus,
    PlannedOrderSuperseded,
    PlanningBoard,
    UnknownPlannedOrder,
    planned_order_id,
)
from ledger.planning.commands import (
    FirmPlannedOrder,
    PlannedOrderInput,
    PlanningExceptionInput,
    ProposePlannedOrders,
)
from ledger.production.work_order import WorkOrder
from tests.support.plant import Plant

D = Decimal
TODAY = datetime.now(UTC).date()
NEXT_WEEK = TODAY + timedelta(days=7)


def order(number: str, item: str = "STEEL", kind: str = "purchase", **kw: Any) -> dict[str, Any]:
    return {
        "number": number,
        "item": item,
        "kind": kind,
        "quantity": D("12.5"),
        "release_date": TODAY,
        "due_date": NEXT_WEEK,
    } | kw


def run(run_id: str, *orders: dict[str, Any], **kw: Any) -> ProposePlannedOrders:
    return ProposePlannedOrders(
        run_id=run_id,
        start_date=TODAY,
        horizon=4,
        orders=[PlannedOrderInput(**o) for o in orders],
        **kw,
    )


@pytest.fixture
def shop(plant: Plant) -> Plant:
    plant.item("STEEL", precision=2)
    plant.item("FRAME", kind="subassembly", unit_of_measure="ea", precision=0)
    return plant


def planned(plant: Plant, number: str) -> PlannedOrder:
    found = plant.ledger.find(PlannedOrder, planned_order_id(number))
    assert found is not None
    return found


def refused(plant: Plant, command: Command, error: type[errors.LedgerError]) -> Any:
    before = plant.ledger.max_position()
    with pytest.raises(error) as caught:
        plant.ledger.execute(command)
    assert plant.ledger.max_position() == before  # nothing saved
    return caught.value


def test_a_run_is_saved_whole_and_the_next_supersedes_what_nobody_firmed(shop: Plant) -> None:
    first = shop.ledger.execute(
        run(
            "R1",
            order("R1-0001", pegging=[{"kind": "sales_order", "reference": "SO-1/1",
                                       "quantity": D(10), "needed_on": NEXT_WEEK},
                                      {"kind": "stock", "quantity": D("2.5")}]),
            order("R1-0002", "FRAME", "production", quantity=D(3),
                  pegging=[{"kind": "planned_order", "reference": "R1-0001",
                            "quantity": D(3)}]),
            exceptions=[PlanningExceptionInput(
                item="STEEL", exception="reschedule_in", reference="PO-9/1",
                scheduled_date=NEXT_WEEK, suggested_date=TODAY, quantity=D(5),
                message="reschedule PO-9/1 in")],
        )
    )  # fmt: skip
    assert first.data == {"run_id": "R1", "proposed": "2", "superseded": "0"}
    assert {e.type for e in first.events} == {
        "PlanningBoard.Opened", "PlanningBoard.RunProposed", "PlannedOrder.Proposed",
    }  # fmt: skip
    proposal = planned(shop, "R1-0001")
    assert (proposal.item, proposal.quantity, proposal.status) == (
        "STEEL", D("12.5"), PlannedOrderStatus.PROPOSED,
    )  # fmt: skip
    shop.ledger.execute(FirmPlannedOrder(number="R1-0001", order_number="PO-1", supplier="ACME"))
    second = shop.ledger.execute(run("R2", order("R2-0001")))
    assert second.data == {"run_id": "R2", "proposed": "1", "superseded": "1"}
    assert planned(shop, "R1-0001").status is PlannedOrderStatus.FIRMED
    replaced = planned(shop, "R1-0002")
    assert (replaced.status, replaced.superseded_by) == (PlannedOrderStatus.SUPERSEDED, "R2")
    board = shop.ledger.find(PlanningBoard, PLANNING_BOARD_ID)
    assert board is not None
    assert (board.runs, board.latest) == (frozenset({"R1", "R2"}), ("R2-0001",))
    # A third run supersedes R2's proposal, never R1's again.
    third = shop.ledger.execute(run("R3"))
    assert third.data["superseded"] == "1"


def test_firming_creates_the_order_in_the_same_save(shop: Plant) -> None:
    shop.ledger.execute(
        run("R1", order("R1-0001"), order("R1-0002", "FRAME", "production", quantity=D(3)))
    )
    bought = shop.ledger.execute(
        FirmPlannedOrder(
            number="R1-0001", order_number="PO-7", supplier="ACME", unit_price=D("4.20"),
            quantity=D(15), confirm=True,
        )
    )  # fmt: skip
    assert bought.data == {
        "number": "R1-0001", "order_kind": "purchase_order", "order_number": "PO-7",
    }  # fmt: skip
    assert {e.type for e in bought.events} == {
        "PlannedOrder.Firmed", "PurchaseOrder.Created", "PurchaseOrder.Confirmed",
    }  # fmt: skip
    po = shop.ledger.find(PurchaseOrder, derived_id("purchase-order", "PO-7"))
    assert po is not None
    assert po.status == "confirmed"
    assert [(ln.sku, ln.quantity, ln.due_date, ln.unit_price) for ln in po.lines.values()] == [
        ("STEEL", D(15), NEXT_WEEK, D("4.20"))
    ]
    made = shop.ledger.execute(
        FirmPlannedOrder(
            number="R1-0002", order_number="WO-7", output_location="A", supply_location="B",
            due_date=TODAY,
        )
    )  # fmt: skip
    assert made.data["order_kind"] == "work_order"
    wo = shop.ledger.find(WorkOrder, derived_id("work-order", "WO-7"))
    assert wo is not None
    assert (wo.item, wo.quantity, wo.due_date, wo.status) == ("FRAME", D(3), TODAY, "created")
    assert planned(shop, "R1-0002").firmed_into == "WO-7"


def test_refusals_name_the_rule_and_save_nothing(shop: Plant) -> None:
    shop.ledger.execute(
        run("R1", order("R1-0001"), order("R1-0002", "FRAME", "production", quantity=D(3)))
    )
    shop.ledger.execute(FirmPlannedOrder(number="R1-0001", order_number="PO-1", supplier="X"))
    twice = refused(
        shop,
        FirmPlannedOrder(number="R1-0001", order_number="PO-2", supplier="X"),
        PlannedOrderFirmed,
    )
    assert twice.facts["order_number"] == "PO-1"
    refused(
        shop,
        FirmPlannedOrder(number="R9-0001", order_number="PO-2", supplier="X"),
        UnknownPlannedOrder,
    )
    missing = refused(
        shop, FirmPlannedOrder(number="R1-0002", order_number="WO-1"), FirmingIncomplete
    )
    assert missing.field == "output_location"
    refused(
        shop,
        FirmPlannedOrder(
            number="R1-0002", order_number="WO-1", output_location="A", supply_location="B",
            supplier="X",
        ),
        errors.InvalidMasterData,
    )  # fmt: skip
    refused(
        shop,
        FirmPlannedOrder(
            number="R1-0002", order_number="WO-1", output_location="A", supply_location="B",
            quantity=D("2.5"),
        ),
        errors.PrecisionExceeded,
    )  # fmt: skip
    refused(
        shop,
        FirmPlannedOrder(
            number="R1-0002", order_number="WO-1", output_location="NOWHERE", supply_location="B"
        ),
        errors.UnknownLocation,
    )
    shop.ledger.execute(run("R2", order("R2-0001")))
    gone = refused(
        shop,
        FirmPlannedOrder(
            number="R1-0002", order_number="WO-1", output_location="A", supply_location="B"
        ),
        PlannedOrderSuperseded,
    )
    assert gone.facts["superseded_by"] == "R2"
    exists = refused(
        shop,
        FirmPlannedOrder(number="R2-0001", order_number="PO-1", supplier="X"),
        errors.AlreadyExists,
    )
    assert exists.field == "order_number"
    # Runs: a run id once; numbers inside the run, once each; pegs to the run's own
    # orders; quantities in the item's unit; items that exist.
    refused(shop, run("R2", order("R2-0009")), errors.AlreadyExists)
    outside = refused(shop, run("R3", order("R2-0002")), errors.InvalidMasterData)
    assert outside.field == "orders.0.number"
    refused(shop, run("R3", order("R3-0001"), order("R3-0001")), errors.InvalidMasterData)
    peg = refused(
        shop,
        run("R3", order("R3-0001", pegging=[
            {"kind": "planned_order", "reference": "R2-0001", "quantity": D(1)}])),
        errors.InvalidMasterData,
    )  # fmt: skip
    assert peg.field == "orders.0.pegging.0.reference"
    fine = refused(shop, run("R3", order("R3-0001", quantity=D("1.234"))), errors.PrecisionExceeded)
    assert fine.field == "orders.0.quantity"
    refused(shop, run("R3", order("R3-0001", "NOPE")), errors.UnknownItem)
    # R2's proposal is still in force after all that.
    assert planned(shop, "R2-0001").status is PlannedOrderStatus.PROPOSED


def test_a_run_and_a_firm_in_one_batch_are_decided_in_order(shop: Plant) -> None:
    """The writer decides a batch in arrival order against its staged state: a firm
    queued after the run that superseded its proposal is refused; one queued before
    keeps its order out of the run's reach."""
    shop.ledger.execute(run("R1", order("R1-0001"), order("R1-0002")))
    futures = [
        shop.ledger.submit(FirmPlannedOrder(number="R1-0001", order_number="PO-1",
                                              supplier="X")),
        shop.ledger.submit(run("R2", order("R2-0001"))),
        shop.ledger.submit(FirmPlannedOrder(number="R1-0002", order_number="PO-2",
                                              supplier="X")),
    ]  # fmt: skip
    assert futures[0].result(30).data["order_number"] == "PO-1"
    assert futures[1].result(30).data["superseded"] == "1"
    with pytest.raises(PlannedOrderSuperseded):
        futures[2].result(30)
    assert planned(shop, "R1-0001").status is PlannedOrderStatus.FIRMED
    assert planned(shop, "R1-0002").status is PlannedOrderStatus.SUPERSEDED
