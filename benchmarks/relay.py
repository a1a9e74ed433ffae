"""./scripts/bench relay: the NATS relay's throughput and lag, beside nats-py's own rate.

On a prepared PostgreSQL ledger (about 100k genuine events: receipts, issues, moves; kept
in its schema and reused) and the NATS JetStream server on this machine, in one run:

* ``raw_publish_per_s``: the baseline, nats-py's ``publish_async`` of the same stored
  payloads (with their ``Nats-Msg-Id``) to a fresh stream, pages of 1,000 acknowledged
  before the next: what the client library does with nothing else to do.
* ``relay_catch_up_per_s``: `mims relay` in its own process, from position 0 to the end of
  that ledger (read, named as CloudEvents, published, acknowledged, position saved),
  timed from its first page to its last, beside the baseline. Target >= 20,000/s.
* ``relay_peak_rss_mb``: that process's peak resident memory.
* ``lag_p50_ms``, ``lag_p99_ms``: from a command's commit to JetStream's acknowledgement
  of its events while receipts are written at ``RATE`` commands/s, open loop, the writer
  and the relay in one process as in `mims serve` (commit time: the writer's listener;
  ack time: the relay's ``acknowledged`` observer), beside the commands' own latency
  (submit to answer, ``command_p99_ms``) in the same run. Target p99 < 100 ms.

``--quick``: 10k events and 3 s of load (a smoke test, figures not meaningful).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from typing import Any

import nats
import psycopg
from rich.console import Console
from tests.support.plant import Plant

from benchmarks.datasets import build
from benchmarks.pg import BASE, fresh_schema
from benchmarks.report import Report, percentile
from ledger.stock.commands import ReceiveStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.relay import Relay, RelaySettings

console = Console(stderr=True)
NATS = os.environ.get("MIMS_BENCH_NATS", "nats://127.0.0.1:4222")
RATE = 2_000
PAGE = 1_000


def payloads(url: str) -> list[tuple[str, bytes]]:
    """(Nats-Msg-Id, stored JSON) of every event, read before any clock starts."""
    from ledger.ids import event_id

    ledger = Ledger(store_env(url), WriterSettings())
    try:
        out = []
        after = 0
        while page := ledger.app.recorder.select_notifications(after + 1, 10_000):
            out += [(str(event_id(n.originator_id, n.originator_version)), n.state) for n in page]
            after = page[-1].id
        return out
    finally:
        ledger.close()


async def raw_publish_rate(messages: list[tuple[str, bytes]]) -> float:
    nc = await nats.connect(NATS)
    stream = f"BENCH_RAW_{uuid.uuid4().hex[:8]}"
    try:
        js = nc.jetstream(publish_async_max_pending=PAGE * 2)
        await js.add_stream(name=stream, subjects=[f"bench.{stream}.>"])
        subject = f"bench.{stream}.P.stock.received"
        began = time.perf_counter()
        for start in range(0, len(messages), PAGE):
            acks = [
                await js.publish_async(subject, data, headers={"Nats-Msg-Id": id_})
                for id_, data in messages[start : start + PAGE]
            ]
            await asyncio.gather(*acks)
        return len(messages) / (time.perf_counter() - began)
    finally:
        await js.delete_stream(stream)
        await nc.close()


def relay_catch_up(url: str, last: int) -> tuple[float, float]:
    """`mims relay` from 0 to ``last``: (events/s from its first page on, peak RSS MB)."""
    base, _, schema = url.partition("?schema=")
    stream = f"BENCH_RELAY_{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "MIMS_DATABASE_URL": url,
        "MIMS_NATS_URL": NATS,
        "MIMS_NATS_STREAM": stream,
        "MIMS_NATS_SUBJECT_PREFIX": f"bench.{stream}",
        "MIMS_LOG_LEVEL": "warning",
    }
    with psycopg.connect(base, autocommit=True) as conn:
        if _has_tracking(conn, schema):  # from 0 again, on a reused ledger
            conn.execute(
                f"DELETE FROM {schema}.mims_tracking WHERE application_name = 'nats-relay'"
            )

        def position() -> int:
            if not _has_tracking(conn, schema):
                return 0
            row = conn.execute(
                f"SELECT notification_id FROM {schema}.mims_tracking"
                " WHERE application_name = 'nats-relay'"
            ).fetchone()
            return int(row[0]) if row else 0

        relay = subprocess.Popen([sys.executable, "-m", "mims", "relay"], env=env)
        try:
            while (first := position()) == 0:
                time.sleep(0.01)
            began = time.perf_counter()
            peak = 0
            while position() < last:
                peak = max(peak, _rss_mb(relay.pid))
                time.sleep(0.02)
            elapsed = time.perf_counter() - began
            peak = max(peak, _peak_rss_mb(relay.pid))
        finally:
            relay.terminate()
            relay.wait(timeout=30)
            asyncio.run(_drop(stream))
    return (last - first) / elapsed, peak


def _has_tracking(conn: psycopg.Connection[Any], schema: str) -> bool:
    found = conn.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = %s"
        " AND table_name = 'mims_tracking'",
        (schema,),
    ).fetchone()
    return found is not None


def _status(pid: int, field: str) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:  # noqa: PTH123
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _rss_mb(pid: int) -> float:
    return _status(pid, "VmRSS:")


def _peak_rss_mb(pid: int) -> float:
    return _status(pid, "VmHWM:")


async def _drop(stream: str) -> None:
    nc = await nats.connect(NATS)
    try:
        await nc.jetstream().delete_stream(stream)
    except nats.js.errors.NotFoundError:
        pass
    finally:
        await nc.close()


def lag_under_load(seconds: float) -> tuple[list[float], list[float]]:
    """Commit-to-ack lags (ms), one per event, while receipts arrive at RATE/s; and each
    command's own latency (ms, submit to answer), the baseline of the same run."""
    answered: list[float] = []
    with fresh_schema("bench_relay_lag") as url:
        ledger = Ledger(store_env(url), WriterSettings())
        plant = Plant(ledger)
        skus = [f"R{n}" for n in range(200)]
        for sku in skus:
            plant.item(sku)
        start = ledger.max_position()
        committed: list[tuple[int, float]] = []  # (top position, monotonic time)
        acked: list[tuple[int, float]] = []  # (last position of a page, monotonic time)
        ledger.listeners.append(lambda top: committed.append((top, time.monotonic())))
        stream = f"BENCH_LAG_{uuid.uuid4().hex[:8]}"
        settings = RelaySettings(url=NATS, stream=stream, subject_prefix=f"bench.{stream}")

        async def run() -> None:
            relay = Relay(ledger, settings)
            relay.acknowledged.append(lambda _first, last, at: acked.append((last, at)))
            stop = asyncio.Event()
            task = asyncio.create_task(relay.run(stop))
            while relay.position < start:  # noqa: ASYNC110 - caught up with the set-up
                await asyncio.sleep(0.05)
            answered.extend(await asyncio.to_thread(_write_at_rate, ledger, skus, seconds))
            end = ledger.max_position()
            while relay.position < end:  # noqa: ASYNC110 - polling, as a reader would
                await asyncio.sleep(0.01)
            stop.set()
            await task
            await _drop(stream)

        try:
            asyncio.run(run())
        finally:
            ledger.close()
    lags = []
    previous = start
    pages = iter(acked)
    page = next(pages, None)
    for top, at in committed:
        if top <= start:
            previous = max(previous, top)
            continue
        while page is not None and page[0] < top:
            page = next(pages, None)
        if page is None:
            break
        lags += [(page[1] - at) * 1000] * max(1, top - previous)
        previous = top
    return lags, answered


def _write_at_rate(ledger: Ledger, skus: list[str], seconds: float) -> list[float]:
    """Open loop: a receipt every 1/RATE s, whatever the answers' latency; answers each
    command's latency (ms)."""
    began = time.monotonic()
    sent = 0
    futures = []
    latencies: list[float] = []

    def timed(at: float) -> Any:
        return lambda _done: latencies.append((time.monotonic() - at) * 1000)

    while (now := time.monotonic() - began) < seconds:
        due = int(now * RATE)
        while sent < due:
            sku = skus[sent % len(skus)]
            future = ledger.submit(
                ReceiveStock(sku=sku, location="A", quantity=Decimal(1), unit_cost=Decimal(1))
            )
            future.add_done_callback(timed(time.monotonic()))
            futures.append(future)
            sent += 1
        time.sleep(0.001)
    for f in futures:
        f.result(60)
    return latencies


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench relay")
    parser.add_argument("--quick", action="store_true", help="10k events, 3 s of load")
    args = parser.parse_args(argv)
    movements, seconds = (10_000, 3.0) if args.quick else (100_000, 15.0)
    url = f"{BASE}?schema=bench_relay_{movements}"
    report = Report("relay")
    with console.status("writing (or reusing) the ledger"):
        last = build(url, items=300, locations=10, movements=movements)
    console.log(f"{last:,} events in the ledger")
    messages = payloads(url)
    with console.status("nats-py raw publish"):
        raw = asyncio.run(raw_publish_rate(messages))
    with console.status("mims relay catching up"):
        rate, rss = relay_catch_up(url, last)
    with console.status(f"lag at {RATE} commands/s"):
        lags, answered = lag_under_load(seconds)
    report.add("raw_publish_per_s", raw, "events/s")
    report.add("relay_catch_up_per_s", rate, "events/s", raw, ">= 20000")
    report.add("relay_peak_rss_mb", rss, "MB")
    report.add("command_p99_ms", percentile(answered, 99), "ms")
    report.add("lag_p50_ms", percentile(lags, 50), "ms", percentile(answered, 50))
    report.add("lag_p99_ms", percentile(lags, 99), "ms", percentile(answered, 99), "< 100")
    report.add("lag_events", len(lags), "events")
    report.print()


if __name__ == "__main__":
    main(sys.argv[1:])
