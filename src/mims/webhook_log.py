"""The webhook dispatcher's durable state, in the event store's own database: one delivery
cursor per (subscription, generation) and the delivery log (one row per attempt).

A successful delivery's log row and the cursor move in ONE transaction, so after a
restart the dispatcher resumes exactly after the last delivery it recorded. The tables
are the dispatcher's, created on first use beside the store's own (SQLite file or
PostgreSQL schema); the embedded ``memory://`` store keeps them in memory. Rows older
than the retention are pruned by the dispatcher.

Not ledger events on purpose: ten subscriptions at 500 events/s would add thousands of
log rows a second to the record of truth, and a delivery attempt is an operational fact,
not a fact of the plant.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

SNIPPET = 500  # characters of a receiver's answer kept in the log


@dataclass(frozen=True, kw_only=True)
class Attempt:
    """One delivery attempt: ``events`` events at positions ``first_position`` ..
    ``last_position`` under ``webhook_id``; ``status`` ``delivered`` or ``failed``."""

    subscription_id: str
    generation: int
    webhook_id: str
    first_position: int
    last_position: int
    events: int
    attempt: int
    status: str
    status_code: int | None
    error: str | None
    latency_ms: float
    response: str
    at: float  # seconds since the epoch
    id: int = 0


class DeliveryLog(Protocol):
    def cursor(self, subscription_id: str, generation: int) -> int | None:
        """The last position delivered (or passed over) under this generation."""

    def record(self, attempts: Sequence[Attempt], cursor: tuple[str, int, int] | None) -> None:
        """The attempts' rows and, if given, (subscription, generation, position) as the
        new cursor, in one transaction."""

    def pending(
        self, subscription_id: str, generation: int, after: int
    ) -> tuple[int, float | None]:
        """Attempts recorded for what lies after ``after`` (failed ones) and the time of
        the first: a restarted dispatcher keeps counting toward the retry window."""

    def attempts(
        self,
        *,
        subscription_id: str | None = None,
        status: str | None = None,
        limit: int = 50,
        before_id: int | None = None,
    ) -> list[Attempt]:
        """The newest attempts first."""

    def prune(self, before: float) -> int:
        """Delete the attempts older than ``before``; answers how many."""


_COLUMNS = (
    "subscription_id, generation, webhook_id, first_position, last_position, events,"
    " attempt, status, status_code, error, latency_ms, response, at"
)


def _attempt_row(a: Attempt) -> tuple[Any, ...]:
    return (
        a.subscription_id,
        a.generation,
        a.webhook_id,
        a.first_position,
        a.last_position,
        a.events,
        a.attempt,
        a.status,
        a.status_code,
        a.error,
        a.latency_ms,
        a.response[:SNIPPET],
        a.at,
    )


def _from_row(row: Sequence[Any]) -> Attempt:
    return Attempt(
        id=int(row[0]),
        subscription_id=row[1],
        generation=int(row[2]),
        webhook_id=row[3],
        first_position=int(row[4]),
        last_position=int(row[5]),
        events=int(row[6]),
        attempt=int(row[7]),
        status=row[8],
        status_code=None if row[9] is None else int(row[9]),
        error=row[10],
        latency_ms=float(row[11]),
        response=row[12],
        at=float(row[13]),
    )


class SqlDeliveryLog:
    """The same statements on SQLite (``?``) and PostgreSQL (``%s``), through the store's
    own datastore."""

    def __init__(
        self,
        transaction: Callable[[bool], Any],
        *,
        prefix: str = "",
        placeholder: str = "?",
        serial: str = "INTEGER PRIMARY KEY AUTOINCREMENT",
        big: str = "INTEGER",
        real: str = "REAL",
        upsert: str = "INSERT OR REPLACE INTO {t} VALUES (?, ?, ?)",
    ) -> None:
        self._transaction = transaction
        self._p = placeholder
        self.cursors = f"{prefix}mims_webhook_cursors"
        self.log = f"{prefix}mims_webhook_deliveries"
        self._upsert = upsert.format(t=self.cursors)
        with self._tx(commit=True) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.cursors} (subscription_id TEXT NOT NULL,"
                f" generation INTEGER NOT NULL, position {big} NOT NULL,"
                " PRIMARY KEY (subscription_id, generation))"
            )
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.log} (id {serial},"
                " subscription_id TEXT NOT NULL, generation INTEGER NOT NULL,"
                f" webhook_id TEXT NOT NULL, first_position {big} NOT NULL,"
                f" last_position {big} NOT NULL, events INTEGER NOT NULL,"
                " attempt INTEGER NOT NULL, status TEXT NOT NULL, status_code INTEGER,"
                f" error TEXT, latency_ms {real} NOT NULL, response TEXT NOT NULL,"
                f" at {real} NOT NULL)"
            )
            c.execute(
                f"CREATE INDEX IF NOT EXISTS {self.log.rsplit('.', 1)[-1]}_by_subscription"
                f" ON {self.log} (subscription_id, generation, last_position)"
            )

    @contextmanager
    def _tx(self, *, commit: bool) -> Iterator[Any]:
        with self._transaction(commit) as c:
            # The library's SQLite cursor wraps sqlite3's (which has executemany, rowcount).
            yield getattr(c, "sqlite_cursor", c)

    def _q(self, sql: str) -> str:
        return sql.replace("?", self._p)

    def cursor(self, subscription_id: str, generation: int) -> int | None:
        with self._tx(commit=False) as c:
            c.execute(
                self._q(
                    f"SELECT position FROM {self.cursors}"
                    " WHERE subscription_id = ? AND generation = ?"
                ),
                (subscription_id, generation),
            )
            row = c.fetchone()
        return None if row is None else int(_first(row))

    def record(self, attempts: Sequence[Attempt], cursor: tuple[str, int, int] | None) -> None:
        with self._tx(commit=True) as c:
            if attempts:
                c.executemany(
                    self._q(f"INSERT INTO {self.log} ({_COLUMNS}) VALUES ({', '.join('?' * 13)})"),
                    [_attempt_row(a) for a in attempts],
                )
            if cursor is not None:
                c.execute(self._q(self._upsert), cursor)

    def pending(
        self, subscription_id: str, generation: int, after: int
    ) -> tuple[int, float | None]:
        with self._tx(commit=False) as c:
            c.execute(
                self._q(
                    f"SELECT count(*), min(at) FROM {self.log} WHERE subscription_id = ?"
                    " AND generation = ? AND last_position > ? AND status = 'failed'"
                ),
                (subscription_id, generation, after),
            )
            row = c.fetchone()
        values = _values(row)
        return int(values[0] or 0), None if values[1] is None else float(values[1])

    def attempts(
        self,
        *,
        subscription_id: str | None = None,
        status: str | None = None,
        limit: int = 50,
        before_id: int | None = None,
    ) -> list[Attempt]:
        where, params = [], []
        for column, value in (
            ("subscription_id = ?", subscription_id),
            ("status = ?", status),
            ("id < ?", before_id),
        ):
            if value is not None:
                where.append(column)
                params.append(value)
        sql = f"SELECT id, {_COLUMNS} FROM {self.log}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        with self._tx(commit=False) as c:
            c.execute(self._q(sql), (*params, limit))
            return [_from_row(_values(row)) for row in c.fetchall()]

    def prune(self, before: float) -> int:
        with self._tx(commit=True) as c:
            c.execute(self._q(f"DELETE FROM {self.log} WHERE at < ?"), (before,))
            return int(c.rowcount or 0)


def _values(row: Any) -> tuple[Any, ...]:
    """A row as a tuple (PostgreSQL's recorder answers dict rows)."""
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)


def _first(row: Any) -> Any:
    return _values(row)[0]


class MemoryDeliveryLog:
    """For the ``memory://`` store (tests, demos): the same behaviour, in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cursors: dict[tuple[str, int], int] = {}
        self._rows: list[Attempt] = []

    def cursor(self, subscription_id: str, generation: int) -> int | None:
        return self._cursors.get((subscription_id, generation))

    def record(self, attempts: Sequence[Attempt], cursor: tuple[str, int, int] | None) -> None:
        with self._lock:
            for a in attempts:
                self._rows.append(replace(a, id=len(self._rows) + 1, response=a.response[:SNIPPET]))
            if cursor is not None:
                self._cursors[cursor[0], cursor[1]] = cursor[2]

    def pending(
        self, subscription_id: str, generation: int, after: int
    ) -> tuple[int, float | None]:
        found = [
            a.at
            for a in self._rows
            if (a.subscription_id, a.generation) == (subscription_id, generation)
            and a.last_position > after
            and a.status == "failed"
        ]
        return len(found), min(found) if found else None

    def attempts(
        self,
        *,
        subscription_id: str | None = None,
        status: str | None = None,
        limit: int = 50,
        before_id: int | None = None,
    ) -> list[Attempt]:
        found = [
            a
            for a in reversed(self._rows)
            if (subscription_id is None or a.subscription_id == subscription_id)
            and (status is None or a.status == status)
            and (before_id is None or a.id < before_id)
        ]
        return found[:limit]

    def prune(self, before: float) -> int:
        with self._lock:
            kept = [a for a in self._rows if a.at >= before]
            pruned = len(self._rows) - len(kept)
            self._rows = kept
        return pruned


def delivery_log_for(recorder: Any) -> DeliveryLog:
    """The delivery log beside the event store ``recorder`` keeps its events in."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        datastore = recorder.datastore
        return SqlDeliveryLog(lambda commit: datastore.transaction(commit=commit))
    if isinstance(recorder, PostgresApplicationRecorder):
        pg = recorder.datastore
        return SqlDeliveryLog(
            lambda commit: pg.transaction(commit=commit),
            prefix=f'"{pg.schema}".',
            placeholder="%s",
            serial="BIGSERIAL PRIMARY KEY",
            big="BIGINT",
            real="DOUBLE PRECISION",
            upsert=(
                "INSERT INTO {t} VALUES (%s, %s, %s) ON CONFLICT (subscription_id, generation)"
                " DO UPDATE SET position = EXCLUDED.position"
            ),
        )
    # In memory: kept with the store, so every dispatcher on it shares one log, as they
    # share the tables of a database.
    found = getattr(recorder, "mims_webhook_log", None)
    if not isinstance(found, MemoryDeliveryLog):
        found = MemoryDeliveryLog()
        recorder.mims_webhook_log = found
    return found


class DispatchLock:
    """One dispatcher per store: several server processes (`mims serve --workers N`, or a
    `mims webhooks run` beside a server) would otherwise each deliver every event. The
    holder delivers; the others stand by and take over when it goes. PostgreSQL: a
    session advisory lock on a connection of the dispatcher's own; SQLite: an exclusive
    ``flock`` on a file beside the database; in memory: always held (one process)."""

    def __init__(self, recorder: Any) -> None:
        self._recorder = recorder
        self._held: Any = None

    @property
    def held(self) -> bool:
        return self._held is not None

    def acquire(self) -> bool:
        """Take the lock if it is free (never waits)."""
        if self._held is not None:
            return True
        recorder = self._recorder
        if isinstance(recorder, PostgresApplicationRecorder):
            self._held = _pg_lock(recorder)
        elif isinstance(recorder, SQLiteApplicationRecorder):
            self._held = _file_lock(str(recorder.datastore.pool.db_name))
        else:
            self._held = True
        return self._held is not None

    def release(self) -> None:
        held, self._held = self._held, None
        if held is None or held is True:
            return
        held.close()  # the connection (its session lock goes with it) or the file


def _pg_lock(recorder: PostgresApplicationRecorder) -> Any:
    import psycopg

    datastore = recorder.datastore
    key = f"mims-webhooks:{datastore.schema}"
    given: Any = datastore.pool.kwargs
    found: dict[str, Any] = (given() if callable(given) else given) or {}
    params = {k: v for k, v in found.items() if k != "row_factory" and v}
    conn = psycopg.connect(autocommit=True, **params)
    row = conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (key,)).fetchone()
    if row is None or not row[0]:
        conn.close()
        return None
    return conn


def _file_lock(db_name: str) -> Any:
    import fcntl

    if db_name.startswith("file:") or ":memory:" in db_name:
        return True  # an in-memory SQLite database: one process
    handle = Path(f"{db_name}.webhooks.lock").open("a")  # noqa: SIM115 - held while locked
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle
