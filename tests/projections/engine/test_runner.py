"""The runner: read models equal the write side, exactly-once under random pages and
crashes, a failing projection stops at its last good position and says where."""

from __future__ import annotations

import random
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.master_data.commands import RegisterItem
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from projections.engine.runner import ProjectionRunner
from projections.engine.view import ReadModels
from projections.registry import PROJECTIONS
from tests.support.history import ITEMS, build_history
from tests.support.raw_events import store_raw_receipt

TABLES = [table for p in PROJECTIONS for table in p.tables]


def snapshot(models: ReadModels) -> dict[str, list[tuple[Any, ...]]]:
    with models.reader() as con:
        return {
            table: sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in TABLES
        } | {
            "tracking": sorted(
                con.execute("SELECT name, position FROM projection_tracking").fetchall()
            )
        }


@pytest.fixture
def ledger(store_url: str) -> Iterator[Ledger]:
    led = Ledger(store_env(store_url), WriterSettings(batch_wait=0))
    build_history(led, seed=3, commands=150)
    yield led
    led.close()


def test_read_models_agree_with_the_write_side(ledger: Ledger) -> None:
    models = ReadModels(None)
    runner = ProjectionRunner(ledger.app.recorder, models, page_size=37)
    assert runner.catch_up() == ledger.max_position()
    with models.reader() as con:
        balances = {
            (i, loc, lot, st): q
            for i, loc, lot, st, q in con.execute(
                "SELECT item, location, lot, status, quantity FROM stock_balances"
            ).fetchall()
        }
        values = dict(con.execute("SELECT item, value FROM item_valuation").fetchall())
        ledger_rows = con.execute("SELECT count(*) FROM stock_ledger").fetchone()
        layers = dict(
            con.execute(
                "SELECT item, sum(quantity * unit_cost) FROM cost_layers GROUP BY item"
            ).fetchall()
        )
        reserved = dict(
            con.execute(
                "SELECT item, sum(open_quantity) FROM reservations GROUP BY item"
            ).fetchall()
        )
        paths = dict(con.execute("SELECT code, path FROM locations").fetchall())
    assert ledger_rows is not None
    assert ledger_rows[0] > 80
    assert paths["A1"] == "S/W/A/A1"
    for sku in ITEMS:
        stock = ledger.stock(sku)
        assert stock is not None
        assert {k[1:]: q for k, q in balances.items() if k[0] == sku} == stock.balances
        assert values.get(sku, Decimal(0)) == stock.value
        assert reserved.get(sku, Decimal(0)) == stock.reserved
        if stock.costing_method == "fifo":
            assert layers.get(sku, Decimal(0)) == stock.value
    # Every projection reached the head.
    assert set(models.positions().values()) == {ledger.max_position()}


@pytest.fixture(scope="module")
def memory_history() -> Iterator[tuple[Ledger, dict[str, list[tuple[Any, ...]]]]]:
    ledger = Ledger(store_env("memory://"), WriterSettings(batch_wait=0))
    build_history(ledger, seed=11, commands=200)
    all_at_once = ReadModels(None)
    ProjectionRunner(ledger.app.recorder, all_at_once, page_size=100_000).catch_up()
    yield ledger, snapshot(all_at_once)
    ledger.close()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pages=st.lists(st.integers(min_value=5, max_value=150), min_size=1, max_size=4),
    stops=st.lists(st.integers(min_value=1, max_value=600), max_size=3),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_random_pages_and_crashes_give_the_same_read_models(
    memory_history: tuple[Ledger, dict[str, list[tuple[Any, ...]]]],
    pages: list[int],
    stops: list[int],
    seed: int,
) -> None:
    ledger, expected = memory_history
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "read.duckdb"
        for stop in [*sorted(stops), None]:
            models = ReadModels(path)  # a restart: the file is reopened, positions read back
            runner = ProjectionRunner(ledger.app.recorder, models, page_size=rng.choice(pages))
            if stop is not None and rng.random() < 0.5:
                # A crash in the middle of a page: some projections committed it, some not.
                tracking = {s.name: s.position for s in runner.statuses()}
                from projections.engine.pages import read_page

                lowest = min(tracking.values())
                page = read_page(ledger.app.recorder, lowest, rng.choice(pages))
                if page.num_rows:
                    some = [p for p in PROJECTIONS if rng.random() < 0.5 or p.name == "catalog"]
                    runner._apply_page(page, tracking, some)
            runner.catch_up(upto=stop)
            models.con.close()  # no clean shutdown
        models = ReadModels(path)
        assert snapshot(models) == expected
        models.close()


def test_a_failing_projection_stops_at_its_last_good_position(tmp_path: Path) -> None:
    ledger = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    try:
        build_history(ledger, seed=5, commands=40)
        stock = ledger.stock("FIFO-PLAIN")
        assert stock is not None
        good = ledger.max_position()
        # A corrupt event on the log (e.g. written by a buggy older version).
        poisoned = store_raw_receipt(
            ledger, "FIFO-PLAIN", "2026-11-20T10:00:00+00:00",
            quantity="not a number", unit_cost="1", value="1", layer_seq=99,
        )  # fmt: skip
        ledger.execute(
            RegisterItem(sku="LATER", description="x", kind="component", unit_of_measure="ea")
        )
        models = ReadModels(None)
        runner = ProjectionRunner(ledger.app.recorder, models, page_size=1000)
        runner.catch_up()
        status = {s.name: s for s in runner.statuses()}
        # Every projection that reads the event's quantity, or its movement rows.
        for name in ("stock_ledger", "stock_on_hand", "cost_layers", "consumption_daily"):
            assert status[name].status == "failed", name
            assert status[name].position == good
            assert status[name].failed_position == poisoned
            assert "not a number" in (status[name].error or "")
        # Unaffected projections went on past it.
        assert status["catalog"].status == "running"
        assert status["catalog"].position == ledger.max_position()
        assert status["reservations"].position == ledger.max_position()
        assert status["lots"].position == ledger.max_position()  # the bad field is not its
        with models.reader() as con:
            assert con.execute("SELECT count(*) FROM items WHERE sku = 'LATER'").fetchone() == (1,)
        # It stays stopped: running again does not skip the event.
        runner.catch_up()
        assert {s.name: s.position for s in runner.statuses()}["stock_ledger"] == good
    finally:
        ledger.close()


def test_a_corrupt_read_model_file_is_set_aside_and_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "read.duckdb"
    path.write_bytes(b"this is not a duckdb file" * 100)
    models = ReadModels(path)
    assert models.positions()["catalog"] == 0
    models.close()
    assert list(tmp_path.glob("read.duckdb.broken-*"))
