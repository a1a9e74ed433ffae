"""Proofs of the write path on the real PostgreSQL: several processes, no oversell,
exactly-once posting, no skipped notifications, and survival of a SIGKILL.

Each test has a schema of its own. The crash test kills the server process with SIGKILL:
that proves what the *process* guarantees (an answered command was committed by
PostgreSQL before the answer was sent); it does not cut power to the disk, which is
PostgreSQL's own fsync guarantee.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ledger.errors import ConcurrencyConflict
from ledger.ids import receipt_id, stock_id
from ledger.master_data.item import Item
from ledger.receipt import CommandReceipt
from ledger.stock.card import Stock
from ledger.stock.commands import IssueStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from tests.support.plant import Plant
from tests.support.servers import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
D = Decimal


@pytest.fixture
def two_servers(pg_url: str) -> Iterator[tuple[Ledger, list[ServerProcess]]]:
    """A plant set up in-process, then two `mims serve` processes on the same schema."""
    ledger = Ledger(store_env(pg_url), WriterSettings(batch_wait=0))
    plant = Plant(ledger)
    plant.item("SCARCE", tracking="lot", unit_of_measure="ea", precision=0)
    plant.receive("SCARCE", "400", "3", lot="L1")
    servers = [ServerProcess(pg_url).start(), ServerProcess(pg_url).start()]
    # Credentials before the clients start: a failure here is the fixture's, never a
    # client thread's that leaves the others waiting at their barrier.
    assert all(server.headers for server in servers)
    try:
        yield ledger, servers
    finally:
        for server in servers:
            server.stop()
        ledger.close()


def fold_issued_and_received(ledger: Ledger, sku: str) -> tuple[Decimal, Decimal]:
    received = issued = D(0)
    for event in ledger.app.events.get(stock_id(sku)):
        if isinstance(event, Stock.Received):
            received += event.quantity
        elif isinstance(event, Stock.Issued):
            issued += event.quantity
    return received, issued


def test_32_clients_on_two_processes_never_oversell_one_lot(
    two_servers: tuple[Ledger, list[ServerProcess]],
) -> None:
    ledger, servers = two_servers
    answers: Counter[tuple[str, int]] = Counter()
    acknowledged: dict[str, Decimal] = {"issue": D(0), "reserve": D(0)}
    lock = threading.Lock()
    start = threading.Barrier(32)

    def client(k: int) -> None:
        rng = random.Random(k)
        server = servers[k % 2]
        with httpx.Client(base_url=server.url, headers=server.headers, timeout=30) as http:
            start.wait()
            for n in range(12):
                quantity = rng.randint(1, 3)
                kind = rng.choice(["issue", "issue", "reserve"])
                body: dict[str, Any] = {
                    "command_id": f"c{k}-{n}",
                    "sku": "SCARCE",
                    "quantity": str(quantity),
                    "location": "A",
                    "lot": "L1",
                }
                if kind == "issue":
                    body |= {"target_kind": "work_order", "target": f"WO-{k}"}
                answer = http.post(
                    "/v1/issues" if kind == "issue" else "/v1/reservations", json=body
                )
                with lock:
                    answers[(server.url, answer.status_code)] += 1
                    if answer.status_code == 201:
                        acknowledged[kind] += quantity
                    else:
                        assert answer.status_code == 409, answer.text
                        assert answer.json()["type"] in (
                            "/problems/insufficient-stock",
                            "/problems/concurrency-conflict",
                        )

    threads = [threading.Thread(target=client, args=(k,)) for k in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    card = ledger.stock("SCARCE")
    assert card is not None
    received, issued = fold_issued_and_received(ledger, "SCARCE")
    assert received == 400
    # Demand was 32 x 12 x ~2 units (~770); only 400 existed.
    assert issued + card.reserved <= received
    assert issued == acknowledged["issue"], "every 201 issue is in the ledger, nothing else is"
    assert card.reserved == acknowledged["reserve"]
    assert card.on_hand == received - issued, "the balance equals the ledger fold"
    assert issued + card.reserved >= 397, "refusals only when the lot was (nearly) exhausted"
    for server in servers:
        assert answers[(server.url, 201)] > 0, f"{server.url} served nothing: {answers}"


def test_one_command_id_sent_concurrently_posts_once(
    two_servers: tuple[Ledger, list[ServerProcess]],
) -> None:
    ledger, servers = two_servers
    body = {
        "command_id": "scanner-9-receipt-77",
        "sku": "SCARCE",
        "location": "A",
        "lot": "L2",
        "quantity": "5",
        "unit_cost": "3",
    }
    start = threading.Barrier(16)
    answers: list[dict[str, Any]] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        with httpx.Client(
            base_url=servers[k % 2].url, headers=servers[k % 2].headers, timeout=30
        ) as http:
            start.wait()
            answer = http.post("/v1/receipts", json=body)
            assert answer.status_code == 201, answer.text
            with lock:
                answers.append(answer.json())

    threads = [threading.Thread(target=client, args=(k,)) for k in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == 16
    assert len({tuple(e["id"] for e in a["events"]) for a in answers}) == 1
    assert sum(not a["duplicate"] for a in answers) == 1
    received = [
        e
        for e in ledger.app.events.get(stock_id("SCARCE"))
        if isinstance(e, Stock.Received) and e.meta.command_id == body["command_id"]
    ]
    assert len(received) == 1


def test_a_tailing_reader_skips_no_notification(pg_url: str) -> None:
    env = store_env(pg_url)
    setup = Ledger(env, WriterSettings(batch_wait=0))
    plant = Plant(setup)
    for n in range(8):
        plant.item(f"HOT-{n}")
        plant.receive(f"HOT-{n}", "1000000")
    small_pool = env | {"POSTGRES_POOL_SIZE": "2", "POSTGRES_MAX_OVERFLOW": "1"}
    writers = [
        Ledger(small_pool, WriterSettings(batch_wait=0.001, batch_max=20)) for _ in range(16)
    ]
    recorder = setup.app.recorder
    seen: list[int] = []
    done = threading.Event()

    def tail() -> None:
        last = 0
        while True:
            finished = done.is_set()
            page = recorder.select_notifications(start=last + 1, limit=500)
            for notification in page:
                assert notification.id > last, "the log went backwards"
                seen.append(notification.id)
                last = notification.id
            if finished and not page:
                return
            if not page:
                time.sleep(0.001)

    def write(k: int) -> None:
        rng = random.Random(k)
        futures = [
            writers[k].submit(
                IssueStock(
                    sku=f"HOT-{rng.randrange(8)}",
                    location="A",
                    quantity=D(1),
                    target_kind="work_order",
                    target="WO",
                )
            )
            for _ in range(150)
        ]
        for future in futures:
            try:
                future.result(60)
            except ConcurrencyConflict:
                gave_up.append(k)  # 16 writers on 8 stock cards: some give up, as designed

    gave_up: list[int] = []
    reader = threading.Thread(target=tail)
    reader.start()
    threads = [threading.Thread(target=write, args=(k,)) for k in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    reader.join()
    everything = [n.id for n in recorder.select_notifications(start=1, limit=1_000_000)]
    assert len(seen) == len(set(seen)), "a notification was seen twice"
    assert seen == everything, "the tailing reader skipped a notification for good"
    conflicts = sum(w.stats["conflicts"] for w in writers)
    assert conflicts > 0, "the writers never raced; the test proved nothing"
    for writer in writers:
        writer.close()
    setup.close()


def test_a_sigkilled_server_loses_no_acknowledged_command(pg_url: str) -> None:
    env = store_env(pg_url)
    ledger = Ledger(env, WriterSettings(batch_wait=0))
    plant = Plant(ledger)
    for n in range(20):
        plant.item(f"K-{n}", costing_method="standard", standard_cost=D(10))
        plant.receive(f"K-{n}", "100000", "9")
    server = ServerProcess(pg_url).start()
    acknowledged: dict[str, dict[str, Any]] = {}
    requests: dict[str, tuple[str, dict[str, Any]]] = {}
    sent: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def client(k: int) -> None:
        rng = random.Random(k)
        with httpx.Client(base_url=server.url, headers=server.headers, timeout=5) as http:
            n = 0
            while not stop.is_set():
                n += 1
                command_id = f"crash-{k}-{n}"
                roll = rng.random()
                if roll < 0.1:  # two aggregates in one command: the item and its stock card
                    path, body = (
                        "/v1/items",
                        {
                            "sku": f"NEW-{k}-{n}",
                            "description": "new",
                            "kind": "component",
                            "unit_of_measure": "ea",
                        },
                    )
                elif roll < 0.15:  # also two: Item.StandardCostChanged + Stock.Revalued
                    path, body = (
                        "/v1/items/standard-cost",
                        {
                            "sku": f"K-{rng.randrange(20)}",
                            "standard_cost": str(rng.randint(5, 15)),
                        },
                    )
                else:
                    path, body = (
                        "/v1/issues",
                        {
                            "sku": f"K-{rng.randrange(20)}",
                            "location": "A",
                            "quantity": "1",
                            "target_kind": "work_order",
                            "target": "WO",
                        },
                    )
                body["command_id"] = command_id
                with lock:
                    sent.add(command_id)
                try:
                    answer = http.post(path, json=body)
                except httpx.HTTPError:
                    return  # the server is gone
                if answer.status_code == 201:
                    with lock:
                        acknowledged[command_id] = answer.json()
                        requests[command_id] = (path, body)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(16)]
    for thread in threads:
        thread.start()
    time.sleep(2.5)
    server.kill()
    stop.set()
    for thread in threads:
        thread.join()
    assert len(acknowledged) > 200, "too little load to prove anything"

    # After the crash: a fresh process reads the store.
    after = Ledger(env, WriterSettings(batch_wait=0))
    try:
        for command_id, answer in acknowledged.items():
            receipt = after.app.find(receipt_id(command_id))
            assert isinstance(receipt, CommandReceipt), f"acknowledged {command_id} is lost"
            assert [str(e.id) for e in receipt.events] == [e["id"] for e in answer["events"]]
            for event in answer["events"]:
                stored = list(
                    after.app.events.get(
                        event["stream"], gt=event["version"] - 1, lte=event["version"]
                    )
                )
                assert len(stored) == 1, f"{command_id}: event {event['version']} missing"
        # Commands in flight at the kill are all-or-nothing: a receipt means all its events.
        for command_id in sent - set(acknowledged):
            receipt = after.app.find(receipt_id(command_id))
            if isinstance(receipt, CommandReceipt):
                for event in receipt.events:
                    assert after.app.find(event.stream) is not None
        # Every stock card folds, and every registered item has its stock card.
        for notification in after.app.recorder.select_notifications(start=1, limit=10_000_000):
            if notification.originator_version != 1:
                continue
            aggregate = after.app.find(notification.originator_id)
            if isinstance(aggregate, Item):
                assert after.stock(aggregate.sku) is not None, f"{aggregate.sku}: half-saved"
        # Re-sending an acknowledged command posts nothing.
        restarted = ServerProcess(pg_url).start()
        try:
            with httpx.Client(
                base_url=restarted.url, headers=restarted.headers, timeout=30
            ) as http:
                command_id = next(iter(acknowledged))
                path, body = requests[command_id]
                position = after.max_position()
                again = http.post(path, json=body)
                assert again.status_code == 201, again.text
                assert again.json()["duplicate"]
                assert again.json()["events"] == acknowledged[command_id]["events"]
                # The same key with another body is refused, never replayed.
                moved = {**body, "effective_at": datetime.now(UTC).isoformat()}
                other = http.post(path, json=moved)
                assert other.status_code == 422, other.text
                assert other.json()["type"] == "/problems/idempotency-key-reused"
                assert after.max_position() == position
        finally:
            restarted.stop()
    finally:
        after.close()
        ledger.close()
