"""Work orders and sales orders competing for a scarce component, from 16 clients on two
`mims serve` processes over one PostgreSQL schema: the component is never promised or
consumed beyond what exists, at any version of its stock card."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from ledger.engineering.commands import BomLineInput, DefineBom
from ledger.ids import stock_id
from ledger.stock.card import Stock
from ledger.store import store_env
from ledger.values import StockStatus
from ledger.writer import Ledger, WriterSettings
from tests.support.identity import admin_headers
from tests.support.plant import Plant
from tests.support.servers import ServerProcess

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
D = Decimal
TODAY = datetime.now(UTC).date()
CHIPS = 120


@pytest.fixture
def plant(pg_url: str) -> Iterator[tuple[Ledger, list[ServerProcess]]]:
    ledger = Ledger(store_env(pg_url), WriterSettings(batch_wait=0))
    plant = Plant(ledger)
    plant.item("CHIP", kind="component", unit_of_measure="ea", precision=0, tracking="lot")
    for sku in ["BOARD", "MODULE"]:
        plant.item(sku, kind="subassembly", unit_of_measure="ea", precision=0)
    plant.receive("CHIP", str(CHIPS // 2), "2", lot="C1", expiry=TODAY + timedelta(days=90))
    plant.receive("CHIP", str(CHIPS // 2), "2", lot="C2", expiry=TODAY + timedelta(days=30))
    since = TODAY - timedelta(days=1)
    for parent, per in [("BOARD", "3"), ("MODULE", "2")]:
        ledger.execute(
            DefineBom(
                parent=parent, version="A", effective_from=since,
                lines=[BomLineInput(component="CHIP", quantity=D(per), backflush="completion")],
            )
        )  # fmt: skip
    servers = [ServerProcess(pg_url).start(), ServerProcess(pg_url).start()]
    try:
        yield ledger, servers
    finally:
        for server in servers:
            server.stop()
            print(server.log()[-20000:])  # shown by pytest when the test fails
        ledger.close()


def test_work_orders_and_sales_orders_never_take_more_than_exists(
    plant: tuple[Ledger, list[ServerProcess]],
) -> None:
    ledger, servers = plant
    headers = admin_headers(ledger)
    answers: Counter[tuple[str, int]] = Counter()
    lock = threading.Lock()
    start = threading.Barrier(16)
    due = (TODAY + timedelta(days=5)).isoformat()

    def client(k: int) -> None:
        rng = random.Random(k)
        with httpx.Client(base_url=servers[k % 2].url, timeout=60) as http:
            start.wait()
            for n in range(6):
                number = f"{k}-{n}"
                if rng.random() < 0.6:  # a work order: release reserves, complete consumes
                    item = rng.choice(["BOARD", "MODULE"])
                    steps = [
                        ("/v1/work-orders", {
                            "number": f"WO-{number}", "item": item,
                            "quantity": str(rng.randint(1, 6)), "due_date": due,
                            "output_location": "B", "supply_location": "A",
                        }),
                        ("/v1/work-orders/release", {"number": f"WO-{number}"}),
                    ]  # fmt: skip
                    if rng.random() < 0.5:
                        steps.append(("/v1/work-orders/complete", {"number": f"WO-{number}"}))
                else:  # a sales order for chips: allocate first to expire, then ship
                    steps = [
                        ("/v1/sales-orders", {
                            "number": f"SO-{number}", "customer": f"C{k}",
                            "lines": [{"line": 1, "sku": "CHIP", "quantity": str(rng.randint(1, 9)), "due_date": due}],
                        }),
                        ("/v1/sales-orders/allocate", {"number": f"SO-{number}"}),
                    ]  # fmt: skip
                    if rng.random() < 0.5:
                        steps.append(
                            (
                                "/v1/sales-orders/ship",
                                {
                                    "number": f"SO-{number}",
                                    "shipment": f"SH-{number}",
                                    "lines": [{"line": 1, "quantity": "1"}],
                                },
                            )
                        )
                for path, body in steps:
                    answer = http.post(path, json=body, headers=headers)
                    with lock:
                        answers[(path, answer.status_code)] += 1
                    if answer.status_code != 201:
                        problem = answer.json()
                        # Short of chips, never a crash or a lost race.
                        assert answer.status_code == 409, problem
                        assert problem["type"] == "/problems/insufficient-stock", problem
                        break

    threads = [threading.Thread(target=client, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert not any(t.is_alive() for t in threads)
    assert answers[("/v1/work-orders/release", 201)] > 10
    assert answers[("/v1/sales-orders/allocate", 201)] > 2
    assert sum(n for (path, status), n in answers.items() if status == 409) > 0, answers

    # Replay the chip's stock card event by event: at no version was more promised or
    # consumed than existed.
    card: Stock | None = None
    versions = 0
    for event in ledger.app.events.get(stock_id("CHIP")):
        card = event.mutate(card)  # type: ignore[assignment]
        assert card is not None
        versions += 1
        assert all(q >= 0 for q in card.balances.values()), event
        assert 0 <= card.reserved <= card.available, event
        for (location, lot), pinned in card.pinned.items():
            assert pinned <= card.balances.get((location, lot, StockStatus.AVAILABLE), D(0))
    assert card is not None
    assert versions > 20
    consumed = CHIPS - card.on_hand
    assert 0 < consumed <= CHIPS
    assert card.reserved <= card.on_hand
