"""The demo plant: one site with warehouses, zones and bins, a few dozen items of each
kind, and some receipts. Every command has a fixed command id, so loading twice posts
nothing new (the second load is answered from the idempotency receipts)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rich.progress import Progress

from ledger import commands as c
from ledger.values import CostingMethod, ItemKind, LocationKind, LocationLevel, Tracking
from ledger.writer import Ledger, Outcome

SITE = "PLANT1"

_NAMES: dict[ItemKind, tuple[str, list[str], list[str]]] = {
    ItemKind.RAW_MATERIAL: (
        "RM",
        [
            "Steel sheet",
            "Aluminium bar",
            "Copper wire",
            "PA66 resin",
            "Brass rod",
            "Rubber compound",
        ],
        ["2 mm", "5 mm", "10 mm", "grade A", "grade B"],
    ),
    ItemKind.COMPONENT: (
        "CP",
        ["Hex bolt", "Ball bearing", "O-ring", "Shaft seal", "Spring", "Gear"],
        ["M6", "M8", "M10", "6204", "6205", "small"],
    ),
    ItemKind.SUBASSEMBLY: (
        "SA",
        ["Gearbox housing", "Rotor assembly", "Motor mount", "Impeller set", "Control board"],
        ["type 1", "type 2", "type 3", "type 4", "type 5"],
    ),
    ItemKind.FINISHED_GOOD: (
        "FG",
        ["Centrifugal pump", "Gear motor", "Dosing pump", "Fan unit", "Compressor"],
        ["10 kW", "15 kW", "22 kW", "mini", "maxi"],
    ),
    ItemKind.PACKAGING: (
        "PK",
        ["Carton", "Pallet", "Stretch film", "Foam insert", "Label roll"],
        ["S", "M", "L", "XL", "EU"],
    ),
    ItemKind.CONSUMABLE: (
        "CN",
        ["Lubricant", "Nitrile gloves", "Cleaning solvent", "Welding wire", "Sandpaper"],
        ["1 l", "box 100", "5 l", "0.8 mm", "P120"],
    ),
}
ITEMS_PER_KIND = 24
SERIAL_SLOT = 5  # every sixth finished good is serial-tracked
INSPECTED_EVERY = 5  # one raw material in five needs incoming inspection
_UNITS = {
    ItemKind.RAW_MATERIAL: ("kg", 3),
    ItemKind.COMPONENT: ("ea", 0),
    ItemKind.SUBASSEMBLY: ("ea", 0),
    ItemKind.FINISHED_GOOD: ("ea", 0),
    ItemKind.PACKAGING: ("ea", 0),
    ItemKind.CONSUMABLE: ("l", 2),
}


def locations() -> list[c.RegisterLocation]:
    site, wh, zone, bin_ = (
        LocationLevel.SITE,
        LocationLevel.WAREHOUSE,
        LocationLevel.ZONE,
        LocationLevel.BIN,
    )
    out = [c.RegisterLocation(code=SITE, name="Main plant", level=site)]

    def add(code: str, name: str, level: LocationLevel, kind: LocationKind, parent: str) -> None:
        out.append(c.RegisterLocation(code=code, name=name, level=level, kind=kind, parent=parent))

    storage = LocationKind.STORAGE
    add("WH-MAIN", "Main warehouse", wh, storage, SITE)
    add("WH-PROD", "Production", wh, LocationKind.WIP, SITE)
    add("WH-FG", "Finished goods", wh, storage, SITE)
    add("WH-EXT", "Partners", wh, LocationKind.TRANSIT, SITE)
    add("RECV", "Receiving dock", zone, LocationKind.RECEIVING, "WH-MAIN")
    add("QA", "Quality quarantine", zone, LocationKind.QUARANTINE, "WH-MAIN")
    for rack in ("A", "B"):
        add(f"RACK-{rack}", f"Rack {rack}", zone, storage, "WH-MAIN")
        for n in range(1, 11):
            add(f"{rack}-{n:02d}", f"Bin {rack}-{n:02d}", bin_, storage, f"RACK-{rack}")
    add("WIP-1", "Assembly line 1", zone, LocationKind.WIP, "WH-PROD")
    add("WIP-2", "Machining cell 2", zone, LocationKind.WIP, "WH-PROD")
    add("SCRAP", "Scrap cage", zone, LocationKind.SCRAP, "WH-PROD")
    add("FG-1", "Finished goods hall", zone, storage, "WH-FG")
    for n in range(1, 7):
        add(f"F-{n:02d}", f"Bin F-{n:02d}", bin_, storage, "FG-1")
    add("SHIP", "Shipping dock", zone, storage, "WH-FG")
    add("SUPPLIERS", "Suppliers", zone, LocationKind.SUPPLIER, "WH-EXT")
    add("CUSTOMERS", "Customers", zone, LocationKind.CUSTOMER, "WH-EXT")
    add("IN-TRANSIT", "In transit", zone, LocationKind.TRANSIT, "WH-EXT")
    return out


def items(rng: random.Random) -> list[c.RegisterItem]:
    out = []
    for kind, (prefix, nouns, variants) in _NAMES.items():
        unit, precision = _UNITS[kind]
        for n in range(ITEMS_PER_KIND):
            noun = nouns[n % len(nouns)]
            variant = variants[(n // len(nouns)) % len(variants)]
            lot_tracked = kind in (ItemKind.RAW_MATERIAL, ItemKind.CONSUMABLE) or n % 4 == 0
            serial = kind is ItemKind.FINISHED_GOOD and n % 6 == SERIAL_SLOT
            costing = (
                CostingMethod.STANDARD
                if kind in (ItemKind.SUBASSEMBLY, ItemKind.FINISHED_GOOD)
                else CostingMethod.MOVING_AVERAGE
                if kind is ItemKind.CONSUMABLE
                else CostingMethod.FIFO
            )
            cost = Decimal(rng.randint(50, 50_000)) / 100
            out.append(
                c.RegisterItem(
                    sku=f"{prefix}-{n + 1:03d}",
                    description=f"{noun} {variant}",
                    kind=kind,
                    unit_of_measure=unit,
                    precision=0 if serial else precision,
                    tracking=Tracking.SERIAL
                    if serial
                    else (Tracking.LOT if lot_tracked else Tracking.NONE),
                    costing_method=costing,
                    standard_cost=cost * 3 if costing is CostingMethod.STANDARD else None,
                    shelf_life_days=(
                        rng.choice([180, 365, 730])
                        if kind in (ItemKind.RAW_MATERIAL, ItemKind.CONSUMABLE)
                        else None
                    ),
                    inspection_required=kind is ItemKind.RAW_MATERIAL and n % INSPECTED_EVERY == 0,
                    planning=c.PlanningParametersInput(
                        lead_time_days=rng.choice([3, 5, 10, 15, 20]),
                        safety_stock=Decimal(rng.choice([0, 10, 20, 50])),
                        reorder_point=Decimal(rng.choice([0, 25, 50, 100])),
                    ),
                )
            )
    return out


def receipts(rng: random.Random, registered: list[c.RegisterItem]) -> list[c.ReceiveStock]:
    out = []
    storage_bins = [f"{r}-{n:02d}" for r in "AB" for n in range(1, 11)]
    for item in registered:
        if item.kind is ItemKind.SUBASSEMBLY:
            continue
        count = 1 if item.tracking is Tracking.SERIAL else rng.randint(1, 3)
        for k in range(count):
            if item.kind is ItemKind.FINISHED_GOOD:
                location = f"F-{rng.randint(1, 6):02d}"
            elif item.inspection_required:
                location = "RECV"
            else:
                location = rng.choice(storage_bins)
            quantity = (
                Decimal(1) if item.tracking is Tracking.SERIAL else Decimal(rng.randint(5, 400))
            )
            base = (
                item.standard_cost / 3
                if item.standard_cost
                else Decimal(rng.randint(50, 9_000)) / 100
            )
            out.append(
                c.ReceiveStock(
                    sku=item.sku,
                    location=location,
                    quantity=quantity,
                    unit_cost=(base * Decimal(rng.randint(95, 105)) / 100).quantize(
                        Decimal("0.01")
                    ),
                    lot=(
                        f"SN-{item.sku}-{k + 1:04d}"
                        if item.tracking is Tracking.SERIAL
                        else f"L{item.sku[-3:]}-{k + 1:02d}"
                        if item.tracking is Tracking.LOT
                        else None
                    ),
                    supplier_lot=f"S{rng.randint(10_000, 99_999)}"
                    if item.tracking is Tracking.LOT
                    else None,
                    supplier=f"SUP-{rng.randint(1, 8):02d}",
                    reference=f"PO-{1000 + rng.randint(0, 300)}",
                )
            )
    return out


def demo_commands(seed: int = 7) -> Iterator[c.Command]:
    rng = random.Random(seed)
    registered = items(rng)
    backdate = datetime.now(UTC) - timedelta(days=3)
    numbered: list[c.Command] = [*locations(), *registered]
    for n, receipt in enumerate(receipts(rng, registered)):
        # Receipts spread over the last three days, so `asOf` queries have a past.
        when = backdate + timedelta(minutes=n * 7)
        numbered.append(receipt.model_copy(update={"effective_at": when}))
    for n, command in enumerate(numbered):
        yield command.model_copy(update={"command_id": f"demo-{seed}-{n:05d}"})


def load_demo(ledger: Ledger, *, show_progress: bool = True) -> tuple[int, int]:
    """Post the demo plant; returns (commands posted, commands that were already there).
    A store that already holds the demo site is left alone."""
    commands = list(demo_commands())
    if ledger.location(SITE) is not None:
        return 0, len(commands)
    posted = duplicates = 0
    with Progress(disable=not show_progress, transient=True) as progress:
        task = progress.add_task("loading the demo plant", total=len(commands))
        # Locations and items first (receipts need them), then receipts in one burst.
        split = next(i for i, cmd in enumerate(commands) if isinstance(cmd, c.ReceiveStock))
        for chunk in (commands[:split], commands[split:]):
            for start in range(0, len(chunk), 200):
                futures: list[Future[Outcome]] = [
                    ledger.submit(cmd, actor="demo-loader") for cmd in chunk[start : start + 200]
                ]
                for future in futures:
                    outcome = future.result()
                    duplicates += outcome.duplicate
                    posted += not outcome.duplicate
                    progress.advance(task)
    return posted, duplicates
