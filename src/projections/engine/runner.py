"""MIMS's projection runner.

The library's ``ProjectionRunner`` applies one event per transaction and polls every
100 ms, and the SQLite recorder cannot be subscribed to. This runner reads the
notification log in pages, stages each page in DuckDB once, and applies it to each
projection in ONE DuckDB transaction together with that projection's tracking row, so a
crash between pages neither skips nor repeats an event. It wakes as soon as a command
commits in this process (``wake()``), when PostgreSQL NOTIFYs (``PostgresWaker``) or NATS
says so, and polls as a fallback.

A projection that fails on an event stops at its last good position: the page is
re-applied event by event to find the event, the projection records it (status
``failed``, the error, the position) and is skipped until rebuilt; the others go on.
"""

from __future__ import annotations

import gc
import heapq
import itertools
import queue
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa
import structlog
from eventsourcing.persistence import ApplicationRecorder

from projections.engine.decoding import event_struct
from projections.engine.pages import head_position, read_page
from projections.engine.projection import fields_in
from projections.engine.view import ReadModels
from projections.registry import BY_NAME, USES_MOVEMENTS, Projection
from projections.stock import STOCK_TOPICS, page_movements_sql

log = structlog.get_logger("mims.projections")

STAGE_PAGE = """
CREATE OR REPLACE TEMP TABLE page AS
SELECT position, stream, version, topic, e,
    CAST(e.timestamp AS TIMESTAMPTZ) AS recorded_at,
    CAST(e.meta.effective_at AS TIMESTAMPTZ) AS effective_at,
    e.meta.actor AS actor, e.meta.command_id AS command_id,
    e.meta.correlation_id AS correlation_id, e.meta.site AS site,
    e.meta.session AS session, e.meta.device AS device
FROM (SELECT position, CAST(stream AS UUID) AS stream, version, topic,
             json_transform(state, '{struct}') AS e FROM page_raw)
"""


SMALL_PAGE = 2_000
# A catch-up of this many events leaves the collector's oldest generation full of what
# the pages left behind; collected then, in one pause, rather than during later queries
# (measured: forward traces 110 ms p50 after a 1M-event catch-up, 75 ms once collected).
COLLECT_AFTER = 100_000
# Past this many read-your-writes waits, cancelled ones are swept out of the heap.
MAX_WATCHERS = 10_000


@dataclass(frozen=True)
class Window:
    """Which events count: by business time (``as_of``) and by what was recorded by when
    (``known_at``). The live read models take everything."""

    as_of: datetime | None = None
    known_at: datetime | None = None

    def sql(self, *, master_data: bool = False) -> str:
        """The WHERE clause. Master data (items, locations) is taken as known, whatever its
        business time: a receipt backdated before its item's registration still counts."""
        clauses = []
        if self.as_of is not None and not master_data:
            clauses.append(f"effective_at <= TIMESTAMPTZ '{self.as_of.isoformat()}'")
        if self.known_at is not None:
            clauses.append(f"recorded_at <= TIMESTAMPTZ '{self.known_at.isoformat()}'")
        return "".join(f" AND {c}" for c in clauses)


@dataclass
class Status:
    name: str
    position: int
    status: str
    error: str | None
    failed_position: int | None
    updated_at: datetime | None

    def __str__(self) -> str:
        if self.status != "failed":
            return f"{self.name} {self.status} at position {self.position}"
        return (
            f"{self.name} stopped at position {self.position}: the event at position"
            f" {self.failed_position} failed ({self.error})"
        )


class ProjectionRunner:
    def __init__(
        self,
        recorder: ApplicationRecorder,
        models: ReadModels,
        *,
        page_size: int = 100_000,
        poll_interval: float = 0.5,
        window: Window | None = None,
        serves_traces: bool = False,
    ) -> None:
        """``serves_traces``: this process answers lot traces, so the running runner reads
        the genealogy into memory once caught up (at start, after a swap), and the first
        trace does not wait for it (1.2 s for 100k lots)."""
        self.recorder = recorder
        self.models = models
        self.con = models.connection()  # the runner's own: it is the only writer
        self.page_size = page_size
        self.poll_interval = poll_interval
        self.window = window or Window()
        self.projections: tuple[Projection, ...] = models.projections
        self.head = 0
        self.events_applied = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._serves_traces = self._warm_graph = serves_traces
        self._progress = threading.Condition()
        # Read-your-writes waits as futures by position (a heap), resolved by the runner's
        # thread as pages commit: a waiting request holds no thread.
        self._watchers: list[tuple[int, int, Future[None]]] = []
        self._watch_lock = threading.Lock()
        self._watch_seq = itertools.count()
        self._tasks: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mims-read-ahead")
        self.last_error: str | None = None
        self._tracking: dict[str, Status] = {}
        self._events_window = self._movements_window = ""
        self._small: bool | None = None
        self._stages: dict[frozenset[str], str] = {}
        handled = frozenset().union(*(p.topics for p in self.projections))
        # The movement rows read every stock event's fields.
        self._handled = handled | STOCK_TOPICS if handled & STOCK_TOPICS else handled
        # The event fields some SQL run on a page reads: only they are parsed.
        self._fields_read = fields_in(STAGE_PAGE, page_movements_sql()).union(
            *(p.fields_read for p in self.projections)
        )
        self._load_tracking()

    # --- positions (kept in memory, written with every page) ---------------------------

    def _load_tracking(self) -> None:
        with self.models.reader() as con:
            rows = con.execute(
                "SELECT name, position, status, error, failed_position, updated_at"
                " FROM projection_tracking ORDER BY name"
            ).fetchall()
        names = {p.name for p in self.projections}
        self._tracking = {row[0]: Status(*row) for row in rows if row[0] in names}

    def statuses(self) -> list[Status]:
        return [replace(s) for _, s in sorted(self._tracking.items())]

    def stopped(self) -> list[Status]:
        """The projections stopped on an event they could not apply (until rebuilt)."""
        return [s for s in self.statuses() if s.status == "failed"]

    @property
    def position(self) -> int:
        """The position every healthy projection has reached."""
        return min(
            (s.position for s in self._tracking.values() if s.status == "running"), default=0
        )

    def reached(self, position: int) -> Future[None]:
        """A future that is done once every healthy projection has reached ``position``.
        Waiting on it (``asyncio.wrap_future``) holds no thread; cancel it to stop waiting."""
        future: Future[None] = Future()
        with self._watch_lock:
            if self.position >= position:
                future.set_result(None)
                return future
            if len(self._watchers) >= MAX_WATCHERS:
                self._watchers = [w for w in self._watchers if not w[2].cancelled()]
                heapq.heapify(self._watchers)
            heapq.heappush(self._watchers, (position, next(self._watch_seq), future))
        self.wake()
        return future

    @property
    def waiting(self) -> int:
        """Read-your-writes waits not yet resolved (cancelled ones may linger a while)."""
        return len(self._watchers)

    def _resolve_watchers(self) -> None:
        position = self.position
        with self._watch_lock:
            while self._watchers and self._watchers[0][0] <= position:
                future = heapq.heappop(self._watchers)[2]
                if future.set_running_or_notify_cancel():
                    future.set_result(None)

    def wait_for(self, position: int, timeout: float) -> bool:
        """Read-your-writes: block until the projections reach ``position`` (bounded)."""
        deadline = time.monotonic() + timeout
        with self._progress:
            while self.position < position:
                self.wake()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._progress.wait(min(remaining, 0.05))
        return True

    # --- the loop -----------------------------------------------------------------------

    def wake(self, _position: int | None = None) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="mims-projections", daemon=True)
        self._thread.start()

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(30)
        self._reader.shutdown(wait=True, cancel_futures=True)

    def submit(self, task: Callable[[], Any]) -> Any:
        """Run ``task`` in the runner's thread between two pages; return its result."""
        if self._thread is None or not self._thread.is_alive():
            return task()
        done: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()

        def run() -> None:
            try:
                done.put((True, task()))
            except Exception as e:  # noqa: BLE001 - handed back to the caller
                done.put((False, e))

        self._tasks.put(run)
        self.wake()
        ok, value = done.get()
        if not ok:
            raise value
        return value

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll_interval)
            self._wake.clear()
            while not self._tasks.empty():
                self._tasks.get()()
            try:
                self.catch_up()
                self.last_error = None
            except Exception as e:  # the store is unreachable: report, retry on the next poll
                self.last_error = str(e)
                log.exception("projection runner could not read the event store")
                continue
            if self._warm_graph:  # a trace need not wait for the whole genealogy's read
                self._warm_graph = False
                try:
                    self.models.lot_graph.walk(self.con, [], "forward")
                except duckdb.Error:  # the first trace reads it then, and says why
                    log.exception("could not read the lot genealogy into memory")

    def catch_up(
        self, upto: int | None = None, on_page: Callable[[int, int], None] | None = None
    ) -> int:
        """Apply pages until every healthy projection has reached the head (or ``upto``).
        The next page is read from the store while DuckDB applies this one."""
        applied = 0
        ahead: tuple[int, Future[pa.Table]] | None = None
        while not self._stop.is_set():
            self.head = head_position(self.recorder)
            target = self.head if upto is None else min(upto, self.head)
            active = [p for p in self.projections if self._tracking[p.name].status == "running"]
            positions = {p.name: self._tracking[p.name].position for p in active}
            lowest = min(positions.values(), default=target)
            if lowest >= target:
                break
            if ahead is not None and ahead[0] == lowest:
                page = ahead[1].result()
            else:
                page = read_page(self.recorder, lowest, self.page_size, target)
            ahead = None
            if page.num_rows == 0:
                break
            end = int(page["position"][-1].as_py())
            if end < target:
                ahead = (
                    end,
                    self._reader.submit(read_page, self.recorder, end, self.page_size, target),
                )
            self._apply_page(page, positions, active)
            applied += page.num_rows
            if on_page is not None:
                on_page(end, target)
            with self._progress:
                self._progress.notify_all()
            self._resolve_watchers()
        if ahead is not None:
            ahead[1].cancel()
        self._resolve_watchers()  # also after a swap moved the positions without a page
        self.events_applied += applied
        if applied >= COLLECT_AFTER:
            gc.collect()
        return applied

    def _apply_page(
        self, page: pa.Table, positions: dict[str, int], active: list[Projection]
    ) -> None:
        con = self.con
        self._events_window = self._movements_window = ""
        self._tune_for(page.num_rows)
        topics = frozenset(page["topic"].unique().to_pylist())
        con.register("page_raw", page)
        try:
            con.execute(self._stage_sql(topics, small=page.num_rows < SMALL_PAGE))
        finally:
            con.unregister("page_raw")
        end = int(page["position"][-1].as_py())
        todo = [p for p in active if positions[p.name] < end]
        # The usual case: the whole page, every projection, one transaction.
        con.execute("BEGIN TRANSACTION")
        try:
            movements = False
            for projection in todo:
                if not projection.wants(topics):
                    continue  # nothing of its kind in the page: only its position moves
                if projection.name in USES_MOVEMENTS and not movements:
                    con.execute(page_movements_sql("page", topics))
                    movements = True
                self._project(projection, positions[projection.name], end, topics, track=False)
            con.execute(
                "UPDATE projection_tracking SET position = ?, updated_at = now()"
                " WHERE list_contains(?, name)",
                [end, [p.name for p in todo]],
            )
            con.execute("COMMIT")
        except duckdb.Error:
            con.execute("ROLLBACK")
            self._apply_page_by_projection(todo, positions, end, topics)
            self._load_tracking()
            return
        now = datetime.now(UTC)
        for projection in todo:
            self._tracking[projection.name].position = end
            self._tracking[projection.name].updated_at = now

    def _stage_sql(self, topics: frozenset[str], *, small: bool) -> str:
        """A catch-up page parses every field of the event types the projections read; a
        page of a few events only the fields its handlers can read (the struct's width,
        not its rows, is what a small page's statements cost). Event types no projection
        reads (command receipts...) are not parsed."""
        if not small:
            key = self._handled
        else:
            read = set(topics & self._handled)
            for projection in self.projections:
                read |= projection.topics_read(topics)
            if read & STOCK_TOPICS:  # the movement rows read every stock event's fields
                read |= STOCK_TOPICS
            key = frozenset(read)
        sql = self._stages.get(key)
        if sql is None:
            sql = self._stages[key] = STAGE_PAGE.replace(
                "{struct}", event_struct(key, self._fields_read)
            )
        return sql

    def _tune_for(self, events: int) -> None:
        """A page of a few events (a command just committed) costs its statements' planning
        and thread start-up, not their execution: plan plainly, on one thread. A catch-up
        page of thousands gets the optimizer and every core."""
        small = events < SMALL_PAGE
        if small == self._small:
            return
        if small:
            self.con.execute("SET threads = 1; PRAGMA disable_optimizer")
        else:
            self.con.execute("RESET threads; PRAGMA enable_optimizer")
        self._small = small

    def _apply_page_by_projection(
        self,
        todo: list[Projection],
        positions: dict[str, int],
        end: int,
        topics: frozenset[str],
    ) -> None:
        """Something in the page fails: each projection in a transaction of its own, and
        the one that fails is taken event by event to find the event."""
        failed: set[str] = set()
        movements: bool | None = None  # derived for this page? (None: not yet)
        for projection in todo:
            if set(projection.depends_on) & failed:
                continue
            uses = projection.name in USES_MOVEMENTS
            if uses and movements is None:
                movements = self._derive_movements("page")
            try:
                if uses and not movements:
                    failed |= self._isolate(projection, positions[projection.name], end)
                else:
                    self._apply(projection, positions[projection.name], end, topics)
                    continue
            except duckdb.Error:
                failed |= self._isolate(projection, positions[projection.name], end)
            if uses:
                movements = None  # isolating replaced the page's movements

    def _derive_movements(self, source: str) -> bool:
        try:
            self.con.execute(page_movements_sql(source))
            self._movements_window = ""
        except duckdb.Error:
            return False
        return True

    def _project(
        self,
        projection: Projection,
        lo: int,
        hi: int,
        topics: frozenset[str],
        *,
        track: bool = True,
    ) -> None:
        """Apply the page's events in (lo, hi] to one projection (and move its position),
        inside the caller's transaction."""
        con = self.con
        window = f" WHERE position > {lo} AND position <= {hi}" + self.window.sql(
            master_data=not projection.depends_on
        )
        if self._events_window != window:  # the projections of a page share one window
            con.execute(f"CREATE OR REPLACE TEMP VIEW events AS SELECT * FROM page{window}")
            self._events_window = window
        if projection.name in USES_MOVEMENTS and self._movements_window != window:
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW movements AS SELECT * FROM page_movements{window}"
            )
            self._movements_window = window
        projection.apply(con, topics)
        if track:
            con.execute(
                "UPDATE projection_tracking SET position = ?, updated_at = now() WHERE name = ?",
                [hi, projection.name],
            )

    def _apply(self, projection: Projection, lo: int, hi: int, topics: frozenset[str]) -> None:
        """One projection, one transaction."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            self._project(projection, lo, hi, topics)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    def _isolate(self, projection: Projection, lo: int, hi: int) -> set[str]:
        """Re-apply the page one event at a time, stop at the one that fails."""
        rows = self.con.execute(
            f"SELECT position, topic FROM page WHERE position > {lo} AND position <= {hi}"
            " ORDER BY position"
        ).fetchall()
        uses = projection.name in USES_MOVEMENTS
        for position, topic in rows:
            try:
                if uses:
                    self.con.execute(
                        page_movements_sql(f"(SELECT * FROM page WHERE position = {position})")
                    )
                    self._movements_window = ""
                self._apply(projection, position - 1, position, frozenset([topic]))
            except duckdb.Error as e:
                self.con.execute(
                    "UPDATE projection_tracking SET status = 'failed', error = ?,"
                    " failed_position = ?, updated_at = now() WHERE name = ?",
                    [f"{topic}: {e}", position, projection.name],
                )
                log.exception(
                    "projection stopped at its last good position",
                    projection=projection.name,
                    failed_position=position,
                    topic=topic,
                    error=str(e),
                )
                return {projection.name}
        return set()

    # --- adopting rebuilt read models ---------------------------------------------------

    def adopt(self, path: str, names: Iterable[str]) -> dict[str, int]:
        """Swap in projections rebuilt into another DuckDB file (in the runner's thread,
        between pages: queries keep reading the old tables until the swap commits)."""
        wanted = [BY_NAME[n] for n in names]

        def swap() -> dict[str, int]:
            con = self.con
            con.execute(f"ATTACH '{path}' AS rebuilt (READ_ONLY)")
            try:
                # A projection that stopped on an event in the rebuild is swapped in
                # stopped, with its failure: rebuilding again would stop there again.
                found = {
                    name: (position, status, error, failed)
                    for name, position, status, error, failed in con.execute(
                        "SELECT name, position, status, error, failed_position"
                        " FROM rebuilt.projection_tracking"
                    ).fetchall()
                }
                con.execute("BEGIN TRANSACTION")
                try:
                    for projection in wanted:
                        for table in projection.tables:
                            con.execute(f"DELETE FROM main.{table}")
                            con.execute(f"INSERT INTO main.{table} SELECT * FROM rebuilt.{table}")
                        con.execute(
                            "UPDATE projection_tracking SET position = ?, status = ?,"
                            " error = ?, failed_position = ?, updated_at = now()"
                            " WHERE name = ?",
                            [*found[projection.name], projection.name],
                        )
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
            finally:
                con.execute("DETACH rebuilt")
            return {p.name: int(found[p.name][0]) for p in wanted}

        swapped: dict[str, int] = self.submit(swap)
        if "lot_genealogy" in swapped:  # other edges: the graph in memory reads them again
            self.models.lot_graph.clear()
            self._warm_graph = self._serves_traces
        self._load_tracking()
        self.wake()
        return swapped
