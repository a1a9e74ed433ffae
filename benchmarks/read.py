"""./scripts/bench read: the read side on PostgreSQL and DuckDB, in one run.

1. Catch-up: the projection runner over a ledger of 1M+ events (all seven read models,
   pages of 200,000, a fresh DuckDB file), beside the eventsourcing library's own
   ``ProjectionRunner`` (one event per call, into an in-memory view) on a slice.
2. Rebuild of every read model from those events (``rebuild_into``, what
   `mims projections rebuild --all` does), beside the library runner's rate applied to
   the same count.
3. ``stockOnHand`` for 1,000 items x 3 locations over a 52,000-movement ledger, today and
   as of 45 days back (the resolvers' SQL, and the whole GraphQL request), beside folding
   the stock cards from the event store.
4. GraphQL p95 over the 1M-event ledger (a dashboard's mix of queries, in-process).
5. Read-your-writes: commit to visible in the read models, woken by the writer, beside the
   runner's polling fallback.

The ledgers are built once by benchmarks/datasets.py and kept in their schemas.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import singledispatchmethod
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Tracking
from eventsourcing.popo import POPOTrackingRecorder
from eventsourcing.projection import Projection
from eventsourcing.projection import ProjectionRunner as LibraryRunner
from eventsourcing.utils import get_topic
from rich.console import Console
from tests.support.plant import Plant

from benchmarks.datasets import build
from benchmarks.pg import BASE, fresh_schema
from benchmarks.report import Report, percentile
from ledger.application import LedgerApplication
from ledger.stock.card import Stock
from ledger.stock.commands import ReceiveStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import MRP_PLANNING
from projections.engine.operations import rebuild_into
from projections.engine.runner import ProjectionRunner
from projections.engine.view import ReadModels
from queries.context import Context
from queries.schema import build_schema
from queries.stock.query import STOCK_COLUMNS, _as_of_stock, _window

console = Console()
BIG = f"{BASE}?schema=bench_read_1m"
SMALL = f"{BASE}?schema=bench_read_small"


# --- the library's way, for the baseline ------------------------------------------------


class BalancesView(POPOTrackingRecorder):
    """The library's pattern: a tracking recorder that is also the materialised view."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.balances: dict[tuple[Any, ...], Decimal] = {}

    def add(self, key: tuple[Any, ...], quantity: Decimal, tracking: Tracking) -> None:
        with self._database_lock:
            self._assert_tracking_uniqueness(tracking)
            self._insert_tracking(tracking)
            self.balances[key] = self.balances.get(key, Decimal(0)) + quantity


class BalancesProjection(Projection[BalancesView]):
    name = "balances"
    topics = tuple(get_topic(e) for e in (Stock.Received, Stock.Issued, Stock.Moved))

    @singledispatchmethod
    def process_event(self, _domain_event: Any, tracking: Tracking) -> None:
        self.view.insert_tracking(tracking)

    @process_event.register
    def _(self, event: Stock.Received, tracking: Tracking) -> None:
        self.view.add((event.originator_id, event.location), event.quantity, tracking)

    @process_event.register
    def _(self, event: Stock.Issued, tracking: Tracking) -> None:
        self.view.add((event.originator_id, event.location), -event.quantity, tracking)

    @process_event.register
    def _(self, event: Stock.Moved, tracking: Tracking) -> None:
        self.view.add((event.originator_id, event.from_location), -event.quantity, tracking)


def library_runner_rate(url: str, events: int) -> float:
    env = store_env(url) | {"BALANCES_PERSISTENCE_MODULE": "eventsourcing.popo"}
    app = LedgerApplication(env)
    last = app.recorder.select_notifications(start=events, limit=1)[0].id
    app.close()
    began = time.perf_counter()
    with LibraryRunner(
        application_class=LedgerApplication,
        projection_class=BalancesProjection,
        view_class=BalancesView,
        env=env,
    ) as runner:
        runner.wait(last, timeout=600)
    return events / (time.perf_counter() - began)


# --- MIMS -------------------------------------------------------------------------------


def catch_up(url: str, into: Path) -> tuple[int, float]:
    app = LedgerApplication(store_env(url))
    models = ReadModels(into)
    try:
        began = time.perf_counter()
        count = ProjectionRunner(app.recorder, models, page_size=200_000).catch_up()
        return count, time.perf_counter() - began
    finally:
        models.close()
        app.close()


def timed(runs: int, call: Any) -> list[float]:
    out = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        out.append((time.perf_counter() - began) * 1000)
    return out


def graphql(schema: Any, context: Context, query: str, variables: dict[str, Any]) -> Any:
    result = asyncio.run(schema.execute(query, variable_values=variables, context_value=context))
    if result.errors:
        raise RuntimeError(result.errors)
    return result.data


STOCK_QUERY = """query($asOf: DateTime) { stockOnHand(asOf: $asOf) {
    totalQuantity totalValue rows { item location lot status quantity value } } }"""
DASHBOARD = [
    (
        """query($item: String!) { stockOnHand(filter: {item: $item}) { totalQuantity totalValue
        rows { location status quantity value } } }""",
        False,
    ),
    (
        """query($item: String!, $asOf: DateTime) { stockOnHand(filter: {item: $item}, asOf: $asOf)
        { totalQuantity rows { location quantity } } }""",
        True,
    ),
    (
        """query($item: String!) { stockLedger(filter: {item: $item}, first: 50) {
        rows { position effectiveAt location quantityDelta valueDelta eventType }
        pageInfo { endCursor hasNextPage } } }""",
        False,
    ),
    (
        """query($item: String!) { item(sku: $item) { description costingMethod
        planning { leadTimeDays safetyStock } } }""",
        False,
    ),
    (
        """query($item: String!) { availableToPromise(item: $item) { available reserved free }
        consumption(item: $item) { day quantity } }""",
        False,
    ),
    (
        """query { valuation(first: 20) { totalValue byCostingMethod { costingMethod value }
        items { item value } } }""",
        False,
    ),
]


def dashboard_latencies(models: ReadModels, items: int, runs: int) -> list[float]:
    schema = build_schema()
    context = Context(models=models, runner=None, mrp=MRP_PLANNING)
    rng = random.Random(7)
    out = []
    for _ in range(runs):
        query, with_as_of = rng.choice(DASHBOARD)
        variables: dict[str, Any] = {"item": f"I{rng.randrange(items):05d}"}
        if with_as_of:
            variables["asOf"] = (datetime.now(UTC) - timedelta(days=rng.randint(1, 80))).isoformat()
        if "$item" not in query:
            variables = {}
        began = time.perf_counter()
        graphql(schema, context, query, variables)
        out.append((time.perf_counter() - began) * 1000)
    return out


def read_your_writes(samples: int, *, woken: bool) -> list[float]:
    with fresh_schema("bench_ryw") as url:
        ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
        models = ReadModels(None)
        runner = ProjectionRunner(ledger.app.recorder, models, poll_interval=0.5)
        if woken:
            ledger.listeners.append(runner.wake)
        plant = Plant(ledger)
        plant.item("RYW")
        runner.start()
        out = []
        try:
            for n in range(samples):
                outcome = ledger.execute(
                    ReceiveStock(sku="RYW", location="A", quantity=Decimal(1), unit_cost=Decimal(1))
                )
                began = time.perf_counter()
                while runner.position < outcome.position:
                    time.sleep(0.0005)
                out.append((time.perf_counter() - began) * 1000)
                if n % 10 == 0:
                    time.sleep(random.random() * 0.05)  # arrivals not in step with polling
        finally:
            runner.stop()
            models.close()
            ledger.close()
        return out


def fold_from_store(url: str, items: int) -> None:
    app = LedgerApplication(store_env(url))
    try:
        from ledger.ids import stock_id

        for n in range(items):
            app.repository.get(stock_id(f"I{n:05d}"))
    finally:
        app.close()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench read")
    parser.add_argument("--quick", action="store_true", help="small ledgers (a smoke test)")
    args = parser.parse_args(argv)
    big_items, big_moves = (500, 20_000) if args.quick else (5_000, 1_000_000)
    big = f"{BASE}?schema=bench_read_quick" if args.quick else BIG
    report = Report("read")
    with console.status("building (or reusing) the ledgers"):
        events = build(big, items=big_items, locations=3, movements=big_moves)
        build(SMALL, items=1000, locations=3, movements=52_000)

    with tempfile.TemporaryDirectory() as folder:
        with console.status(f"catch-up over {events:,} events"):
            count, seconds = catch_up(big, Path(folder) / "catch-up.duckdb")
            library = library_runner_rate(big, min(20_000, events))
        report.add("catch_up_events_per_s", count / seconds, "1/s", library, ">= 100000")
        with console.status("rebuilding every read model"):
            app = LedgerApplication(store_env(big))
            began = time.perf_counter()
            rebuild_into(app.recorder, Path(folder) / "rebuilt.duckdb")
            rebuild = time.perf_counter() - began
            app.close()
        report.add("rebuild_all_s", rebuild, "s", count / library)

        with console.status("stockOnHand over a 52,000-movement ledger"):
            small = Path(folder) / "small.duckdb"
            small_count, _ = catch_up(SMALL, small)
            models = ReadModels(small)
            schema = build_schema()
            context = Context(models=models, runner=None, mrp=MRP_PLANNING)
            back = datetime.now(UTC) - timedelta(days=45)
            window, params = _window(back, None)

            reader = models.connection()

            def today() -> None:
                reader.execute(f"SELECT {STOCK_COLUMNS} FROM stock_on_hand").to_arrow_table()

            def as_of() -> None:
                reader.execute(f"SELECT * FROM ({_as_of_stock(window)})", params).to_arrow_table()

            sql_today, sql_back = timed(30, today), timed(30, as_of)
            gql_today = timed(10, lambda: graphql(schema, context, STOCK_QUERY, {}))
            gql_back = timed(
                10, lambda: graphql(schema, context, STOCK_QUERY, {"asOf": back.isoformat()})
            )
            fold = timed(2, lambda: fold_from_store(SMALL, 1000))
            small_rows = graphql(schema, context, STOCK_QUERY, {})["stockOnHand"]["rows"]
            models.close()
        base = percentile(fold, 50)
        report.add("stock_on_hand_today_ms", percentile(sql_today, 50), "ms", base, "< 10")
        report.add("stock_on_hand_45d_back_ms", percentile(sql_back, 50), "ms", base, "< 10")
        report.add("stock_on_hand_today_graphql_ms", percentile(gql_today, 50), "ms", base)
        report.add("stock_on_hand_45d_back_graphql_ms", percentile(gql_back, 50), "ms", base)
        report.add("stock_on_hand_rows", len(small_rows), "rows", small_count)

        with console.status("GraphQL over the big ledger"):
            models = ReadModels(Path(folder) / "catch-up.duckdb")
            big_latencies = dashboard_latencies(models, big_items, 300)
            models.close()
            models = ReadModels(small)
            small_latencies = dashboard_latencies(models, 1000, 300)
            models.close()
        report.add(
            "graphql_p95_ms_1m_ledger",
            percentile(big_latencies, 95),
            "ms",
            percentile(small_latencies, 95),
            "< 20",
        )
        report.add(
            "graphql_p50_ms_1m_ledger",
            percentile(big_latencies, 50),
            "ms",
            percentile(small_latencies, 50),
        )

    with console.status("read-your-writes"):
        woken = read_your_writes(40 if args.quick else 200, woken=True)
        polled = read_your_writes(10 if args.quick else 30, woken=False)
    report.add(
        "read_your_writes_p95_ms", percentile(woken, 95), "ms", percentile(polled, 95), "< 20"
    )
    report.add("read_your_writes_p50_ms", percentile(woken, 50), "ms", percentile(polled, 50))
    report.print()
