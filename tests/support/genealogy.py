"""A shop that makes lots from lots: the ledger's commands in the plant's words, and a
genealogy ten levels deep (diamonds, splits, merges, shipments, returns, rework and holds)
that the projections' and the queries' trace tests both read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ledger.commands import Command
from ledger.engineering.commands import BomLineInput, DefineBom
from ledger.identity.accounts import Account, account_id
from ledger.orders.commands import (
    CreateSalesOrder,
    OrderLineInput,
    ReturnSalesOrder,
    ShipmentLineInput,
    ShipSalesOrder,
)
from ledger.production.commands import (
    CloseWorkOrder,
    CreateWorkOrder,
    IssueToWorkOrder,
    ReceiveWorkOrderOutput,
    ReleaseWorkOrder,
)
from ledger.quality.commands import DisposeStock, MergeLots, PlaceHold, SplitLot
from ledger.stock.commands import (
    AdjustStock,
    ChangeStockStatus,
    ScrapStock,
    SignatureInput,
    Signed,
)
from ledger.writer import Ledger
from tests.support.identity import register, signature
from tests.support.plant import Plant

D = Decimal
TODAY = datetime.now(UTC).date()
SINCE = TODAY - timedelta(days=30)
SIGNER = "qa"  # who runs the shop's commands, and signs its quality decisions


class Shop:
    """The ledger's commands in the plant's words, each remembering its order numbers."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.plant = Plant(ledger)
        self.orders = 0

    def run(self, cmd: Command) -> dict[str, str]:
        signer = isinstance(cmd, Signed) and cmd.given_signature() is not None
        return dict(self.ledger.execute(cmd, actor=SIGNER if signer else "system").data)

    def sign(self, reason: str = "quality decision") -> SignatureInput:
        """The signer's signature (registered on first use) for a signed command."""
        if self.ledger.find(Account, account_id(SIGNER)) is None:
            register(self.ledger, SIGNER)
        return signature(reason)

    def bom(self, parent: str, *lines: tuple[str, str, str]) -> None:
        self.run(
            DefineBom(
                parent=parent,
                version="A",
                effective_from=SINCE,
                lines=[
                    BomLineInput(component=comp, quantity=D(q), backflush=flush)  # type: ignore[arg-type]
                    for comp, q, flush in lines
                ],
            )
        )

    def receive(self, sku: str, lot: str, quantity: int, heat: str, supplier: str) -> None:
        self.plant.receive(sku, str(quantity), "2", lot=lot, supplier=supplier, supplier_lot=heat)

    def make(
        self, item: str, quantity: int, lot: str, issues: list[tuple[str, str, int]] = ()
    ) -> str:
        """A work order: issue the given (component, lot, quantity), backflush the rest
        at output, receive ``lot``, close."""
        self.orders += 1
        number = f"WO-{self.orders}"
        self.run(
            CreateWorkOrder(
                number=number, item=item, quantity=D(quantity), due_date=TODAY,
                output_location="A", supply_location="A",
            )
        )  # fmt: skip
        self.run(ReleaseWorkOrder(number=number))
        try:
            for component, from_lot, q in issues:
                self.run(
                    IssueToWorkOrder(
                        number=number, component=component, location="A", quantity=D(q),
                        lot=from_lot,
                    )
                )  # fmt: skip
            self.run(ReceiveWorkOrderOutput(number=number, quantity=D(quantity), lot=lot))
        finally:
            self.run(CloseWorkOrder(number=number))
        return number

    def available(self, sku: str) -> dict[str, Decimal]:
        """Available stock at A by lot, first received first."""
        stock = self.ledger.stock(sku)
        assert stock is not None
        return {
            lot: q
            for (where, lot, status), q in sorted(
                stock.balances.items(), key=lambda kv: stock.lots[kv[0][1]].first_received
            )
            if where == "A" and status == "available" and q > 0
        }


LEVELS = 10


def ten_levels(shop: Shop) -> None:
    """Raw lots of two heats, then nine levels of work orders: each level's first order
    consumes two lots of the level below (a diamond), its second another; every third
    level splits its first lot and the next level consumes both halves, the levels
    between merge their two lots into one; the last level is shipped, scrapped,
    reworked and held in part."""
    for k in range(LEVELS):
        shop.plant.item(f"L{k}", tracking="lot", precision=0, unit_of_measure="ea")
    for k in range(1, LEVELS):
        shop.bom(f"L{k}", (f"L{k - 1}", "1", "none"))
    shop.receive("L0", "R1", 1000, heat="H-1", supplier="ACME")
    shop.receive("L0", "R2", 1000, heat="H-1", supplier="ACME")
    shop.receive("L0", "R3", 1000, heat="H-2", supplier="BOLTS INC")
    below = ["R1", "R2", "R3"]
    for k in range(1, LEVELS):
        item, component = f"L{k}", f"L{k - 1}"
        first, second = f"{item}-A", f"{item}-B"
        shop.make(item, 40, first, [(component, below[0], 25), (component, below[1], 15)])
        shop.make(item, 30, second, [(component, below[-1], 30)])
        if k % 3 == 1:
            shop.run(SplitLot(sku=item, location="A", lot=first, new_lot=f"{item}-S",
                                quantity=D(15), reason="half to the second line"))  # fmt: skip
            below = [first, f"{item}-S", second]
        elif k % 3 == 2:
            shop.run(MergeLots(sku=item, location="A", lots=[first, second],
                                 new_lot=f"{item}-M", reason="one pallet"))  # fmt: skip
            below = [f"{item}-M", f"{item}-M", f"{item}-M"]
        else:
            below = [first, first, second]
    top = f"L{LEVELS - 1}"
    shop.run(CreateSalesOrder(number="SO-1", customer="RETAILER", lines=[
        OrderLineInput(line=1, sku=top, quantity=D(10), due_date=TODAY)]))  # fmt: skip
    shop.run(ShipSalesOrder(number="SO-1", shipment="SH-1",
                              lines=[ShipmentLineInput(line=1, quantity=D(10))]))  # fmt: skip
    shop.run(ReturnSalesOrder(number="SO-1", line=1, location="A", quantity=D(2),
                                lot=f"{top}-A", reason="dented"))  # fmt: skip
    lot = next(iter(shop.available(top)))
    shop.run(ChangeStockStatus(sku=top, location="A", quantity=D(3), lot=lot,
                                 from_status="available", to_status="rejected",
                                 reason="scratched", signature=shop.sign()))  # fmt: skip
    shop.run(DisposeStock(sku=top, location="A", lot=lot, quantity=D(1), disposition="scrap",
                            reason="beyond repair", signature=shop.sign()))  # fmt: skip
    shop.run(DisposeStock(sku=top, location="A", lot=lot, quantity=D(2),
                            disposition="rework", work_order="RW-1", output_location="A",
                            reason="polish", signature=shop.sign()))  # fmt: skip
    shop.run(ReceiveWorkOrderOutput(number="RW-1", quantity=D(2), lot=f"{top}-RW"))
    shop.run(PlaceHold(hold_id="QH-1", sku=top, lot=f"{top}-B", reason="customer complaint"))
    shop.run(AdjustStock(sku="L0", location="A", quantity_delta=D(-4), lot="R3",
                           reason_code="DAMAGED", signature=shop.sign()))  # fmt: skip
    shop.run(ScrapStock(sku="L0", location="A", quantity=D(3), lot="R2", reason_code="RUST"))
