"""The demo plant: one site with warehouses, zones and bins, a few dozen items of each
kind, and some receipts. Every command has a fixed command id, so loading twice posts
nothing new (the second load is answered from the idempotency receipts)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from pydantic import SecretStr
from rich.progress import Progress

from ledger.commands import Command
from ledger.engineering.commands import (
    BomLineInput,
    DefineBom,
    DefineRouting,
    DefineWorkCenter,
    OperationInput,
)
from ledger.identity.accounts import Account, account_id
from ledger.identity.commands import GrantInput, GrantRole, IssueApiKey, RegisterUser
from ledger.identity.roles import Role
from ledger.master_data.commands import PlanningParametersInput, RegisterItem, RegisterLocation
from ledger.master_data.gs1 import check_digit
from ledger.orders.commands import (
    AllocateSalesOrder,
    ConfirmPurchaseOrder,
    CreatePurchaseOrder,
    CreateSalesOrder,
    OrderLineInput,
    ReceiptLineInput,
    ReceivePurchaseOrder,
)
from ledger.production.commands import (
    CloseWorkOrder,
    CompleteWorkOrder,
    CreateWorkOrder,
    ReleaseWorkOrder,
    ReportOperation,
)
from ledger.stock.commands import MoveStock, ReceiveStock
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
# GS1 keys under GS1's example company prefix 9506000: the site has a GLN, and every
# other finished good and raw material a GTIN (what EPCIS exports name by GS1 keys).
GS1_PREFIX = "9506000"
SITE_GLN = "9506000000008"


def demo_gtin(number: int) -> str:
    body = f"{GS1_PREFIX}{number:05d}"
    return body + str(check_digit(body))


_UNITS = {
    ItemKind.RAW_MATERIAL: ("kg", 3),
    ItemKind.COMPONENT: ("ea", 0),
    ItemKind.SUBASSEMBLY: ("ea", 0),
    ItemKind.FINISHED_GOOD: ("ea", 0),
    ItemKind.PACKAGING: ("ea", 0),
    ItemKind.CONSUMABLE: ("l", 2),
}


def locations() -> list[RegisterLocation]:
    site, wh, zone, bin_ = (
        LocationLevel.SITE,
        LocationLevel.WAREHOUSE,
        LocationLevel.ZONE,
        LocationLevel.BIN,
    )
    out = [RegisterLocation(code=SITE, name="Main plant", level=site, gln=SITE_GLN)]

    def add(code: str, name: str, level: LocationLevel, kind: LocationKind, parent: str) -> None:
        out.append(RegisterLocation(code=code, name=name, level=level, kind=kind, parent=parent))

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


def items(rng: random.Random) -> list[RegisterItem]:
    out: list[RegisterItem] = []
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
            keyed = kind in (ItemKind.FINISHED_GOOD, ItemKind.RAW_MATERIAL) and (
                n % 2 == 0 or serial
            )
            out.append(
                RegisterItem(
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
                    gtin=demo_gtin(len(out) + 1) if keyed else None,
                    planning=PlanningParametersInput(
                        lead_time_days=rng.choice([3, 5, 10, 15, 20]),
                        safety_stock=Decimal(rng.choice([0, 10, 20, 50])),
                        reorder_point=Decimal(rng.choice([0, 25, 50, 100])),
                    ),
                )
            )
    return out


def receipts(rng: random.Random, registered: list[RegisterItem]) -> list[ReceiveStock]:
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
                ReceiveStock(
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


WORK_CENTERS = [
    DefineWorkCenter(code="MACH", name="CNC machining", capacity_hours_per_day=Decimal(16),
                       labour_rate=Decimal(42), machine_rate=Decimal(65)),
    DefineWorkCenter(code="WELD", name="Welding", labour_rate=Decimal(38),
                       machine_rate=Decimal(25)),
    DefineWorkCenter(code="PAINT", name="Paint line", labour_rate=Decimal(30),
                       machine_rate=Decimal(18)),
    DefineWorkCenter(code="ASSY", name="Assembly", capacity_hours_per_day=Decimal(16),
                       labour_rate=Decimal(35), machine_rate=Decimal(5)),
    DefineWorkCenter(code="TEST", name="Final test", labour_rate=Decimal(40),
                       machine_rate=Decimal(10)),
]  # fmt: skip
STAGING = "WIP-1"  # line-side stock the demo work orders backflush from


PLENTY = 150  # a lot this big in one place can feed the demo's work orders
ALLOCATED_ORDERS = 3


@dataclass
class _Plant:
    """What the demo's production part draws on."""

    rng: random.Random
    by_kind: dict[ItemKind, list[RegisterItem]]
    plenty: dict[str, ReceiveStock]  # a big lot in storage, by item
    today: date
    boms: dict[str, list[BomLineInput]] = field(default_factory=dict)

    def usable(self, kind: ItemKind) -> list[RegisterItem]:
        return [
            i for i in self.by_kind[kind]
            if i.sku in self.plenty and i.tracking is not Tracking.SERIAL
        ]  # fmt: skip

    @property
    def finished(self) -> list[RegisterItem]:
        return [
            i for i in self.by_kind[ItemKind.FINISHED_GOOD] if i.tracking is not Tracking.SERIAL
        ]

    def due(self, days: int) -> date:
        return self.today + timedelta(days=days)


def _engineering(plant: _Plant) -> list[Command]:
    rng, since = plant.rng, plant.today - timedelta(days=90)
    out: list[Command] = list(WORK_CENTERS)
    for sub in plant.by_kind[ItemKind.SUBASSEMBLY]:
        raw = rng.sample(plant.usable(ItemKind.RAW_MATERIAL), 2)
        parts = rng.sample(plant.usable(ItemKind.COMPONENT), 2)
        plant.boms[sub.sku] = [
            *(BomLineInput(component=r.sku, quantity=Decimal(rng.choice(["0.5", "1.2", "2.5"])),
                             scrap_factor=Decimal("0.03"), backflush="operation", operation=10)
              for r in raw),
            *(BomLineInput(component=p.sku, quantity=Decimal(rng.randint(1, 4)),
                             backflush="completion") for p in parts),
        ]  # fmt: skip
        out.append(DefineBom(parent=sub.sku, version="A", effective_from=since,
                               lines=plant.boms[sub.sku]))  # fmt: skip
        out.append(
            DefineRouting(item=sub.sku, version="A", effective_from=since, operations=[
                OperationInput(seq=10, work_center="MACH", setup_hours=Decimal("0.5"),
                                 run_hours_per_unit=Decimal("0.2")),
                OperationInput(seq=20, work_center=rng.choice(["WELD", "PAINT"]),
                                 run_hours_per_unit=Decimal("0.1"), move_queue_hours=Decimal(4)),
            ])
        )  # fmt: skip
    for fg in plant.finished:
        subs = rng.sample(plant.by_kind[ItemKind.SUBASSEMBLY], 2)
        part = rng.choice(plant.usable(ItemKind.COMPONENT))
        pack = rng.choice(plant.usable(ItemKind.PACKAGING))
        lines = [
            *(BomLineInput(component=s.sku, quantity=Decimal(1), backflush="completion")
              for s in subs),
            BomLineInput(component=part.sku, quantity=Decimal(rng.randint(2, 8)),
                           backflush="completion"),
            BomLineInput(component=pack.sku, quantity=Decimal(1), backflush="completion"),
        ]  # fmt: skip
        out.append(DefineBom(parent=fg.sku, version="A", effective_from=since, lines=lines))
        out.append(
            DefineRouting(item=fg.sku, version="A", effective_from=since, operations=[
                OperationInput(seq=10, work_center="ASSY", setup_hours=Decimal(1),
                                 run_hours_per_unit=Decimal("0.75")),
                OperationInput(seq=20, work_center="TEST", run_hours_per_unit=Decimal("0.25")),
            ])
        )  # fmt: skip
    return out


def _orders(plant: _Plant) -> list[Command]:
    """Open purchase orders (supply) for materials, sales orders (demand) for goods."""
    rng, out = plant.rng, list[Command]()
    buyable = plant.usable(ItemKind.RAW_MATERIAL) + plant.usable(ItemKind.COMPONENT)
    for n in range(6):
        number = f"PO-D{n + 1:03d}"
        out.append(CreatePurchaseOrder(number=number, supplier=f"SUP-{n + 1:02d}", lines=[
            OrderLineInput(line=k + 1, sku=i.sku, quantity=Decimal(rng.choice([100, 250, 500])),
                             due_date=plant.due(rng.randint(2, 25)),
                             unit_price=Decimal(rng.randint(100, 4_000)) / 100)
            for k, i in enumerate(rng.sample(buyable, 4))
        ]))  # fmt: skip
        out.append(ConfirmPurchaseOrder(number=number))
        if n == 0:  # one delivery has partly arrived
            out.append(ReceivePurchaseOrder(number=number, location="RACK-A", lines=[
                ReceiptLineInput(line=1, quantity=Decimal(40), lot=f"{number}-1"),
            ]))  # fmt: skip
    for n in range(8):
        number = f"SO-D{n + 1:03d}"
        out.append(CreateSalesOrder(number=number, customer=f"CUST-{n % 5 + 1:02d}", lines=[
            OrderLineInput(line=k + 1, sku=fg.sku, quantity=Decimal(rng.randint(1, 12)),
                             due_date=plant.due(rng.randint(3, 40)),
                             unit_price=Decimal(rng.randint(800, 5_000)))
            for k, fg in enumerate(rng.sample(plant.finished, 2))
        ]))  # fmt: skip
        if n < ALLOCATED_ORDERS:
            out.append(AllocateSalesOrder(number=number))
    return out


def _work_orders(plant: _Plant) -> list[Command]:
    """One in progress, one done and closed, one released, one only created. Their
    components are first staged at WIP-1 from lots known to hold enough."""

    def created(number: str, item: str, quantity: int, days: int) -> CreateWorkOrder:
        return CreateWorkOrder(number=number, item=item, quantity=Decimal(quantity),
                                 due_date=plant.due(days), output_location="RACK-B",
                                 supply_location=STAGING)  # fmt: skip

    def stage(item: str, quantity: int) -> list[Command]:
        moves: list[Command] = []
        for line in plant.boms[item]:
            lot = plant.plenty[line.component]
            need = (line.quantity * (1 + line.scrap_factor) * quantity).quantize(Decimal(1)) + 1
            moves.append(MoveStock(sku=line.component, from_location=lot.location,
                                     to_location=STAGING, lot=lot.lot,
                                     quantity=min(lot.quantity, need)))  # fmt: skip
        return moves

    subs = plant.by_kind[ItemKind.SUBASSEMBLY]
    return [
        created("WO-D001", subs[0].sku, 10, 5),
        *stage(subs[0].sku, 10),
        ReleaseWorkOrder(number="WO-D001"),
        ReportOperation(number="WO-D001", operation=10, good=Decimal(10),
                          labour_hours=Decimal("2.5"), machine_hours=Decimal("2.5")),
        created("WO-D002", subs[1].sku, 6, -2),
        *stage(subs[1].sku, 6),
        ReleaseWorkOrder(number="WO-D002"),
        CompleteWorkOrder(number="WO-D002"),
        CloseWorkOrder(number="WO-D002"),
        created("WO-D003", plant.finished[0].sku, 4, 12),
        ReleaseWorkOrder(number="WO-D003"),
        created("WO-D004", subs[2].sku, 20, 20),
    ]  # fmt: skip


def production(
    rng: random.Random, registered: list[RegisterItem], stocked: list[ReceiveStock]
) -> list[Command]:
    """Work centers, BOMs and routings for every sub-assembly and finished good, open
    purchase and sales orders, and work orders in every state: something for WIP, open
    supply and demand, and the planning engine to show."""
    by_kind: dict[ItemKind, list[RegisterItem]] = {}
    for item in registered:
        by_kind.setdefault(item.kind, []).append(item)
    plenty: dict[str, ReceiveStock] = {}
    for receipt in stocked:
        if receipt.location != "RECV" and receipt.quantity >= PLENTY:
            plenty.setdefault(receipt.sku, receipt)
    plant = _Plant(rng, by_kind, plenty, datetime.now(UTC).date())
    return [*_engineering(plant), *_orders(plant), *_work_orders(plant)]


def demo_commands(seed: int = 7) -> Iterator[Command]:
    rng = random.Random(seed)
    registered = items(rng)
    backdate = datetime.now(UTC) - timedelta(days=3)
    numbered: list[Command] = [*locations(), *registered]
    stocked = receipts(rng, registered)
    for n, receipt in enumerate(stocked):
        # Receipts spread over the last three days, so `asOf` queries have a past.
        when = backdate + timedelta(minutes=n * 7)
        numbered.append(receipt.model_copy(update={"effective_at": when}))
    numbered += production(rng, registered, stocked)
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
        # Locations and items first (receipts need them), then receipts in one burst,
        # then production one command at a time (each builds on the one before).
        split = next(i for i, cmd in enumerate(commands) if isinstance(cmd, ReceiveStock))
        made = next(i for i, cmd in enumerate(commands) if isinstance(cmd, DefineWorkCenter))
        for chunk, burst in (
            (commands[:split], 200), (commands[split:made], 200), (commands[made:], 1),
        ):  # fmt: skip
            for start in range(0, len(chunk), burst):
                futures: list[Future[Outcome]] = [
                    ledger.submit(cmd, actor="demo-loader") for cmd in chunk[start : start + burst]
                ]
                for future in futures:
                    outcome = future.result()
                    duplicates += outcome.duplicate
                    posted += not outcome.duplicate
                    progress.advance(task)
    return posted, duplicates


# --- demo people (development only) ------------------------------------------------------

# Every demo person's password: printed by `mims demo load`, never for production (the
# command refuses to create people there).
DEMO_PASSWORD = "mims-demo-password"  # noqa: S105 - the demo's, printed on purpose
EVERY_SITE_ROLES = frozenset({Role.ADMINISTRATOR, Role.AUDITOR})


def demo_user(role: Role) -> str:
    return f"demo-{role.value.replace('_', '-')}"


def demo_people(ledger: Ledger) -> tuple[list[str], str | None]:
    """One person per grantable role (``demo-storekeeper``...), at the demo plant (every
    site for the administrator and the auditor), with `DEMO_PASSWORD`; and, the first
    time, an administrator's API key for curl. Returns the people created and the key's
    text (None when they were there already)."""
    created = []
    for role in Role:
        if role is Role.SYSTEM:
            continue
        user = demo_user(role)
        if ledger.find(Account, account_id(user)) is not None:
            continue
        ledger.execute(
            RegisterUser(
                user_id=user,
                printed_name=f"Demo {role.value.replace('_', ' ')}",
                password=SecretStr(DEMO_PASSWORD),
            ),
            actor="demo-loader",
        )
        site = "*" if role in EVERY_SITE_ROLES else SITE
        ledger.execute(
            GrantRole(user_id=user, grant=GrantInput(role=role, site=site)), actor="demo-loader"
        )
        created.append(user)
    if not created:
        return created, None
    outcome = ledger.execute(
        IssueApiKey(
            name="demo curl",
            grants=(GrantInput(role=Role.ADMINISTRATOR, site="*"),),
            on_behalf_of=demo_user(Role.ADMINISTRATOR),
        ),
        actor="demo-loader",
    )
    return created, outcome.data.get("key")
