"""./scripts/bench epcis: what an EPCIS 2.0 export costs, in one run.

A SQLite store holding the demo plant and then ``receipts`` lot receipts, each lot moved
once (``--quick``: 2,000; else 20,000), posted through the writer in bursts. Figures,
each beside a baseline measured in the same run:

* ``export_ledger_events_per_s``: ledger events read per second by a whole export (both
  passes, building, serialising), beside ``decode``: reading and decoding the same
  notifications and nothing else (what any reader of the log pays).
* ``lot_export_ms``: the export of one lot, beside the whole export: a lot's export reads
  the whole log too (the design's price, docs/architecture.md *EPCIS 2.0 exports*).
* ``validate_jsonschema_events_per_s``: EPCIS events (the first 2,000) checked per second
  against GS1's schema with ``jsonschema`` (what the tests use), and
  ``validate_jsonschema_rs_events_per_s`` with ``jsonschema_rs`` (what ``--validate`` uses
  when it is installed), ratio to jsonschema.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console

from benchmarks.report import Report
from ledger.stock.commands import MoveStock, ReceiveStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.demo import load_demo
from mims.epcis import _fast_validator, _pages, _topics, export, to_json, validator
from projections.epcis import Filters

BURST = 500
SAMPLE = 2_000  # EPCIS events validated by each validator


def _post(ledger: Ledger, receipts: int) -> None:
    commands: list[Any] = []
    for n in range(receipts):
        lot = f"B{n:06d}"
        commands.append(ReceiveStock(sku="RM-003", location="A-01", quantity=Decimal(10),
                                     unit_cost=Decimal(2), lot=lot, supplier="SUP-01"))  # fmt: skip
        commands.append(MoveStock(sku="RM-003", from_location="A-01", to_location="B-01",
                                  lot=lot, quantity=Decimal(4)))  # fmt: skip
    for start in range(0, len(commands), BURST):
        for future in [ledger.submit(c, actor="bench") for c in commands[start : start + BURST]]:
            future.result()


def _timed(run: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = run()
    return time.perf_counter() - start, out


def _jsonschema_rs(doc: dict[str, Any]) -> float | None:
    """Seconds to validate ``doc`` with jsonschema_rs, None when it is not installed."""
    fast = _fast_validator()
    if fast is None:
        return None
    seconds, errors = _timed(lambda: list(fast.iter_errors(doc)))
    assert errors == [], errors[:3]
    return float(seconds)


def main(argv: list[str]) -> None:
    receipts = 2_000 if "--quick" in argv else 20_000
    console = Console(stderr=True)
    work = Path(tempfile.mkdtemp(prefix="mims-bench-epcis-"))
    ledger = Ledger(store_env(f"sqlite:///{work}/events.db"), WriterSettings())
    report = Report("epcis")
    try:
        console.print(f"posting the demo and {receipts:,} receipts and moves")
        load_demo(ledger, show_progress=False)
        _post(ledger, receipts)
        log = ledger.max_position()
        mapper = ledger.app.mapper

        def decode() -> int:
            return sum(
                1
                for page in _pages(ledger, _topics(), log)
                for n in page
                if mapper.to_domain_event(n)
            )

        decoded_s, read = _timed(decode)
        whole_s, data = _timed(lambda: to_json(export(ledger, Filters())))
        doc = orjson.loads(data)
        events = len(doc["epcisBody"]["eventList"])
        lot_s, _ = _timed(lambda: to_json(export(ledger, Filters(item="RM-003", lot="B000001"))))
        console.print(f"{log:,} events in the log, {read:,} read, {events:,} EPCIS events")
        report.add("export_ledger_events_per_s", read / whole_s, "events/s", read / decoded_s)
        report.add("export_epcis_events_per_s", events / whole_s, "events/s")
        report.add("export_bytes_per_event", len(data) / events, "bytes")
        report.add("lot_export_ms", lot_s * 1000, "ms", whole_s * 1000)
        # jsonschema checks ~150 events/s here: both validators take the same sample
        sample = {**doc, "epcisBody": {"eventList": doc["epcisBody"]["eventList"][:SAMPLE]}}
        checked = len(sample["epcisBody"]["eventList"])
        checked_s, errors = _timed(lambda: list(validator().iter_errors(sample)))
        assert errors == [], errors[:3]
        report.add("validate_jsonschema_events_per_s", checked / checked_s, "events/s")
        fast = _jsonschema_rs(sample)
        if fast is not None:
            report.add(
                "validate_jsonschema_rs_events_per_s", checked / fast, "events/s",
                checked / checked_s,
            )  # fmt: skip
    finally:
        ledger.close()
        shutil.rmtree(work, ignore_errors=True)
    report.print()
