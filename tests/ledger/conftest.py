from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ledger.engineering.commands import BomLineInput, DefineBom, DefineWorkCenter
from ledger.master_data.commands import RegisterItem, RegisterLocation
from ledger.stock.commands import IssueStock, ReceiveStock
from ledger.store import store_env
from ledger.writer import Ledger, Outcome, WriterSettings


class Plant:
    """A tiny plant to test against: site S > warehouse W > zones (storage A and B,
    receiving, quarantine, scrap) and a bin A1 under A."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        for cmd in (
            RegisterLocation(code="S", level="site"),
            RegisterLocation(code="W", level="warehouse", parent="S"),
            RegisterLocation(code="A", level="zone", parent="W"),
            RegisterLocation(code="B", level="zone", parent="W"),
            RegisterLocation(code="A1", level="bin", parent="A"),
            RegisterLocation(code="RECV", level="zone", kind="receiving", parent="W"),
            RegisterLocation(code="QA", level="zone", kind="quarantine", parent="W"),
            RegisterLocation(code="SCRAP", level="zone", kind="scrap", parent="W"),
            RegisterLocation(code="CUST", level="zone", kind="customer", parent="W"),
        ):
            ledger.execute(cmd)

    def item(self, sku: str, **kw: object) -> Outcome:
        fields: dict[str, object] = {
            "description": sku,
            "kind": "raw_material",
            "unit_of_measure": "kg",
            "precision": 3,
        }
        fields.update(kw)
        return self.ledger.execute(RegisterItem(sku=sku, **fields))  # type: ignore[arg-type]

    def receive(
        self, sku: str, qty: str, cost: str = "1", location: str = "A", **kw: object
    ) -> Outcome:
        return self.ledger.execute(
            ReceiveStock(
                sku=sku,
                location=location,
                quantity=Decimal(qty),
                unit_cost=Decimal(cost),
                **kw,  # type: ignore[arg-type]
            )
        )

    def issue(self, sku: str, qty: str, location: str = "A", **kw: object) -> Outcome:
        return self.ledger.execute(
            IssueStock(
                sku=sku,
                location=location,
                quantity=Decimal(qty),
                target_kind="work_order",
                target="WO-1",
                **kw,  # type: ignore[arg-type]
            )
        )

    def card(self, sku: str):  # type: ignore[no-untyped-def]
        stock = self.ledger.stock(sku)
        assert stock is not None
        return stock


@pytest.fixture
def ledger(store_url: str) -> Iterator[Ledger]:
    led = Ledger(store_env(store_url), WriterSettings(batch_wait=0))
    yield led
    led.close()


@pytest.fixture
def plant(ledger: Ledger) -> Plant:
    return Plant(ledger)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Engineering, production and orders tests share a shop: items with a BOM to be, two
# work centers, steel and paint on hand.
SINCE = datetime.now(UTC).date() - timedelta(days=30)


def bom(parent: str, *lines: tuple[str, str], version: str = "A", **extra: object) -> DefineBom:
    return DefineBom(
        parent=parent,
        version=version,
        effective_from=extra.pop("effective_from", SINCE),  # type: ignore[arg-type]
        lines=[
            BomLineInput(
                component=component, quantity=Decimal(quantity), **extra.get(component, {})
            )  # type: ignore[arg-type]
            for component, quantity in lines
        ],
    )


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
