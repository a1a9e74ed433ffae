"""./scripts/bench trace: lot genealogy at scale, in one run.

A plant of ten levels (raw lots from suppliers, nine levels of work orders, the last
level shipped to customers), 100,000 lots, over 1M events, written by the real
aggregates and stored in bulk (like benchmarks/datasets.py; kept in the PostgreSQL schema
``bench_trace_1m`` and reused, ``--rebuild`` makes it again). The read models are built
from it by the real projection runner every run.

Figures, each beside the same answer computed the naive way in the same run:

1. ``traceForward`` from a raw lot and ``traceBackward`` from a finished lot: the
   recursive walk and every detail (``projections.quality_trace.trace``), beside a Python
   breadth-first walk issuing one SQL query per lot against the same read model.
2. The recall simulation of a supplier lot (walk, stock on hand, shipments, mass balance
   per lot), beside the naive walk plus one query per lot for each detail.
3. The same recall through GraphQL (in-process), for what a client waits.

Every naive answer is checked equal to the fast one before the times are reported.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg
from rich.console import Console

from benchmarks.pg import BASE
from benchmarks.report import Report, percentile
from ledger.application import LedgerApplication
from ledger.engineering.aggregates import Backflush
from ledger.ids import item_id, location_id, stock_id
from ledger.master_data.item import Item
from ledger.master_data.location import Location
from ledger.orders.aggregates import OrderLine, SalesOrder
from ledger.production.work_order import PlannedOperation, Requirement, WorkOrder
from ledger.stock.card import Place, Stock
from ledger.store import store_env
from ledger.values import (
    CostingMethod,
    IssueTarget,
    ItemKind,
    LocationKind,
    LocationLevel,
    Meta,
    PlanningParameters,
    StockStatus,
    Tracking,
)
from mims.server import MRP_PLANNING, tune_garbage_collector
from projections import quality_trace as g
from projections.engine.runner import ProjectionRunner
from projections.engine.view import ReadModels
from queries.context import Context
from queries.schema import build_schema

console = Console()
D = Decimal
BIG = f"{BASE}?schema=bench_trace_1m"
LEVELS = 10
COMPONENTS = 2  # components per bill of materials, from the level below (at most 2)
FINISHED_LOT = 40  # units in a finished lot; each level below doubles it
SPLIT_LEVELS = (3, 6)
MERGE_LEVELS = (2, 5, 8)


class PlantBuilder:
    """Writes the plant's history through the aggregates, in bulk."""

    def __init__(self, app: LedgerApplication, items_per_level: int, seed: int) -> None:
        self.app = app
        self.rng = random.Random(seed)
        self.pending: list[Any] = []
        self.commands = 0
        self.when = datetime.now(UTC) - timedelta(days=365)
        self.items: list[list[tuple[Item, Stock]]] = []
        self.places: dict[str, Place] = {}
        self.per_level = items_per_level
        self.boms: dict[str, list[str]] = {}
        self.fifo: dict[str, deque[tuple[str, Decimal]]] = {}  # lots with stock, oldest first
        self.orders = 0
        self.supplier_lots = 0

    def meta(self) -> Meta:
        self.commands += 1
        self.when += timedelta(seconds=20)
        return Meta(
            actor="bench",
            command_id=f"t{self.commands}",
            correlation_id=f"t{self.commands}",
            site="P",
            effective_at=self.when,
        )

    def flush(self, *, force: bool = False) -> None:
        if len(self.pending) >= 20_000 or (force and self.pending):
            self.app.events.put(self.pending)
            self.pending.clear()

    def master_data(self) -> None:
        meta = self.meta()
        site = Location.register(
            id=location_id("P"), meta=meta, code="P", name="plant", level=LocationLevel.SITE,
            kind=LocationKind.STORAGE, parent=None,
        )  # fmt: skip
        warehouse = Location.register(
            id=location_id("W"), meta=meta, code="W", name="warehouse",
            level=LocationLevel.WAREHOUSE, kind=LocationKind.STORAGE, parent=site,
        )  # fmt: skip
        self.pending += site.collect_events() + warehouse.collect_events()
        for code, kind in (("RECV", LocationKind.RECEIVING), ("STORE", LocationKind.STORAGE),
                           ("FG", LocationKind.STORAGE)):  # fmt: skip
            zone = Location.register(
                id=location_id(code), meta=meta, code=code, name=code,
                level=LocationLevel.ZONE, kind=kind, parent=warehouse,
            )  # fmt: skip
            self.pending += zone.collect_events()
            self.places[code] = Place(
                code=code, site="P", kind=kind, holds_stock=True, blocked_by=None
            )
        for level in range(LEVELS):
            row = []
            for j in range(self.per_level):
                sku = f"L{level}-{j:03d}"
                item = Item.register(
                    id=item_id(sku), meta=meta, sku=sku, description=f"level {level} item {j}",
                    kind=ItemKind.RAW_MATERIAL if level == 0 else ItemKind.SUBASSEMBLY,
                    unit_of_measure="ea", precision=0, tracking=Tracking.LOT,
                    costing_method=CostingMethod.FIFO, standard_cost=None, shelf_life_days=None,
                    inspection_required=False, planning=PlanningParameters(),
                )  # fmt: skip
                stock = Stock.open(id=stock_id(sku), meta=meta, item=item)
                self.pending += item.collect_events() + stock.collect_events()
                row.append((item, stock))
                self.fifo[sku] = deque()
            self.items.append(row)
            if level:
                # Item j is made of items j and j + offset of the level below: each item
                # feeds exactly two, and a lot's descendants spread over the levels.
                offset = self.rng.randrange(1, self.per_level)
                for j in range(self.per_level):
                    self.boms[f"L{level}-{j:03d}"] = [
                        f"L{level - 1}-{(j + k * offset) % self.per_level:03d}"
                        for k in range(COMPONENTS)
                    ]

    def quantity(self, level: int) -> Decimal:
        base = FINISHED_LOT * 2 ** (LEVELS - 1 - level)
        # Raw lots a little larger: the plant is never short of them.
        return D(
            round(
                base * self.rng.uniform(1.0, 1.2)
                if level == 0
                else base * self.rng.uniform(0.8, 1.2)
            )
        )

    def receive_raw(self, item: Item, stock: Stock, lot: str) -> None:
        if self.rng.random() < 0.5 or not self.supplier_lots:
            self.supplier_lots += 1  # else: a second lot of the same heat
        quantity = self.quantity(0)
        stock.receive(
            meta=self.meta(), item=item, place=self.places["RECV"], quantity=quantity,
            unit_cost=D(self.rng.randint(100, 900)) / 100, lot=lot,
            supplier_lot=f"H-{self.supplier_lots:06d}", expiry=None,
            supplier=f"SUPPLIER-{self.supplier_lots % 7}", reference=f"PO-{self.commands}",
        )  # fmt: skip
        self.fifo[item.sku].append((lot, quantity))
        self.pending += stock.collect_events()

    def make(self, level: int, item: Item, stock: Stock, lot: str) -> None:
        """One work order: issue both components first in, first out, receive one lot."""
        components = self.boms[item.sku]
        wanted = self.quantity(level)
        quantity = min([wanted] + [sum(q for _, q in self.fifo[c]) for c in components])
        if quantity <= 0:
            return
        self.orders += 1
        number = f"WO-{self.orders:06d}"
        meta = self.meta()
        wo = WorkOrder.create(
            meta=meta, number=number, item=item.sku, quantity=quantity,
            due_date=meta.effective_at.date(), output_location="STORE",
            supply_location="STORE", reference="",
        )  # fmt: skip
        wo.release(
            meta=meta, bom_version="A", routing_version="A",
            requirements=tuple(
                Requirement(component=c, per_unit=D(1), required=quantity, standard_cost=D(1),
                            backflush=Backflush.NONE, operation=None)
                for c in components
            ),
            operations=(
                PlannedOperation(seq=10, work_center=f"WC-{level}", setup_hours=D(0),
                                 run_hours_per_unit=D("0.1"), labour_rate=D(30),
                                 machine_rate=D(10)),
            ),
            reservations={}, shortages=(),
        )  # fmt: skip
        touched = []
        for component in components:
            c_item, c_stock = self.card(component)
            left = quantity
            while left > 0:
                c_lot, on_hand = self.fifo[component][0]
                take = min(left, on_hand)
                meta = self.meta()
                place = self.places["RECV" if level == 1 else "STORE"]
                drawn = c_stock.issue(
                    meta=meta, item=c_item, place=place, quantity=take, lot=c_lot,
                    target_kind=IssueTarget.WORK_ORDER, target=number, reservation_id=None,
                    reference=number,
                )  # fmt: skip
                wo.record_issue(
                    meta=meta, component=component, lot=c_lot, location=place.code,
                    quantity=take, value=drawn.value, operation=None, backflushed=False,
                )  # fmt: skip
                left -= take
                if take == on_hand:
                    self.fifo[component].popleft()
                else:
                    self.fifo[component][0] = (c_lot, on_hand - take)
            touched.append(c_stock)
        scrap = D(1) if self.rng.random() < 0.1 and quantity > 1 else D(0)
        rework = D(1) if self.rng.random() < 0.05 else D(0)
        hours = quantity * D("0.1")
        wo.report(
            meta=self.meta(), operation=10, good=quantity - scrap, scrap=scrap, rework=rework,
            labour_hours=hours, machine_hours=hours,
        )  # fmt: skip
        good = quantity - scrap
        meta = self.meta()
        value = wo.output_value(good)
        stock.receive(
            meta=meta, item=item, place=self.places["STORE"], quantity=good,
            unit_cost=(value / good).quantize(D("0.000001")), lot=lot, supplier_lot=None,
            expiry=None, supplier=None, reference=number,
        )  # fmt: skip
        wo.receive_output(meta=meta, quantity=good, lot=lot, location="STORE", value=value)
        wo.close(meta=self.meta())
        self.fifo[item.sku].append((lot, good))
        if level in SPLIT_LEVELS and good > 3 and self.rng.random() < 0.2:
            self.split(item, stock, lot, good)
        elif level in MERGE_LEVELS and len(self.fifo[item.sku]) > 2 and self.rng.random() < 0.2:
            self.merge(item, stock)
        for c_stock in touched:
            self.pending += c_stock.collect_events()
        self.pending += stock.collect_events() + wo.collect_events()

    def split(self, item: Item, stock: Stock, lot: str, quantity: Decimal) -> None:
        """A quarter of the lot just made is relabelled (a pallet for another line)."""
        part = (quantity / 4).quantize(D(1))
        stock.split_lot(
            meta=self.meta(), item=item, place=self.places["STORE"], lot=lot,
            new_lot=f"{lot}-S", quantity=part, status=StockStatus.AVAILABLE, reason="pallet",
        )  # fmt: skip
        self.fifo[item.sku][-1] = (lot, quantity - part)
        self.fifo[item.sku].append((f"{lot}-S", part))

    def merge(self, item: Item, stock: Stock) -> None:
        """The two oldest lots with stock become one (a partial pallet topped up)."""
        (a, qa), (b, qb) = self.fifo[item.sku].popleft(), self.fifo[item.sku].popleft()
        stock.merge_lots(
            meta=self.meta(), item=item, place=self.places["STORE"], lots=(a, b),
            new_lot=f"{a}-M", status=StockStatus.AVAILABLE, reason="top up",
        )  # fmt: skip
        self.fifo[item.sku].appendleft((f"{a}-M", qa + qb))

    def ship(self, item: Item, stock: Stock, n: int) -> None:
        """Ship most of the lot just made to a customer."""
        lot, on_hand = self.fifo[item.sku][-1]
        quantity = max(D(1), (on_hand * D("0.8")).quantize(D(1)))
        meta = self.meta()
        customer = f"CUSTOMER-{n % 11}"
        number = f"SO-{n:06d}"
        order = SalesOrder.create(
            meta=meta, number=number, customer=customer,
            lines=(OrderLine(line=1, sku=item.sku, quantity=quantity,
                             due_date=meta.effective_at.date(), unit_price=D(100)),),
        )  # fmt: skip
        drawn = stock.issue(
            meta=meta, item=item, place=self.places["STORE"], quantity=quantity, lot=lot,
            target_kind=IssueTarget.CUSTOMER, target=customer, reservation_id=None,
            reference=f"{number}/1 SH-{n}",
        )  # fmt: skip
        order.record_shipment(
            meta=meta, shipment=f"SH-{n:06d}", line=1, lot=lot, location="STORE",
            quantity=quantity, value=drawn.value, reservation_id=None,
        )  # fmt: skip
        if quantity == on_hand:
            self.fifo[item.sku].pop()
        else:
            self.fifo[item.sku][-1] = (lot, on_hand - quantity)
        self.pending += stock.collect_events() + order.collect_events()

    def card(self, sku: str) -> tuple[Item, Stock]:
        level, j = sku[1:].split("-")
        return self.items[int(level)][int(j)]

    def run(self, rounds: int, on_round: Callable[[int], None] | None = None) -> None:
        self.master_data()
        shipped = 0
        for r in range(rounds):
            for level in range(LEVELS):
                for j, (item, stock) in enumerate(self.items[level]):
                    lot = f"{item.sku}-{r:05d}"
                    if level == 0:
                        self.receive_raw(item, stock, lot)
                    else:
                        self.make(level, item, stock, lot)
                    if level == LEVELS - 1 and j % 2 == 0 and self.fifo[item.sku]:
                        shipped += 1
                        self.ship(item, stock, shipped)
                    self.flush()
            if on_round is not None:
                on_round(r)
        self.flush(force=True)


def build(url: str, *, lots: int, items_per_level: int, on_round: Callable[[int], None]) -> int:
    """Write the plant (unless the store has it already); returns its number of events."""
    app = LedgerApplication(store_env(url))
    try:
        existing = app.recorder.max_notification_id() or 0
        if existing:
            return existing
        builder = PlantBuilder(app, items_per_level, seed=11)
        builder.run(-(-lots // (LEVELS * items_per_level)) + 3, on_round)
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def drop(url: str) -> None:
    schema = url.rsplit("schema=", 1)[1]
    with psycopg.connect(BASE, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


# --- the naive way: one query per lot ------------------------------------------------------


def naive_walk(
    con: duckdb.DuckDBPyConnection, starts: list[tuple[str, str]], forward: bool
) -> dict[tuple[str, str], int]:
    """Breadth first, one query per lot for its neighbours."""
    src, dst = ("parent", "child") if forward else ("child", "parent")
    sql = f"""SELECT n.item, n.lot FROM lot_edges e
        JOIN lot_nodes n ON n.id = e.{dst} JOIN lot_nodes s ON s.id = e.{src}
        WHERE s.item = ? AND s.lot = ?"""
    level = dict.fromkeys(starts, 0)
    queue = deque(starts)
    while queue:
        lot = queue.popleft()
        for found in con.execute(sql, list(lot)).fetchall():
            if found not in level:
                level[found] = level[lot] + 1
                queue.append(found)
    return level


def naive_recall(con: duckdb.DuckDBPyConnection, supplier_lot: str) -> dict[str, Any]:
    """The recall with the naive walk, then one query per lot for each detail."""
    starts = [
        (i, lot)
        for i, lot in con.execute(
            "SELECT DISTINCT n.item, n.lot FROM lot_receipts r JOIN lot_nodes n ON n.id = r.node"
            " WHERE r.supplier_lot = ?",
            [supplier_lot],
        ).fetchall()
    ]
    found = naive_walk(con, starts, forward=True)
    on_hand, shipped, balance = {}, {}, {}
    for item, lot in found:
        on_hand[item, lot] = con.execute(
            "SELECT location, status, quantity FROM stock_balances WHERE item = ? AND lot = ?",
            [item, lot],
        ).fetchall()
        shipped[item, lot] = con.execute(
            "SELECT s.customer, s.shipment, s.quantity FROM lot_shipments s"
            " JOIN lot_nodes n ON n.id = s.node WHERE n.item = ? AND n.lot = ?",
            [item, lot],
        ).fetchall()
        balance[item, lot] = con.execute(
            "SELECT difference FROM lot_balance WHERE item = ? AND lot = ?", [item, lot]
        ).fetchone()
    return {"lots": found, "on_hand": on_hand, "shipped": shipped, "balance": balance}


# --- the run ---------------------------------------------------------------------------------


def timed(runs: list[Callable[[], Any]]) -> list[float]:
    out = []
    for call in runs:
        began = time.perf_counter()
        call()
        out.append((time.perf_counter() - began) * 1000)
    return out


RECALL = """query($s: String) { recallSimulation(supplierLot: $s) {
    start { item lot } elapsedMs unbalanced { item lot }
    lots { item lot level onHandQuantity balance { difference } }
    onHandByPlace { location status lots quantity }
    shipments { item lot customer shipment quantity } } }"""


def samples_of(con: duckdb.DuckDBPyConnection, count: int) -> tuple[list[int], ...]:
    """Raw lots, finished lots and supplier lots from the middle of the history, where
    their genealogy is complete both ways."""
    rng = random.Random(5)

    def middle(rows: list[tuple[Any, ...]]) -> list[Any]:
        return [r[0] for r in rows[len(rows) // 4 : len(rows) // 2]]

    raw = middle(
        con.execute("SELECT id FROM lot_nodes WHERE item LIKE 'L0-%' ORDER BY id").fetchall()
    )
    top = middle(
        con.execute(
            f"SELECT id FROM lot_nodes WHERE item LIKE 'L{LEVELS - 1}-%' ORDER BY id"
        ).fetchall()
    )
    heats = middle(
        con.execute(
            "SELECT supplier_lot FROM lot_receipts r JOIN lot_nodes n ON n.id = r.node"
            " WHERE n.item LIKE 'L0-%' GROUP BY 1 ORDER BY min(r.position)"
        ).fetchall()
    )
    return rng.sample(raw, count), rng.sample(top, count), rng.sample(heats, count)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench trace")
    parser.add_argument("--quick", action="store_true", help="a small plant (a smoke test)")
    parser.add_argument("--rebuild", action="store_true", help="write the kept ledger again")
    args = parser.parse_args(argv)
    # The naive walks take seconds each at full size: fewer of them.
    lots, per_level, samples, naive_samples = (
        (2_000, 10, 5, 2) if args.quick else (100_000, 20, 15, 3)
    )
    url = f"{BASE}?schema=bench_trace_quick" if args.quick else BIG
    if args.rebuild or args.quick:
        drop(url)
    report = Report("trace")
    with console.status("writing (or reusing) the plant's ledger") as status:
        began = time.perf_counter()
        events = build(
            url,
            lots=lots,
            items_per_level=per_level,
            on_round=lambda r: status.update(f"writing the plant's ledger: round {r}"),
        )
        console.log(f"{events:,} events ({time.perf_counter() - began:.0f} s)")

    # As in the server: start-up objects frozen out of the collector, young generation
    # collected less often (a full collection mid-trace is a 100 ms pause).
    tune_garbage_collector()
    with tempfile.TemporaryDirectory() as folder:
        app = LedgerApplication(store_env(url))
        models = ReadModels(Path(folder) / "trace.duckdb")
        with console.status(f"projecting {events:,} events"):
            began = time.perf_counter()
            ProjectionRunner(app.recorder, models, page_size=200_000).catch_up()
            catch_up = time.perf_counter() - began
        app.close()
        con = models.connection()
        nodes, edges = con.execute(
            "SELECT (SELECT count(*) FROM lot_nodes), (SELECT count(*) FROM lot_edges)"
        ).fetchone() or (0, 0)
        report.add("events", events, "events", None, ">= 1000000" if not args.quick else "")
        report.add("lots", nodes, "lots", None, ">= 100000" if not args.quick else "")
        report.add("genealogy_edges", edges, "edges")
        report.add("catch_up_events_per_s", events / catch_up, "1/s")
        # The server reads the edges into memory at its first trace, then only new ones.
        graph = models.lot_graph
        began = time.perf_counter()
        graph.walk(con, [], "forward")
        report.add("genealogy_graph_load_ms", (time.perf_counter() - began) * 1000, "ms")
        forward_starts, backward_starts, recall_lots = samples_of(con, samples)

        def ref(node: int) -> tuple[str, str]:
            row = con.execute("SELECT item, lot FROM lot_nodes WHERE id = ?", [node]).fetchone()
            assert row is not None
            return (row[0], row[1])

        # The naive walks take seconds each: each runs once, timed, and its answer is
        # the check of the fast one's.
        naive_times: dict[str, list[float]] = {"forward": [], "backward": [], "recall": []}

        def naive_timed(name: str, call: Callable[[], Any]) -> Any:
            began = time.perf_counter()
            answer = call()
            naive_times[name].append((time.perf_counter() - began) * 1000)
            return answer

        with console.status("the naive walks, checking the answers"):
            for node in forward_starts[:naive_samples]:
                fast = g.trace(con, [node], "forward", graph=graph)
                found = {(t.item, t.lot): t.level for t in fast.lots}
                assert found == naive_timed(
                    "forward", lambda n=node: naive_walk(con, [ref(n)], forward=True)
                )
            for node in backward_starts[:naive_samples]:
                fast = g.trace(con, [node], "backward", graph=graph)
                found = {(t.item, t.lot): t.level for t in fast.lots}
                assert found == naive_timed(
                    "backward", lambda n=node: naive_walk(con, [ref(n)], forward=False)
                )
            for heat in recall_lots[:naive_samples]:
                fast = g.recall(con, supplier_lot=heat, graph=graph)
                slow = naive_timed("recall", lambda h=heat: naive_recall(con, h))
                assert {(t.item, t.lot) for t in fast.lots} == set(slow["lots"])
                assert all(t.balance.difference == 0 for t in fast.lots)
                assert all(row == (0,) for row in slow["balance"].values())

        with console.status("tracing"):
            sizes = {
                "forward": [
                    len(g.trace(con, [n], "forward", graph=graph).lots) for n in forward_starts
                ],
                "backward": [
                    len(g.trace(con, [n], "backward", graph=graph).lots) for n in backward_starts
                ],
                "recall": [
                    len(g.recall(con, supplier_lot=h, graph=graph).lots) for h in recall_lots
                ],
            }
            fast_times = {
                "forward": timed(
                    [lambda n=n: g.trace(con, [n], "forward", graph=graph) for n in forward_starts]
                ),
                "backward": timed(
                    [
                        lambda n=n: g.trace(con, [n], "backward", graph=graph)
                        for n in backward_starts
                    ]
                ),
                "recall": timed(
                    [lambda h=h: g.recall(con, supplier_lot=h, graph=graph) for h in recall_lots]
                ),
            }
            hold = timed(
                [lambda h=h: g.affected_lots(con, supplier_lot=h, graph=graph) for h in recall_lots]
            )
            schema = build_schema()
            context = Context(models=models, runner=None, mrp=MRP_PLANNING)

            def graphql(heat: str) -> None:
                result = asyncio.run(
                    schema.execute(RECALL, variable_values={"s": heat}, context_value=context)
                )
                assert not result.errors, result.errors

            via_graphql = timed([lambda h=h: graphql(h) for h in recall_lots])
        con.close()
        models.close()

    for name in ("forward", "backward", "recall"):
        what = "trace" if name != "recall" else "simulation"
        report.add(f"{name}_{what}_lots_p50", percentile(sizes[name], 50), "lots")
        fast, naive = fast_times[name], naive_times[name]
        report.add(
            f"{name}_{what}_p50_ms", percentile(fast, 50), "ms", percentile(naive, 50), "< 100"
        )
        report.add(f"{name}_{what}_max_ms", max(fast), "ms", max(naive), "< 100")
    report.add(
        "recall_hold_lots_p50_ms", percentile(hold, 50), "ms", percentile(naive_times["recall"], 50)
    )
    report.add(
        "recall_graphql_p50_ms",
        percentile(via_graphql, 50),
        "ms",
        percentile(naive_times["recall"], 50),
    )
    report.print()
