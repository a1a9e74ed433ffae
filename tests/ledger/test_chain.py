"""The hash chain on every store: one link per commit batch, one line of links however
many writers share a PostgreSQL database, and a log older than its chain chained once."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from decimal import Decimal

import pytest
from eventsourcing.sqlite import SQLiteDatastore

from ledger.chain import GENESIS, verify_chain
from ledger.stock.commands import ReceiveStock
from ledger.store import ChainedSQLiteRecorder, chain_of, store_env
from ledger.writer import Ledger, WriterSettings
from tests.support.plant import Plant


def receive(ledger: Ledger, sku: str, n: int) -> ReceiveStock:
    return ReceiveStock(sku=sku, location="A", quantity=Decimal(n + 1), unit_cost=Decimal(1))


def test_every_batch_adds_one_link_after_the_one_before(plant: Plant) -> None:
    ledger = plant.ledger
    plant.item("BOLT")
    batches = ledger.stats["batches"]
    for future in [ledger.submit(receive(ledger, "BOLT", n)) for n in range(200)]:
        future.result()
    source = chain_of(ledger.app.recorder)
    links = list(source.chain_links(1, 10_000))
    assert links[0].prev == GENESIS
    assert all(b.prev == a.hash for a, b in itertools.pairwise(links))
    assert len(links) == ledger.stats["batches"]
    assert ledger.stats["batches"] - batches < 200  # group commit: many commands per link
    report = verify_chain(source)
    assert report.ok, report.problem
    assert report.events == ledger.max_position()
    assert report.head == links[-1]


@pytest.mark.postgres
def test_writers_of_two_processes_on_one_database_form_one_chain(pg_url: str) -> None:
    first = Ledger(store_env(pg_url), WriterSettings(batch_wait=0.001))
    second = Ledger(store_env(pg_url), WriterSettings(batch_wait=0.001))
    try:
        plant = Plant(first)
        for sku in ("BOLT", "NUT"):
            plant.item(sku)

        def post(ledger: Ledger, sku: str) -> None:
            for future in [ledger.submit(receive(ledger, sku, n)) for n in range(300)]:
                future.result()

        threads = [
            threading.Thread(target=post, args=(ledger, sku))
            for ledger in (first, second)
            for sku in ("BOLT", "NUT")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        report = verify_chain(chain_of(first.app.recorder))
        assert report.ok, report.problem
        assert report.events == len(first.app.recorder.select_notifications(1, 100_000))
        assert report.links == first.stats["batches"] + second.stats["batches"]
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_log_older_than_its_chain_is_chained_once(
    kind: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = (
        f"sqlite:///{tmp_path_factory.mktemp('old')}/events.db"
        if kind == "sqlite"
        else str(request.getfixturevalue("pg_url"))
    )
    old = Ledger(store_env(url, chained=False), WriterSettings(batch_wait=0))
    Plant(old).item("BOLT")
    before = old.max_position()
    old.close()
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    try:
        source = chain_of(ledger.app.recorder)
        assert verify_chain(source).events == before
        ledger.execute(receive(ledger, "BOLT", 1))
        report = verify_chain(source)
        assert report.ok, report.problem
        assert report.events == ledger.max_position() > before
        assert report.links == 2  # the old log in one link, then the new batch
    finally:
        ledger.close()
    reopened = Ledger(store_env(url))  # not chained again
    try:
        assert verify_chain(chain_of(reopened.app.recorder)).links == 2
    finally:
        reopened.close()


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        ("UPDATE stored_events_chain SET hash = zeroblob(32) WHERE first_position = {f}", "hash"),
        ("UPDATE stored_events_chain SET prev_hash = zeroblob(32) WHERE first_position = {f}", ""),
        ("UPDATE stored_events_chain SET positions = x'00' WHERE first_position = {f}", "damaged"),
        ("UPDATE stored_events_chain SET last_position = 1 WHERE first_position = {f}", ""),
        ("UPDATE stored_events_chain SET digests = x'' WHERE first_position = {f}", "damaged"),
        ("DELETE FROM stored_events_chain WHERE first_position = {f}", "covers"),
        ("UPDATE stored_events_chain SET first_position = {f} - 1 WHERE first_position = {f}", ""),
    ],
)
def test_a_damaged_link_is_named_never_a_crash(
    damage: str, says: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("damaged") / "events.db"
    ledger = Ledger(store_env(f"sqlite:///{path}"), WriterSettings(batch_wait=0))
    try:
        Plant(ledger).item("BOLT")
        middle = list(chain_of(ledger.app.recorder).chain_links(1, 100))[5]
    finally:
        ledger.close()
    db = sqlite3.connect(path)
    for (trigger,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
        db.execute(f"DROP TRIGGER {trigger}")
    if "first_position = {f} - 1" in damage:  # make room: overlap the link before
        db.execute("DELETE FROM stored_events_chain WHERE first_position = ?", (middle.first - 1,))
    db.execute(damage.format(f=middle.first))
    db.commit()
    db.close()
    datastore = SQLiteDatastore(db_name=str(path))
    try:
        report = verify_chain(ChainedSQLiteRecorder(datastore))
    finally:
        datastore.close()
    assert report.problem is not None
    assert report.problem.position <= middle.first
    assert says in report.problem.what
