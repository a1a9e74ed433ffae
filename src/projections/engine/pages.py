"""Reading the event store's notification log in pages, as Arrow tables.

A page is the raw log: position (notification id), stream, version, topic and the stored
JSON state as text. The projections parse the JSON inside DuckDB (vectorised), so
nothing here decodes an event in Python. From PostgreSQL the page comes as one ``COPY ...
TO STDOUT (FORMAT csv)`` stream parsed by Arrow's CSV reader, which is several times
faster than building a Python tuple per row.
"""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier, Literal

PAGE_SCHEMA = pa.schema(
    [
        ("position", pa.int64()),
        ("stream", pa.string()),
        ("version", pa.int64()),
        ("topic", pa.string()),
        ("state", pa.string()),
    ]
)
_NO_LIMIT = 2**62


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
            pa.array([s.decode() if isinstance(s, bytes) else s for s in states], pa.string()),
        ],
        schema=PAGE_SCHEMA,
    )


def _postgres_page(r: PostgresApplicationRecorder, after: int, limit: int, upto: int) -> pa.Table:
    query = SQL(
        "COPY (SELECT notification_id, originator_id, originator_version, topic,"
        " convert_from(state, 'UTF8') FROM {}.{} WHERE notification_id > {}"
        " AND notification_id <= {} ORDER BY notification_id LIMIT {}) TO STDOUT (FORMAT csv)"
    ).format(
        Identifier(r.datastore.schema),
        Identifier(r.events_table_name),
        Literal(after),
        Literal(upto),
        Literal(limit),
    )
    # orjson writes JSON on one line, so CSV rows never span lines: Arrow can split the
    # input into blocks and parse them in parallel.
    buffer = io.BytesIO()
    with r.datastore.get_connection() as conn, conn.cursor() as curs, curs.copy(query) as copy:
        for chunk in copy:
            buffer.write(chunk)
    if buffer.tell() == 0:
        return PAGE_SCHEMA.empty_table()
    buffer.seek(0)
    return pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=PAGE_SCHEMA.names, block_size=1 << 24),
        convert_options=pacsv.ConvertOptions(column_types=PAGE_SCHEMA),
    )


def read_page(
    recorder: ApplicationRecorder, after: int, limit: int, upto: int | None = None
) -> pa.Table:
    """Notifications with ``after < position <= upto``, at most ``limit``, in log order."""
    r: Any = recorder
    stop = _NO_LIMIT if upto is None else upto
    if isinstance(r, PostgresApplicationRecorder):
        # Notification ids are nearly dense: asking for the id range that holds the page
        # keeps PostgreSQL on an index range scan even when its statistics are stale (an
        # open range made it sort the whole table: 1.5 s a page instead of 0.3 s).
        page = _postgres_page(r, after, limit, min(stop, after + limit))
        if page.num_rows == 0 and after + limit < stop:
            page = _postgres_page(r, after, limit, stop)  # past a gap wider than a page
        return page
    if isinstance(r, SQLiteApplicationRecorder):
        with r.datastore.transaction(commit=False) as curs:
            curs.execute(
                "SELECT rowid, originator_id, originator_version, topic, CAST(state AS TEXT)"
                f" FROM {r.events_table_name} WHERE rowid > ? AND rowid <= ?"
                " ORDER BY rowid LIMIT ?",
                [after, stop, limit],
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
