"""./scripts/bench production: completing a big work order as one atomic command.

A finished good with a 300-line BOM (every component backflushed at completion; a third
FIFO, a third moving average, a third at standard; all lot-tracked, each requirement
spread over two lots) and a 10-operation routing. `CompleteWorkOrder` reports the ten
operations, backflushes the 300 components first to expire first, and receives the output
at the value of the layers consumed plus conversion: one save of ~1,000 events.

Baseline, in the same run on the same store: a plain 300-line purchase-order receipt
(`ReceivePurchaseOrder`, one lot per line), which is also how the components' lots are
stocked. Both through the in-process writer (validation, domain, one commit), timed per
command on PostgreSQL (production) and on the embedded SQLite default.
Target on this 2-core machine: complete under 200 ms.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from benchmarks.pg import fresh_schema
from benchmarks.report import Report, percentile, stopwatch
from ledger.engineering.commands import (
    BomLineInput,
    DefineBom,
    DefineRouting,
    DefineWorkCenter,
    OperationInput,
)
from ledger.master_data.commands import RegisterItem, RegisterLocation
from ledger.orders.commands import (
    ConfirmPurchaseOrder,
    CreatePurchaseOrder,
    OrderLineInput,
    ReceiptLineInput,
    ReceivePurchaseOrder,
)
from ledger.production.commands import CompleteWorkOrder, CreateWorkOrder, ReleaseWorkOrder
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings

COMPONENTS = 300
OPERATIONS = 10
PER_UNIT = Decimal(4)  # each lot holds 3: every requirement draws on two lots
LOT_SIZE = Decimal(3)
D = Decimal


def _plant(ledger: Ledger, today: date) -> None:
    run = ledger.execute
    for code, level, parent, kind in [
        ("S", "site", None, "storage"),
        ("W", "warehouse", "S", "storage"),
        ("STORE", "zone", "W", "storage"),
        ("FG", "zone", "W", "storage"),
    ]:
        run(RegisterLocation(code=code, level=level, parent=parent, kind=kind))  # type: ignore[arg-type]
    methods = ["fifo", "moving_average", "standard"]
    for n in range(COMPONENTS):
        run(
            RegisterItem(
                sku=f"C{n:03}", description=f"Component {n}", kind="component",  # type: ignore[arg-type]
                unit_of_measure="ea", precision=0, tracking="lot",  # type: ignore[arg-type]
                costing_method=methods[n % 3], standard_cost=D("1.25") if n % 3 == 2 else None,  # type: ignore[arg-type]
            )
        )  # fmt: skip
    run(
        RegisterItem(
            sku="ASSY", description="Big assembly", kind="finished_good",  # type: ignore[arg-type]
            unit_of_measure="ea", precision=0,
        )
    )  # fmt: skip
    for n in range(OPERATIONS):
        run(DefineWorkCenter(code=f"WC{n}", labour_rate=D(30), machine_rate=D(12)))
    since = today - timedelta(days=1)
    run(
        DefineBom(
            parent="ASSY", version="A", effective_from=since,
            lines=[
                BomLineInput(component=f"C{n:03}", quantity=PER_UNIT, backflush="completion")
                for n in range(COMPONENTS)
            ],
        )
    )  # fmt: skip
    run(
        DefineRouting(
            item="ASSY", version="A", effective_from=since,
            operations=[
                OperationInput(seq=10 * (n + 1), work_center=f"WC{n}", setup_hours=D("0.5"),
                                 run_hours_per_unit=D("0.1"))
                for n in range(OPERATIONS)
            ],
        )
    )  # fmt: skip


def _receipt(number: str, n: int, today: date) -> ReceivePurchaseOrder:
    return ReceivePurchaseOrder(
        number=number,
        location="STORE",
        lines=[
            ReceiptLineInput(
                line=k + 1, quantity=LOT_SIZE, lot=f"L{n:03}-{k:03}",
                expiry=today + timedelta(days=30 + n),  # earlier receipts expire first
            )
            for k in range(COMPONENTS)
        ],
    )  # fmt: skip


def run_on(url: str, *, orders: int) -> tuple[list[float], list[float], int]:
    """Time ``orders`` completions and the receipts that stock them; answers the seconds
    of each receipt, of each completion, and the events one completion saved."""
    today = datetime.now(UTC).date()
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    try:
        _plant(ledger, today)
        receipts_needed = int(orders * PER_UNIT / LOT_SIZE) + 2
        ledger.execute(
            CreatePurchaseOrder(
                number="PO-BIG", supplier="ACME",
                lines=[
                    OrderLineInput(line=k + 1, sku=f"C{k:03}",
                                     quantity=LOT_SIZE * receipts_needed, due_date=today,
                                     unit_price=D(1) + D(k % 7) / 10)
                    for k in range(COMPONENTS)
                ],
            )
        )  # fmt: skip
        ledger.execute(ConfirmPurchaseOrder(number="PO-BIG"))
        receipts: list[float] = []
        for n in range(receipts_needed):
            with stopwatch() as t:
                ledger.execute(_receipt("PO-BIG", n, today))
            receipts.append(t[0])
        completions: list[float] = []
        events = 0
        for n in range(orders):
            number = f"WO-{n:03}"
            ledger.execute(
                CreateWorkOrder(
                    number=number, item="ASSY", quantity=D(1), due_date=today,
                    output_location="FG", supply_location="STORE",
                )
            )  # fmt: skip
            ledger.execute(ReleaseWorkOrder(number=number))
            with stopwatch() as t:
                done = ledger.execute(CompleteWorkOrder(number=number))
            completions.append(t[0])
            events = len(done.events)
        return receipts, completions, events
    finally:
        ledger.close()


@contextmanager
def _sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{folder}/events.db"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench production")
    parser.add_argument("--quick", action="store_true", help="a few orders (a smoke test)")
    args = parser.parse_args(argv)
    orders = 3 if args.quick else 20
    report = Report("production")
    for store, place in (("postgres", fresh_schema("bench_production")), ("sqlite", _sqlite())):
        with place as url:
            receipts, completions, events = run_on(url, orders=orders)
        # The first command of each kind warms caches (aggregates loaded, SQL prepared).
        receipt_ms = [s * 1000 for s in receipts[1:]]
        complete_ms = [s * 1000 for s in completions[1:]] or [completions[0] * 1000]
        base50 = percentile(receipt_ms, 50)
        report.add(f"{store}_receipt_300_lines_p50_ms", base50, "ms")
        report.add(
            f"{store}_complete_300_lines_10_ops_p50_ms",
            percentile(complete_ms, 50),
            "ms",
            base50,
            "< 200 ms" if store == "postgres" else "",
        )
        report.add(
            f"{store}_complete_300_lines_10_ops_p95_ms",
            percentile(complete_ms, 95),
            "ms",
            percentile(receipt_ms, 95),
        )
        report.add(f"{store}_events_per_completion", events, "events")
    report.print()
