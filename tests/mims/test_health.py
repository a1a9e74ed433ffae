"""Liveness apart from readiness (issue 13, point 7): /health/ready answers 503 with an
RFC 9457 problem that names what is down; /health/live and /health stay 200."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from ledger.master_data.commands import RegisterItem
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from mims.settings import Settings
from tests.support.raw_events import store_raw_receipt
from tests.support.servers import serving
from tests.support.services import PG_BASE

WAIT = 120  # seconds a test waits for a state to be reached (not a measure)


def settle(url: str, want: int, saying: str = "") -> httpx.Response:
    """/health/ready once it answers ``want`` (the runner works in its own thread)."""
    deadline = time.monotonic() + WAIT
    while True:
        answer = httpx.get(f"{url}/health/ready", timeout=30)
        if (answer.status_code == want and saying in answer.text) or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[tuple[str, Ledger, Any]]:
    url = f"sqlite:///{tmp_path}/events.db"
    settings = Settings(
        database_url=url,
        read_model_path=tmp_path / "read_models.duckdb",
        ready_max_lag=0,
        expiry_interval_minutes=0,
    )
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    app = create_app(settings, ledger=ledger)
    try:
        with serving(app) as base:
            yield base, ledger, app
    finally:
        ledger.close()


def register(ledger: Ledger, sku: str) -> None:
    ledger.execute(RegisterItem(sku=sku, description="x", kind="component", unit_of_measure="ea"))


def test_live_and_ready_when_the_read_models_are_caught_up(plant: tuple[str, Ledger, Any]) -> None:
    base, ledger, _ = plant
    register(ledger, "BOLT")
    assert httpx.get(f"{base}/health/live").json() == {"status": "ok"}
    assert httpx.get(f"{base}/health").json() == {"status": "ok"}  # old clients, the CLI
    ready = settle(base, 200)
    assert ready.status_code == 200, ready.text
    body = ready.json()
    assert body["status"] == "ready"
    assert body["checks"]["event_store"] == {"status": "up", "head": ledger.max_position()}
    assert body["checks"]["read_models"]["catalog"]["lag"] == 0


def test_a_failed_read_model_is_named_with_its_position(plant: tuple[str, Ledger, Any]) -> None:
    base, ledger, _ = plant
    register(ledger, "BOLT")
    assert settle(base, 200).status_code == 200
    # A corrupt event on the log (as a buggy older version could have written).
    poisoned = store_raw_receipt(
        ledger, "BOLT", "2026-11-20T10:00:00+00:00",
        quantity="not a number", unit_cost="1", value="1", layer_seq=1,
    )  # fmt: skip
    register(ledger, "NUT")  # wakes the runner
    answer = settle(base, 503, saying="stock_on_hand failed")
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "/problems/not-ready"
    assert problem["status"] == 503
    assert f"read model stock_on_hand failed at position {poisoned}" in problem["detail"]
    failed = problem["checks"]["read_models"]["stock_on_hand"]
    assert failed["status"] == "failed"
    assert failed["failed_position"] == poisoned
    assert httpx.get(f"{base}/health/live").status_code == 200


def test_read_models_behind_the_bound_are_not_ready(plant: tuple[str, Ledger, Any]) -> None:
    base, ledger, app = plant
    assert settle(base, 200).status_code == 200
    app.state.runner.stop()  # the runner's thread is gone: nothing follows the log
    before = ledger.max_position()
    register(ledger, "WASHER")
    behind = ledger.max_position() - before
    problem = httpx.get(f"{base}/health/ready").json()
    assert problem["type"] == "/problems/not-ready"
    assert "the projection runner is not running" in problem["down"]
    assert f"read model catalog is {behind} events behind (MIMS_READY_MAX_LAG=0)" in problem["down"]


@pytest.mark.postgres
def test_an_event_store_that_does_not_answer_is_named(pg_url: str, tmp_path: Path) -> None:
    settings = Settings(
        database_url=pg_url, read_model_path=tmp_path / "rm.duckdb", expiry_interval_minutes=0
    )
    with serving(create_app(settings)) as base:
        assert settle(base, 200).status_code == 200
        schema = pg_url.rsplit("schema=", 1)[1]
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
        problem = httpx.get(f"{base}/health/ready", timeout=60).json()
        assert problem["type"] == "/problems/not-ready"
        assert problem["checks"]["event_store"]["status"] == "down"
        assert problem["down"][0].startswith("the event store does not answer")
        assert httpx.get(f"{base}/health/live").status_code == 200
