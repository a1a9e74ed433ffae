"""A varied, seeded history of a small plant: every kind of stock event, every costing
method, lots and serials, reservations, holds, backdated commands."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ledger.commands import Command
from ledger.errors import LedgerError
from ledger.identity.accounts import Account, account_id
from ledger.master_data.commands import ChangeStandardCost
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
from ledger.writer import Ledger
from tests.support.identity import register, signature
from tests.support.plant import Plant

D = Decimal
ITEMS = {
    "FIFO-LOT": {"tracking": "lot", "shelf_life_days": 400},
    "FIFO-PLAIN": {},
    "AVG": {"costing_method": "moving_average"},
    "STD": {"costing_method": "standard", "standard_cost": D("10")},
    "SER": {"tracking": "serial", "unit_of_measure": "ea", "precision": 0},
    "QA-ITEM": {"inspection_required": True, "kind": "component"},
}
LOCATIONS = ["A", "A1", "B", "QA"]
PEOPLE = ("ann", "bob")
KINDS = [
    *["receive"] * 4,
    *["issue"] * 3,
    *["move"] * 2,
    *["adjust", "count", "reserve", "release", "hold", "unhold", "restandard"],
]
KINDS = [
    *["receive"] * 4,
    *["issue"] * 3,
    *["move"] * 2,
    *["adjust", "count", "reserve", "release", "hold", "unhold", "restandard"],
]


def build_history(ledger: Ledger, *, seed: int = 1, commands: int = 250) -> list[datetime]:
    """Posts a random but valid-or-refused mix; returns the effective times used."""
    rng = random.Random(seed)
    plant = Plant(ledger)
    for sku, fields in ITEMS.items():
        plant.item(sku, **fields)
    for person in PEOPLE:  # they sign corrections and releases with their password
        if ledger.find(Account, account_id(person)) is None:
            register(ledger, person)
    now = datetime.now(UTC)
    times: list[datetime] = []
    serial = 0
    open_reservations: list[tuple[str, str]] = []
    for n in range(commands):
        sku = rng.choice(list(ITEMS))
        # Effective times spread over the last six days, in increasing order mostly,
        # with some commands backdated behind others.
        when = now - timedelta(days=6) + timedelta(minutes=n * 30 + rng.randint(-600, 60))
        when = min(when, now)
        times.append(when)
        lot = None
        if ITEMS[sku].get("tracking") == "lot":
            lot = rng.choice(["L1", "L2", "L3"])
        kind = rng.choice(KINDS)
        quantity = D(rng.randint(1, 20))
        location = rng.choice(LOCATIONS)
        if sku == "SER":
            quantity = D(1)
            if kind == "receive":
                serial += 1
                lot = f"SN-{serial}"
            else:
                lot = f"SN-{rng.randint(1, max(1, serial))}"
        command: Command
        if kind == "receive":
            command = ReceiveStock(
                sku=sku,
                location=location,
                quantity=quantity,
                unit_cost=D(rng.randint(100, 900)) / 100,
                lot=lot,
                supplier_lot=f"S{rng.randint(1, 9)}" if lot else None,
                supplier="SUP-1",
            )
        elif kind == "issue":
            command = IssueStock(
                sku=sku,
                location=location,
                quantity=quantity,
                lot=lot,
                target_kind="work_order",
                target=f"WO-{rng.randint(1, 5)}",
            )
        elif kind == "move":
            command = MoveStock(
                sku=sku,
                from_location=location,
                to_location=rng.choice([x for x in LOCATIONS if x != location]),
                quantity=quantity,
                lot=lot,
            )
        elif kind == "adjust":
            command = AdjustStock(
                sku=sku,
                location=location,
                lot=lot,
                reason_code="DAMAGE",
                quantity_delta=quantity if rng.random() < 0.4 else -quantity,
                signature=signature("recount", meaning="reviewed"),
            )
        elif kind == "count":
            command = CountStock(
                sku=sku, location=location, lot=lot, counted_quantity=D(rng.randint(0, 30))
            )
        elif kind == "reserve":
            command = ReserveStock(sku=sku, quantity=quantity, reference=f"SO-{n}")
        elif kind == "release" and open_reservations:
            sku, rid = open_reservations.pop(rng.randrange(len(open_reservations)))
            command = ReleaseReservation(sku=sku, reservation_id=rid)
        elif kind in ("hold", "unhold"):
            held = kind == "hold"
            command = ChangeStockStatus(
                sku=sku,
                location=location,
                lot=lot,
                quantity=quantity,
                from_status="available" if held else ("quarantine" if sku == "QA-ITEM" else "held"),
                to_status="held" if held else "available",
                reason=kind,
                signature=None if held else signature("cleared"),
            )
        elif kind == "restandard":
            command = ChangeStandardCost(sku="STD", standard_cost=D(rng.randint(5, 15)))
        else:
            continue
        command = command.model_copy(update={"effective_at": when, "command_id": f"h{seed}-{n}"})
        try:
            outcome = ledger.execute(command, actor=rng.choice(PEOPLE))
        except LedgerError:
            continue
        if kind == "reserve":
            open_reservations.append((sku, outcome.data["reservation_id"]))
    return times
