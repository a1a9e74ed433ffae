"""The export formats, each written from a stream of Arrow record batches (DuckDB's
``to_arrow_reader``) into a stream of bytes, so a million rows never sit in memory:
CSV (RFC 4180, UTF-8, a header row, decimals as their exact text), XLSX (xlsxwriter in
constant-memory mode, through a temporary file: a workbook is a zip written at its end)
and Parquet (one row group per batch, decimals as decimal128, instants in UTC).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

BATCH_ROWS = 50_000
CHUNK_BYTES = 1 << 20  # what one answer chunk holds, about
# Excel's last row is 1,048,576: a longer export goes on to a next sheet (after the header).
XLSX_MAX_ROWS = 1_048_575

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}
FORMATS = tuple(MEDIA_TYPES)


def _text(value: Any) -> str:
    """One CSV field: decimals in plain notation with their scale (never a float, never an
    exponent), instants in ISO 8601, lists as JSON, nulls empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    return str(value)


PYTHON_ROWS = 5_000  # rows made Python objects at a time (CSV, XLSX): ~100 MB per 50k


def _zoned(schema: pa.Schema) -> list[bool]:
    """Which columns are instants with a time zone (the read models' are UTC)."""
    return [pa.types.is_timestamp(f.type) and f.type.tz is not None for f in schema]


def _rows(batch: pa.RecordBatch) -> Iterator[tuple[Any, ...]]:
    """The batch's rows as Python values, 5,000 at a time. An instant with a zone comes as
    a naive datetime in UTC: pyarrow makes zoned ones through pandas (an 8 s import, and
    slower per value)."""
    columns = [
        column.cast(pa.timestamp(column.type.unit)) if zoned else column
        for column, zoned in zip(batch.columns, _zoned(batch.schema), strict=True)
    ]
    for start in range(0, batch.num_rows, PYTHON_ROWS):
        yield from zip(
            *(column.slice(start, PYTHON_ROWS).to_pylist() for column in columns), strict=True
        )


def _csv_texts(column: pa.Array) -> list[str]:
    """One column's CSV fields. Decimals by Python in plain notation (Arrow writes
    0.0000001 as 1E-7), instants in ISO 8601 (``2026-12-03T10:15:00.000000Z``), lists and
    structs as JSON, nulls empty; the rest as Arrow casts it, a column at a time."""
    kind = column.type
    if pa.types.is_decimal(kind):
        return ["" if v is None else format(v, "f") for v in column.to_pylist()]
    if pa.types.is_nested(kind):
        return [_text(v) for v in column.to_pylist()]
    texts = pc.cast(column, pa.string())
    if pa.types.is_timestamp(kind):
        texts = pc.replace_substring(texts, " ", "T", max_replacements=1)
    return list(pc.coalesce(texts, pa.scalar("")).to_pylist())  # fill_null imports pandas


def write_csv(batches: pa.RecordBatchReader) -> Iterator[bytes]:
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180: CRLF, quotes doubled
    out.writerow(batches.schema.names)
    for batch in batches:
        for start in range(0, batch.num_rows, PYTHON_ROWS):
            piece = batch.slice(start, PYTHON_ROWS)
            out.writerows(zip(*(_csv_texts(c) for c in piece.columns), strict=True))
            if buffer.tell() >= CHUNK_BYTES:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode()


class _Drain:
    """A file for pyarrow to write into, whose bytes are taken away chunk by chunk."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.closed = False
        self.written = 0

    def write(self, data: bytes) -> int:
        self.chunks.append(bytes(data))
        self.written += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True

    def tell(self) -> int:
        return self.written

    def take(self) -> bytes:
        found, self.chunks = b"".join(self.chunks), []
        return found


def write_parquet(batches: pa.RecordBatchReader) -> Iterator[bytes]:
    drain = _Drain()
    sink = pa.PythonFile(drain, mode="w")
    with pq.ParquetWriter(sink, batches.schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch)  # a row group per batch
            yield drain.take()
    yield drain.take()


def _same(value: Any) -> Any:
    return value


def _json(value: Any) -> str:
    return json.dumps(value, default=str)


def _xlsx_cells(workbook: Any, schema: pa.Schema) -> list[tuple[str, Callable[[Any], Any], Any]]:
    """For each column: the worksheet's write method for its type (its generic ``write``
    guesses the type of every cell), how a value goes in, and the cell's format."""
    found: list[tuple[str, Callable[[Any], Any], Any]] = []
    for column in schema:
        kind = column.type
        if pa.types.is_decimal(kind):
            # Excel holds doubles: 15 significant digits, enough for a plant's figures.
            places = "0" if kind.scale == 0 else "0." + "0" * kind.scale
            found.append(("write_number", float, workbook.add_format({"num_format": places})))
        elif pa.types.is_integer(kind) or pa.types.is_floating(kind):
            found.append(("write_number", _same, None))
        elif pa.types.is_boolean(kind):
            found.append(("write_boolean", _same, None))
        elif pa.types.is_timestamp(kind):
            stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
            found.append(("write_datetime", _same, stamp))
        elif pa.types.is_date(kind):
            day = workbook.add_format({"num_format": "yyyy-mm-dd"})
            found.append(("write_datetime", _same, day))
        elif pa.types.is_nested(kind):
            found.append(("write_string", _json, None))
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            found.append(("write_string", _same, None))
        else:
            found.append(("write", _same, None))
    return found


def write_xlsx(batches: pa.RecordBatchReader, sheet: str = "export") -> Iterator[bytes]:
    import xlsxwriter

    with tempfile.TemporaryFile() as file:
        # constant_memory: each row goes to disk as it is written; instants in UTC (the
        # read models' time zone) without their zone, which Excel cannot hold.
        workbook = xlsxwriter.Workbook(
            file,
            {
                "constant_memory": True,
                "remove_timezone": True,
                "in_memory": False,
                # a text is a text: never a formula (CSV/XLSX injection) nor a link
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        cells = _xlsx_cells(workbook, batches.schema)
        names = batches.schema.names
        sheets = 0
        worksheet: Any = None
        writers: list[tuple[Any, Callable[[Any], Any], Any]] = []
        row = XLSX_MAX_ROWS + 1

        for batch in batches:
            for values in _rows(batch):
                if row > XLSX_MAX_ROWS:
                    sheets += 1
                    worksheet = workbook.add_worksheet(sheet if sheets == 1 else f"{sheet}{sheets}")
                    worksheet.write_row(0, 0, names)
                    writers = [
                        (getattr(worksheet, method), convert, cell_format)
                        for method, convert, cell_format in cells
                    ]
                    row = 1
                for col, value in enumerate(values):
                    if value is not None:
                        write, convert, cell_format = writers[col]
                        write(row, col, convert(value), cell_format)
                row += 1
        if worksheet is None:
            workbook.add_worksheet(sheet).write_row(0, 0, names)
        workbook.close()
        file.seek(0)
        while chunk := file.read(CHUNK_BYTES):
            yield chunk


WRITERS: dict[str, Callable[[pa.RecordBatchReader], Iterator[bytes]]] = {
    "csv": write_csv,
    "xlsx": write_xlsx,
    "parquet": write_parquet,
}
