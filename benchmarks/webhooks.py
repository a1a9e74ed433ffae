"""./scripts/bench webhooks: fan-out of the ledger's events to ten webhook subscriptions.

Receipts are written at a fixed rate (500 a second: each records one stock event, which
every subscription wants, and its command receipt, which none does) into the embedded
SQLite store, while the server's dispatcher delivers them, signed, to ten subscriptions
on a local receiver in another process (`tests/support/webhook_receiver.py`, verifying
every signature). Figures: p50/p99 delivery lag (the writer's commit to the receiver
reading the request) and events delivered a second, for ten subscriptions taking one
event per delivery and ten taking batches (up to 100, when a backlog builds up), beside
the same with ONE subscription of one event per delivery in the same run (the baseline:
what fan-out costs). Peak RSS of the writer-and-dispatcher process.
Target: ten subscriptions keep p99 lag under 1 s at 500 events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import multiprocessing
import resource
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.report import Report, percentile
from ledger.master_data.commands import RegisterItem, RegisterLocation
from ledger.stock.commands import ReceiveStock
from ledger.store import store_env
from ledger.webhooks.commands import CreateWebhookSubscription
from ledger.webhooks.targets import TargetPolicy
from ledger.writer import Ledger, WriterSettings
from mims.webhooks import WebhookDispatcher, WebhookSettings

RATE = 500  # events a second that every subscription wants
WANTED = "com.mims.stock.received.v1"


def _receive(port: int, secrets: dict[str, str], ready: Any, results: Any, stop: Any) -> None:
    """The receiver's process: serve until ``stop``, then send (path, arrival, positions)."""
    from tests.support.webhook_receiver import Receiver, positions, receiving

    receiver = Receiver(secrets=secrets)
    with receiving(receiver, port):
        ready.put(receiver.port)
        stop.wait()
    results.put(
        [
            (r.path, r.at, r.verified, positions([r]))
            for r in receiver.received
            if 200 <= r.answered < 300
        ]
    )


def _run(subscriptions: int, batch_max: int, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger(store_env(f"sqlite:///{Path(folder)}/events.db"), WriterSettings())
        try:
            return _measure(ledger, subscriptions, batch_max, seconds)
        finally:
            ledger.close()


def _measure(
    ledger: Ledger, subscriptions: int, batch_max: int, seconds: float
) -> dict[str, float]:
    ledger.execute(RegisterLocation(code="S", level="site"))  # type: ignore[arg-type]
    ledger.execute(RegisterLocation(code="W", level="warehouse", parent="S"))  # type: ignore[arg-type]
    ledger.execute(RegisterLocation(code="A", level="zone", parent="W"))  # type: ignore[arg-type]
    for n in range(10):
        ledger.execute(
            RegisterItem(
                sku=f"I{n}", description="x", kind="raw_material", unit_of_measure="kg", precision=3
            )  # type: ignore[arg-type]
        )
    context = multiprocessing.get_context("spawn")
    ready, results, stop = context.Queue(), context.Queue(), context.Event()
    # The port is known only once the receiver listens: subscribe to a port reserved here.
    from tests.support.servers import free_port

    port = free_port()
    secrets: dict[str, str] = {}
    for n in range(subscriptions):
        outcome = ledger.execute(
            CreateWebhookSubscription(
                subscription_id=f"s{n}",
                url=f"http://127.0.0.1:{port}/s{n}",
                event_types=(WANTED,),
                batch_max=batch_max,
            )
        )
        secrets[f"/s{n}"] = outcome.data["secret"]
    receiver = context.Process(target=_receive, args=(port, secrets, ready, results, stop))
    receiver.start()
    ready.get(timeout=30)
    commits: list[tuple[int, float]] = []
    lock = threading.Lock()

    def committed(position: int) -> None:
        with lock:
            commits.append((position, time.time()))

    ledger.listeners.append(committed)
    dispatcher = WebhookDispatcher(
        ledger,
        WebhookSettings(
            policy=TargetPolicy(allow_private=True, allow_http=True), poll_interval=0.2
        ),
    )
    loop = asyncio.new_event_loop()
    halt = asyncio.Event()
    thread = threading.Thread(target=loop.run_until_complete, args=(dispatcher.run(halt),))
    thread.start()
    first = ledger.max_position() + 1
    written = _write(ledger, seconds)
    last = ledger.max_position()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(
        s.cursor < last for s in dispatcher.subscriptions.values()
    ):
        time.sleep(0.05)
    drained = time.time()
    loop.call_soon_threadsafe(halt.set)
    thread.join(60)
    stop.set()
    got = results.get(timeout=60)
    receiver.join(30)
    commit_positions = [p for p, _ in commits]
    lags: list[float] = []
    delivered = 0
    unverified = 0
    seen: set[tuple[str, int]] = set()
    for path, arrival, verified, found in got:
        unverified += not verified
        for position in found:
            if position < first or (path, position) in seen:
                continue
            seen.add((path, position))
            delivered += 1
            at = commits[bisect.bisect_left(commit_positions, position)][1]
            lags.append(arrival - at)
    started = min((t for p, t in commits if p >= first), default=time.time())
    return {
        "written": written,
        "delivered": delivered,
        "expected": written * subscriptions,
        "p50_ms": percentile(lags, 50) * 1000,
        "p99_ms": percentile(lags, 99) * 1000,
        "per_s": delivered / max(drained - started, 1e-9),
        "unverified": unverified,
    }


def _write(ledger: Ledger, seconds: float) -> int:
    """Receipts at RATE a second, paced every 10 ms; answers how many were accepted."""
    per_tick = RATE // 100
    futures = []
    start = time.monotonic()
    tick = 0
    while (now := time.monotonic()) - start < seconds:
        futures.extend(
            ledger.submit(
                ReceiveStock(
                    sku=f"I{n % 10}", location="A", quantity=Decimal(1), unit_cost=Decimal(1)
                )  # type: ignore[arg-type]
            )
            for n in range(per_tick)
        )
        tick += 1
        time.sleep(max(0.0, start + tick * 0.01 - now))
    for future in futures:
        future.result(60)
    return len(futures)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench webhooks")
    parser.add_argument("--quick", action="store_true", help="3 s of writing instead of 10")
    args = parser.parse_args(argv)
    seconds = 3.0 if args.quick else 10.0
    report = Report("webhooks")
    one = _run(1, 1, seconds)
    ten = _run(10, 1, seconds)
    batched = _run(10, 100, seconds)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for name, figures in (("10_subscriptions", ten), ("10_subscriptions_batched", batched)):
        report.add(f"{name}_p50_lag_ms", figures["p50_ms"], "ms", one["p50_ms"])
        report.add(f"{name}_p99_lag_ms", figures["p99_ms"], "ms", one["p99_ms"], "< 1000 ms")
        report.add(f"{name}_delivered_per_s", figures["per_s"], "events/s", one["per_s"])
        report.add(
            f"{name}_delivered_of_expected",
            figures["delivered"] / max(figures["expected"], 1),
            "share",
            one["delivered"] / max(one["expected"], 1),
        )
        report.add(f"{name}_unverified", figures["unverified"], "deliveries", one["unverified"])
    report.add("written_per_s", ten["written"] / seconds, "events/s", RATE)
    report.add("peak_rss_mb", rss, "MB")
    report.print()


if __name__ == "__main__":
    main(sys.argv[1:])
