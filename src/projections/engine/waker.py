"""Waking the runner when another process commits: PostgreSQL LISTEN/NOTIFY.

The recorder sends ``NOTIFY <events table>`` in every transaction that inserts events.
A dedicated connection LISTENs; every notification wakes the runner. The connection is
checked with a round trip whenever it has been quiet for ``heartbeat`` seconds, so a
dropped connection is noticed and reopened (with backoff), and each reconnect also wakes
the runner in case notifications were missed while it was down. Polling stays on as the
last fallback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
import structlog
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

log = structlog.get_logger("mims.projections")


class PostgresWaker:
    def __init__(
        self,
        recorder: PostgresApplicationRecorder,
        wake: Callable[[], None],
        *,
        heartbeat: float = 2.0,
    ) -> None:
        self.recorder = recorder
        self.wake = wake
        self.heartbeat = heartbeat
        self.connects = 0
        self.notifications = 0
        self.connection: psycopg.Connection[Any] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mims-listen", daemon=True)

    def start(self) -> PostgresWaker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        connection = self.connection
        if connection is not None:
            connection.close()
        self._thread.join(10)

    def _connect(self) -> psycopg.Connection[Any]:
        pool = self.recorder.datastore.pool
        given = pool.kwargs() if callable(pool.kwargs) else pool.kwargs
        kwargs = {k: v for k, v in dict(given or {}).items() if k != "row_factory"}
        connection = psycopg.connect(str(pool.conninfo), autocommit=True, **kwargs)
        connection.execute(SQL("LISTEN {}").format(Identifier(self.recorder.channel_name)))
        return connection

    def _run(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            try:
                self.connection = self._connect()
                self.connects += 1
                backoff = 0.1
                self.wake()  # anything committed while we were not listening
                while not self._stop.is_set():
                    got = False
                    for _ in self.connection.notifies(timeout=self.heartbeat, stop_after=100):
                        got = True
                        self.notifications += 1
                    if got:
                        self.wake()
                    else:
                        self.connection.execute("SELECT 1")  # quiet: is it still there?
            except psycopg.Error as e:
                if self._stop.is_set():
                    return
                log.warning("LISTEN connection lost: reconnecting", error=str(e), backoff=backoff)
                if self.connection is not None:
                    self.connection.close()
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
