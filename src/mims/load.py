"""`mims load`: realistic shop-floor traffic against MIMS, over HTTP or in-process.

The plant: a few zones and bins, ``items`` SKUs of which a hot set (``hot_share`` of the
items) takes ``hot_traffic`` of the transactions, like the fast movers of a real plant.
Each client posts a mix of receipts, put-away moves, issues to work orders and
reservations (with their releases), each with its own command id. The summary gives
throughput and latency percentiles, and counts answers by status.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import orjson
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ledger.commands import Command
from ledger.errors import LedgerError
from ledger.master_data.commands import RegisterItem, RegisterLocation
from ledger.stock.commands import (
    IssueStock,
    MoveStock,
    ReceiveStock,
    ReleaseReservation,
    ReserveStock,
)
from ledger.writer import Ledger

ZONES = ("LD-A", "LD-B", "LD-C", "LD-D")
CREATED = 201
MIX = (("receive", 20), ("move", 20), ("issue", 40), ("reserve", 10), ("release", 10))


def setup_commands(prefix: str, items: int, stock_per_item: int = 1_000_000) -> Iterator[Command]:
    """The plant the traffic runs against (idempotent: fixed command ids)."""
    yield RegisterLocation(code=f"{prefix}S", level="site", command_id=f"{prefix}setup-site")
    yield RegisterLocation(
        code=f"{prefix}W", level="warehouse", parent=f"{prefix}S", command_id=f"{prefix}setup-wh"
    )
    for zone in ZONES:
        yield RegisterLocation(
            code=f"{prefix}{zone}",
            level="zone",
            parent=f"{prefix}W",
            command_id=f"{prefix}setup-{zone}",
        )
    for n in range(items):
        sku = f"{prefix}SKU-{n:05d}"
        yield RegisterItem(
            sku=sku,
            description=f"load item {n}",
            kind="component",
            unit_of_measure="ea",
            command_id=f"{prefix}setup-item-{n}",
        )
        yield ReceiveStock(
            sku=sku,
            location=f"{prefix}{ZONES[0]}",
            quantity=Decimal(stock_per_item),
            unit_cost=Decimal("2.50"),
            command_id=f"{prefix}setup-stock-{n}",
        )


@dataclass
class Traffic:
    """Generates the next transaction of one client: (path, JSON body)."""

    prefix: str
    items: int
    hot_share: float = 0.2
    hot_traffic: float = 0.8
    seed: int = 0
    rng: random.Random = field(init=False)
    open_reservations: list[tuple[str, str]] = field(default_factory=list)
    counter: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.kinds = [kind for kind, weight in MIX for _ in range(weight)]
        self.hot = max(1, int(self.items * self.hot_share))

    def sku(self) -> str:
        if self.rng.random() < self.hot_traffic:
            n = self.rng.randrange(self.hot)
        else:
            n = self.rng.randrange(self.items)
        return f"{self.prefix}SKU-{n:05d}"

    def next(self) -> tuple[str, dict[str, Any]]:
        self.counter += 1
        command_id = f"{self.prefix}{self.seed}-{self.counter}"
        kind = self.rng.choice(self.kinds)
        sku = self.sku()
        zone = f"{self.prefix}{ZONES[0]}"
        if kind == "release" and self.open_reservations:
            sku, reservation = self.open_reservations.pop(0)
            return "/v1/reservations/release", {
                "command_id": command_id,
                "sku": sku,
                "reservation_id": reservation,
            }
        if kind == "reserve":
            reservation = f"R-{command_id}"
            self.open_reservations.append((sku, reservation))
            return "/v1/reservations", {
                "command_id": command_id,
                "sku": sku,
                "quantity": "2",
                "reservation_id": reservation,
                "reference": "SO-LOAD",
            }
        if kind == "receive":
            return "/v1/receipts", {
                "command_id": command_id,
                "sku": sku,
                "location": zone,
                "quantity": str(self.rng.randint(1, 50)),
                "unit_cost": "2.50",
                "reference": "PO-LOAD",
            }
        if kind == "move":
            return "/v1/moves", {
                "command_id": command_id,
                "sku": sku,
                "from_location": zone,
                "to_location": f"{self.prefix}{self.rng.choice(ZONES[1:])}",
                "quantity": str(self.rng.randint(1, 5)),
            }
        return "/v1/issues", {
            "command_id": command_id,
            "sku": sku,
            "location": zone,
            "quantity": str(self.rng.randint(1, 5)),
            "target_kind": "work_order",
            "target": f"WO-{self.rng.randint(1000, 1999)}",
        }


COMMAND_BY_PATH: dict[str, type[Command]] = {
    "/v1/receipts": ReceiveStock,
    "/v1/moves": MoveStock,
    "/v1/issues": IssueStock,
    "/v1/reservations": ReserveStock,
    "/v1/reservations/release": ReleaseReservation,
}


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    elapsed: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]

    def table(self, title: str) -> Table:
        table = Table(title=title)
        for column in ("commands", "commands/s", "p50 ms", "p95 ms", "p99 ms", "answers"):
            table.add_column(column, justify="right")
        table.add_row(
            f"{self.count:,}",
            f"{self.throughput:,.0f}",
            f"{self.percentile(50) * 1000:.1f}",
            f"{self.percentile(95) * 1000:.1f}",
            f"{self.percentile(99) * 1000:.1f}",
            ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items())),
        )
        return table


class HttpClient:
    """A minimal keep-alive HTTP/1.1 client on asyncio streams: the load generator must
    cost far less than the server it measures."""

    def __init__(self, base_url: str, key: str) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.key = key  # an API key: the server records its actor
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        payload = orjson.dumps(body)
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {self.key}\r\nContent-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        content = await self.reader.readexactly(length) if length else b""
        return status, content

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def _drive(
    clients: int,
    duration: float,
    make_sender: Callable[[int], Callable[[str, dict[str, Any]], Awaitable[int]]],
    traffic: Callable[[int], Traffic],
    *,
    show_progress: bool,
) -> Result:
    result = Result()
    stop_at = time.perf_counter() + duration

    async def client(k: int, progress: Progress, task: Any) -> None:
        send = make_sender(k)
        gen = traffic(k)
        while time.perf_counter() < stop_at:
            path, body = gen.next()
            start = time.perf_counter()
            status = await send(path, body)
            result.latencies.append(time.perf_counter() - start)
            result.statuses[status] += 1
            if status != CREATED and path == "/v1/reservations":
                gen.open_reservations.pop()
            progress.advance(task)

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,} commands"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, disable=not show_progress, transient=True) as progress:
        task = progress.add_task(f"{clients} clients", total=None)
        ticker = asyncio.create_task(_tick(progress, task, duration))
        began = time.perf_counter()
        await asyncio.gather(*(client(k, progress, task) for k in range(clients)))
        result.elapsed = time.perf_counter() - began
        ticker.cancel()
    return result


async def _tick(progress: Progress, task: Any, duration: float) -> None:
    began = time.perf_counter()
    while True:
        progress.update(
            task, description=f"load {time.perf_counter() - began:4.1f}/{duration:.0f} s"
        )
        await asyncio.sleep(0.25)


def run_http(
    base_url: str,
    *,
    key: str,
    prefix: str,
    items: int,
    clients: int,
    duration: float,
    show_progress: bool = True,
) -> Result:
    async def main() -> Result:
        setup = HttpClient(base_url, key)
        for command in setup_commands(prefix, items):
            path = {
                RegisterLocation: "/v1/locations",
                RegisterItem: "/v1/items",
                ReceiveStock: "/v1/receipts",
            }[type(command)]
            status, content = await setup.post(
                path, command.model_dump(mode="json", exclude_none=True)
            )
            if status != CREATED:
                msg = f"setup failed: {status} {content[:300]!r}"
                raise RuntimeError(msg)
        await setup.close()
        connections = [HttpClient(base_url, key) for _ in range(clients)]

        def sender(k: int) -> Callable[[str, dict[str, Any]], Awaitable[int]]:
            async def send(path: str, body: dict[str, Any]) -> int:
                status, _ = await connections[k].post(path, body)
                return status

            return send

        try:
            return await _drive(
                clients,
                duration,
                sender,
                lambda k: Traffic(prefix, items, seed=k),
                show_progress=show_progress,
            )
        finally:
            for connection in connections:
                await connection.close()

    return asyncio.run(main())


def run_in_process(
    ledger: Ledger,
    *,
    prefix: str,
    items: int,
    clients: int,
    duration: float,
    show_progress: bool = True,
) -> Result:
    futures = [
        ledger.submit(command, actor="load-setup") for command in setup_commands(prefix, items)
    ]
    for future in futures:
        future.result()

    def sender(k: int) -> Callable[[str, dict[str, Any]], Awaitable[int]]:
        async def send(path: str, body: dict[str, Any]) -> int:
            command = COMMAND_BY_PATH[path].model_validate(body)
            try:
                await ledger.execute_async(command, actor=f"scanner-{k}")
            except LedgerError as e:
                return {"not_found": 404, "invalid": 422, "refused": 409}[e.kind]
            return CREATED

        return send

    return asyncio.run(
        _drive(
            clients,
            duration,
            sender,
            lambda k: Traffic(prefix, items, seed=k),
            show_progress=show_progress,
        )
    )


def print_result(result: Result, title: str) -> None:
    Console().print(result.table(title))
