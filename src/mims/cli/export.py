"""`mims export`: the plant's data out in the formats other systems read (the functions
live in `mims.cli.exports`)."""

from __future__ import annotations

import typer

from mims.cli import exports

app = typer.Typer(
    help="Exports: read models as CSV, XLSX or Parquet; the stock ledger as a Parquet lake.",
    no_args_is_help=True,
)
app.command("model")(exports.model)
app.command("models")(exports.models)
app.command("lake")(exports.lake)
