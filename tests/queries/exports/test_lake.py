"""The Parquet lake, made through the served export route: read back with DuckDB (Hive
partitions) and pyarrow datasets, its ledger's totals by item are GraphQL's stock on hand
and each day's snapshot is GraphQL's stock asOf that day's end; a second run after more
receipts adds new part files holding exactly the new movements, leaves the old ones
untouched, and the totals agree again; a failed run's leftovers are cleared."""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.dataset as ds
import pytest
from fastapi.testclient import TestClient

from ledger.stock.commands import ReceiveStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from projections.engine.view import ReadModels
from queries.exports.lake import LEDGER, SNAPSHOTS, LakeState, export_lake
from tests.support.graphql import GraphQL
from tests.support.history import build_history
from tests.support.identity import admin_headers

D = Decimal
STOCK = """query($asOf: DateTime) { stockOnHand(asOf: $asOf) {
    rows { item location lot status quantity value } } }"""
COUNT = "SELECT count(*) FROM stock_ledger"


class Plant(GraphQL):
    def __init__(self, client: TestClient, ledger: Ledger, app: Any) -> None:
        super().__init__(client)
        self.ledger = ledger
        self.app = app

    def fetch(self, name: str, filters: dict[str, str], file: Path) -> None:
        answer = self.client.get(f"/v1/exports/{name}", params={**filters, "format": "parquet"})
        assert answer.status_code == 200, answer.text
        file.write_bytes(answer.content)

    def caught_up(self) -> None:
        assert self.app.state.runner.wait_for(self.ledger.max_position(), timeout=30)

    def on_hand_by_item(self, as_of: datetime | None = None) -> dict[str, tuple[D, D]]:
        rows = self.query(STOCK, {"asOf": as_of.isoformat() if as_of else None})
        totals: dict[str, tuple[D, D]] = defaultdict(lambda: (D(0), D(0)))
        for r in rows["stockOnHand"]["rows"]:
            q, v = totals[r["item"]]
            totals[r["item"]] = (q + D(r["quantity"]), v + D(r["value"]))
        return dict(totals)


@pytest.fixture
def plant() -> Iterator[Plant]:
    folder = tempfile.TemporaryDirectory()
    ledger = Ledger(store_env(f"sqlite:///{folder.name}/events.db"), WriterSettings(batch_wait=0))
    build_history(ledger, seed=31, commands=150)  # over the last six days
    app = create_app(ledger=ledger, read_models=ReadModels(None))
    with TestClient(app, headers=admin_headers(ledger)) as client:
        shop = Plant(client, ledger, app)
        shop.caught_up()
        yield shop
    ledger.close()
    folder.cleanup()


def ledger_totals(lake: Path) -> dict[str, tuple[D, D]]:
    rows = duckdb.sql(
        "SELECT item, sum(quantity_delta), sum(value_delta) FROM read_parquet("
        f"'{lake / LEDGER}/**/*.parquet', hive_partitioning = true) GROUP BY item"
        " HAVING sum(quantity_delta) <> 0 OR sum(value_delta) <> 0"
    ).fetchall()
    return {item: (q, v) for item, q, v in rows}


def arrow_totals(lake: Path) -> dict[str, tuple[D, D]]:
    table = ds.dataset(lake / LEDGER, format="parquet", partitioning="hive").to_table()
    totals: dict[str, tuple[D, D]] = defaultdict(lambda: (D(0), D(0)))
    for r in table.select(["item", "quantity_delta", "value_delta"]).to_pylist():
        q, v = totals[r["item"]]
        totals[r["item"]] = (q + r["quantity_delta"], v + r["value_delta"])
    return {k: t for k, t in totals.items() if t != (D(0), D(0))}


def snapshot_by_item(lake: Path, day: date) -> dict[str, tuple[D, D]]:
    table = ds.dataset(lake / SNAPSHOTS, format="parquet", partitioning="hive").to_table(
        filter=ds.field("date") == day.isoformat()
    )
    totals: dict[str, tuple[D, D]] = defaultdict(lambda: (D(0), D(0)))
    for r in table.to_pylist():
        q, v = totals[r["item"]]
        totals[r["item"]] = (q + r["quantity"], v + r["value"])
    return dict(totals)


def test_the_lake_round_trips_and_grows_incrementally(plant: Plant, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    first = export_lake(lake, plant.fetch, settle=timedelta(0))
    assert first.movements > 50 and first.first_position is not None
    state = LakeState.read(lake)
    assert state.position == first.last_position
    # The ledger, by DuckDB and by pyarrow: the totals of stock on hand now.
    now = plant.on_hand_by_item()
    assert now
    assert ledger_totals(lake) == now
    assert arrow_totals(lake) == now
    for part in first.files:
        assert part.parent.name.startswith("date=") and part.parent.parent.name.startswith("site=")
    # Every closed day has its snapshot: GraphQL's stock at that day's end.
    today = datetime.now(UTC).date()
    assert first.days[-1] == today - timedelta(days=1)
    assert len(first.days) >= 5
    for day in first.days[-3:]:
        end = datetime.combine(day + timedelta(days=1), time(), UTC) - timedelta(microseconds=1)
        snapshot = snapshot_by_item(lake, day)
        assert snapshot, day
        assert snapshot == plant.on_hand_by_item(end), day
    # More receipts: a second run adds only them, in new files; the old stay as they were.
    old = {p: p.read_bytes() for p in lake.rglob("*.parquet")}
    for n in range(3):
        plant.ledger.execute(
            ReceiveStock(sku="FIFO-PLAIN", location="B", quantity=D(10 + n), unit_cost=D(4))
        )
    plant.caught_up()
    second = export_lake(lake, plant.fetch, settle=timedelta(0))
    assert second.movements == 3
    assert second.first_position is not None and second.first_position > first.last_position
    assert second.days == []  # today is not over
    assert {p: p.read_bytes() for p in old} == old
    assert second.files and all(p not in old for p in second.files)
    added = duckdb.sql(
        f"SELECT sum(quantity_delta) FROM read_parquet({[str(p) for p in second.files]})"
    ).fetchall()[0][0]
    assert added == D(33)
    assert ledger_totals(lake) == plant.on_hand_by_item()
    with plant.app.state.read_models.reader() as con:
        (in_models,) = con.execute(COUNT).fetchall()[0]
    (in_lake,) = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{lake / LEDGER}/**/*.parquet')"
    ).fetchall()[0]
    assert in_lake == in_models  # every movement once
    # A third run with nothing new writes nothing.
    third = export_lake(lake, plant.fetch, settle=timedelta(0))
    assert third.movements == 0 and third.files == []


def test_a_failed_run_s_leftovers_are_cleared(plant: Plant, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    first = export_lake(lake, plant.fetch, settle=timedelta(days=2))
    state = LakeState.read(lake)
    assert state.snapshots_through == datetime.now(UTC).date() - timedelta(days=3)
    # What a run that died before its state file leaves: parts past the marks.
    ledger_part = next(p for p in first.files if p.is_relative_to(lake / LEDGER))
    stray = ledger_part.with_name(
        f"part-{state.position + 1:012d}-{state.position + 9:012d}-0.parquet"
    )
    stray.write_bytes(ledger_part.read_bytes())
    snapshot_part = next(p for p in first.files if p.is_relative_to(lake / SNAPSHOTS))
    day_after = snapshot_part.parent.parent / f"date={state.snapshots_through + timedelta(days=1)}"
    day_after.mkdir()
    (day_after / snapshot_part.name).write_bytes(snapshot_part.read_bytes())
    second = export_lake(lake, plant.fetch, settle=timedelta(days=2))
    assert second.movements == 0
    assert not stray.exists() and not any(day_after.iterdir())
    assert ledger_totals(lake) == plant.on_hand_by_item()  # no movement twice
