"""One export opened over the read models: a read transaction (so the rows and the
position they reflect are one snapshot, while the projections go on writing), the model's
query streaming Arrow batches out of DuckDB, and the chosen format's bytes."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import pyarrow as pa

from projections.engine.view import ReadModels
from queries.access import ALL_SITES, Scope
from queries.exports.catalogue import (
    BadExportFormat,
    ExportModel,
    PlantWideExport,
    Selection,
    model,
)
from queries.exports.writers import BATCH_ROWS, FORMATS, MEDIA_TYPES, WRITERS

POSITION = "SELECT coalesce(min(position), 0) FROM projection_tracking WHERE status = 'running'"


def check_format(name: str) -> str:
    if name not in FORMATS:
        msg = f"format must be one of {', '.join(FORMATS)}, not {name!r}"
        raise BadExportFormat(msg, "format")
    return name


def _whole_plant(con: duckdb.DuckDBPyConnection, scope: Scope | None) -> bool:
    """Whether ``scope`` covers every site of the plant as a whole."""
    if scope is None or ALL_SITES in scope.whole_sites:
        return True
    sites = sorted(scope.whole_sites)
    (missing,) = con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT site FROM locations WHERE site IS NOT NULL)"
        " WHERE NOT list_contains(CAST(? AS VARCHAR[]), site)",
        [sites],
    ).fetchall()[0]
    return bool(sites) and missing == 0


def _refuse_plant_wide(name: str) -> None:
    msg = f"{name} is computed over the whole plant: a grant on every site is needed"
    raise PlantWideExport(msg)


def _by_position(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[Any], batch_rows: int
) -> pa.RecordBatchReader:
    """The rows of ``sql`` in (position, line) order, read a range of ``batch_rows`` log
    positions at a time (all in the caller's transaction: one snapshot). Each range is
    sorted alone, so no more than its rows are held; ``position`` bounds let DuckDB skip
    the row groups outside them by their min/max. (A LIMIT slice sorted the whole rest of
    the table each time: 480 MB of peak for a million rows, against ~100 MB this way.)"""
    (low, high), *_ = con.sql(
        f"SELECT min(position), max(position) FROM ({sql})", params=params
    ).fetchall()
    ranged = f"SELECT * FROM ({sql}) WHERE position >= ? AND position < ? ORDER BY position, line"
    schema = con.sql(f"SELECT * FROM ({sql}) LIMIT 0", params=params).to_arrow_table().schema

    def ranges() -> Iterator[pa.RecordBatch]:
        if low is None:
            return
        for start in range(low, high + 1, batch_rows):
            table = con.sql(ranged, params=[*params, start, start + batch_rows]).to_arrow_table()
            yield from table.to_batches()

    return pa.RecordBatchReader.from_batches(schema, ranges())


@dataclass
class Export:
    model: ExportModel
    format: str
    position: int
    batches: pa.RecordBatchReader
    con: duckdb.DuckDBPyConnection
    instant: datetime

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def filename(self) -> str:
        """``stock_ledger-2026-12-03T201500Z.parquet``: the model and the instant it shows."""
        return f"{self.model.name}-{self.instant.astimezone(UTC):%Y-%m-%dT%H%M%SZ}.{self.format}"

    def chunks(self) -> Iterator[bytes]:
        """The file's bytes, chunk by chunk; the read transaction ends with the last."""
        try:
            yield from WRITERS[self.format](self.batches)
        finally:
            self.close()

    def close(self) -> None:
        with contextlib.suppress(duckdb.Error):  # closed already
            self.con.close()


def open_export(
    models: ReadModels,
    name: str,
    fmt: str,
    selection: Selection,
    scope: Scope | None,
    *,
    batch_rows: int = BATCH_ROWS,
) -> Export:
    """Open the export of model ``name`` in format ``fmt`` (`ExportRefused` for bad
    input, before anything is read)."""
    found = model(name)
    check_format(fmt)
    sql, params = found.query(selection, scope)
    con = models.connection()
    try:
        con.execute("BEGIN TRANSACTION")
        if found.plant_wide and not _whole_plant(con, scope):
            _refuse_plant_wide(name)
        position = int(con.execute(POSITION).fetchall()[0][0])
        if found.by_position:
            batches = _by_position(con, sql, params, batch_rows)
        else:
            batches = con.sql(sql, params=params).to_arrow_reader(batch_rows)
    except BaseException:
        con.close()
        raise
    instant = selection.as_of or selection.known_at or datetime.now(UTC)
    return Export(found, fmt, position, batches, con, instant)


def export_to(out: Any, export: Export) -> int:
    """Write ``export`` into the binary file ``out``; the bytes written."""
    written = 0
    for chunk in export.chunks():
        out.write(chunk)
        written += len(chunk)
    return written
