"""The DuckDB database of the read models: schema, tracking rows, connections.

Read models are disposable: they are folds of the event store. So the "migration" of a
read-model schema is a rebuild: a file written by another schema version, or a file that
DuckDB cannot reopen after a crash, is set aside (renamed, logged) and the runner
rebuilds from the event store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import structlog

from projections.quality_trace import LotGraph
from projections.registry import PROJECTIONS, VIEWS, Projection

log = structlog.get_logger("mims.projections")

SCHEMA_VERSION = 8
TRACKING_DDL = """
CREATE TABLE IF NOT EXISTS read_model_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS projection_tracking (
    name VARCHAR PRIMARY KEY, position BIGINT NOT NULL, updated_at TIMESTAMPTZ,
    status VARCHAR NOT NULL, error VARCHAR, failed_position BIGINT);
"""


def _open(path: Path | None) -> duckdb.DuckDBPyConnection:
    if path is None:
        return duckdb.connect(":memory:")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path))
        con.execute("SELECT 1").fetchall()
    except duckdb.IOException as e:
        if "lock" in str(e).lower():
            raise  # another process serves this file: not ours to set aside
        reason: Exception = e
    except duckdb.Error as e:
        reason = e
    else:
        return con
    aside = path.with_name(f"{path.name}.broken-{int(time.time())}")
    log.warning(
        "read models cannot be reopened: set aside, rebuilding", file=str(aside), error=str(reason)
    )
    path.rename(aside)
    return duckdb.connect(str(path))


class ReadModels:
    """One DuckDB database holding the read models and each projection's position."""

    def __init__(
        self, path: Path | str | None = None, projections: tuple[Projection, ...] = PROJECTIONS
    ) -> None:
        self.path = None if path in (None, ":memory:") else Path(str(path))
        self.projections = projections
        self.con = _open(self.path)
        self._cursor_lock = threading.Lock()
        self.lot_graph = LotGraph()  # the genealogy's edges in memory, for traces
        self.con.execute("SET TimeZone = 'UTC'")
        # Every read orders explicitly; letting DuckDB write rows in any order makes bulk
        # inserts ~15% faster.
        self.con.execute("SET preserve_insertion_order = false")
        self._ensure_schema()

    def _ensure_schema(self) -> None:
        self.con.execute(TRACKING_DDL)
        found = self.con.execute(
            "SELECT value FROM read_model_meta WHERE key = 'schema_version'"
        ).fetchone()
        if found is not None and found[0] != str(SCHEMA_VERSION):
            log.warning("read-model schema changed: rebuilding", was=found[0], now=SCHEMA_VERSION)
            for (table,) in self.con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
            ).fetchall():
                self.con.execute(f'DROP TABLE IF EXISTS "{table}" CASCADE')
            self.con.execute(TRACKING_DDL)
        self.con.execute(
            "INSERT OR REPLACE INTO read_model_meta VALUES ('schema_version', ?)",
            [str(SCHEMA_VERSION)],
        )
        for projection in PROJECTIONS:  # every table exists, so the views always resolve
            self.con.execute(projection.ddl)
        for projection in self.projections:
            self.con.execute(
                "INSERT INTO projection_tracking VALUES (?, 0, now(), 'running', NULL, NULL)"
                " ON CONFLICT DO NOTHING",
                [projection.name],
            )
        self.con.execute(VIEWS)

    def positions(self) -> dict[str, int]:
        with self.reader() as con:
            rows = con.execute("SELECT name, position FROM projection_tracking").fetchall()
        return {name: int(position) for name, position in rows}

    def connection(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own to the same database (one per thread: a DuckDB
        connection is not shared between threads). The root connection only makes these."""
        with self._cursor_lock:
            cursor = self.con.cursor()
        cursor.execute("SET TimeZone = 'UTC'")
        return cursor

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one query, closed afterwards."""
        cursor = self.connection()
        try:
            yield cursor
        finally:
            cursor.close()

    def close(self) -> None:
        self.con.close()
