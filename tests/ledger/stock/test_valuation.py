"""Costs are fixed in the events: FIFO layers, moving average and standard cost, exactly."""

from __future__ import annotations

from decimal import Decimal

from ledger.stock.commands import MoveStock
from ledger.values import StockStatus
from tests.support.plant import Plant

D = Decimal
AVAILABLE = StockStatus.AVAILABLE


def test_fifo_consumes_the_oldest_layers_first_across_several(plant: Plant) -> None:
    plant.item("STEEL")
    plant.receive("STEEL", "10", "1.00")
    plant.receive("STEEL", "10", "2.00")
    plant.receive("STEEL", "10", "4.00")
    first = plant.issue("STEEL", "15")  # 10 @ 1 + 5 @ 2
    assert D(first.data["value"]) == D("20.00")
    second = plant.issue("STEEL", "10")  # 5 @ 2 + 5 @ 4
    assert D(second.data["value"]) == D("30.00")
    card = plant.card("STEEL")
    assert [(x.quantity, x.unit_cost) for x in card.layers[("A", "", AVAILABLE)]] == [
        (D(5), D("4.00"))
    ]
    assert card.value == D("20.00")
    event = list(plant.ledger.app.events.get(second.events[0].stream))[-1]
    assert [(x.quantity, x.unit_cost) for x in event.layers] == [  # type: ignore[attr-defined]
        (D(5), D("2.00")),
        (D(5), D("4.00")),
    ]


def test_moving_average_after_interleaved_receipts_and_issues(plant: Plant) -> None:
    plant.item("OIL", costing_method="moving_average")
    plant.receive("OIL", "10", "2")  # 10 @ 2 = 20
    assert D(plant.issue("OIL", "4").data["value"]) == D(8)  # avg 2 -> 6 left, 12
    plant.receive("OIL", "6", "4")  # 12 + 24 = 36 for 12 -> avg 3
    assert plant.card("OIL").unit_cost() == D(3)
    assert D(plant.issue("OIL", "5").data["value"]) == D(15)  # 21 for 7
    plant.receive("OIL", "3", "1")  # 24 for 10 -> 2.4
    third = plant.issue("OIL", "3")
    assert D(third.data["value"]) == D("7.2")
    # 7 units worth 16.8 remain; a non-terminating average is rounded per issue and
    # the last unit out takes exactly what is left.
    assert D(plant.issue("OIL", "3").data["value"]) == D("7.2")
    assert D(plant.issue("OIL", "4").data["value"]) == D("9.6")
    assert plant.card("OIL").value == 0


def test_moving_average_rounding_never_drifts(plant: Plant) -> None:
    plant.item("OIL", costing_method="moving_average")
    plant.receive("OIL", "3", "1")
    plant.receive("OIL", "3", "2")  # 9 for 6
    plant.receive("OIL", "1", "1")  # 10 for 7: average 1.428571...
    values = [D(plant.issue("OIL", "1").data["value"]) for _ in range(7)]
    assert values[0] == D("1.428571")
    assert sum(values) == D(10)
    assert plant.card("OIL").value == 0


def test_standard_cost_records_purchase_price_variance(plant: Plant) -> None:
    plant.item(
        "PUMP",
        unit_of_measure="ea",
        precision=0,
        costing_method="standard",
        standard_cost=D("100.00"),
    )
    received = plant.receive("PUMP", "4", "92.50")
    assert D(received.data["value"]) == D("400.00")
    event = list(plant.ledger.app.events.get(received.events[0].stream))[-1]
    assert event.purchase_price_variance == D("-30.00")  # type: ignore[attr-defined]
    assert D(plant.issue("PUMP", "1").data["value"]) == D("100.00")
    assert plant.card("PUMP").value == D("300.00")


def test_tiny_unit_costs_and_large_quantities_stay_exact(plant: Plant) -> None:
    plant.item("SCREW", unit_of_measure="ea", precision=0)
    plant.receive("SCREW", "987654321", "0.0000123")
    plant.receive("SCREW", "1000000000", "0.0000007")
    issued = plant.issue("SCREW", "987654322")
    assert D(issued.data["value"]) == D("12148.1481483") + D("0.0000007")
    card = plant.card("SCREW")
    assert card.value == D("999999999") * D("0.0000007")
    assert card.on_hand == D("999999999")


def test_fifo_value_moves_with_the_stock(plant: Plant) -> None:
    plant.item("STEEL")
    plant.receive("STEEL", "5", "1")
    plant.receive("STEEL", "5", "3")
    plant.ledger.execute(MoveStock(sku="STEEL", from_location="A", to_location="B", quantity=D(7)))
    # B got the oldest 7: 5 @ 1 and 2 @ 3; issuing from A draws A's own layers (@ 3).
    assert D(plant.issue("STEEL", "3", location="A").data["value"]) == D(9)
    assert D(plant.issue("STEEL", "6", location="B").data["value"]) == D(8)
    assert plant.card("STEEL").value == D(3)
