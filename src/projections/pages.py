"""Reading the event store's notification log in pages, as Arrow tables.

A page is the raw log: position (notification id), stream, version, topic and the stored
JSON state. The projections parse the JSON inside DuckDB (vectorised), so nothing here
decodes an event in Python: reading the log is the only per-event Python work.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

PAGE_SCHEMA = pa.schema(
    [
        ("position", pa.int64()),
        ("stream", pa.string()),
        ("version", pa.int64()),
        ("topic", pa.string()),
        ("state", pa.binary()),
    ]
)


def _table(rows: list[tuple[Any, ...]]) -> pa.Table:
    if not rows:
        return PAGE_SCHEMA.empty_table()
    positions, streams, versions, topics, states = zip(*rows, strict=True)
    return pa.Table.from_arrays(
        [
            pa.array(positions, pa.int64()),
            pa.array([str(s) for s in streams], pa.string()),
            pa.array(versions, pa.int64()),
            pa.array(topics, pa.string()),
            pa.array(states, pa.binary()),
        ],
        schema=PAGE_SCHEMA,
    )


def read_page(
    recorder: ApplicationRecorder, after: int, limit: int, upto: int | None = None
) -> pa.Table:
    """Notifications with ``after < position <= upto``, at most ``limit``, in log order."""
    r: Any = recorder
    if isinstance(r, PostgresApplicationRecorder):
        statement = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state"
            " FROM {}.{} WHERE notification_id > %s AND notification_id <= %s"
            " ORDER BY notification_id LIMIT %s"
        ).format(Identifier(r.datastore.schema), Identifier(r.events_table_name))
        with r.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(statement, (after, upto if upto is not None else 2**62, limit))
            return _table(curs.fetchall())
    if isinstance(r, SQLiteApplicationRecorder):
        with r.datastore.transaction(commit=False) as curs:
            curs.execute(
                "SELECT rowid, originator_id, originator_version, topic, state"
                f" FROM {r.events_table_name} WHERE rowid > ? AND rowid <= ?"
                " ORDER BY rowid LIMIT ?",
                [after, upto if upto is not None else 2**62, limit],
            )
            return _table([tuple(row) for row in curs.fetchall()])
    if isinstance(r, POPOApplicationRecorder):
        notifications = r.select_notifications(
            start=after + 1, limit=limit, stop=upto, inclusive_of_start=True
        )
        return _table(
            [(n.id, n.originator_id, n.originator_version, n.topic, n.state) for n in notifications]
        )
    msg = f"unsupported recorder {type(r).__name__}"
    raise TypeError(msg)


def head_position(recorder: ApplicationRecorder) -> int:
    return recorder.max_notification_id() or 0
