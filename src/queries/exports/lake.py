"""The data lake: the stock ledger and daily stock snapshots as Parquet, partitioned the
Hive way (``site=<site>/date=<YYYY-MM-DD>/part-<first>-<last position>-<n>.parquet``),
for DuckDB, Spark, Snowflake, Power BI and the like.

It grows incrementally and never rewrites a file. ``_mims_lake.json`` in the folder keeps
the last log position exported and the last day snapshotted; a run adds part files of the
movements after that position, and snapshots of the days closed since. A run that failed
half way left part files past those marks: the next run deletes them first, so no row is
ever there twice.

* ``stock_ledger/``: one row per movement (the ``stock_ledger`` export, every column),
  partitioned by the site of its location and its effective (business) date in UTC.
* ``daily_stock/``: stock on hand per item x location x lot x status at the end of each
  day (UTC), valued as GraphQL ``stockOnHand(asOf:)`` values it: the same SQL
  (`queries.stock.query.as_of_stock`), run over the lake's own ledger files. Every closed
  day gets a snapshot, days without movements too, so "stock on day D" is a filter on
  ``date`` and a sum, which a BI tool does without an as-of join. A day is closed once
  ``settle`` has passed after its end (by default the backdating window: a backdated
  movement may still land in a day until then, and a written snapshot is never redone).

The rows come from a ``fetch`` that writes an export as Parquet (the HTTP route of a
running server, or the read models' file itself), so the lake is made the same way for
both, with the reader's permissions and scope.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb

from projections.engine.projection import DECIMAL_ARITHMETIC
from queries.stock.query import as_of_stock

STATE_FILE = "_mims_lake.json"
LEDGER = "stock_ledger"
SNAPSHOTS = "daily_stock"
NO_SITE = "_none"  # a location outside every site (Hive has no good null)
DIGITS = 12  # of each position in a part's name, so names sort in log order

# fetch(model, filters, file): writes the model's Parquet export into ``file``.
Fetch = Callable[[str, dict[str, str], Path], None]


@dataclass
class LakeState:
    position: int = 0  # the last movement exported
    snapshots_through: date | None = None  # the last day snapshotted

    @classmethod
    def read(cls, folder: Path) -> LakeState:
        path = folder / STATE_FILE
        if not path.exists():
            return cls()
        found = json.loads(path.read_text())
        through = found.get("snapshots_through")
        return cls(
            position=int(found["position"]),
            snapshots_through=date.fromisoformat(through) if through else None,
        )

    def write(self, folder: Path) -> None:
        """Atomically: a crash leaves the old marks or the new ones."""
        text = json.dumps(
            {
                "position": self.position,
                "snapshots_through": self.snapshots_through.isoformat()
                if self.snapshots_through
                else None,
                "format": 1,
            },
            indent=2,
        )
        temporary = folder / f".{STATE_FILE}.tmp"
        temporary.write_text(text + "\n")
        temporary.replace(folder / STATE_FILE)


@dataclass
class LakeRun:
    """What one run added."""

    first_position: int | None
    last_position: int
    movements: int
    days: list[date] = field(default_factory=list)
    snapshot_rows: int = 0
    files: list[Path] = field(default_factory=list)


def _quoted(path: Path) -> str:
    """A path as a SQL string literal's inside (COPY takes no parameters)."""
    return str(path).replace("'", "''")


def _name(first: int, last: int) -> str:
    return f"part-{first:0{DIGITS}d}-{last:0{DIGITS}d}-{{i}}"


def _remove_leftovers(folder: Path, state: LakeState) -> None:
    """Part files a failed run wrote past the state's marks."""
    for part in (folder / LEDGER).rglob("part-*.parquet"):
        if int(part.name.split("-")[1]) > state.position:
            part.unlink()
    for part in (folder / SNAPSHOTS).rglob("part-*.parquet"):
        day = date.fromisoformat(part.parent.name.removeprefix("date="))
        if state.snapshots_through is None or day > state.snapshots_through:
            part.unlink()


def _parts(folder: Path) -> set[Path]:
    return set(folder.rglob("part-*.parquet"))


def _day_end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), UTC) - timedelta(microseconds=1)


def export_lake(
    folder: Path, fetch: Fetch, *, now: datetime | None = None, settle: timedelta
) -> LakeRun:
    """Add to the lake in ``folder`` what happened since its last run."""
    folder.mkdir(parents=True, exist_ok=True)
    state = LakeState.read(folder)
    _remove_leftovers(folder, state)
    before = _parts(folder)
    with tempfile.TemporaryDirectory(prefix="mims-lake-") as work:
        new, items = Path(work) / "movements.parquet", Path(work) / "items.parquet"
        fetch(LEDGER, {"afterPosition": str(state.position)}, new)
        fetch("items", {}, items)
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute(DECIMAL_ARITHMETIC)
            run = _add_movements(con, folder, new, state)
            con.execute(f"CREATE TABLE items AS SELECT * FROM read_parquet('{_quoted(items)}')")
            _add_snapshots(con, folder, state, run, (now or datetime.now(UTC)) - settle)
        finally:
            con.close()
    state.position = run.last_position
    state.write(folder)
    run.files = sorted(_parts(folder) - before)
    return run


def _add_movements(
    con: duckdb.DuckDBPyConnection, folder: Path, new: Path, state: LakeState
) -> LakeRun:
    (count, first, last), *_ = con.execute(
        f"SELECT count(*), min(position), max(position) FROM read_parquet('{_quoted(new)}')"
    ).fetchall()
    if not count:
        return LakeRun(first_position=None, last_position=state.position, movements=0)
    # The next run starts after the last movement written: the stock ledger is written in
    # log order, each position whole, so nothing at or before it can come later.
    con.execute(
        f"""COPY (SELECT * EXCLUDE (site), coalesce(site, '{NO_SITE}') AS site,
                CAST(effective_at AS DATE) AS date
            FROM read_parquet('{_quoted(new)}'))
        TO '{_quoted(folder / LEDGER)}' (FORMAT parquet, COMPRESSION zstd,
            PARTITION_BY (site, date), FILENAME_PATTERN '{_name(first, last)}',
            OVERWRITE_OR_IGNORE)"""
    )
    return LakeRun(first_position=first, last_position=last, movements=count)


def _add_snapshots(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    state: LakeState,
    run: LakeRun,
    cutoff: datetime,
) -> None:
    ledger_files = folder / LEDGER
    if not any(ledger_files.rglob("part-*.parquet")):
        return
    con.execute(
        "CREATE VIEW stock_ledger AS SELECT * FROM read_parquet("
        f"'{_quoted(ledger_files)}/**/*.parquet', hive_partitioning = true)"
    )
    last_closed = cutoff.astimezone(UTC).date() - timedelta(days=1)
    if state.snapshots_through is not None:
        first = state.snapshots_through + timedelta(days=1)
    else:
        (first,), *_ = con.execute(
            "SELECT CAST(min(effective_at) AS DATE) FROM stock_ledger"
        ).fetchall()
    places = "SELECT DISTINCT location, site FROM stock_ledger"
    day = first
    while day <= last_closed:
        end = _day_end(day).isoformat(sep=" ")
        window = f"effective_at <= TIMESTAMPTZ '{end}'"
        (rows,), *_ = con.execute(
            f"""COPY (SELECT coalesce(p.site, '{NO_SITE}') AS site, DATE '{day}' AS date, b.*
                FROM ({as_of_stock(window)}) b LEFT JOIN ({places}) p USING (location)
                ORDER BY b.item, b.location, b.lot, b.status)
            TO '{_quoted(folder / SNAPSHOTS)}' (FORMAT parquet, COMPRESSION zstd,
                PARTITION_BY (site, date), FILENAME_PATTERN '{_name(0, run.last_position)}',
                OVERWRITE_OR_IGNORE)"""
        ).fetchall()
        run.snapshot_rows += int(rows)
        run.days.append(day)
        state.snapshots_through = day
        day += timedelta(days=1)
