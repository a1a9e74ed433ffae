"""A shop that makes lots from lots: the ledger's commands in the plant's words, and a
genealogy ten levels deep (diamonds, splits, merges, shipments, returns, rework and holds)
that the projections' and the queries' trace tests both read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from ledger.commands import Command
from ledger.engineering.commands import BomLineInput, DefineBom
from ledger.errors import LedgerError
from ledger.identity.accounts import Account, account_id
from ledger.orders.aggregates import SalesOrder
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
    ReturnFromWorkOrder,
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


# --- random flows (the genealogy and the EPCIS property tests) ---------------------------


def stored_events(ledger: Ledger) -> list[Any]:
    app = ledger.app
    notifications = app.recorder.select_notifications(start=1, limit=1_000_000)
    return [app.mapper.to_domain_event(n) for n in notifications]


OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["receive", "part", "assembly", "split", "merge", "ship", "return", "scrap",
             "adjust", "unissue"]
        ),
        st.integers(0, 1000),
        st.integers(1, 30),
    ),
    min_size=4,
    max_size=30,
)  # fmt: skip


def play(shop: Shop, ops: list[tuple[str, int, int]]) -> None:
    """Each step picks what exists (a lot with stock, an order shipped); a step the
    ledger refuses changes nothing, which is part of what is tested."""
    for n, (kind, pick, size) in enumerate(ops, start=1):

        def one(sku: str, pick: int = pick) -> tuple[str, Decimal] | None:
            lots = list(shop.available(sku).items())
            return lots[pick % len(lots)] if lots else None

        try:
            if kind == "receive":
                shop.receive("RAW", f"R{n}", 10 + size * 3, heat=f"H{pick % 4}",
                             supplier=f"S{pick % 3}")  # fmt: skip
            elif kind == "part":  # RAW backflushed first to expire first
                shop.make("PART", 1 + size % 8, f"P{n}")
            elif kind == "assembly" and (part := one("PART")) is not None:
                q = min(int(part[1]), 1 + size % 4)
                shop.make("ASSY", q, f"A{n}", [("PART", part[0], q)])
            elif kind == "split":
                sku = ["RAW", "PART", "ASSY"][pick % 3]
                if (lot := one(sku)) is not None and lot[1] > 1:
                    shop.run(SplitLot(sku=sku, location="A", lot=lot[0], new_lot=f"S{n}",
                                        quantity=D(1 + size % int(lot[1] - 1))))  # fmt: skip
            elif kind == "merge":
                sku = ["RAW", "PART", "ASSY"][pick % 3]
                lots = list(shop.available(sku))
                if len(lots) >= 2:
                    two = [lots[pick % len(lots)], lots[(pick + 1) % len(lots)]]
                    shop.run(MergeLots(sku=sku, location="A", lots=two, new_lot=f"M{n}"))
            elif kind == "ship" and (lot := one("ASSY")) is not None:
                number = f"SO-{n}"
                q = D(min(int(lot[1]), size))
                shop.run(CreateSalesOrder(number=number, customer=f"C{pick % 2}", lines=[
                    OrderLineInput(line=1, sku="ASSY", quantity=q, due_date=TODAY)]))  # fmt: skip
                shop.run(ShipSalesOrder(number=number, shipment=f"SH-{n}",
                                          lines=[ShipmentLineInput(line=1, quantity=q)]))  # fmt: skip
            elif kind == "return":
                shipped = [e for e in stored_events(shop.ledger)
                           if isinstance(e, SalesOrder.Shipped) and e.lot]  # fmt: skip
                if shipped:
                    e = shipped[pick % len(shipped)]
                    number = next(
                        x.number for x in stored_events(shop.ledger)
                        if isinstance(x, SalesOrder.Created) and x.originator_id == e.originator_id
                    )  # fmt: skip
                    shop.run(ReturnSalesOrder(number=number, line=1, location="A",
                                                quantity=D(1), lot=e.lot, reason="faulty"))  # fmt: skip
            elif kind == "scrap":
                sku = ["RAW", "PART", "ASSY"][pick % 3]
                if (lot := one(sku)) is not None and size % 3 == 0:  # in one step
                    shop.run(ScrapStock(sku=sku, location="A", lot=lot[0],
                                          quantity=D(1 + size % int(lot[1])),
                                          reason_code="DAMAGED"))  # fmt: skip
                elif lot is not None:
                    q = D(1 + size % int(lot[1]))
                    shop.run(ChangeStockStatus(sku=sku, location="A", quantity=q, lot=lot[0],
                                                 from_status="available", to_status="rejected",
                                                 reason="damaged", signature=shop.sign()))  # fmt: skip
                    shop.run(DisposeStock(sku=sku, location="A", lot=lot[0], quantity=q,
                                            disposition="scrap" if pick % 2 else
                                            "return_to_supplier" if sku == "RAW" else "scrap",
                                            reason="damaged", signature=shop.sign()))  # fmt: skip
            elif kind == "adjust":
                sku = ["RAW", "PART", "ASSY"][pick % 3]
                if (lot := one(sku)) is not None:
                    delta = D(-1 if pick % 2 else 1)
                    shop.run(AdjustStock(sku=sku, location="A", quantity_delta=delta,
                                           lot=lot[0], reason_code="COUNT",
                                           signature=shop.sign()))  # fmt: skip
            elif kind == "unissue" and (part := one("PART")) is not None and part[1] >= 2:
                # An assembly order issued two, returned one before receiving its output.
                shop.orders += 1
                number = f"WO-{shop.orders}"
                shop.run(CreateWorkOrder(number=number, item="ASSY", quantity=D(1),
                                           due_date=TODAY, output_location="A",
                                           supply_location="A"))  # fmt: skip
                shop.run(ReleaseWorkOrder(number=number))
                shop.run(IssueToWorkOrder(number=number, component="PART", location="A",
                                            quantity=D(2), lot=part[0]))  # fmt: skip
                shop.run(ReturnFromWorkOrder(number=number, component="PART", location="A",
                                               quantity=D(1), lot=part[0]))  # fmt: skip
                shop.run(ReceiveWorkOrderOutput(number=number, quantity=D(1), lot=f"A{n}"))
                shop.run(CloseWorkOrder(number=number))
        except LedgerError:
            pass
