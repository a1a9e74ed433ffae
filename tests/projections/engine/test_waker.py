"""Another process commits; LISTEN/NOTIFY wakes the runner at once, and a dropped LISTEN
connection is noticed and reopened."""

from __future__ import annotations

import time
from decimal import Decimal

import psycopg
import pytest

from ledger.stock.commands import ReceiveStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from projections.engine.runner import ProjectionRunner
from projections.engine.view import ReadModels
from projections.engine.waker import PostgresWaker
from tests.support.plant import Plant
from tests.support.services import PG_BASE

pytestmark = pytest.mark.postgres


def reached(runner: ProjectionRunner, position: int, within: float) -> float | None:
    start = time.monotonic()
    while time.monotonic() - start < within:
        if runner.position >= position:
            return time.monotonic() - start
        time.sleep(0.01)
    return None


def test_notify_wakes_the_runner_and_a_dropped_listener_reconnects(pg_url: str) -> None:
    env = store_env(pg_url)
    reader_side = Ledger(env, WriterSettings(batch_wait=0))  # the query node's own store handle
    writer_side = Ledger(env, WriterSettings(batch_wait=0))  # "another process" writing
    models = ReadModels(None)
    # Polling every minute: only a notification can make it catch up within a second.
    runner = ProjectionRunner(reader_side.app.recorder, models, poll_interval=60)
    waker = PostgresWaker(reader_side.app.recorder, runner.wake, heartbeat=0.2)
    try:
        runner.start()
        waker.start()
        Plant(writer_side).item("STEEL")
        assert reached(runner, writer_side.max_position(), 5) is not None
        outcome = writer_side.execute(
            ReceiveStock(sku="STEEL", location="A", quantity=Decimal(5), unit_cost=Decimal(1))
        )
        latency = reached(runner, outcome.position, 2)
        assert latency is not None and latency < 1.0, latency

        # The LISTEN connection dies (a failover, a network cut, an admin's kill).
        assert waker.connection is not None
        pid = waker.connection.info.backend_pid
        with psycopg.connect(PG_BASE, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 10
        while waker.connects < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waker.connects >= 2, "the dropped LISTEN connection was not reopened"
        outcome = writer_side.execute(
            ReceiveStock(sku="STEEL", location="A", quantity=Decimal(5), unit_cost=Decimal(1))
        )
        assert reached(runner, outcome.position, 2) is not None
    finally:
        waker.stop()
        runner.stop()
        models.close()
        writer_side.close()
        reader_side.close()
