"""The stock card's behaviour, run on the in-memory, SQLite and PostgreSQL stores."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from ledger import errors
from ledger.ids import stock_id
from ledger.master_data.commands import (
    BlockLocation,
    ChangeStandardCost,
    RegisterLocation,
    UnblockLocation,
)
from ledger.quality.aggregates import InspectionNotPassed
from ledger.quality.commands import (
    CharacteristicInput,
    DefineSpecification,
    MeasurementInput,
    RecordInspection,
)
from ledger.stock.commands import (
    AdjustStock,
    ChangeStockStatus,
    CountStock,
    IssueStock,
    MoveStock,
    ReceiveStock,
    ReleaseReservation,
    ReserveStock,
)
from ledger.store import store_env
from ledger.values import StockStatus
from ledger.writer import Ledger, WriterSettings
from tests.support.clock import Clock
from tests.support.identity import register, signature
from tests.support.plant import Plant

D = Decimal
AVAILABLE = StockStatus.AVAILABLE


def unchanged(plant: Plant, sku: str, version: int, position: int) -> bool:
    return plant.card(sku).version == version and plant.ledger.max_position() == position


def test_receive_then_issue_moves_quantity_and_value(plant: Plant) -> None:
    plant.item("STEEL")
    received = plant.receive("STEEL", "10", "2.5")
    assert received.position > 0
    assert [e.type for e in received.events] == ["Stock.Received"]
    issued = plant.issue("STEEL", "4")
    assert issued.position > received.position
    assert issued.data["value"] == "10.0"
    card = plant.card("STEEL")
    assert card.balances == {("A", "", AVAILABLE): D(6)}
    assert card.value == D("15.0")
    assert card.on_hand == D(6)


def test_stock_rebuilt_from_the_store_equals_the_writers_copy(plant: Plant) -> None:
    plant.item("STEEL", tracking="lot", shelf_life_days=30)
    plant.receive("STEEL", "10", "2.5", lot="L1", supplier_lot="S-9")
    plant.ledger.execute(ReserveStock(sku="STEEL", quantity=D(3), reference="SO-1"))
    plant.issue("STEEL", "1.5", lot="L1")
    cached = plant.ledger._cache[stock_id("STEEL")]
    assert plant.card("STEEL") == cached


def test_issue_beyond_available_is_refused_and_changes_nothing(plant: Plant) -> None:
    plant.item("STEEL")
    plant.receive("STEEL", "10")
    version, position = plant.card("STEEL").version, plant.ledger.max_position()
    with pytest.raises(errors.InsufficientStock) as refused:
        plant.issue("STEEL", "10.001")
    assert refused.value.facts["requested"] == "10.001"
    assert unchanged(plant, "STEEL", version, position)


def test_unknown_item_and_location_are_not_found(plant: Plant) -> None:
    plant.item("STEEL")
    with pytest.raises(errors.UnknownItem):
        plant.receive("NOPE", "1")
    with pytest.raises(errors.UnknownLocation) as unknown:
        plant.receive("STEEL", "1", location="Z9")
    assert unknown.value.field == "location"


def test_precision_of_the_unit_is_respected(plant: Plant) -> None:
    plant.item("BOLT", unit_of_measure="ea", precision=0)
    with pytest.raises(errors.PrecisionExceeded) as refused:
        plant.receive("BOLT", "1.5")
    assert refused.value.field == "quantity"
    plant.receive("BOLT", "2.000")
    assert plant.card("BOLT").on_hand == 2


def test_lot_rules_follow_tracking(plant: Plant) -> None:
    plant.item("LOTTED", tracking="lot")
    plant.item("PLAIN")
    plant.item("SERIAL", unit_of_measure="ea", precision=0, tracking="serial")
    with pytest.raises(errors.LotRuleViolated):
        plant.receive("LOTTED", "1")
    with pytest.raises(errors.LotRuleViolated):
        plant.receive("PLAIN", "1", lot="L1")
    with pytest.raises(errors.LotRuleViolated):
        plant.receive("SERIAL", "2", lot="SN1")
    plant.receive("SERIAL", "1", lot="SN1")
    with pytest.raises(errors.LotRuleViolated):
        plant.receive("SERIAL", "1", lot="SN1")  # already on hand
    with pytest.raises(errors.LotRuleViolated):
        plant.issue("SERIAL", "2", lot="SN1")
    plant.issue("SERIAL", "1", lot="SN1")
    plant.receive("SERIAL", "1", lot="SN1")  # came back (a return)


def test_blocked_location_and_blocked_parent_refuse_movements(plant: Plant) -> None:
    plant.item("STEEL")
    plant.receive("STEEL", "5", location="A1")
    plant.ledger.execute(BlockLocation(code="A", reason="rack inspection"))
    with pytest.raises(errors.LocationBlocked) as blocked:
        plant.issue("STEEL", "1", location="A1")
    assert blocked.value.facts["blocked_by"] == "A"
    with pytest.raises(errors.LocationBlocked):
        plant.receive("STEEL", "1", location="A")
    with pytest.raises(errors.LocationBlocked):
        plant.ledger.execute(
            MoveStock(sku="STEEL", from_location="B", to_location="A1", quantity=D(1))
        )
    plant.ledger.execute(UnblockLocation(code="A", reason="done"))
    plant.issue("STEEL", "1", location="A1")


def test_stock_only_sits_in_internal_zones_and_bins(plant: Plant) -> None:
    plant.item("STEEL")
    for where in ("W", "S", "CUST"):
        with pytest.raises(errors.LocationNotStockable):
            plant.receive("STEEL", "1", location=where)


def test_inspection_required_receipts_go_to_quarantine_and_cannot_be_used(plant: Plant) -> None:
    plant.item("RESIN", inspection_required=True)
    received = plant.receive("RESIN", "10", location="RECV")
    assert received.data["status"] == "quarantine"
    with pytest.raises(errors.StockNotAvailable) as refused:
        plant.issue("RESIN", "1", location="RECV")
    assert refused.value.facts["statuses"] == {"quarantine": "10"}
    with pytest.raises(errors.InsufficientStock):
        plant.ledger.execute(ReserveStock(sku="RESIN", quantity=D(1)))
    with pytest.raises(errors.StockNotAvailable):
        plant.ledger.execute(
            MoveStock(
                sku="RESIN",
                from_location="RECV",
                to_location="A",
                quantity=D(1),
                status="quarantine",
            )
        )
    # Segregating it is allowed: quarantine stock may go to the quarantine zone.
    plant.ledger.execute(
        MoveStock(
            sku="RESIN", from_location="RECV", to_location="QA", quantity=D(10), status="quarantine"
        )
    )
    release = ChangeStockStatus(
        sku="RESIN",
        location="QA",
        quantity=D(10),
        from_status="quarantine",
        to_status="available",
        reason="inspection passed",
        signature=signature("passed"),
    )
    register(plant.ledger, "qa")
    with pytest.raises(InspectionNotPassed):  # not inspected yet
        plant.ledger.execute(release, actor="qa")
    plant.ledger.execute(
        DefineSpecification(
            sku="RESIN", characteristics=[CharacteristicInput(name="melt index", upper=D(12))]
        )
    )
    plant.ledger.execute(
        RecordInspection(
            inspection_id="I-1", sku="RESIN", location="QA", quantity=D(10),
            results=[MeasurementInput(characteristic="melt index", value=D("11.2"))],
        )
    )  # fmt: skip
    plant.ledger.execute(release, actor="qa")
    plant.issue("RESIN", "4", location="QA")
    assert plant.card("RESIN").balances == {("QA", "", AVAILABLE): D(6)}


def test_held_stock_is_refused_everywhere(plant: Plant) -> None:
    plant.item("STEEL", tracking="lot")
    plant.receive("STEEL", "10", lot="L1")
    plant.ledger.execute(
        ChangeStockStatus(
            sku="STEEL",
            location="A",
            lot="L1",
            quantity=D(10),
            from_status="available",
            to_status="held",
            reason="supplier complaint",
        )
    )
    with pytest.raises(errors.StockNotAvailable):
        plant.issue("STEEL", "1", lot="L1")
    with pytest.raises(errors.StockNotAvailable):
        plant.ledger.execute(
            MoveStock(sku="STEEL", from_location="A", to_location="B", quantity=D(1), lot="L1")
        )
    with pytest.raises(errors.StockNotAvailable):
        plant.ledger.execute(ReserveStock(sku="STEEL", quantity=D(1), location="A", lot="L1"))


def test_move_keeps_status_and_cost(plant: Plant) -> None:
    plant.item("STEEL")
    plant.receive("STEEL", "4", "1")
    plant.receive("STEEL", "4", "3")
    plant.ledger.execute(MoveStock(sku="STEEL", from_location="A", to_location="B", quantity=D(6)))
    card = plant.card("STEEL")
    assert card.balances == {("A", "", AVAILABLE): D(2), ("B", "", AVAILABLE): D(6)}
    # FIFO by location: the oldest layer (4 @ 1) and 2 of the next (@ 3) moved to B.
    assert sum(x.value for x in card.layers[("B", "", AVAILABLE)]) == D(10)
    assert sum(x.value for x in card.layers[("A", "", AVAILABLE)]) == D(6)
    assert card.value == D(16)
    with pytest.raises(errors.LocationNotStockable):
        plant.ledger.execute(
            MoveStock(sku="STEEL", from_location="A", to_location="A", quantity=D(1))
        )


def test_reservations_protect_promised_stock(plant: Plant) -> None:
    plant.item("STEEL")
    plant.receive("STEEL", "10")
    reserved = plant.ledger.execute(
        ReserveStock(sku="STEEL", quantity=D(7), reference="SO-1")
    ).data["reservation_id"]
    with pytest.raises(errors.InsufficientStock):
        plant.issue("STEEL", "4")  # only 3 are free
    plant.issue("STEEL", "3")
    plant.issue("STEEL", "5", reservation_id=reserved)
    card = plant.card("STEEL")
    assert card.reserved == 2
    assert card.reservations[reserved].quantity == 2
    with pytest.raises(errors.UnknownReservation):
        plant.issue("STEEL", "1", reservation_id="nope")
    plant.ledger.execute(ReleaseReservation(sku="STEEL", reservation_id=reserved))
    assert plant.card("STEEL").reserved == 0
    with pytest.raises(errors.UnknownReservation):
        plant.ledger.execute(ReleaseReservation(sku="STEEL", reservation_id=reserved))


def test_pinned_reservation_holds_its_bucket(plant: Plant) -> None:
    plant.item("STEEL")
    plant.receive("STEEL", "5", location="A")
    plant.receive("STEEL", "5", location="B")
    pinned = plant.ledger.execute(
        ReserveStock(sku="STEEL", quantity=D(4), location="A", reference="WO-7")
    ).data["reservation_id"]
    with pytest.raises(errors.InsufficientStock):
        plant.ledger.execute(
            MoveStock(sku="STEEL", from_location="A", to_location="B", quantity=D(2))
        )
    with pytest.raises(errors.InsufficientStock):
        plant.issue("STEEL", "2", location="A")
    plant.issue("STEEL", "5", location="B")
    with pytest.raises(errors.ReservationMismatch):
        plant.issue("STEEL", "1", location="B", reservation_id=pinned)
    plant.issue("STEEL", "4", location="A", reservation_id=pinned)
    assert plant.card("STEEL").reserved == 0


def test_adjustments_and_counts_post_their_variance(plant: Plant) -> None:
    plant.item("STEEL")
    plant.receive("STEEL", "10", "2")
    register(plant.ledger, "ann")
    adjusted = plant.ledger.execute(
        AdjustStock(
            sku="STEEL", location="A", quantity_delta=D(-3), reason_code="DAMAGED",
            signature=signature("damaged in handling"),
        ),
        actor="ann",
    )  # fmt: skip
    assert adjusted.data["value_delta"] == "-6"
    with pytest.raises(errors.InsufficientStock):
        plant.ledger.execute(
            AdjustStock(
                sku="STEEL", location="A", quantity_delta=D(-8), reason_code="LOST",
                signature=signature("lost"),
            ),
            actor="ann",
        )  # fmt: skip
    counted = plant.ledger.execute(
        CountStock(sku="STEEL", location="A", counted_quantity=D(9), count_reference="CC-1")
    )
    assert counted.data["variance"] == "2"
    card = plant.card("STEEL")
    assert card.on_hand == 9
    assert card.value == D(18)
    counted = plant.ledger.execute(
        CountStock(sku="STEEL", location="B", counted_quantity=D(1), count_reference="CC-2")
    )
    assert plant.card("STEEL").balances[("B", "", AVAILABLE)] == 1


def test_master_data_rules(plant: Plant) -> None:
    plant.item("STEEL")
    with pytest.raises(errors.AlreadyExists):
        plant.item("STEEL")
    with pytest.raises(errors.InvalidMasterData):
        plant.item("STD", costing_method="standard")
    with pytest.raises(errors.InvalidMasterData):
        plant.ledger.execute(RegisterLocation(code="X", level="bin", parent="W"))
    with pytest.raises(errors.UnknownLocation):
        plant.ledger.execute(RegisterLocation(code="X", level="zone", parent="NOPE"))
    with pytest.raises(errors.AlreadyExists):
        plant.ledger.execute(RegisterLocation(code="A", level="zone", parent="W"))


def test_backdating_window(plant: Plant) -> None:
    plant.item("STEEL")
    now = datetime.now(UTC)
    plant.ledger.execute(
        ReceiveStock(
            sku="STEEL",
            location="A",
            quantity=D(1),
            unit_cost=D(1),
            effective_at=now - timedelta(days=6),
        )
    )
    with pytest.raises(errors.EffectiveTimeOutOfWindow) as refused:
        plant.ledger.execute(
            ReceiveStock(
                sku="STEEL",
                location="A",
                quantity=D(1),
                unit_cost=D(1),
                effective_at=now - timedelta(days=8),
            )
        )
    assert refused.value.field == "effective_at"
    with pytest.raises(errors.EffectiveTimeOutOfWindow):
        plant.ledger.execute(
            ReceiveStock(
                sku="STEEL",
                location="A",
                quantity=D(1),
                unit_cost=D(1),
                effective_at=now + timedelta(hours=1),
            )
        )


def test_replayed_command_id_posts_once(plant: Plant) -> None:
    plant.item("STEEL")
    first = plant.receive("STEEL", "10", command_id="scan-42")
    again = plant.receive("STEEL", "10", command_id="scan-42")
    assert again.duplicate
    assert again.events == first.events
    assert again.position >= first.position
    assert plant.card("STEEL").on_hand == 10
    with pytest.raises(errors.IdempotencyKeyReused):
        plant.receive("STEEL", "11", command_id="scan-42")


def test_refused_command_answers_its_refusal_until_the_window_ends(store_url: str) -> None:
    now = [datetime.now(UTC)]
    window = timedelta(hours=24)
    ledger = Ledger(
        store_env(store_url),
        WriterSettings(batch_wait=0, idempotency_window=window),
        clock=lambda: now[0],
    )
    try:
        plant = Plant(ledger)
        plant.item("STEEL")
        with pytest.raises(errors.InsufficientStock) as first:
            plant.issue("STEEL", "1", command_id="retry-me")
        assert not first.value.replayed
        plant.receive("STEEL", "1")
        # Stock arrived, but the scanner that lost the answer must hear the same refusal.
        with pytest.raises(errors.InsufficientStock) as again:
            plant.issue("STEEL", "1", command_id="retry-me")
        assert again.value.replayed
        assert again.value.detail == first.value.detail
        assert again.value.facts == first.value.facts
        with pytest.raises(errors.IdempotencyKeyReused):
            plant.issue("STEEL", "0.5", command_id="retry-me")
        # A new process (no cached receipts) answers the same from the store.
        shared = store_url != "memory://"
        other = Ledger(store_env(store_url), clock=lambda: now[0]) if shared else ledger
        try:
            with pytest.raises(errors.InsufficientStock) as elsewhere:
                other.execute(
                    IssueStock(
                        sku="STEEL",
                        location="A",
                        quantity=Decimal(1),
                        target_kind="work_order",
                        target="WO-1",
                        command_id="retry-me",
                    )
                )
            assert elsewhere.value.replayed
        finally:
            if other is not ledger:
                other.close()
        now[0] += window
        accepted = plant.issue("STEEL", "1", command_id="retry-me")
        assert not accepted.duplicate
        assert plant.card("STEEL").on_hand == 0
        assert plant.issue("STEEL", "1", command_id="retry-me").duplicate
    finally:
        ledger.close()


def test_events_carry_their_metadata(plant: Plant) -> None:
    plant.item("STEEL")
    when = datetime.now(UTC) - timedelta(days=1)
    outcome = plant.ledger.execute(
        ReceiveStock(
            sku="STEEL",
            location="A1",
            quantity=D(1),
            unit_cost=D(1),
            effective_at=when,
            command_id="cmd-1",
        ),
        actor="alice",
        correlation_id="WO-9",
    )
    event = next(iter(plant.ledger.app.events.get(outcome.events[0].stream, gt=1)))
    meta = event.meta  # type: ignore[attr-defined]
    assert (meta.actor, meta.command_id, meta.correlation_id, meta.site) == (
        "alice",
        "cmd-1",
        "WO-9",
        "S",
    )
    assert meta.effective_at == when


def test_expired_lots_cannot_be_received_issued_or_reserved(tmp_path) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(datetime(2026, 3, 1, 12, tzinfo=UTC))
    ledger = Ledger(store_env("memory://"), WriterSettings(batch_wait=0), clock=clock)
    try:
        plant = Plant(ledger)
        plant.item("MILK", tracking="lot", shelf_life_days=10)
        received = plant.receive("MILK", "5", lot="L1")
        assert received.data["expiry"] == "2026-03-11"
        with pytest.raises(errors.LotExpired):
            plant.receive("MILK", "5", lot="OLD", expiry=date(2026, 2, 1))
        clock.now = datetime(2026, 3, 12, 8, tzinfo=UTC)
        with pytest.raises(errors.LotExpired):
            plant.issue("MILK", "1", lot="L1")
        with pytest.raises(errors.InsufficientStock):
            ledger.execute(ReserveStock(sku="MILK", quantity=D(1)))
        with pytest.raises(errors.LotExpired):
            ledger.execute(
                MoveStock(sku="MILK", from_location="A", to_location="B", quantity=D(1), lot="L1")
            )
        # Expired stock can still be segregated and counted.
        ledger.execute(
            MoveStock(sku="MILK", from_location="A", to_location="SCRAP", quantity=D(5), lot="L1")
        )
        ledger.execute(CountStock(sku="MILK", location="SCRAP", lot="L1", counted_quantity=D(5)))
    finally:
        ledger.close()


def test_standard_cost_change_revalues_on_hand(plant: Plant) -> None:
    plant.item(
        "PUMP", unit_of_measure="ea", precision=0, costing_method="standard", standard_cost=D(100)
    )
    plant.receive("PUMP", "3", "90")
    outcome = plant.ledger.execute(ChangeStandardCost(sku="PUMP", standard_cost=D(120)))
    assert outcome.data["value_delta"] == "60"
    assert {e.type for e in outcome.events} == {"Item.StandardCostChanged", "Stock.Revalued"}
    assert plant.card("PUMP").value == D(360)
    plant.item("FIFO")
    with pytest.raises(errors.InvalidMasterData):
        plant.ledger.execute(ChangeStandardCost(sku="FIFO", standard_cost=D(1)))


def test_a_command_with_an_empty_id_is_refused_each_time_without_a_receipt(plant: Plant) -> None:
    """An empty id names nothing: nothing to resend, so nothing is recorded (it once made
    the writer spin on a receipt it could never find)."""
    plant.item("STEEL")
    unnamed = IssueStock(
        sku="STEEL", location="A", quantity=D(1), target_kind="work_order", target="WO-1"
    ).model_copy(update={"command_id": ""})
    position = plant.ledger.max_position()
    for _ in range(3):
        with pytest.raises(errors.InsufficientStock):
            plant.ledger.execute(unnamed, timeout=10)
    assert plant.ledger.max_position() == position
