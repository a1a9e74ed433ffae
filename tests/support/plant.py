"""The small plant most ledger tests run against, and the helpers that build its
commands: a site with a warehouse, storage zones, a bin and the special zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ledger.engineering.commands import BomLineInput, DefineBom
from ledger.master_data.commands import RegisterItem, RegisterLocation
from ledger.stock.commands import IssueStock, ReceiveStock
from ledger.writer import Ledger, Outcome


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
