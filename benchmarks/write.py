"""./scripts/bench write: the write path on PostgreSQL, three ways, in one run.

(a) baseline: the eventsourcing library's plain path, one command per ``save()``: 32
    threads, each loading the stock card from the library's repository (its aggregate
    cache on), deciding with the same MIMS domain code, and saving the card and the
    command receipt in one ``Application.save``; a conflict is retried.
(b) MIMS in-process: the group-commit writer, 256 concurrent callers.
(c) MIMS over HTTP: `mims serve` in its own process, 32 keep-alive clients.
(d) the hash chain's cost: (b) again with the store's chain off (``store_env(chained=
    False)``, which only this benchmark uses) beside (b) with it, in turns, two rounds
    each. Target: the chained figure at most 10% lower.

All three run the same shop-floor traffic (mims.load: receipts, moves, issues to work
orders, reservations and releases; 80% of it on a hot fifth of 1,000 SKUs) on a fresh
schema each. Targets on a 2-core machine: (b) >= 5,000 commands/s and >= 5x (a);
(c) >= 2,000 commands/s with p99 under 50 ms.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import IntegrityError
from tests.support.servers import ServerProcess

from benchmarks.pg import fresh_schema
from benchmarks.report import Report
from ledger.application import LedgerApplication
from ledger.dispatch import HANDLERS
from ledger.errors import LedgerError
from ledger.ids import receipt_id
from ledger.receipt import CommandReceipt
from ledger.store import store_env
from ledger.unit_of_work import Envelope, UnitOfWork
from ledger.writer import Ledger, WriterSettings, utc_now
from mims.load import COMMAND_BY_PATH, Result, Traffic, run_http, run_in_process, setup_commands
from mims.server import tune_garbage_collector

ITEMS = 1000


class _RepositorySource:
    """Loads aggregates the library's way: ``repository.get`` (with its cache)."""

    def __init__(self, app: LedgerApplication) -> None:
        self.app = app

    def load(self, aggregate_id: Any) -> Any:
        return self.app.find(aggregate_id)


def baseline(url: str, *, clients: int, duration: float) -> Result:
    env = store_env(url, pool_size=clients) | {
        "AGGREGATE_CACHE_MAXSIZE": "10000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }
    app = LedgerApplication(env)
    ledger = Ledger(store_env(url))  # only to set the plant up quickly
    for future in [ledger.submit(cmd) for cmd in setup_commands("BL", ITEMS)]:
        future.result()
    ledger.close()
    result = Result()
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration
    source = _RepositorySource(app)

    def client(k: int) -> None:
        traffic = Traffic("BL", ITEMS, seed=k)
        while time.perf_counter() < stop_at:
            path, body = traffic.next()
            command = COMMAND_BY_PATH[path].model_validate(body)
            began = time.perf_counter()
            status = 201
            for _attempt in range(10):
                envelope = Envelope(
                    actor=f"scanner-{k}",
                    command_id=body["command_id"],
                    correlation_id=body["command_id"],
                    effective_at=utc_now(),
                )
                uow = UnitOfWork(source, envelope)
                try:
                    data = HANDLERS[type(command)](uow, command)
                except LedgerError:
                    status = 409
                    break
                receipt = CommandReceipt.record(
                    id=receipt_id(envelope.command_id),
                    meta=uow.meta(),
                    command_type=command.command_name,
                    fingerprint=command.fingerprint(),
                    events=tuple(uow.event_refs()),
                    data=data,
                )
                try:
                    app.save(*uow.changed().values(), receipt)
                    break
                except IntegrityError:
                    continue  # another thread saved the same stock card first
            if status != 201 and path == "/v1/reservations":
                traffic.open_reservations.pop()
            with lock:
                result.latencies.append(time.perf_counter() - began)
                result.statuses[status] += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - began
    app.close()
    return result


def in_process(url: str, *, clients: int, duration: float, chained: bool = True) -> Result:
    ledger = Ledger(
        store_env(url, chained=chained), WriterSettings(batch_max=256, batch_wait=0.002)
    )
    tune_garbage_collector()
    try:
        return run_in_process(
            ledger,
            prefix="IP",
            items=ITEMS,
            clients=clients,
            duration=duration,
            show_progress=False,
        )
    finally:
        ledger.close()


def over_http(url: str, *, clients: int, duration: float) -> Result:
    # The write path's own rate, not the per-caller limit (./scripts/bench abuse has that).
    with ServerProcess(url, MIMS_RATE_LIMIT_COMMANDS="") as server:
        return run_http(
            server.url,
            key=server.headers["Authorization"].removeprefix("Bearer "),
            prefix="HT",
            items=ITEMS,
            clients=clients,
            duration=duration,
            show_progress=False,
        )


@contextmanager
def _schema() -> Iterator[str]:
    with fresh_schema("bench_write") as url:
        yield url


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench write")
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test)")
    args = parser.parse_args(argv)
    duration = 2.0 if args.quick else 10.0
    report = Report("write")
    with _schema() as url:
        a = baseline(url, clients=32, duration=duration)
    with _schema() as url:
        b = in_process(url, clients=256, duration=duration)
    with _schema() as url:
        c = over_http(url, clients=32, duration=duration)
    rounds: dict[bool, list[float]] = {True: [], False: []}
    for _round in range(2):
        for chained in (False, True):
            with _schema() as url:
                r = in_process(url, clients=256, duration=duration, chained=chained)
                rounds[chained].append(r.throughput)
    unchained = sum(rounds[False]) / len(rounds[False])
    chained_rate = sum(rounds[True]) / len(rounds[True])
    report.add("baseline_one_save_per_command_per_s", a.throughput, "1/s")
    report.add("inprocess_group_commit_per_s", b.throughput, "1/s", a.throughput, ">= 5000, >= 5x")
    report.add("http_32_clients_per_s", c.throughput, "1/s", a.throughput, ">= 2000")
    report.add("inprocess_without_chain_per_s", unchained, "1/s")
    report.add("inprocess_with_chain_per_s", chained_rate, "1/s", unchained, ">= 0.9x")
    for name, r in (("baseline", a), ("inprocess", b), ("http", c)):
        for q in (50, 95, 99):
            target = "< 50 ms" if name == "http" and q == 99 else ""
            report.add(
                f"{name}_p{q}_ms", r.percentile(q) * 1000, "ms", a.percentile(q) * 1000, target
            )
    for name, r in (("baseline", a), ("inprocess", b), ("http", c)):
        refused = sum(n for code, n in r.statuses.items() if code != 201)
        report.add(f"{name}_refused_share", refused / max(1, r.count), "share")
    report.print()
