"""An export streams: a stock ledger of a million rows, written straight into a DuckDB
read-model file, exports as Parquet and as CSV in a child process whose peak resident
memory grows by a small part of what the same rows take as one Arrow table (what an
export that read everything first would hold at least)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from projections.engine.view import ReadModels

ROWS = 1_000_000

# Fills the ledger cheaply: a million movements over 500 items and 40 locations.
FILL = f"""
INSERT INTO stock_ledger
SELECT i AS position, 1 AS line, 1 AS version,
    TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds(i) AS recorded_at,
    TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_seconds(i) AS effective_at,
    'ITEM-' || (i % 500) AS item, 'BIN-' || (i % 40) AS location, 'L' || (i % 7) AS lot,
    'available' AS status, CAST(1 + i % 9 AS DECIMAL(38, 6)) AS quantity_delta,
    CAST((1 + i % 9) * 1.25 AS DECIMAL(38, 16)) AS value_delta, 'Stock.Received',
    'PO-' || i, 'SUP-1', 'bench', 'c-' || i, 'k-' || i, 'S', NULL, NULL
FROM range(1, {ROWS} + 1) t(i);
UPDATE projection_tracking SET position = {ROWS};
"""

# Run in a child: its resident memory after opening the file, a small export and a scan
# of every column (DuckDB caches the file's blocks: its cache, not the export's), then at
# each chunk of the big export; and the size of the rows as one Arrow table, last.
CHILD = """
import json, sys
from pathlib import Path
from projections.engine.view import ReadModels
from queries.exports.catalogue import Selection
from queries.exports.stream import open_export

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

models = ReadModels(Path(sys.argv[1]))
fmt = sys.argv[2]
for chunk in open_export(models, "stock_ledger", fmt, Selection({"item": "ITEM-1"}), None).chunks():
    pass
with models.reader() as con:
    con.sql("SELECT max(COLUMNS(*)) FROM stock_ledger").fetchall()
before = rss_mb()
samples, written = [], 0
export = open_export(models, "stock_ledger", fmt, Selection(), None)
for chunk in export.chunks():
    written += len(chunk)
    samples.append(rss_mb())
with models.reader() as con:
    table_mb = con.sql("SELECT * FROM stock_ledger").to_arrow_table().nbytes / 2**20
half = len(samples) // 2
print(json.dumps({"before": before, "first_half": max(samples[:half]),
                  "second_half": max(samples[half:]), "bytes": written,
                  "table_mb": table_mb, "position": export.position}))
"""


@pytest.fixture(scope="module")
def million(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("million") / "read_models.duckdb"
    models = ReadModels(path)
    models.con.execute(FILL)
    models.close()
    return path


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_million_rows_export_in_flat_memory(million: Path, fmt: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(million), fmt],
        capture_output=True, text=True, check=True, timeout=580,
    )  # fmt: skip
    found = json.loads(done.stdout.strip().splitlines()[-1])
    grew = max(found["first_half"], found["second_half"]) - found["before"]
    print(f"\n{fmt}: resident memory grew {grew:.0f} MB exporting {ROWS} rows"
          f" ({found['bytes'] / 2**20:.0f} MB written; the rows as one Arrow table:"
          f" {found['table_mb']:.0f} MB; peak in the first half"
          f" {found['first_half'] - found['before']:.0f} MB, in the second"
          f" {found['second_half'] - found['before']:.0f} MB)")  # fmt: skip
    assert found["position"] == ROWS
    assert found["bytes"] > ROWS * 20  # every row written
    # Flat: the second half of the rows adds nothing to what the first half needed (held
    # rows would add half the table), and the whole stays well below the table's size.
    assert found["second_half"] < found["first_half"] + found["table_mb"] / 5
    assert grew < found["table_mb"] * 3 / 4
