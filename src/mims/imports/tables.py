"""Reading a sheet (CSV or XLSX) as a table of strings, and writing a copy of it with an
``errors`` column. Every cell is read as text and validated by the ledger's own command
models afterwards, so a sheet's "12.50" and an API body's "12.50" meet the same rules."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

Format = Literal["csv", "xlsx"]
BOM = b"\xef\xbb\xbf"
SEPARATORS = (",", ";", "\t", "|")


class UnreadableFile(ValueError):
    """The file is not a CSV or XLSX sheet this importer can read."""


@dataclass(frozen=True)
class Table:
    """A sheet as read: its header as written, its rows as strings (None for an empty cell)."""

    frame: pl.DataFrame
    format: Format
    separator: str = ","

    @property
    def header(self) -> list[str]:
        return self.frame.columns


def format_of(name: str, content: bytes) -> Format:
    """XLSX by its ZIP signature (whatever the name says), else CSV."""
    if content[:4] == b"PK\x03\x04":
        return "xlsx"
    if name.lower().endswith((".xlsx", ".xlsm")):
        msg = f"{name} is named as an XLSX workbook but is not one"
        raise UnreadableFile(msg)
    return "csv"


def sniff_separator(header_line: str) -> str:
    """The separator the header line uses most (a European Excel writes ``;``)."""
    return max(SEPARATORS, key=header_line.count)


def read_table(name: str, content: bytes) -> Table:
    fmt = format_of(name, content)
    return _read_xlsx(content) if fmt == "xlsx" else _read_csv(content)


def _read_csv(content: bytes) -> Table:
    content = content.removeprefix(BOM)
    try:
        first = content.split(b"\n", 1)[0].decode("utf-8")
    except UnicodeDecodeError:
        msg = "the CSV is not UTF-8 text"
        raise UnreadableFile(msg) from None
    separator = sniff_separator(first)
    try:
        frame = pl.read_csv(
            io.BytesIO(content),
            separator=separator,
            infer_schema=False,  # every column as text
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as e:
        msg = f"the CSV cannot be read: {str(e).splitlines()[0]}"
        raise UnreadableFile(msg) from None
    return Table(frame=_blank_is_null(frame), format="csv", separator=separator)


def _read_xlsx(content: bytes) -> Table:
    # calamine (through fastexcel) reads the whole sheet at once in Rust; a formula cell
    # gives its cached value, a merged range its value in the top-left cell only.
    try:
        frame = pl.read_excel(
            io.BytesIO(content), engine="calamine", read_options={"dtypes": "string"}
        )
    except Exception as e:  # noqa: BLE001 - fastexcel raises its own family of errors
        msg = f"the XLSX workbook cannot be read: {str(e).splitlines()[0]}"
        raise UnreadableFile(msg) from None
    return Table(frame=_blank_is_null(frame), format="xlsx")


def _blank_is_null(frame: pl.DataFrame) -> pl.DataFrame:
    """A cell of spaces is an empty cell; a date with a midnight time is the date."""
    return frame.with_columns(
        pl.when(pl.col(c).str.strip_chars() == "")
        .then(None)
        .otherwise(pl.col(c).str.replace(r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00$", "$1"))
        .alias(c)
        for c in frame.columns
    )


def write_with_errors(table: Table, errors_by_row: dict[int, str], path: Path) -> None:
    path.write_bytes(errors_copy(table, errors_by_row))


def errors_copy(table: Table, errors_by_row: dict[int, str]) -> bytes:
    """A copy of the sheet as read with an ``errors`` column (row numbers as the sheet's:
    the header is row 1), in the format it came in."""
    buffer = io.BytesIO()
    first_row = 2
    messages = [errors_by_row.get(i + first_row) for i in range(table.frame.height)]
    out = table.frame.with_columns(pl.Series("errors", messages, dtype=pl.String))
    if table.format == "xlsx":
        out.write_excel(buffer, autofit=False)
    else:
        out.write_csv(buffer, separator=table.separator)
    return buffer.getvalue()
