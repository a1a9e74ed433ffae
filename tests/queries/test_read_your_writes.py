"""Read-your-writes (``X-Min-Position``) is bounded and cannot take the read side down:
a position that is not a position, or one past the log's head, is a problem at once, and
requests waiting for the projections hold no thread that other reads need."""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ledger.stock.commands import ReceiveStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from projections.engine.view import ReadModels
from tests.support.identity import admin_headers
from tests.support.plant import Plant
from tests.support.servers import serving

STOCK = {"query": "{ stockOnHand { totalQuantity } }"}


class Server:
    def __init__(self, url: str, ledger: Ledger, app: Any) -> None:
        self.url = url
        self.ledger = ledger
        self.app = app
        self.headers = admin_headers(ledger)

    def graphql(self, position: str | None = None, timeout: float = 30) -> httpx.Response:
        headers = dict(self.headers)
        if position is not None:
            headers["X-Min-Position"] = position
        return httpx.post(f"{self.url}/graphql", json=STOCK, headers=headers, timeout=timeout)


@pytest.fixture
def server() -> Iterator[Server]:
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger(store_env(f"sqlite:///{folder}/events.db"), WriterSettings(batch_wait=0))
        plant = Plant(ledger)
        plant.item("STEEL")
        plant.receive("STEEL", "10")
        app = create_app(ledger=ledger, read_models=ReadModels(None))
        with serving(app) as url:
            assert app.state.runner.wait_for(ledger.max_position(), timeout=30)
            yield Server(url, ledger, app)
        ledger.close()


def problem_of(answer: httpx.Response, status: int, type_: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert body["type"] == f"/problems/{type_}", body
    assert body["detail"]
    return body


@pytest.mark.parametrize("header", ["9" * 5000, "abc", "-1", "1.5", "+5", "5 5", "9" * 20])
def test_a_position_that_is_not_one_is_refused(server: Server, header: str) -> None:
    problem_of(server.graphql(header), 422, "invalid-position")
    assert httpx.get(f"{server.url}/problems/invalid-position").status_code == 200


def test_a_position_past_the_head_is_refused_at_once(server: Server) -> None:
    head = server.ledger.max_position()
    body = problem_of(server.graphql(str(head + 1000)), 422, "position-beyond-head")
    assert str(head) in body["detail"]
    # The head itself is served.
    assert server.graphql(str(head)).status_code == 200


def test_waiting_requests_leave_other_reads_alone(server: Server) -> None:
    # The projections stop: a new command is committed but never projected.
    server.app.state.runner.stop()
    server.ledger.execute(
        ReceiveStock(sku="STEEL", location="A", quantity=Decimal(1), unit_cost=Decimal(1))
    )
    head = str(server.ledger.max_position())
    waiting = 30
    finished: list[httpx.Response] = []
    lock = threading.Lock()

    def wait() -> None:
        answer = server.graphql(head)
        with lock:
            finished.append(answer)

    threads = [threading.Thread(target=wait) for _ in range(waiting)]
    for thread in threads:
        thread.start()
    time.sleep(1)  # let every one of them reach its wait
    assert server.graphql().status_code == 200  # a read that does not wait is served...
    with lock:
        assert not finished, "...while the waiting ones still wait"
    for thread in threads:
        thread.join()
    assert len(finished) == waiting
    for answer in finished:  # bounded: each is told the read models are behind
        problem_of(answer, 503, "read-models-behind")
