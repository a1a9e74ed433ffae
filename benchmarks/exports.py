"""./scripts/bench exports: how fast the stock ledger leaves as an export and as the lake.

A read-model file is filled straight in DuckDB with a stock ledger of N movements (1M;
``--quick`` 200k; ``--rows N``) over 500 items, 40 locations and ~12 days. Figures, in
rows per second, each beside the baseline measured in the same run: DuckDB's own
``COPY (SELECT * FROM stock_ledger ORDER BY position, line) TO ... (FORMAT parquet)``,
the fastest way the same rows can become a sorted Parquet file (it holds them all for the
sort, which an export must not):

* ``parquet_rows_per_s``, ``csv_rows_per_s``, ``xlsx_rows_per_s`` (xlsx on the first
  100k rows at most: a sheet holds a million): `queries.exports.stream.open_export`, as
  ``GET /v1/exports/stock_ledger`` streams it, into a counting sink.
* ``lake_rows_per_s``: a first `mims export lake` (ledger partitioned by site and date,
  and every closed day's snapshot), from the same file.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.report import Report, stopwatch
from projections.engine.view import ReadModels
from queries.exports.catalogue import Selection
from queries.exports.lake import export_lake
from queries.exports.stream import export_to, open_export

START = datetime(2026, 1, 1, tzinfo=UTC)


def fill(models: ReadModels, rows: int) -> None:
    """``rows`` receipts spread over ~12 days (one a second), committed at position
    ``rows``."""
    models.con.execute(
        f"""INSERT INTO stock_ledger
        SELECT i, 1, 1, TIMESTAMPTZ '{START.isoformat()}' + to_seconds(i),
            TIMESTAMPTZ '{START.isoformat()}' + to_seconds(i),
            'ITEM-' || (i % 500), 'BIN-' || (i % 40), 'L' || (i % 7), 'available',
            CAST(1 + i % 9 AS DECIMAL(38, 6)), CAST((1 + i % 9) * 1.25 AS DECIMAL(38, 16)),
            'Stock.Received', 'PO-' || i, 'SUP-1', 'bench', 'c-' || i, 'k-' || i, 'S',
            NULL, NULL
        FROM range(1, {rows} + 1) t(i);
        INSERT INTO items (sku, costing_method)
            SELECT 'ITEM-' || i, 'fifo' FROM range(500) t(i);
        UPDATE projection_tracking SET position = {rows};"""
    )


class Count:
    n = 0

    def write(self, chunk: bytes) -> None:
        self.n += len(chunk)


def main(argv: list[str]) -> None:
    rows = 200_000 if "--quick" in argv else 1_000_000
    for option in argv:
        if option.startswith("--rows="):
            rows = int(option.split("=", 1)[1])
    report = Report("exports")
    with tempfile.TemporaryDirectory(prefix="mims-bench-exports-") as work:
        folder = Path(work)
        models = ReadModels(folder / "read.duckdb")
        fill(models, rows)
        with stopwatch() as t:
            models.con.execute(
                "COPY (SELECT * FROM stock_ledger ORDER BY position, line)"
                f" TO '{folder / 'copy.parquet'}' (FORMAT parquet, COMPRESSION zstd)"
            )
        baseline = rows / t[0]
        for fmt in ("parquet", "csv", "xlsx"):
            wanted = Selection()
            count = rows
            if fmt == "xlsx" and rows > 100_000:
                count = 100_000
                wanted = Selection({"to": (START + timedelta(seconds=count + 1)).isoformat()})
            with stopwatch() as t:
                export_to(Count(), open_export(models, "stock_ledger", fmt, wanted, None))
            report.add(f"{fmt}_rows_per_s", count / t[0], "rows/s", baseline)

        def fetch(name: str, filters: dict[str, str], file: Path) -> None:
            with file.open("wb") as out:
                export_to(out, open_export(models, name, "parquet", Selection(filters), None))

        with stopwatch() as t:
            run = export_lake(
                folder / "lake", fetch, now=START + timedelta(days=30), settle=timedelta(0)
            )
        assert run.movements == rows
        report.add("lake_rows_per_s", rows / t[0], "rows/s", baseline)
        report.add("lake_snapshot_days", len(run.days), "days")
        models.close()
    report.print()
