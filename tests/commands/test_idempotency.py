"""The stored command record is the authority on a command id, from every process.

Two `mims serve` processes share one PostgreSQL ledger. 64 scanners issue from one
scarce lot at once; each command is sent four times (the original and three resends),
alternating between the two processes, and one process is restarted half-way. Every
command must get one outcome from all four sends (an accepted command its 201 and events,
a refused one the same problem), every repeat must be marked as a replay, and what was
accepted must be exactly what the ledger holds.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ledger.ids import receipt_id
from ledger.receipt import CommandReceipt
from ledger.stock.commands import ReceiveStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from tests.support.plant import Plant
from tests.support.servers import ServerProcess

CLIENTS = 64
ON_HAND = 40

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def scarce_plant(pg_url: str) -> None:
    ledger = Ledger(store_env(pg_url), WriterSettings(batch_wait=0))
    try:
        Plant(ledger).item("SCARCE", tracking="lot", precision=0, unit_of_measure="ea")
        ledger.execute(
            ReceiveStock(
                sku="SCARCE",
                location="A",
                quantity=Decimal(ON_HAND),
                unit_cost=Decimal(3),
                lot="L1",
            )
        )
    finally:
        ledger.close()


def issue(k: int) -> dict[str, Any]:
    return {
        "command_id": f"scarce-{k}",
        "sku": "SCARCE",
        "location": "A",
        "lot": "L1",
        "quantity": "1",
        "target_kind": "work_order",
        "target": f"WO-{k}",
    }


def send_all(servers: list[ServerProcess], answers: dict[int, list[httpx.Response]]) -> None:
    """Every client sends its command once, all at once; client k starts on server k % 2."""
    start = threading.Barrier(CLIENTS)

    def client(k: int) -> None:
        server = servers[(k + len(answers[k])) % 2]
        start.wait()
        with httpx.Client(base_url=server.url, headers=server.headers, timeout=60) as http:
            answers[k].append(http.post("/v1/issues", json=issue(k)))

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_every_resend_answers_one_outcome_from_any_process(pg_url: str) -> None:
    scarce_plant(pg_url)
    # Retries are generous so that no answer is a transient concurrency conflict, which is
    # not a decision and is therefore not recorded.
    settings = {"MIMS_MAX_RETRIES": "100", "MIMS_EXPIRY_INTERVAL_MINUTES": "0"}
    first = ServerProcess(pg_url, **settings).start()
    second = ServerProcess(pg_url, **settings).start()
    assert first.headers and second.headers  # issued before the clients start
    answers: dict[int, list[httpx.Response]] = {k: [] for k in range(CLIENTS)}
    try:
        send_all([first, second], answers)
        send_all([first, second], answers)
        second.stop()  # a restart: its cache of receipts is gone
        second = ServerProcess(pg_url, **settings).start()
        send_all([first, second], answers)
        send_all([first, second], answers)
    finally:
        first.stop()
        second.stop()

    accepted = refused = 0
    for k, group in answers.items():
        assert len(group) == 4
        statuses = {a.status_code for a in group}
        assert len(statuses) == 1, f"command {k} got {[a.text for a in group]}"
        original, *resends = [a.json() for a in group]
        assert "Idempotent-Replayed" not in group[0].headers
        for answer in group[1:]:
            assert answer.headers["Idempotent-Replayed"] == "true", answer.text
        if statuses == {201}:
            accepted += 1
            assert not original["duplicate"]
            for again in resends:
                assert again["duplicate"]
                assert again["events"] == original["events"]
                assert again["position"] == original["position"]
        else:
            refused += 1
            # Short while some is left; an unknown lot once the lot is used up.
            assert original["type"] in (
                "/problems/insufficient-stock",
                "/problems/unknown-lot",
            ), original
            for again in resends:
                assert again["replayed"] is True
                assert {k: v for k, v in again.items() if k != "replayed"} == original

    # What was accepted is what the ledger holds, and every command id has its receipt.
    ledger = Ledger(store_env(pg_url), WriterSettings(batch_wait=0))
    try:
        stock = ledger.stock("SCARCE")
        assert stock is not None
        assert accepted == ON_HAND
        assert refused == CLIENTS - ON_HAND
        assert stock.on_hand == ON_HAND - accepted
        for k in range(CLIENTS):
            receipt = ledger.app.find(receipt_id(f"scarce-{k}"))
            assert isinstance(receipt, CommandReceipt)
            assert receipt.accepted == (answers[k][0].status_code == 201)
            assert receipt.version == 1, "a resend within the window was decided again"
    finally:
        ledger.close()
    print(
        f"\n{CLIENTS} commands x 4 sends over 2 processes and a restart: {accepted} accepted,"
        f" {refused} refused, every group one outcome"
    )
