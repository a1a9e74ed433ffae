"""./scripts/bench import: a sheet of opening balances imported, in one run.

A fresh PostgreSQL schema with 1,000 items (a fifth lot-tracked) and 100 zones, registered
by importing their sheets; then an XLSX sheet of ``rows`` opening balances (``--quick``:
10,000; else 100,000, the issue's target: validated and posted in under 30 s, memory
under 500 MB). Figures, each beside a baseline measured in the same run:

* ``read_openpyxl_s``: reading the sheet with openpyxl in read-only mode, values only
  (the baseline: what a cell-by-cell reader costs), and ``read_calamine_s`` beside it.
* ``import_s``: reading, validating every row and posting them all, beside openpyxl's
  read; ``validate_s`` and ``post_s`` its parts; ``import_rows_per_s``.
* ``reimport_s``: the same file again (every row answered as a duplicate).
* ``import_peak_rss_mb``: the peak resident memory of a process that only imports (and
  re-imports) the sheet.
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import openpyxl
import polars as pl
import xlsxwriter
from rich.console import Console

from benchmarks.pg import fresh_schema
from benchmarks.report import Report
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.imports.importer import import_file, kind_named, post, validate

ITEMS = 1_000
ZONES = 100  # with ITEMS, every (sku, zone) pair of 100k rows once


def _csv(header: str, lines: list[str]) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def _master_data(ledger: Ledger) -> None:
    items = [
        f"B-{n:05d},Bench item {n},raw_material,kg,3,{'lot' if n % 5 == 0 else 'none'}"
        for n in range(ITEMS)
    ]
    locations = ["BS,site,", "BW,warehouse,BS"] + [f"BZ-{z:02d},zone,BW" for z in range(ZONES)]
    for kind, sheet in (
        ("items", _csv("sku,description,kind,unit_of_measure,precision,tracking", items)),
        ("locations", _csv("code,level,parent", locations)),
    ):
        result, _ = import_file(ledger, kind, f"{kind}.csv", sheet)
        assert result.ok, result.errors[:3]


def _sheet(rows: int) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "constant_memory": True})
    sheet = book.add_worksheet("Opening balances")
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["sku", "location", "quantity", "unit_cost", "lot", "expiry"])
    expiry = datetime(2030, 6, 30)  # noqa: DTZ001 - a spreadsheet date has no zone
    for r in range(1, rows + 1):
        n = r % ITEMS
        lot_tracked = n % 5 == 0
        sheet.write_string(r, 0, f"B-{n:05d}")
        sheet.write_string(r, 1, f"BZ-{(r // ITEMS) % ZONES:02d}")
        sheet.write_number(r, 2, (r % 97) + 1.125)
        sheet.write_number(r, 3, (r % 13) + 0.5)
        if lot_tracked:
            sheet.write_string(r, 4, f"L{r // ITEMS:04d}")
            sheet.write_datetime(r, 5, expiry, date)
    book.close()
    return buffer.getvalue()


def _read_openpyxl(content: bytes) -> int:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    count = sum(1 for _ in book.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    book.close()
    return count


def _import_in_child(url: str, path: Path, rows: int) -> dict[str, float]:
    """Import (and import again) in a process of its own, so that its peak memory is the
    importer's, not the sheet's generation's or openpyxl's."""
    ledger = Ledger(store_env(url), WriterSettings(batch_max=1_000))
    try:
        content = path.read_bytes()
        kind = kind_named("opening-balances")
        start = time.perf_counter()
        validated = validate(ledger, kind, path.name, content)
        validate_s = time.perf_counter() - start
        result = post(ledger, validated)
        import_s = time.perf_counter() - start
        assert (result.posted, result.errors) == (rows, []), result.errors[:3]
        del validated, result
        start = time.perf_counter()
        again, _ = import_file(ledger, "opening-balances", path.name, content)
        reimport_s = time.perf_counter() - start
        assert (again.posted, again.duplicates) == (0, rows)
    finally:
        ledger.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"validate_s": validate_s, "import_s": import_s, "reimport_s": reimport_s,
            "peak_rss_mb": peak_mb}  # fmt: skip


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        url, path, rows = argv[1], Path(argv[2]), int(argv[3])
        print(json.dumps(_import_in_child(url, path, rows)))
        return
    rows = 10_000 if "--quick" in argv else 100_000
    console = Console(stderr=True)
    report = Report("import")
    with fresh_schema("bench_import") as url, tempfile.TemporaryDirectory() as folder:
        ledger = Ledger(store_env(url), WriterSettings(batch_max=1_000))
        try:
            _master_data(ledger)
        finally:
            ledger.close()
        console.print(f"writing an XLSX sheet of {rows:,} opening balances")
        content = _sheet(rows)
        path = Path(folder) / "ob.xlsx"
        path.write_bytes(content)
        start = time.perf_counter()
        read = _read_openpyxl(content)
        openpyxl_s = time.perf_counter() - start
        assert read == rows + 1
        start = time.perf_counter()
        frame = pl.read_excel(io.BytesIO(content), engine="calamine")
        calamine_s = time.perf_counter() - start
        assert frame.height == rows
        del frame, content
        console.print("importing it, then again, in a process of its own")
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.imports", "--child", url, str(path), str(rows)],
            capture_output=True,
            text=True,
            check=True,
        )
        got = json.loads(child.stdout.strip().splitlines()[-1])
    target = "< 30 s" if rows == 100_000 else "< 3 s (10k rows)"
    report.add("read_openpyxl_s", openpyxl_s, "s")
    report.add("read_calamine_s", calamine_s, "s", baseline=openpyxl_s)
    report.add("validate_s", got["validate_s"], "s", baseline=openpyxl_s)
    report.add("post_s", got["import_s"] - got["validate_s"], "s", baseline=openpyxl_s)
    report.add("import_s", got["import_s"], "s", baseline=openpyxl_s, target=target)
    report.add("import_rows_per_s", rows / got["import_s"], "rows/s")
    report.add("reimport_s", got["reimport_s"], "s", baseline=got["import_s"])
    report.add("import_peak_rss_mb", got["peak_rss_mb"], "MB", target="< 500 MB")
    report.print()


if __name__ == "__main__":
    main(sys.argv[1:])
