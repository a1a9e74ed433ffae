"""Tamper suite (issue 15): a ledger built through the real writer and anchored as it
grew, then 100 tampers done as a superuser past the role and the triggers, each on a
fresh copy: the verifier must find every one and name its first bad position.

Kinds: change a payload, an actor, a timestamp; delete a middle row; delete the tail;
insert a forged row; swap two rows' positions; copy a release signature onto another
release; rewrite the chain consistently from some position (seen only against an anchor:
the expected position is the first one after the last anchor the chain still agrees with).
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import orjson
import psycopg
import pytest
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.sql import SQL, Identifier

from ledger.chain import Anchor, ChainSource, Link, verify_chain
from ledger.quality.commands import PlaceHold, ReleaseHold
from ledger.stock.commands import ReceiveStock
from ledger.store import APP_ROLE, ChainedSQLiteRecorder, chain_of, store_env
from ledger.writer import Ledger, WriterSettings
from tests.support.identity import register, signature
from tests.support.plant import Plant
from tests.support.services import PG_BASE

TAMPERS = 100
SIGNER = "qa-anna"


@dataclass(frozen=True)
class Row:
    position: int
    stream: UUID
    version: int
    topic: str
    state: bytes

    def fields(self) -> dict[str, Any]:
        found: dict[str, Any] = orjson.loads(self.state)
        return found


@dataclass
class Built:
    rows: list[Row]
    links: list[Link]
    anchors: list[Anchor]
    signed: list[int] = field(default_factory=list)  # positions of signed releases


def build(ledger: Ledger) -> Built:
    """A few hundred events in batches of many commands (the writer's group commit),
    anchored after every round."""
    plant = Plant(ledger)
    source = chain_of(ledger.app.recorder)
    anchors: list[Anchor] = []

    def anchor() -> None:
        head = source.chain_head()
        assert head is not None
        anchors.append(Anchor.of(head, datetime.now(UTC)))

    plant.item("STEEL", tracking="lot", precision=2)
    for sku in ("BOLT", "NUT", "WASHER"):
        plant.item(sku)
    register(ledger, SIGNER)
    anchor()
    for round_ in range(12):
        futures = [
            ledger.submit(
                ReceiveStock(sku=sku, location="A", quantity=Decimal(10 + n), unit_cost=Decimal(2)),
                actor=f"clerk-{n}",
            )
            for n, sku in enumerate(("BOLT", "NUT", "WASHER") * 4)
        ]
        futures.append(
            ledger.submit(
                ReceiveStock(
                    sku="STEEL",
                    location="A",
                    quantity=Decimal(20),
                    unit_cost=Decimal(3),
                    lot=f"L{round_}",
                )
            )
        )
        for future in futures:
            future.result()
        hold_id = f"H-{round_}"
        ledger.execute(
            PlaceHold(hold_id=hold_id, sku="STEEL", lot=f"L{round_}", reason="complaint"),
            actor="qa-ben",
        )
        signed = signature(f"cleared {round_}")
        ledger.execute(ReleaseHold(hold_id=hold_id, signature=signed), actor=SIGNER)
        plant.issue("BOLT", "3")
        anchor()
    rows = [
        Row(n.id, UUID(str(n.originator_id)), n.originator_version, n.topic, n.state)
        for n in ledger.app.recorder.select_notifications(1, 100_000)
    ]
    links = list(source.chain_links(1, 100_000))
    signed = [r.position for r in rows if "signature" in r.fields() and r.fields()["signature"]]
    return Built(rows=rows, links=links, anchors=anchors, signed=signed)


class Store(Protocol):
    """The ledger's tables, reached as a superuser would: past the role and the triggers."""

    def set_state(self, position: int, state: bytes) -> None: ...
    def delete_event(self, position: int) -> None: ...
    def delete_from(self, position: int) -> None: ...
    def insert_event(self, row: Row) -> None: ...
    def swap(self, first: int, second: int) -> None: ...
    def replace_links(self, links: list[Link]) -> None: ...


class SQLiteStore:
    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        for (name,) in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            self.db.execute(f"DROP TRIGGER {name}")  # the superuser's first move

    def set_state(self, position: int, state: bytes) -> None:
        self.db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (state, position))

    def delete_event(self, position: int) -> None:
        self.db.execute("DELETE FROM stored_events WHERE rowid = ?", (position,))

    def delete_from(self, position: int) -> None:
        self.db.execute("DELETE FROM stored_events WHERE rowid >= ?", (position,))
        self.db.execute("DELETE FROM stored_events_chain WHERE first_position >= ?", (position,))

    def insert_event(self, row: Row) -> None:
        self.db.execute(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state)"
            " VALUES (?, ?, ?, ?, ?)",
            (row.position, row.stream.hex, row.version, row.topic, row.state),
        )

    def swap(self, first: int, second: int) -> None:
        for old, new in ((first, -1), (second, first), (-1, second)):
            self.db.execute("UPDATE stored_events SET rowid = ? WHERE rowid = ?", (new, old))

    def replace_links(self, links: list[Link]) -> None:
        self.db.execute(
            "DELETE FROM stored_events_chain WHERE first_position >= ?", (links[0].first,)
        )
        self.db.executemany(
            "INSERT INTO stored_events_chain VALUES (?, ?, ?, ?, ?, ?)",
            [(k.first, k.last, k.prev, k.hash, k.positions, k.digests) for k in links],
        )

    def close(self) -> None:
        self.db.commit()
        self.db.close()


class PostgresStore:
    def __init__(self, conn: psycopg.Connection[Any], schema: str) -> None:
        self.conn = conn
        self.events = SQL("{}.mims_events").format(Identifier(schema))
        self.chain = SQL("{}.mims_events_chain").format(Identifier(schema))

    def _run(self, statement: str, *params: Any) -> None:
        self.conn.execute(SQL(statement).format(e=self.events, c=self.chain), params)

    def set_state(self, position: int, state: bytes) -> None:
        self._run("UPDATE {e} SET state = %s WHERE notification_id = %s", state, position)

    def delete_event(self, position: int) -> None:
        self._run("DELETE FROM {e} WHERE notification_id = %s", position)

    def delete_from(self, position: int) -> None:
        self._run("DELETE FROM {e} WHERE notification_id >= %s", position)
        self._run("DELETE FROM {c} WHERE first_position >= %s", position)

    def insert_event(self, row: Row) -> None:
        self._run(
            "INSERT INTO {e} (notification_id, originator_id, originator_version, topic, state)"
            " VALUES (%s, %s, %s, %s, %s)",
            row.position, row.stream, row.version, row.topic, row.state,
        )  # fmt: skip

    def swap(self, first: int, second: int) -> None:
        for old, new in ((first, -1), (second, first), (-1, second)):
            self._run("UPDATE {e} SET notification_id = %s WHERE notification_id = %s", new, old)

    def replace_links(self, links: list[Link]) -> None:
        self._run("DELETE FROM {c} WHERE first_position >= %s", links[0].first)
        for k in links:
            self._run(
                "INSERT INTO {c} VALUES (%s, %s, %s, %s, %s, %s)",
                k.first, k.last, k.prev, k.hash, k.positions, k.digests,
            )  # fmt: skip


# --- the tampers ---------------------------------------------------------------------------

Tamper = Callable[[Store], int]  # applies itself; answers the position the verifier must name


def _edited(row: Row, change: Callable[[dict[str, Any]], None]) -> bytes:
    fields = row.fields()
    change(fields)
    return orjson.dumps(fields)


def tampers(built: Built, rng: random.Random) -> Iterator[tuple[str, Tamper]]:
    rows = built.rows
    last = rows[-1].position
    middle = rows[5:-5]

    def payload() -> Tamper:
        row = rng.choice([r for r in middle if "quantity" in r.fields()])

        def apply(store: Store) -> int:
            store.set_state(row.position, _edited(row, lambda f: f.update(quantity="999")))
            return row.position

        return apply

    def actor() -> Tamper:
        row = rng.choice(middle)

        def apply(store: Store) -> int:
            store.set_state(row.position, _edited(row, lambda f: f["meta"].update(actor="mallory")))
            return row.position

        return apply

    def timestamp() -> Tamper:
        row = rng.choice(middle)

        def shift(fields: dict[str, Any]) -> None:
            when = datetime.fromisoformat(fields["timestamp"]) - timedelta(hours=1)
            fields["timestamp"] = when.isoformat()

        def apply(store: Store) -> int:
            store.set_state(row.position, _edited(row, shift))
            return row.position

        return apply

    def delete_middle() -> Tamper:
        row = rng.choice(middle)

        def apply(store: Store) -> int:
            store.delete_event(row.position)
            return row.position

        return apply

    def delete_tail() -> Tamper:
        # From a batch's first event (the chain left consistent) or from inside a batch.
        starts = [k.first for k in built.links[-8:]]
        position = rng.choice([*starts, rng.randint(rows[-40].position, last)])

        def apply(store: Store) -> int:
            store.delete_from(position)
            return position

        return apply

    def forged() -> Tamper:
        model = rng.choice(middle)
        stream = [r for r in rows if r.stream == model.stream]
        position = last + rng.choice([1, 1, 7, 50])
        row = Row(position, model.stream, stream[-1].version + 1, model.topic, model.state)

        def apply(store: Store) -> int:
            store.insert_event(row)
            return position

        return apply

    def reorder() -> Tamper:
        first = rng.choice(middle[:-3]).position
        second = first + rng.randint(1, 3)

        def apply(store: Store) -> int:
            store.swap(first, second)
            return first

        return apply

    def signature() -> Tamper:
        source, target = rng.sample(built.signed, 2)
        copied = next(r for r in rows if r.position == source).fields()["signature"]
        row = next(r for r in rows if r.position == target)

        def apply(store: Store) -> int:
            store.set_state(target, _edited(row, lambda f: f.update(signature=copied)))
            return target

        return apply

    def rewrite() -> Tamper:
        row = rng.choice(middle)
        start = next(k for k in built.links if k.first <= row.position <= k.last)
        vouched = max((a.position for a in built.anchors if a.position < start.first), default=0)
        forged_state = _edited(row, lambda f: f["meta"].update(actor="mallory"))

        def apply(store: Store) -> int:
            store.set_state(row.position, forged_state)
            prev = start.prev
            relinked = []
            for link in built.links[built.links.index(start) :]:
                events = [
                    (r.position, r.stream, r.version, r.topic,
                     forged_state if r.position == row.position else r.state)
                    for r in rows if link.first <= r.position <= link.last
                ]  # fmt: skip
                relinked.append(Link.after(prev, events))
                prev = relinked[-1].hash
            store.replace_links(relinked)
            return vouched + 1

        return apply

    kinds: list[Callable[[], Tamper]] = [
        payload, actor, timestamp, delete_middle, delete_tail, forged, reorder, signature,
        rewrite,
    ]  # fmt: skip
    for n in range(TAMPERS):
        kind = kinds[n % len(kinds)]
        yield kind.__name__, kind()


def run_suite(
    built: Built, tamper_on_copy: Callable[[Tamper], ChainSource], backend: str
) -> tuple[int, list[str]]:
    detected = 0
    missed: list[str] = []
    for n, (kind, tamper) in enumerate(tampers(built, random.Random(15))):
        expected: list[int] = []

        def apply(store: Store, tamper: Tamper = tamper, into: list[int] = expected) -> int:
            into.append(tamper(store))
            return into[-1]

        report = verify_chain(tamper_on_copy(apply), anchors=built.anchors)
        if report.problem is not None and report.problem.position == expected[0]:
            detected += 1
        else:
            missed.append(f"#{n} {kind} at {expected[0]} on {backend}: {report.problem}")
    return detected, missed


def check_built(built: Built, source: ChainSource) -> None:
    positions = [r.position for r in built.rows]
    assert positions == list(range(1, len(positions) + 1))  # expected positions rely on it
    assert len(positions) >= 300
    assert len(built.signed) >= 10
    assert len(built.links) > 30
    report = verify_chain(source, anchors=built.anchors)
    assert report.ok, report.problem
    assert report.events == len(positions)
    assert report.anchors_checked == len(built.anchors)


# --- SQLite ----------------------------------------------------------------------------------


def test_tampers_are_detected_on_sqlite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pristine = tmp_path / "events.db"
    ledger = Ledger(store_env(f"sqlite:///{pristine}"), WriterSettings(batch_wait=0.005))
    try:
        built = build(ledger)
        check_built(built, chain_of(ledger.app.recorder))
    finally:
        ledger.close()
    opened: list[SQLiteDatastore] = []

    def tamper_on_copy(tamper: Tamper) -> ChainSource:
        # A new file each time: a copy over an old one would meet the old one's WAL.
        copy = tmp_path / f"copy-{len(opened)}.db"
        shutil.copy(pristine, copy)
        store = SQLiteStore(copy)
        tamper(store)
        store.close()
        if opened:
            opened[-1].close()
        opened.append(SQLiteDatastore(db_name=str(copy)))
        return ChainedSQLiteRecorder(opened[-1])

    detected, missed = run_suite(built, tamper_on_copy, "sqlite")
    with capsys.disabled():
        print(f"\ntampers detected {detected}/{TAMPERS} (sqlite)")
    assert not missed, "\n".join(missed)
    assert detected == TAMPERS


def test_sqlite_refuses_updates_and_deletes_of_the_log(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    ledger = Ledger(store_env(f"sqlite:///{path}"), WriterSettings(batch_wait=0))
    try:
        Plant(ledger)
    finally:
        ledger.close()
    db = sqlite3.connect(path)
    for statement in (
        "UPDATE stored_events SET topic = 'x'",
        "DELETE FROM stored_events WHERE rowid = 1",
        "DELETE FROM stored_events",
        "UPDATE stored_events_chain SET hash = x'00'",
        "DELETE FROM stored_events_chain",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(statement)
    assert db.execute("SELECT count(*) FROM stored_events").fetchone()[0] > 0


# --- PostgreSQL ------------------------------------------------------------------------------


@pytest.mark.postgres
def test_tampers_are_detected_on_postgres(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    schema = pg_url.rsplit("schema=", 1)[1]
    ledger = Ledger(store_env(pg_url), WriterSettings(batch_wait=0.005))
    try:
        built = build(ledger)
        source = chain_of(ledger.app.recorder)
        check_built(built, source)
        with psycopg.connect(PG_BASE, autocommit=True) as conn:
            for table in ("mims_events", "mims_events_chain"):
                conn.execute(
                    SQL("CREATE TABLE {s}.{b} AS TABLE {s}.{t}").format(
                        s=Identifier(schema), b=Identifier(f"pristine_{table}"), t=Identifier(table)
                    )
                )

            def tamper_on_copy(tamper: Tamper) -> ChainSource:
                with conn.transaction():  # the copy: restored from the pristine tables
                    for table in ("mims_events", "mims_events_chain"):
                        conn.execute(
                            SQL("DELETE FROM {s}.{t}; INSERT INTO {s}.{t} TABLE {s}.{b}").format(
                                s=Identifier(schema),
                                t=Identifier(table),
                                b=Identifier(f"pristine_{table}"),
                            )
                        )
                    tamper(PostgresStore(conn, schema))
                return source

            detected, missed = run_suite(built, tamper_on_copy, "postgres")
    finally:
        ledger.close()
    with capsys.disabled():
        print(f"\ntampers detected {detected}/{TAMPERS} (postgres)")
    assert not missed, "\n".join(missed)
    assert detected == TAMPERS


@pytest.mark.postgres
def test_the_app_role_may_append_but_never_update_delete_or_truncate(pg_url: str) -> None:
    """The store is set up by its owner; the application connects as a login granted
    ``mims_app``, writes through the real writer, and cannot change what it wrote."""
    schema = pg_url.rsplit("schema=", 1)[1]
    owner = Ledger(store_env(pg_url), WriterSettings(batch_wait=0))
    owner.close()  # set up: tables, chain, the role's grants
    login = f"app_{schema}"
    with psycopg.connect(PG_BASE, autocommit=True) as admin:
        admin.execute(
            SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(Identifier(login), Identifier(APP_ROLE))
        )
    try:
        app_url = pg_url.replace("postgresql://postgres@", f"postgresql://{login}@")
        ledger = Ledger(store_env(app_url), WriterSettings(batch_wait=0))
        try:
            Plant(ledger).item("BOLT")
            assert verify_chain(chain_of(ledger.app.recorder)).ok
        finally:
            ledger.close()
        with psycopg.connect(app_url.split("?")[0], autocommit=True) as conn:
            for table in ("mims_events", "mims_events_chain"):
                for statement in (
                    "UPDATE {s}.{t} SET first_position = first_position"
                    if table.endswith("chain")
                    else "UPDATE {s}.{t} SET topic = topic",
                    "DELETE FROM {s}.{t}",
                    "TRUNCATE {s}.{t}",
                ):
                    with pytest.raises(psycopg.errors.InsufficientPrivilege):
                        conn.execute(
                            SQL(statement).format(s=Identifier(schema), t=Identifier(table))
                        )
    finally:
        with psycopg.connect(PG_BASE, autocommit=True) as admin:
            admin.execute(SQL("DROP OWNED BY {}").format(Identifier(login)))
            admin.execute(SQL("DROP ROLE {}").format(Identifier(login)))
