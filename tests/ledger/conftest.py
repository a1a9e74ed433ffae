"""Ledger fixtures: a ledger on each store, the small plant, and the shop (items with a
BOM to be, two work centers, steel and paint on hand)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from ledger.engineering.commands import DefineWorkCenter
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from tests.support.plant import Plant


@pytest.fixture
def ledger(store_url: str) -> Iterator[Ledger]:
    led = Ledger(store_env(store_url), WriterSettings(batch_wait=0))
    yield led
    led.close()


@pytest.fixture
def plant(ledger: Ledger) -> Plant:
    return Plant(ledger)


@pytest.fixture
def shop(plant: Plant) -> Plant:
    plant.item("STEEL", precision=2)
    plant.item("PAINT", costing_method="moving_average", precision=3)
    plant.item("FRAME", kind="subassembly", unit_of_measure="ea", precision=0, tracking="lot")
    plant.item("BIKE", kind="finished_good", unit_of_measure="ea", precision=0)
    plant.ledger.execute(
        DefineWorkCenter(code="WELD", labour_rate=Decimal(30), machine_rate=Decimal(20))
    )
    plant.ledger.execute(
        DefineWorkCenter(code="PAINTSHOP", labour_rate=Decimal(20), machine_rate=Decimal(10))
    )
    plant.receive("STEEL", "100", "3")
    plant.receive("PAINT", "10", "4")
    plant.receive("PAINT", "10", "6")
    return plant
