"""Quality on the ledger, on every store: holds that stack, signed releases, inspections,
dispositions, lot splits and merges, expiry; and non-available stock refused in every
command path, saying which status and which hold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from ledger import errors
from ledger.commands import Command
from ledger.engineering.commands import BomLineInput, DefineBom
from ledger.identity.signatures import SeparationOfDuties
from ledger.ids import derived_id
from ledger.mapper import LedgerMapper
from ledger.orders.commands import (
    AllocateSalesOrder,
    CreateSalesOrder,
    OrderLineInput,
    ShipmentLineInput,
    ShipSalesOrder,
)
from ledger.production.commands import (
    CompleteWorkOrder,
    CreateWorkOrder,
    ReceiveWorkOrderOutput,
    ReleaseWorkOrder,
)
from ledger.production.work_order import WorkOrder
from ledger.quality.aggregates import (
    InspectionNotPassed,
    SignatureRequired,
    StockOnHold,
)
from ledger.quality.commands import (
    CharacteristicInput,
    DefineSpecification,
    DisposeStock,
    ExpireLots,
    HoldLots,
    LotInput,
    MeasurementInput,
    MergeLots,
    PlaceHold,
    RecordInspection,
    ReleaseHold,
    SplitLot,
)
from ledger.stock.card import Stock
from ledger.stock.commands import (
    ChangeStockStatus,
    IssueStock,
    MoveStock,
    ReceiveStock,
    ReserveStock,
    SignatureInput,
)
from ledger.values import StockStatus
from tests.support.identity import register, signature
from tests.support.plant import Plant

D = Decimal
TODAY = datetime.now(UTC).date()
AVAILABLE, HELD = StockStatus.AVAILABLE, StockStatus.HELD
QUARANTINE, REJECTED = StockStatus.QUARANTINE, StockStatus.REJECTED


QA = "qa"  # the quality approver who signs releases in these tests


def sign(reason: str = "cleared") -> SignatureInput:
    return signature(reason)


def hold(plant: Plant, key: str, actor: str = "system", **scope: Any) -> dict[str, str]:
    scope.setdefault("reason", "supplier complaint")
    outcome = plant.ledger.execute(PlaceHold(hold_id=key, sku="STEEL", **scope), actor=actor)
    return dict(outcome.data)


def release(plant: Plant, key: str, signer: str = QA) -> str:
    outcome = plant.ledger.execute(ReleaseHold(hold_id=key, signature=sign()), actor=signer)
    return outcome.data["released"]


def status_of(plant: Plant, lot: str, location: str = "A") -> dict[StockStatus, Decimal]:
    return {
        status: q for (where, lot_, status), q in plant.card("STEEL").balances.items()
        if where == location and lot_ == lot
    }  # fmt: skip


@pytest.fixture
def shop(plant: Plant) -> Plant:
    plant.item("STEEL", tracking="lot", precision=2)
    for lot in ("L1", "L2", "L3"):
        plant.receive("STEEL", "20", "2", lot=lot, supplier="ACME", supplier_lot=f"S-{lot}")
    for person in (QA, "alice", "bob"):
        register(plant.ledger, person)
    return plant


def test_holds_stack_and_each_is_released_on_its_own(shop: Plant) -> None:
    assert hold(shop, "H-LOT", lot="L1")["held"] == "20"
    assert hold(shop, "H-ITEM")["held"] == "40"  # L2 and L3; L1 is held already
    assert status_of(shop, "L1") == {HELD: 20}
    assert release(shop, "H-LOT") == "0"  # the item-wide hold still covers L1
    assert status_of(shop, "L1") == {HELD: 20}
    assert release(shop, "H-ITEM") == "60"
    assert shop.card("STEEL").available == 60

    # Quantity holds add up; a lot hold on top covers everything until it goes.
    hold(shop, "Q-5", lot="L2", location="A", quantity=D(5))
    hold(shop, "Q-3", lot="L2", location="A", quantity=D(3))
    hold(shop, "H-L2", lot="L2")
    assert status_of(shop, "L2") == {HELD: 20}
    assert release(shop, "H-L2") == "12"  # 5 + 3 stay held by the quantity holds
    assert release(shop, "Q-5") == "5"
    assert status_of(shop, "L2") == {AVAILABLE: 17, HELD: 3}
    with pytest.raises(StockOnHold) as refused:
        shop.ledger.execute(
            ChangeStockStatus(
                sku="STEEL", location="A", lot="L2", quantity=D(3), from_status="held",
                to_status="available", reason="x", signature=sign(),
            ),  # type: ignore[arg-type]
            actor=QA,
        )  # fmt: skip
    assert refused.value.facts["holds"] == [{"hold_id": "Q-3", "reason": "supplier complaint"}]
    assert release(shop, "Q-3") == "3"
    with pytest.raises(errors.LedgerError) as again:
        release(shop, "Q-3")
    assert again.value.type == "hold-not-active"


def test_a_standing_hold_holds_what_arrives_later(shop: Plant) -> None:
    hold(shop, "H-L9", lot="L9")  # nothing of L9 yet
    arrived = shop.receive("STEEL", "7", "2", lot="L9", location="B")
    assert arrived.data["status"] == "held"
    assert status_of(shop, "L9", "B") == {HELD: 7}
    assert release(shop, "H-L9") == "7"
    assert status_of(shop, "L9", "B") == {AVAILABLE: 7}


def test_releases_need_a_valid_signature(shop: Plant) -> None:
    shop.ledger.execute(
        DefineSpecification(sku="STEEL", characteristics=[], independent_release=True)
    )
    hold(shop, "H-1", actor="alice", lot="L1")
    position = shop.ledger.max_position()
    with pytest.raises(ValidationError):  # the signer is who sends it, never a field
        ReleaseHold.model_validate(
            {"hold_id": "H-1", "signature": {**sign().model_dump(), "signer": "bob"}}
        )
    with pytest.raises(SeparationOfDuties) as same:  # the item needs a second person
        release(shop, "H-1", signer="alice")
    assert same.value.facts["signer"] == "alice"
    shop.ledger.execute(  # a hold without an id, as ChangeStockStatus places it
        ChangeStockStatus(
            sku="STEEL", location="A", lot="L2", quantity=D(1), from_status="available",
            to_status="held", reason="x",
        )  # type: ignore[arg-type]
    )  # fmt: skip
    with pytest.raises(SignatureRequired):
        shop.ledger.execute(
            ChangeStockStatus(
                sku="STEEL", location="A", lot="L2", quantity=D(1), from_status="held",
                to_status="available", reason="x",
            )  # type: ignore[arg-type]
        )  # fmt: skip
    shop.ledger.execute(  # signed, it is released
        ChangeStockStatus(
            sku="STEEL", location="A", lot="L2", quantity=D(1), from_status="held",
            to_status="available", reason="x", signature=sign(),
        ),  # type: ignore[arg-type]
        actor=QA,
    )  # fmt: skip
    assert shop.ledger.max_position() > position
    assert release(shop, "H-1", signer="bob") == "20"
    released = [
        e for e in shop.ledger.app.events.get(derived_id("stock", "STEEL"))
        if isinstance(e, Stock.StatusChanged) and e.hold_id == "H-1" and e.to_status is AVAILABLE
    ]  # fmt: skip
    assert released[0].signature is not None
    assert (released[0].signature.signer, released[0].signature.meaning) == ("bob", "approved")


def refused(plant: Plant, command: Command) -> errors.LedgerError:
    position = plant.ledger.max_position()
    with pytest.raises(errors.LedgerError) as caught:
        plant.ledger.execute(command)
    assert plant.ledger.max_position() == position
    return caught.value


def test_non_available_stock_is_refused_in_every_path(shop: Plant) -> None:
    """L1 held by a named hold, L2 in quarantine, L3 rejected, L4 expired: nothing else.
    Each path refuses with the status (and hold) that stops it."""
    run = shop.ledger.execute
    hold(shop, "H-1", lot="L1")
    for lot, to in (("L2", "quarantine"), ("L3", "rejected")):
        run(
            ChangeStockStatus(
                sku="STEEL", location="A", lot=lot, quantity=D(20), from_status="available",
                to_status=to, reason="inspection",
                signature=signature("inspection") if to == "rejected" else None,
            ),  # type: ignore[arg-type]
            actor=QA,
        )  # fmt: skip
    run(
        ReceiveStock(
            sku="STEEL", location="A", quantity=D(20), unit_cost=D(2), lot="L4",
            expiry=TODAY - timedelta(days=1), effective_at=datetime.now(UTC) - timedelta(days=2),
        )
    )  # fmt: skip
    for lot, status in (("L1", "held"), ("L2", "quarantine"), ("L3", "rejected")):
        issue = refused(
            shop,
            IssueStock(
                sku="STEEL", location="A", lot=lot, quantity=D(1), target_kind="work_order",
                target="WO-1",
            ),  # type: ignore[arg-type]
        )  # fmt: skip
        assert (issue.type, issue.facts["statuses"]) == ("stock-not-available", {status: "20"})
        if status == "held":
            assert issue.facts["holds"] == [{"hold_id": "H-1", "reason": "supplier complaint"}]
        move = refused(
            shop,
            MoveStock(sku="STEEL", from_location="A", to_location="B", lot=lot, quantity=D(1)),
        )
        assert move.type == "stock-not-available"
        pinned = refused(shop, ReserveStock(sku="STEEL", location="A", lot=lot, quantity=D(1)))
        assert pinned.type == "stock-not-available"
    expired = refused(
        shop,
        IssueStock(
            sku="STEEL", location="A", lot="L4", quantity=D(1), target_kind="work_order",
            target="WO-1",
        ),  # type: ignore[arg-type]
    )  # fmt: skip
    assert expired.type == "lot-expired"
    assert (
        refused(shop, ReserveStock(sku="STEEL", location="A", lot="L4", quantity=D(1))).type
        == "lot-expired"
    )
    anything = refused(shop, ReserveStock(sku="STEEL", quantity=D(1)))
    assert anything.type == "insufficient-stock"
    assert anything.facts["expired"] == "20"
    assert anything.facts["unavailable"] == {
        "expired": "20", "held": "20", "quarantine": "20", "rejected": "20",
        "holds": [{"hold_id": "H-1", "reason": "supplier complaint"}],
    }  # fmt: skip

    # Sales orders: allocation and shipping find nothing usable.
    run(
        CreateSalesOrder(
            number="SO-1", customer="C",
            lines=[OrderLineInput(line=1, sku="STEEL", quantity=D(5), due_date=TODAY)],
        )
    )  # fmt: skip
    allocation = refused(shop, AllocateSalesOrder(number="SO-1"))
    assert allocation.facts["unavailable"]["STEEL"]["holds"][0]["hold_id"] == "H-1"  # type: ignore[index]
    assert allocation.facts["unavailable"]["STEEL"]["expired"] == "20"  # type: ignore[index]
    shipment = refused(
        shop,
        ShipSalesOrder(
            number="SO-1", shipment="S", lines=[ShipmentLineInput(line=1, quantity=D(5))]
        ),
    )
    assert shipment.type == "insufficient-stock"
    assert shipment.facts["unavailable"]["held"] == "20"  # type: ignore[index]

    # A work order backflushing it.
    shop.item("BAR", kind="subassembly", unit_of_measure="ea", precision=0)
    run(
        DefineBom(
            parent="BAR", version="A", effective_from=TODAY - timedelta(days=1),
            lines=[BomLineInput(component="STEEL", quantity=D(1), backflush="completion")],
        )
    )  # fmt: skip
    run(
        CreateWorkOrder(
            number="WO-1", item="BAR", quantity=D(2), due_date=TODAY, output_location="B",
            supply_location="A",
        )
    )  # fmt: skip
    run(ReleaseWorkOrder(number="WO-1"))  # reserves nothing: a shortage, not a refusal
    backflush = refused(shop, CompleteWorkOrder(number="WO-1"))
    assert backflush.type == "insufficient-stock"
    assert backflush.facts["unavailable"]["rejected"] == "20"  # type: ignore[index]


def test_inspection_decides_and_dispositions_move_the_stock(shop: Plant) -> None:
    run = shop.ledger.execute
    shop.item("RESIN", tracking="lot", inspection_required=True)
    run(
        DefineSpecification(
            sku="RESIN",
            characteristics=[
                CharacteristicInput(name="melt index", unit="g/10min", lower=D(8), upper=D(12)),
                CharacteristicInput(name="moisture", unit="%", upper=D("0.2")),
            ],
        )
    )
    for lot in ("R1", "R2", "R3", "R4"):
        shop.receive("RESIN", "50", "4", lot=lot, location="RECV", supplier="POLY")
    with pytest.raises(InspectionNotPassed):
        run(
            ChangeStockStatus(
                sku="RESIN", location="RECV", lot="R1", quantity=D(50), from_status="quarantine",
                to_status="available", reason="x", signature=sign(),
            ),  # type: ignore[arg-type]
            actor=QA,
        )  # fmt: skip

    def inspect(key: str, lot: str, melt: str) -> dict[str, str]:
        return dict(
            run(
                RecordInspection(
                    inspection_id=key, sku="RESIN", location="RECV", lot=lot, quantity=D(50),
                    results=[
                        MeasurementInput(characteristic="melt index", value=D(melt)),
                        MeasurementInput(characteristic="moisture", value=D("0.1")),
                    ],
                )
            ).data
        )  # fmt: skip

    assert refused(
        shop,
        RecordInspection(
            inspection_id="I-0", sku="RESIN", location="RECV", lot="R1", quantity=D(50),
            results=[MeasurementInput(characteristic="colour", value=D(1))],
        ),
    ).type == "specification-mismatch"  # fmt: skip
    assert inspect("I-1", "R1", "10") == {"inspection_id": "I-1", "passed": "true", "rejected": "0"}
    run(
        ChangeStockStatus(
            sku="RESIN", location="RECV", lot="R1", quantity=D(50), from_status="quarantine",
            to_status="available", reason="passed", signature=sign(),
        ),  # type: ignore[arg-type]
        actor=QA,
    )  # fmt: skip
    for key, lot in (("I-2", "R2"), ("I-3", "R3"), ("I-4", "R4")):
        assert inspect(key, lot, "13.5")["rejected"] == "50"
    card = shop.card("RESIN")
    assert card.balances[("RECV", "R2", REJECTED)] == 50

    scrapped = run(
        DisposeStock(
            sku="RESIN", location="RECV", lot="R2", quantity=D(50), disposition="scrap",
            reason="melt index out of range", signature=sign(),
        ),  # type: ignore[arg-type]
        actor=QA,
    )  # fmt: skip
    assert scrapped.data["value"] == "200"
    returned = run(
        DisposeStock(
            sku="RESIN", location="RECV", lot="R3", quantity=D(20), disposition="return_to_supplier",
            reason="claim 77", signature=sign(),
        ),  # type: ignore[arg-type]
        actor=QA,
    )  # fmt: skip
    assert returned.data["target"] == "POLY"  # from the lot's receipt
    with pytest.raises(ValidationError):  # use as is needs a deviation
        DisposeStock(
            sku="RESIN", location="RECV", lot="R3", quantity=D(30), disposition="use_as_is",
            reason="x", signature=sign(),
        )  # type: ignore[arg-type]  # fmt: skip
    run(
        DisposeStock(
            sku="RESIN", location="RECV", lot="R3", quantity=D(30), disposition="use_as_is",
            reason="customer accepts", deviation="DEV-12", signature=sign(),
        ),  # type: ignore[arg-type]
        actor=QA,
    )  # fmt: skip
    reworked = run(
        DisposeStock(
            sku="RESIN", location="RECV", lot="R4", quantity=D(50), disposition="rework",
            reason="regrind", work_order="RW-1", output_location="QA", signature=sign(),
        ),  # type: ignore[arg-type]
        actor=QA,
    )  # fmt: skip
    assert reworked.data["target"] == "RW-1"
    run(ReceiveWorkOrderOutput(number="RW-1", quantity=D(50), lot="R4-RW"))
    card = shop.card("RESIN")
    assert card.balances == {
        ("RECV", "R1", AVAILABLE): 50,
        ("RECV", "R3", AVAILABLE): 30,
        ("QA", "R4-RW", QUARANTINE): 50,  # reworked goods are inspected again
    }
    assert card.value == (50 + 30 + 50) * 4
    rework = shop.ledger.find(WorkOrder, derived_id("work-order", "RW-1"))  # type: ignore[arg-type]
    assert rework is not None
    assert rework.lots == {("RESIN", "R4"): 50}
    position = shop.ledger.max_position()
    with pytest.raises(errors.InsufficientStock) as available:  # R1 is not rejected
        run(
            DisposeStock(
                sku="RESIN", location="RECV", lot="R1", quantity=D(1), disposition="scrap",
                reason="x", signature=sign(),
            ),  # type: ignore[arg-type]
            actor=QA,
        )  # fmt: skip
    assert available.value.facts["stock_status"] == "rejected"
    assert shop.ledger.max_position() == position


def test_splits_and_merges_keep_quantity_value_and_expiry(shop: Plant) -> None:
    run = shop.ledger.execute
    shop.receive("STEEL", "10", "3", lot="L5", expiry=TODAY + timedelta(days=30))
    run(SplitLot(sku="STEEL", location="A", lot="L1", new_lot="L1-B", quantity=D(5)))
    merged = run(MergeLots(sku="STEEL", location="A", lots=["L1-B", "L5"], new_lot="M1"))
    assert merged.data["quantity"] == "15"
    card = shop.card("STEEL")
    assert card.balances[("A", "M1", AVAILABLE)] == 15
    assert ("A", "L5", AVAILABLE) not in card.balances
    assert card.value == 60 * 2 + 10 * 3
    assert card.lots["M1"].expiry == TODAY + timedelta(days=30)  # the earliest of its sources
    assert card.lots["L1-B"].supplier_lot == "S-L1"
    drawn = run(
        IssueStock(
            sku="STEEL", location="A", lot="M1", quantity=D(15), target_kind="work_order",
            target="WO-9",
        )  # type: ignore[arg-type]
    )  # fmt: skip
    assert drawn.data["value"] == str(5 * 2 + 10 * 3)  # the layers travelled with the lots
    hold(shop, "H-2", lot="L2")
    assert (
        refused(
            shop, SplitLot(sku="STEEL", location="A", lot="L2", new_lot="X", quantity=D(1))
        ).type
        == "stock-not-available"
    )
    assert (
        refused(shop, MergeLots(sku="STEEL", location="A", lots=["L3", "L3"], new_lot="Y")).type
        == "lot-rule-violated"
    )


def test_expired_lots_are_held_with_the_reason(shop: Plant) -> None:
    shop.ledger.execute(
        ReceiveStock(
            sku="STEEL", location="B", quantity=D(6), unit_cost=D(2), lot="OLD",
            expiry=TODAY - timedelta(days=1), effective_at=datetime.now(UTC) - timedelta(days=3),
        )
    )  # fmt: skip
    done = shop.ledger.execute(ExpireLots(sku="STEEL"))
    assert (done.data["lots"], done.data["held"]) == ("1", "6")
    assert status_of(shop, "OLD", "B") == {HELD: 6}
    changed = [
        e for e in shop.ledger.app.events.get(derived_id("stock", "STEEL"))
        if isinstance(e, Stock.StatusChanged)
    ]  # fmt: skip
    assert changed[-1].reason == "expired"
    again = shop.ledger.execute(ExpireLots(sku="STEEL"))
    assert (again.data["lots"], again.events) == ("0", ())


def test_holding_lots_for_a_recall_is_all_or_nothing(shop: Plant) -> None:
    position = shop.ledger.max_position()
    with pytest.raises(errors.UnknownItem):
        shop.ledger.execute(
            HoldLots(
                hold_id="RC-1", reason="recall",
                lots=[LotInput(sku="STEEL", lot="L1"), LotInput(sku="NOPE", lot="X")],
                signature=sign("contain"),
            ),
            actor="alice",
        )  # fmt: skip
    assert shop.ledger.max_position() == position
    done = shop.ledger.execute(
        HoldLots(
            hold_id="RC-1", reason="recall",
            lots=[LotInput(sku="STEEL", lot="L1"), LotInput(sku="STEEL", lot="L3")],
            signature=sign("contain"),
        ),
        actor="alice",
    )  # fmt: skip
    assert (done.data["holds"], done.data["held"]) == ("2", "40")
    assert release(shop, "RC-1-2") == "20"
    assert status_of(shop, "L1") == {HELD: 20}


def test_a_status_change_stored_before_holds_existed_reads_as_one_without_a_hold() -> None:
    """Version 1 of Stock.StatusChanged had no hold id or signature: the upcaster says
    None for both, and the event is stored again as version 2."""
    from eventsourcing.persistence import JSONTranscoder, StoredEvent

    mapper = LedgerMapper(transcoder=JSONTranscoder())
    version_1 = StoredEvent(
        originator_id=derived_id("stock", "STEEL"),
        originator_version=7,
        topic="ledger.stock:Stock.StatusChanged",
        state=orjson.dumps(
            {
                "timestamp": "2026-01-05T10:00:00+00:00",
                "meta": {
                    "actor": "a", "command_id": "x", "correlation_id": "x", "site": "S",
                    "effective_at": "2026-01-05T10:00:00+00:00",
                },
                "location": "A", "lot": "L1", "quantity": "5", "from_status": "available",
                "to_status": "held", "value": "10", "layers": [], "reason": "old hold",
            }
        ),
    )  # fmt: skip
    event = mapper.to_domain_event(version_1)
    assert isinstance(event, Stock.StatusChanged)
    assert (event.hold_id, event.signature, event.reason) == (None, None, "old hold")
    assert event.to_status is HELD
    assert orjson.loads(mapper.to_stored_event(event).state)["class_version"] == 2
