"""`mims export`: the plant's data out in the formats other systems read. `model`, `models`
and `lake` live in `mims.cli.exports`; `epcis` (below) writes the ledger as an EPCIS 2.0
document, read from the event store itself (no server needed: the store is not the
server's alone, as the read models are)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from mims.cli import exports

app = typer.Typer(
    help="Exports: read models as CSV, XLSX or Parquet, the stock ledger as a Parquet lake,\n"
    "the ledger as EPCIS 2.0 for traceability partners.",
    no_args_is_help=True,
)
app.command("model")(exports.model)
app.command("models")(exports.models)
app.command("lake")(exports.lake)

INVALID = 2  # exit code: the document does not validate against GS1's schema


@app.command("epcis")
def epcis(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write ('-': stdout)")],
    *,
    start: Annotated[
        datetime | None, typer.Option("--from", help="Effective time from (inclusive), UTC")
    ] = None,
    stop: Annotated[
        datetime | None, typer.Option("--to", help="Effective time before (exclusive), UTC")
    ] = None,
    site: Annotated[str | None, typer.Option(help="Only events at this site")] = None,
    lot: Annotated[
        str | None, typer.Option(help="A lot's whole story: every event it appears in")
    ] = None,
    item: Annotated[str | None, typer.Option(help="The lot's item (lot codes may repeat)")] = None,
    validate: Annotated[
        bool, typer.Option("--validate", help="Check the document against GS1's EPCIS 2.0 schema")
    ] = False,
    indent: Annotated[bool, typer.Option("--indent", help="Indented JSON")] = False,
) -> None:
    """Write an EPCIS 2.0 JSON-LD document of the ledger's receipts, shipments, moves,
    quality decisions and production (GS1 keys where items and locations have them). Exit
    2 when --validate finds schema errors (the file is written anyway)."""
    import orjson
    from pydantic import ValidationError

    from ledger.writer import Ledger
    from mims.epcis import EpcisQuery, export, quick_schema_errors, to_json
    from mims.settings import Settings

    try:
        query = EpcisQuery.model_validate(
            {"from": _utc(start), "to": _utc(stop), "site": site, "lot": lot, "item": item}
        )
    except ValidationError as e:
        raise typer.BadParameter("; ".join(err["msg"] for err in e.errors())) from None
    settings = Settings()
    ledger = Ledger(settings.store_env(), settings.writer_settings())
    try:
        doc = export(ledger, query.filters(None), urn_prefix=settings.epcis_urn_prefix)
    finally:
        ledger.close()
    data = to_json(doc, indent=indent)
    if str(output) == "-":
        sys.stdout.buffer.write(data + b"\n")
    else:
        output.write_bytes(data)
    events = len(doc["epcisBody"]["eventList"])
    say = (lambda text: print(text, file=sys.stderr)) if str(output) == "-" else print
    say(f"{events} EPCIS events written to {output}")
    if validate:
        errors = quick_schema_errors(orjson.loads(data))
        say(f"EPCIS 2.0 schema: {events} events, {len(errors)} schema errors")
        for error in errors[:20]:
            say(f"  {error}")
        if errors:
            raise typer.Exit(INVALID)


def _utc(moment: datetime | None) -> str | None:
    """typer's datetimes are naive: the CLI's times are UTC."""
    if moment is None:
        return None
    return moment.isoformat() + ("+00:00" if moment.tzinfo is None else "")
