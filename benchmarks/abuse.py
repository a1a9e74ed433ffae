"""./scripts/bench abuse: one caller's burst against another caller's latency.

`mims serve` runs in its own process on a SQLite store with a per-caller command limit
(``MIMS_RATE_LIMIT_COMMANDS``, `LIMIT_PER_S`/second). Callers are told apart by their
principal (an API key each): a quiet caller posts receipts from 127.0.0.2 at
`QUIET_PER_S` a second, each timed, first alone, then while a flooding caller with a key
of its own posts from 127.0.0.3, in a process of its own, ten times the limit
(`BURST_PER_S` a second, open loop over 32 keep-alive connections, with a bare HTTP/1.1
client that costs the shared cores little).

Figures, in one run:

* ``quiet_p99_ms``: the quiet caller's p99 alone (the baseline).
* ``burst_p99_ms``: its p99 during the flood, beside the baseline. Target: within 2x.
* ``burst_p99_unlimited_ms``: the same flood against a server with no limit, beside the
  baseline (what the limit buys; no target).
* ``flood_refused_share``: the flood's share answered 429; ``quiet_refused_share`` the
  quiet caller's (target 0).

Options: ``--quick`` runs each phase 4 s instead of 12.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from tests.support.identity import admin_key_for
from tests.support.servers import ServerProcess

from benchmarks.report import Report, percentile

LIMIT_PER_S = 50
QUIET_PER_S = 25
BURST_PER_S = 10 * LIMIT_PER_S
QUIET_ADDRESS = "127.0.0.2"
FLOOD_ADDRESS = "127.0.0.3"
SETUP_ADDRESS = "127.0.0.4"
MAX_IN_FLIGHT = 256


def receipt(sku: str) -> dict[str, str]:
    return {"sku": sku, "location": "A", "quantity": "1", "unit_cost": "1"}


def client(address: str, connections: int, key: str) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(
        local_address=address,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )
    return httpx.AsyncClient(
        transport=transport, timeout=30, headers={"Authorization": f"Bearer {key}"}
    )


@dataclass
class Calls:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    skipped: int = 0
    elapsed: float = 0.0

    @property
    def count(self) -> int:
        return sum(self.statuses.values())

    def refused_share(self) -> float:
        return self.statuses[429] / max(1, self.count)


async def open_loop(
    url: str,
    address: str,
    sku: str,
    *,
    rate: float,
    seconds: float,
    connections: int,
    key: str,
) -> Calls:
    """Post a receipt every 1/rate s for ``seconds``, each timed from when it was due (no
    coordinated omission: a slow answer does not delay the next send)."""
    calls = Calls()
    in_flight: set[asyncio.Task[None]] = set()
    async with client(address, connections, key) as http:

        async def one(due: float) -> None:
            try:
                answer = await http.post(f"{url}/v1/receipts", json=receipt(sku))
                calls.statuses[answer.status_code] += 1
            except httpx.HTTPError:
                calls.statuses[0] += 1
            calls.latencies.append(time.perf_counter() - due)

        start = time.perf_counter()
        n = 0
        while (due := start + n / rate) < start + seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            n += 1
            if len(in_flight) >= MAX_IN_FLIGHT:  # the server is that far behind
                calls.skipped += 1
                continue
            task = asyncio.create_task(one(due))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
        if in_flight:
            await asyncio.wait(in_flight)
    return calls


async def quiet(url: str, seconds: float, key: str) -> Calls:
    return await open_loop(
        url, QUIET_ADDRESS, "QUIET", rate=QUIET_PER_S, seconds=seconds, connections=8, key=key
    )


async def _flood_connection(
    host: str, port: int, request: bytes, due: list[float], calls: Calls
) -> None:
    """One keep-alive connection posting at the times in ``due`` (a share of the flood),
    with a bare HTTP/1.1 client: httpx would spend more CPU sending the flood than the
    server spends refusing it, on the same cores."""
    reader, writer = await asyncio.open_connection(host, port, local_addr=(FLOOD_ADDRESS, 0))
    try:
        for when in due:
            wait = when - time.perf_counter()
            if wait < -1.0:  # the server is that far behind: do not pile up
                calls.skipped += 1
                continue
            await asyncio.sleep(max(0.0, wait))
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            calls.statuses[status] += 1
            calls.latencies.append(time.perf_counter() - when)
    finally:
        writer.close()


async def flood(url: str, seconds: float, key: str, connections: int = 32) -> Calls:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    body = orjson.dumps(receipt("FLOOD"))
    request = (
        f"POST /v1/receipts HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {key}\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    start = time.perf_counter() + 0.1
    times = [start + n / BURST_PER_S for n in range(int(BURST_PER_S * seconds))]
    calls = Calls()
    await asyncio.gather(
        *(
            _flood_connection(host, port, request, times[i::connections], calls)
            for i in range(connections)
        )
    )
    calls.elapsed = time.perf_counter() - start
    return calls


def _flood(url: str, seconds: float, key: str, out: Any) -> None:
    calls = asyncio.run(flood(url, seconds, key))
    out.send((dict(calls.statuses), calls.skipped, calls.elapsed))


async def setup(url: str, key: str) -> None:
    async with client(SETUP_ADDRESS, 4, key) as http:
        for path, body in [
            ("/v1/locations", {"code": "S", "level": "site"}),
            ("/v1/locations", {"code": "W", "level": "warehouse", "parent": "S"}),
            ("/v1/locations", {"code": "A", "level": "zone", "parent": "W"}),
            *[
                (
                    "/v1/items",
                    {"sku": sku, "description": sku, "kind": "component", "unit_of_measure": "ea"},
                )
                for sku in ("QUIET", "FLOOD")
            ],
        ]:
            answer = await http.post(f"{url}{path}", json=body)
            answer.raise_for_status()


def measure(limit: str, seconds: float) -> tuple[Calls, Calls, Calls]:
    """The quiet caller alone, the quiet caller during the flood, and the flood."""
    work = Path(tempfile.mkdtemp(prefix="mims-bench-abuse-"))
    try:
        with ServerProcess(
            f"sqlite:///{work}/events.db",
            MIMS_READ_MODEL_PATH=str(work / "read.duckdb"),
            MIMS_RATE_LIMIT_COMMANDS=limit,
            MIMS_RATE_LIMIT_STORAGE="memory://",
            MIMS_ACCESS_LOG="false",
            MIMS_EXPIRY_INTERVAL_MINUTES="0",
            MIMS_ANCHOR_INTERVAL_SECONDS="0",
        ) as server:
            quiet_key = admin_key_for(server.database_url, "quiet")
            flood_key = admin_key_for(server.database_url, "flood")
            asyncio.run(setup(server.url, quiet_key))
            # Warm up (imports, caches, the first batches), then the quiet baseline.
            asyncio.run(quiet(server.url, 2, quiet_key))
            alone = asyncio.run(quiet(server.url, seconds, quiet_key))
            receive, send = multiprocessing.Pipe(duplex=False)
            flood = multiprocessing.get_context("spawn").Process(
                target=_flood, args=(server.url, seconds + 1, flood_key, send)
            )
            flood.start()
            time.sleep(0.5)  # the flood is under way before the quiet caller is timed
            during = asyncio.run(quiet(server.url, seconds, quiet_key))
            statuses, skipped, elapsed = receive.recv()
            flood.join(60)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return alone, during, Calls(statuses=Counter(statuses), skipped=skipped, elapsed=elapsed)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="bench abuse")
    parser.add_argument("--quick", action="store_true", help="short phases (a smoke test)")
    args = parser.parse_args(argv)
    seconds = 4.0 if args.quick else 12.0
    alone, during, flood = measure(f"{LIMIT_PER_S}/second", seconds)
    _, unlimited, _ = measure("", seconds)

    quiet_p99 = percentile(alone.latencies, 99) * 1000
    report = Report("abuse")
    report.add("quiet_p99_ms", quiet_p99, "ms")
    report.add("burst_p99_ms", percentile(during.latencies, 99) * 1000, "ms", quiet_p99, "<= 2x")
    report.add(
        "burst_p99_unlimited_ms", percentile(unlimited.latencies, 99) * 1000, "ms", quiet_p99
    )
    quiet_p50 = percentile(alone.latencies, 50) * 1000
    report.add("quiet_p50_ms", quiet_p50, "ms")
    report.add("burst_p50_ms", percentile(during.latencies, 50) * 1000, "ms", quiet_p50)
    report.add("flood_sent", flood.count, "requests", target=f"{BURST_PER_S}/s offered")
    report.add("flood_refused_share", flood.refused_share(), "share")
    report.add(
        "flood_accepted_per_s",
        flood.statuses[201] / (seconds + 1),
        "1/s",
        target=f"<= {LIMIT_PER_S}",
    )
    report.add("flood_failed", flood.statuses[0] + flood.skipped, "requests")
    report.add("quiet_refused_share", during.refused_share(), "share", target="0")
    report.print()
