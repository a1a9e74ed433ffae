"""Event-store configuration from one database URL, and the few queries the library lacks.

``memory://`` (tests), ``sqlite:///var/mims.db`` (the embedded default) and
``postgresql://user:password@host:5432/dbname?schema=mims`` (production) become the
``env`` of the eventsourcing Application, so the library's own keys are never read from
the process environment. Every store's recorder extends the hash chain (``ledger.chain``)
in the transaction of each insert, and keeps the log append-only (SQLite: triggers;
PostgreSQL: the ``mims_app`` role). ``POSTGRES_ENABLE_DB_FUNCTIONS`` is never set: with it the
recorder can leave notification gaps that a follower then skips for good.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

import psycopg
import structlog
from eventsourcing.persistence import (
    ApplicationRecorder,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Composed, Identifier, Literal

from ledger.chain import GENESIS, ChainSource, Link

log = structlog.get_logger("mims.ledger.store")

SCHEMES = ("memory", "sqlite", "postgresql", "postgres")
_PASSWORD = re.compile(r"^(?P<user>[^:@/]*):[^@]*@")


def redacted(url: str) -> str:
    """The URL with its password replaced by ``***``: the only form of a database URL
    that may appear in an error or a log line."""
    scheme, sep, rest = url.partition("://") if "://" in url else ("", "", url)
    return scheme + sep + _PASSWORD.sub(r"\g<user>:***@", rest, count=1)


def database_scheme(url: str) -> str:
    """The URL's scheme (``postgresql+psycopg`` counts as ``postgresql``), or ValueError
    with a message that names it (never the password) and says what to write."""
    scheme = url.split("://", 1)[0].split("+", maxsplit=1)[0].lower() if "://" in url else ""
    if scheme not in SCHEMES:
        named = f"scheme {scheme!r}" if scheme else "no scheme"
        msg = (
            f"database URL {redacted(url)!r} has {named}: use memory://,"
            " sqlite:///path or postgresql://USER@HOST:5432/DBNAME"
        )
        raise ValueError(msg)
    return "postgresql" if scheme == "postgres" else scheme


def store_env(url: str, *, pool_size: int = 10, chained: bool = True) -> dict[str, str]:
    """The Application's env for ``url``. ``chained=False`` (the write benchmark only, to
    measure what the chain costs) stores events without extending the chain."""
    scheme = database_scheme(url)
    parts = urlsplit(url)
    if scheme == "memory":
        return {
            "PERSISTENCE_MODULE": f"{__name__}:ChainedPOPOFactory"
            if chained
            else "eventsourcing.popo"
        }
    if scheme == "sqlite":
        path = unquote(url.split("://", 1)[1])
        if path.startswith("/") and not path.startswith("//"):
            path = path[1:]  # sqlite:///var/mims.db is relative, sqlite:////abs is absolute
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
        } | ({"APPLICATION_RECORDER_TOPIC": f"{__name__}:ChainedSQLiteRecorder"} if chained else {})
    if scheme == "postgresql":
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_POOL_SIZE": query.get("pool_size", str(pool_size)),
            "POSTGRES_MAX_OVERFLOW": query.get("max_overflow", "10"),
            "POSTGRES_CONNECT_TIMEOUT": query.get("connect_timeout", "10"),
            "POSTGRES_LOCK_TIMEOUT": query.get("lock_timeout", "10"),
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "30",
            # No ping per checkout (a round trip each time): the recorder already
            # retries a dropped connection.
            "POSTGRES_PRE_PING": "n",
            "APPLICATION_RECORDER_TOPIC": f"{__name__}:"
            + ("ChainedPostgresRecorder" if chained else "ArrayInsertPostgresRecorder"),
        }
        if "schema" in query:
            if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", query["schema"]):
                # The library looks its composite type up by an unquoted name.
                msg = f"schema {query['schema']!r}: use lower-case letters, digits and _"
                raise ValueError(msg)
            env["POSTGRES_SCHEMA"] = query["schema"]
            _create_schema(env, query["schema"])
        return env
    msg = f"unsupported database URL {redacted(url)!r}"  # unreachable: database_scheme checked
    raise ValueError(msg)


def _create_schema(env: dict[str, str], schema: str) -> None:
    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        autocommit=True,
        connect_timeout=10,
    ) as conn:
        # Asked first: the application's role (mims_app) may not create schemas, and
        # PostgreSQL checks that right before it looks whether the schema exists.
        if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone():
            return
        conn.execute(SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(schema)))


class StoreQueries:
    """Reads the library does not offer: current versions of many streams at once (to
    find the stale ones after a conflict) and the notification id of one event."""

    def __init__(self, recorder: ApplicationRecorder) -> None:
        self.recorder = recorder

    def current_versions(self, ids: Iterable[UUID]) -> dict[UUID, int]:
        wanted = list(ids)
        if not wanted:
            return {}
        r: Any = self.recorder
        if isinstance(r, PostgresApplicationRecorder):
            statement = SQL(
                "SELECT originator_id, max(originator_version) AS v FROM {}.{}"
                " WHERE originator_id = ANY(%s) GROUP BY originator_id"
            ).format(Identifier(r.datastore.schema), Identifier(r.events_table_name))
            with r.datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(statement, (wanted,))
                return {row["originator_id"]: row["v"] for row in curs.fetchall()}
        if isinstance(r, SQLiteApplicationRecorder):
            found: dict[UUID, int] = {}
            with r.datastore.transaction(commit=False) as curs:
                for start in range(0, len(wanted), 500):
                    chunk = wanted[start : start + 500]
                    curs.execute(
                        f"SELECT originator_id, max(originator_version) FROM {r.events_table_name}"
                        f" WHERE originator_id IN ({','.join('?' * len(chunk))})"
                        " GROUP BY originator_id",
                        [u.hex for u in chunk],
                    )
                    found.update({UUID(row[0]): row[1] for row in curs.fetchall()})
            return found
        if isinstance(r, POPOApplicationRecorder):
            with r._database_lock:
                index = r._stored_events_index
                return {u: max(index[str(u)]) for u in wanted if index.get(str(u))}
        msg = f"unsupported recorder {type(r).__name__}"
        raise TypeError(msg)

    def notification_id(self, originator_id: UUID, version: int) -> int | None:
        r: Any = self.recorder
        if isinstance(r, PostgresApplicationRecorder):
            statement = SQL(
                "SELECT notification_id FROM {}.{} WHERE originator_id = %s"
                " AND originator_version = %s"
            ).format(Identifier(r.datastore.schema), Identifier(r.events_table_name))
            with r.datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(statement, (originator_id, version))
                row = curs.fetchone()
                return None if row is None else int(row["notification_id"])
        if isinstance(r, SQLiteApplicationRecorder):
            with r.datastore.transaction(commit=False) as curs:
                curs.execute(
                    f"SELECT rowid FROM {r.events_table_name}"
                    " WHERE originator_id = ? AND originator_version = ?",
                    [originator_id.hex, version],
                )
                row = curs.fetchone()
                return None if row is None else int(row[0])
        if isinstance(r, POPOApplicationRecorder):
            with r._database_lock:
                position = r._stored_events_index.get(str(originator_id), {}).get(version)
                return None if position is None else position + 1
        msg = f"unsupported recorder {type(r).__name__}"
        raise TypeError(msg)


class ArrayInsertPostgresRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL application recorder with a cheaper INSERT.

    The library sends a batch as one array of a composite type, which psycopg renders as
    text in pure Python (a quarter of the writer's time at 4k commands/s). This sends four
    arrays of plain types in binary (uuid[], int8[], text[], bytea[]) and unnests them
    together. Everything else is the library's: the same table, the EXCLUSIVE table lock
    that keeps commit order equal to notification-id order, the NOTIFY, RETURNING ids.
    """

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.insert_events_statement = SQL(
            "INSERT INTO {}.{} (originator_id, originator_version, topic, state)"
            " SELECT * FROM unnest(%b::uuid[], %b::int8[], %b::text[], %b::bytea[])"
            " RETURNING notification_id"
        ).format(Identifier(datastore.schema), Identifier(events_table_name))

        # BEGIN, the lock and the NOTIFY in one round trip (a simple query: its statements
        # run one after the other, each with a snapshot of its own).
        self.begin_statement = SQL("; ").join(
            [
                SQL("BEGIN"),
                *self.lock_table_statements,
                SQL("NOTIFY {}").format(Identifier(self.channel_name)),
            ]
        )

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **_: Any) -> Sequence[int]:
        """One transaction in three round trips (BEGIN with the lock, the INSERT, the
        COMMIT), not the library's pipeline: psycopg's pipeline mode can hang for good on
        a large parameter (the server waits for input the client believes it sent; seen
        here with a 20,000-event batch). The connection is in autocommit mode, so the
        transaction is begun and ended by hand, and rolled back on any error.

        Without the chain this recorder serves the write benchmark's comparison only; the
        product stores with ``ChainedPostgresRecorder``."""
        if not stored_events:
            return []
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            try:
                curs.execute(self.begin_statement)
                while curs.nextset():  # to the last statement's result
                    pass
                begun = self._after_begin(curs)
                curs.execute(
                    self.insert_events_statement,
                    (
                        [e.originator_id for e in stored_events],
                        [e.originator_version for e in stored_events],
                        [e.topic for e in stored_events],
                        [e.state for e in stored_events],
                    ),
                )
                ids = [row["notification_id"] for row in curs.fetchall()]
                curs.execute(self._commit_statement(begun, stored_events, ids))
            except BaseException:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("ROLLBACK")
                raise
            return ids

    def _after_begin(self, curs: Any) -> Any:
        """What the chained recorder reads under the lock (the chain's head)."""

    def _commit_statement(
        self, _begun: Any, _stored_events: Sequence[StoredEvent], _ids: Sequence[int]
    ) -> Composed | SQL:
        return SQL("COMMIT")


# --- the chained recorders -----------------------------------------------------------------

# The PostgreSQL role the application connects as (through a login role granted it): it may
# read and append the event log and the chain, never UPDATE, DELETE or TRUNCATE them.
APP_ROLE = "mims_app"
_LINK_COLUMNS = "first_position, last_position, prev_hash, hash, positions, digests"


def _link_of(prev: bytes, stored_events: Sequence[StoredEvent], positions: Sequence[int]) -> Link:
    return Link.after(
        prev,
        (
            (position, e.originator_id, e.originator_version, e.topic, e.state)
            for position, e in zip(positions, stored_events, strict=True)
        ),
    )


def _link_from_row(row: Sequence[Any]) -> Link:
    first, last, prev, hash_, positions, digests = row
    return Link(int(first), int(last), bytes(prev), bytes(hash_), bytes(positions), bytes(digests))


EXISTING_LINK_SIZE = 10_000  # events per link when a log older than the chain is chained


def _links_over(pages: Iterable[Sequence[tuple[int, Any, int, str, bytes]]]) -> Iterator[Link]:
    """Links over a log that has none yet (one per page of events, in position order)."""
    prev = GENESIS
    for page in pages:
        if page:
            link = Link.after(prev, page)
            prev = link.hash
            yield link


def _log_existing_chained(events: int) -> None:
    if events:
        log.warning(
            "the event log predates its hash chain: its events were chained as they are;"
            " the chain vouches for them from now on",
            events=events,
        )


class ChainedPOPORecorder(POPOApplicationRecorder):
    """The in-memory recorder (tests) with the chain in a list beside the events."""

    def __init__(self) -> None:
        super().__init__()
        self._links: list[Link] = []

    def _insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self._database_lock:
            ids = super()._insert_events(stored_events, **kwargs) or []
            if ids:
                prev = self._links[-1].hash if self._links else GENESIS
                self._links.append(_link_of(prev, stored_events, ids))
            return ids

    def chain_links(self, start: int, limit: int, stop: int | None = None) -> Sequence[Link]:
        with self._database_lock:
            found = [
                link
                for link in self._links
                if link.last >= start and (stop is None or link.first <= stop)
            ]
        return found[:limit]

    def chain_link_before(self, first: int) -> Link | None:
        with self._database_lock:
            before = [link for link in self._links if link.first < first]
        return before[-1] if before else None

    def chain_head(self) -> Link | None:
        with self._database_lock:
            return self._links[-1] if self._links else None


class ChainedPOPOFactory(POPOFactory):
    def application_recorder(self) -> ApplicationRecorder:
        return ChainedPOPORecorder()


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    """The SQLite recorder that adds the batch's link in the insert's transaction (SQLite
    has one writer at a time, so the head read there is the head). Triggers refuse every
    UPDATE and DELETE of the events and the links."""

    def __init__(
        self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"
    ) -> None:
        self.chain_table_name = f"{events_table_name}_chain"
        super().__init__(datastore, events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        statements = [
            *super().construct_create_table_statements(),
            (
                f"CREATE TABLE IF NOT EXISTS {self.chain_table_name} ("
                "first_position INTEGER PRIMARY KEY, last_position INTEGER NOT NULL,"
                " prev_hash BLOB NOT NULL, hash BLOB NOT NULL,"
                " positions BLOB NOT NULL, digests BLOB NOT NULL)"
            ),
        ]
        statements.extend(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{action.lower()}"
            f" BEFORE {action} ON {table} BEGIN SELECT RAISE(ABORT,"
            f" '{table} is append-only: a correction is a new event'); END"
            for table in (self.events_table_name, self.chain_table_name)
            for action in ("UPDATE", "DELETE")
        )
        return statements

    def create_table(self) -> None:
        """The tables and triggers; a log older than its chain (no chain table yet) is
        chained as it is, once."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                [self.chain_table_name],
            )
            new = c.fetchone() is None
            self._create_table(c)
            if new:
                _log_existing_chained(self._chain_existing(c))

    def _chain_existing(self, c: SQLiteCursor) -> int:
        def pages() -> Iterator[list[tuple[int, Any, int, str, bytes]]]:
            after = 0
            while True:
                c.execute(
                    "SELECT rowid, originator_id, originator_version, topic, state"
                    f" FROM {self.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                    [after, EXISTING_LINK_SIZE],
                )
                page = [(r[0], UUID(r[1]), r[2], r[3], r[4]) for r in c.fetchall()]
                if not page:
                    return
                after = page[-1][0]
                yield page

        events = 0
        for link in list(_links_over(pages())):
            c.execute(
                f"INSERT INTO {self.chain_table_name} ({_LINK_COLUMNS}) VALUES (?,?,?,?,?,?)",
                (link.first, link.last, link.prev, link.hash, link.positions, link.digests),
            )
            events += len(link.positions) // 8
        return events

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs) or []
        if ids:
            c.execute(
                f"SELECT hash FROM {self.chain_table_name} ORDER BY first_position DESC LIMIT 1"
            )
            row = c.fetchone()
            link = _link_of(GENESIS if row is None else bytes(row[0]), stored_events, ids)
            c.execute(
                f"INSERT INTO {self.chain_table_name} ({_LINK_COLUMNS}) VALUES (?,?,?,?,?,?)",
                (link.first, link.last, link.prev, link.hash, link.positions, link.digests),
            )
        return ids

    def _select_links(self, where: str, params: Sequence[Any], limit: int) -> list[Link]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {_LINK_COLUMNS} FROM {self.chain_table_name} WHERE {where}"
                " ORDER BY first_position LIMIT ?",
                [*params, limit],
            )
            return [_link_from_row(tuple(row)) for row in c.fetchall()]

    def chain_links(self, start: int, limit: int, stop: int | None = None) -> Sequence[Link]:
        where = (
            f"first_position >= coalesce((SELECT max(first_position) FROM"
            f" {self.chain_table_name} WHERE first_position <= ?), 0) AND last_position >= ?"
        )
        params: list[Any] = [start, start]
        if stop is not None:
            where += " AND first_position <= ?"
            params.append(stop)
        return self._select_links(where, params, limit)

    def chain_link_before(self, first: int) -> Link | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {_LINK_COLUMNS} FROM {self.chain_table_name} WHERE first_position < ?"
                " ORDER BY first_position DESC LIMIT 1",
                [first],
            )
            row = c.fetchone()
            return None if row is None else _link_from_row(tuple(row))

    def chain_head(self) -> Link | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {_LINK_COLUMNS} FROM {self.chain_table_name}"
                " ORDER BY first_position DESC LIMIT 1"
            )
            row = c.fetchone()
            return None if row is None else _link_from_row(tuple(row))


class ChainedPostgresRecorder(ArrayInsertPostgresRecorder):
    """The PostgreSQL recorder that adds the batch's link in the insert's transaction.

    Writers are serialised by a transaction-level advisory lock keyed by the events table,
    not the library's ``LOCK TABLE ... IN EXCLUSIVE MODE``: PostgreSQL grants that lock
    only to a role with UPDATE, DELETE or TRUNCATE on the table, which the application's
    role (``mims_app``) must not have. Every MIMS writer takes the same lock, so commit
    order is still notification-id order, and the head read under it is the head: several
    processes on one database form one linear chain.

    Setting the store up (as the tables' owner) also sets up ``mims_app``: SELECT and
    INSERT only on the events and the links, the rest of the schema in full. Started as
    another role (a login granted ``mims_app``), it leaves the owner's tables alone.
    """

    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.chain_table_name = f"{events_table_name}_chain"
        self.check_identifier_length(self.chain_table_name)
        schema, chain = Identifier(datastore.schema), Identifier(self.chain_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {}.{} (first_position bigint PRIMARY KEY,"
                " last_position bigint NOT NULL, prev_hash bytea NOT NULL,"
                " hash bytea NOT NULL, positions bytea NOT NULL, digests bytea NOT NULL)"
            ).format(schema, chain)
        )
        qualified = f'"{datastore.schema}"."{events_table_name}"'
        self.writer_lock_statement = SQL(
            "SELECT pg_advisory_xact_lock((x'4d494d53'::bigint << 32) | {}::regclass::oid::bigint)"
        ).format(Literal(qualified))
        self.head_statement = SQL(
            "SELECT hash FROM {}.{} ORDER BY first_position DESC LIMIT 1"
        ).format(schema, chain)
        # BEGIN, the writers' lock, the NOTIFY and the head in one round trip: each
        # statement of a simple query has its own snapshot, so the head is read under
        # the lock.
        self.begin_statement = SQL("; ").join(
            [
                SQL("BEGIN"),
                self.lock_table_statements[0],  # SET LOCAL lock_timeout
                self.writer_lock_statement,
                SQL("NOTIFY {}").format(Identifier(self.channel_name)),
                self.head_statement,
            ]
        )
        self.insert_link_literal = SQL(
            "INSERT INTO {schema}.{chain} (" + _LINK_COLUMNS + ")"
            " VALUES ({first}, {last}, {prev}, {hash}, {positions}, {digests}); COMMIT"
        )
        self.insert_link_statement = SQL(
            "INSERT INTO {}.{} (" + _LINK_COLUMNS + ") VALUES (%s, %s, %s, %s, %s, %s)"
        ).format(schema, chain)
        self.select_links_statement = SQL("SELECT " + _LINK_COLUMNS + " FROM {}.{}").format(
            schema, chain
        )

    # --- writing ----------------------------------------------------------------------

    def _after_begin(self, curs: Any) -> bytes:
        row = curs.fetchone()
        return GENESIS if row is None else bytes(row["hash"])

    def _commit_statement(
        self, begun: bytes, stored_events: Sequence[StoredEvent], ids: Sequence[int]
    ) -> Composed:
        """The batch's link, and COMMIT, in one round trip (a simple query takes no
        parameters: the link's values go as literals)."""
        link = _link_of(begun, stored_events, ids)
        return self.insert_link_literal.format(
            schema=Identifier(self.datastore.schema),
            chain=Identifier(self.chain_table_name),
            first=Literal(link.first),
            last=Literal(link.last),
            prev=Literal(link.prev),
            hash=Literal(link.hash),
            positions=Literal(link.positions),
            digests=Literal(link.digests),
        )

    # --- setting up -------------------------------------------------------------------

    def create_table(self) -> None:
        if self._owned_by_another_role():
            self.datastore.register_type_adapters()
            return
        new = self._chain_table_missing()
        super().create_table()
        if new:
            _log_existing_chained(self._chain_existing())
        self._set_up_app_role()

    def _chain_table_missing(self) -> bool:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                "SELECT to_regclass(%s) IS NULL AS missing",
                (f'"{self.datastore.schema}"."{self.chain_table_name}"',),
            )
            row = curs.fetchone()
            return bool(row and row["missing"])

    def _chain_existing(self) -> int:
        """A log older than its chain, chained as it is, once: under the writers' lock,
        and only while the chain is still empty (several workers may start at once)."""
        events = 0
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.writer_lock_statement)
            curs.execute(self.head_statement)
            if curs.fetchone() is not None:
                return 0
            select = SQL(
                "SELECT notification_id, originator_id, originator_version, topic, state"
                " FROM {}.{} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
            ).format(Identifier(self.datastore.schema), Identifier(self.events_table_name))

            def pages() -> Iterator[list[tuple[int, Any, int, str, bytes]]]:
                after = 0
                while True:
                    curs.execute(select, (after, EXISTING_LINK_SIZE))
                    page = [
                        (r["notification_id"], r["originator_id"], r["originator_version"],
                         r["topic"], bytes(r["state"]))
                        for r in curs.fetchall()
                    ]  # fmt: skip
                    if not page:
                        return
                    after = page[-1][0]
                    yield page

            for link in list(_links_over(pages())):
                curs.execute(
                    self.insert_link_statement,
                    (link.first, link.last, link.prev, link.hash, link.positions, link.digests),
                )
                events += len(link.positions) // 8
        return events

    def _owned_by_another_role(self) -> bool:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                "SELECT pg_has_role(current_user, c.relowner, 'USAGE') AS mine FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s AND c.relname = %s",
                (self.datastore.schema, self.events_table_name),
            )
            row = curs.fetchone()
            return row is not None and not row["mine"]

    def _set_up_app_role(self) -> None:
        """Idempotent; under an advisory lock, since concurrent GRANTs on one object fail
        ("tuple concurrently updated") when several workers start at once."""
        schema = Identifier(self.datastore.schema)
        role = Identifier(APP_ROLE)
        log_tables = SQL("{}.{}, {}.{}").format(
            schema,
            Identifier(self.events_table_name),
            schema,
            Identifier(self.chain_table_name),
        )
        statements: list[Composed] = [
            SQL(
                "DO $$ BEGIN CREATE ROLE {} NOLOGIN;"
                " EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            ).format(role),
            SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(schema, role),
            SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(
                schema, role
            ),
            SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, role),
            SQL("REVOKE UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES ON {} FROM {}").format(
                log_tables, role
            ),
            SQL(
                "ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT, INSERT, UPDATE, DELETE"
                " ON TABLES TO {}"
            ).format(schema, role),
            SQL(
                "ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}"
            ).format(schema, role),
        ]
        try:
            with self.datastore.transaction(commit=True) as curs:
                curs.execute("SELECT pg_advisory_xact_lock(x'4d494d5352'::bigint)")
                for statement in statements:
                    curs.execute(statement)
        except psycopg.errors.InsufficientPrivilege as e:
            log.warning(
                "the append-only role is not set up: set the store up once as a role that"
                " may create roles (see docs/tamper-evidence.md)",
                role=APP_ROLE,
                error=str(e).splitlines()[0],
            )

    # --- reading the chain --------------------------------------------------------------

    def _select_links(self, where: Composed | SQL, params: Sequence[Any], order: str) -> list[Link]:
        statement = self.select_links_statement + SQL(" WHERE ") + where
        statement += SQL(f" ORDER BY first_position {order} LIMIT %s")
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params)
            return [
                _link_from_row(
                    (r["first_position"], r["last_position"], r["prev_hash"], r["hash"],
                     r["positions"], r["digests"])
                )
                for r in curs.fetchall()
            ]  # fmt: skip

    def chain_links(self, start: int, limit: int, stop: int | None = None) -> Sequence[Link]:
        where = SQL(
            "first_position >= coalesce((SELECT max(first_position) FROM {}.{}"
            " WHERE first_position <= %s), 0) AND last_position >= %s"
        ).format(Identifier(self.datastore.schema), Identifier(self.chain_table_name))
        params: list[Any] = [start, start]
        if stop is not None:
            where += SQL(" AND first_position <= %s")
            params.append(stop)
        return self._select_links(where, [*params, limit], "ASC")

    def chain_link_before(self, first: int) -> Link | None:
        found = self._select_links(SQL("first_position < %s"), [first, 1], "DESC")
        return found[0] if found else None

    def chain_head(self) -> Link | None:
        found = self._select_links(SQL("TRUE"), [1], "DESC")
        return found[0] if found else None


def chain_of(recorder: ApplicationRecorder) -> ChainSource:
    """The recorder as the chain's source, or TypeError for a store that keeps none."""
    if isinstance(recorder, ChainedPOPORecorder | ChainedSQLiteRecorder | ChainedPostgresRecorder):
        return recorder
    msg = f"the store's recorder {type(recorder).__name__} keeps no hash chain"
    raise TypeError(msg)
