"""Random command sequences against the ledger and a plain reference model.

After every step: the ledger accepted exactly what the reference accepts, no balance is
negative, promised stock never exceeds what is available, and the stock card rebuilt
from the stored events equals the reference.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    multiple,
    rule,
)

from ledger import errors
from ledger.commands import Command
from ledger.stock.commands import (
    AdjustStock,
    ChangeStockStatus,
    IssueStock,
    MoveStock,
    ReceiveStock,
    ReleaseReservation,
    ReserveStock,
    ScrapStock,
)
from ledger.store import store_env
from ledger.values import StockStatus
from ledger.writer import Ledger, WriterSettings
from tests.support.identity import register, signature
from tests.support.plant import Plant

D = Decimal
AVAILABLE, HELD = StockStatus.AVAILABLE, StockStatus.HELD
QA = "qa"  # signs the releases

SKU = "LOTTED"
locations = st.sampled_from(["A", "B"])
lots = st.sampled_from(["L1", "L2"])
quantities = st.integers(min_value=1, max_value=12).map(D)


class Reference:
    def __init__(self) -> None:
        self.balances: dict[tuple[str, str, StockStatus], Decimal] = {}
        self.reservations: dict[str, Decimal] = {}
        self.lots: set[str] = set()

    def qty(self, key: tuple[str, str, StockStatus]) -> Decimal:
        return self.balances.get(key, D(0))

    def add(self, key: tuple[str, str, StockStatus], q: Decimal) -> None:
        self.balances[key] = self.qty(key) + q
        if not self.balances[key]:
            del self.balances[key]

    def free(self) -> Decimal:
        available = sum((q for k, q in self.balances.items() if k[2] is AVAILABLE), D(0))
        return available - sum(self.reservations.values(), D(0))


class LedgerMachine(RuleBasedStateMachine):
    store = "memory"
    done = Bundle("done")
    reservations = Bundle("reservations")

    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        url = "memory://" if self.store == "memory" else f"sqlite:///{self.tmp.name}/e.db"
        self.ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
        self.plant = Plant(self.ledger)
        self.plant.item(SKU, tracking="lot", precision=0, unit_of_measure="ea")
        register(self.ledger, QA)  # signs the releases
        self.ref = Reference()
        self.counter = 0
        self.short = False

    def teardown(self) -> None:
        self.ledger.close()
        self.tmp.cleanup()

    def run(self, command: Command, accept: bool):  # type: ignore[no-untyped-def]
        """Post ``command``; accepted ones go to the ``done`` bundle for replays."""
        self.counter += 1
        command = command.model_copy(update={"command_id": f"cmd-{self.counter}"})
        try:
            outcome = self.ledger.execute(command, actor=QA)
        except errors.LedgerError as refused:
            assert not accept, f"ledger refused what the reference accepts: {refused}"
            return multiple()
        assert accept, f"ledger accepted what the reference refuses: {command!r}"
        assert not outcome.duplicate
        self.last_data = outcome.data
        return command

    @rule(target=done, location=locations, lot=lots, q=quantities)
    def receive(self, location: str, lot: str, q: Decimal):
        self.ref.add((location, lot, AVAILABLE), q)
        self.ref.lots.add(lot)
        return self.run(
            ReceiveStock(sku=SKU, location=location, quantity=q, unit_cost=D(2), lot=lot), True
        )

    @rule(target=done, location=locations, lot=lots, q=quantities)
    def issue(self, location: str, lot: str, q: Decimal):
        key = (location, lot, AVAILABLE)
        ok = self.ref.qty(key) >= q and self.ref.free() >= q
        if ok:
            self.ref.add(key, -q)
        return self.run(
            IssueStock(
                sku=SKU,
                location=location,
                quantity=q,
                lot=lot,
                target_kind="work_order",
                target="W",
            ),
            ok,
        )

    @rule(target=done, location=locations, lot=lots, q=quantities)
    def scrap(self, location: str, lot: str, q: Decimal):
        """One-step scrap: what an issue without a reservation may take."""
        key = (location, lot, AVAILABLE)
        ok = self.ref.qty(key) >= q and self.ref.free() >= q
        if ok:
            self.ref.add(key, -q)
        return self.run(
            ScrapStock(sku=SKU, location=location, quantity=q, lot=lot, reason_code="DAMAGED"),
            ok,
        )

    @rule(target=done, rid=reservations, location=locations, lot=lots, q=quantities)
    def issue_reserved(self, rid: str, location: str, lot: str, q: Decimal):
        key = (location, lot, AVAILABLE)
        open_qty = self.ref.reservations.get(rid)
        ok = (
            open_qty is not None
            and self.ref.qty(key) >= q
            and self.ref.free() + min(q, open_qty) >= q
        )
        if ok and open_qty is not None:
            self.ref.add(key, -q)
            left = open_qty - min(q, open_qty)
            if left:
                self.ref.reservations[rid] = left
            else:
                del self.ref.reservations[rid]
        return self.run(
            IssueStock(
                sku=SKU,
                location=location,
                quantity=q,
                lot=lot,
                target_kind="work_order",
                target="W",
                reservation_id=rid,
            ),
            ok,
        )

    @rule(target=done, source=locations, destination=locations, lot=lots, q=quantities)
    def move(self, source: str, destination: str, lot: str, q: Decimal):
        ok = source != destination and self.ref.qty((source, lot, AVAILABLE)) >= q
        if ok:
            self.ref.add((source, lot, AVAILABLE), -q)
            self.ref.add((destination, lot, AVAILABLE), q)
        return self.run(
            MoveStock(sku=SKU, from_location=source, to_location=destination, quantity=q, lot=lot),
            ok,
        )

    @rule(target=done, location=locations, lot=lots, q=quantities)
    def hold(self, location: str, lot: str, q: Decimal):
        ok = self.ref.qty((location, lot, AVAILABLE)) >= q and self.ref.free() >= q
        if ok:
            self.ref.add((location, lot, AVAILABLE), -q)
            self.ref.add((location, lot, HELD), q)
        return self.run(
            ChangeStockStatus(
                sku=SKU,
                location=location,
                lot=lot,
                quantity=q,
                from_status="available",
                to_status="held",
                reason="suspect",
            ),
            ok,
        )

    @rule(target=done, location=locations, lot=lots, q=quantities)
    def release_hold(self, location: str, lot: str, q: Decimal):
        ok = self.ref.qty((location, lot, HELD)) >= q
        if ok:
            self.ref.add((location, lot, HELD), -q)
            self.ref.add((location, lot, AVAILABLE), q)
        return self.run(
            ChangeStockStatus(
                sku=SKU,
                location=location,
                lot=lot,
                quantity=q,
                from_status="held",
                to_status="available",
                reason="cleared",
                signature=signature("ok"),
            ),
            ok,
        )

    @rule(
        target=done,
        location=locations,
        lot=lots,
        delta=st.integers(min_value=-8, max_value=8).filter(bool).map(D),
    )
    def adjust(self, location: str, lot: str, delta: Decimal):
        key = (location, lot, AVAILABLE)
        ok = self.ref.qty(key) >= -delta if delta < 0 else lot in self.ref.lots
        if ok:
            self.ref.add(key, delta)
            self.short = self.short or self.ref.free() < 0
        return self.run(
            AdjustStock(
                sku=SKU,
                location=location,
                lot=lot,
                quantity_delta=delta,
                reason_code="X",
                signature=signature("recount"),
            ),
            ok,
        )

    @rule(target=reservations, q=quantities)
    def reserve(self, q: Decimal):  # type: ignore[no-untyped-def]
        ok = self.ref.free() >= q
        if not ok:
            return self.run(ReserveStock(sku=SKU, quantity=q), ok)
        self.run(ReserveStock(sku=SKU, quantity=q), ok)
        rid = self.last_data["reservation_id"]
        self.ref.reservations[rid] = q
        return rid

    @rule(target=done, rid=consumes(reservations))
    def release(self, rid: str):
        ok = rid in self.ref.reservations
        self.ref.reservations.pop(rid, None)
        return self.run(ReleaseReservation(sku=SKU, reservation_id=rid), ok)

    @rule(old=done)
    def replay(self, old: Command) -> None:
        """A retried command id is answered from its receipt and posts nothing."""
        before = self.ledger.max_position()
        outcome = self.ledger.execute(old, actor=QA)  # the same sender: a replay
        assert outcome.duplicate
        assert self.ledger.max_position() == before

    @invariant()
    def matches_the_reference(self) -> None:
        card = self.ledger.stock(SKU)
        assert card is not None
        assert all(q > 0 for q in card.balances.values())
        assert card.balances == self.ref.balances
        assert card.reserved == sum(self.ref.reservations.values(), D(0))
        assert {k: r.quantity for k, r in card.reservations.items()} == self.ref.reservations
        # Issues, scraps, moves, holds and reservations never promise more than is available;
        # only a negative adjustment (stock found missing) can leave a shortage.
        assert card.reserved <= card.available or self.short
        assert card.value == sum(
            (layer.value for layers in card.layers.values() for layer in layers), D(0)
        )


class LedgerMachineSQLite(LedgerMachine):
    store = "sqlite"


SETTINGS = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLedgerInMemory = LedgerMachine.TestCase
TestLedgerInMemory.settings = SETTINGS
TestLedgerSQLite = LedgerMachineSQLite.TestCase
TestLedgerSQLite.settings = settings(SETTINGS, max_examples=40)
