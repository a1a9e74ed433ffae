"""`mims export model` and `mims export lake`: a read model as CSV, XLSX or Parquet, and
the stock ledger with daily snapshots as a Parquet lake. While `mims serve` holds the read
models' file they come from it (`GET /v1/exports/...`); else the file is opened here and
caught up with the event store first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import httpx
import typer

from mims.cli.common import LocalOption, UrlOption, console, running_server, server_headers

if TYPE_CHECKING:
    from queries.exports.lake import LakeRun

FORMATS = ("csv", "xlsx", "parquet")


def _filters(given: list[str] | None, **named: str | None) -> dict[str, str]:
    found = {k: v for k, v in named.items() if v is not None}
    for text in given or []:
        name, sep, value = text.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"--filter takes NAME=VALUE, not {text!r}")
        found[name] = value
    return found


def model(  # noqa: PLR0917 - an option per filter a plant uses most
    name: Annotated[str, typer.Argument(help="The model: stock_on_hand, stock_ledger...")],
    output: Annotated[Path, typer.Option("--output", "-o", help="The file to write")],
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or parquet")] = "csv",
    as_of: Annotated[
        datetime | None, typer.Option("--as-of", help="Stock as it was at this instant")
    ] = None,
    known_at: Annotated[
        datetime | None,
        typer.Option("--known-at", help="...and as the ledger knew it then (bitemporal)"),
    ] = None,
    item: Annotated[str | None, typer.Option(help="One item (SKU)")] = None,
    location: Annotated[str | None, typer.Option(help="A location and everything under it")] = None,
    lot: Annotated[str | None, typer.Option(help="One lot")] = None,
    filters: Annotated[
        list[str] | None,
        typer.Option("--filter", help="Any filter of the model, NAME=VALUE (repeatable)"),
    ] = None,
    url: UrlOption = None,
    local: LocalOption = False,
) -> None:
    """Export one read model (its rows as GraphQL serves them) to a CSV, XLSX or Parquet
    file. With no server running, the read models' file is caught up and read here."""
    if fmt not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    params = _filters(filters, item=item, location=location, lot=lot)
    params["format"] = fmt
    for key, instant in (("asOf", as_of), ("knownAt", known_at)):
        if instant is not None:
            params[key] = (instant if instant.tzinfo else instant.astimezone()).isoformat()
    server = running_server(url, local)
    if server:
        position = _download(server, name, params, output)
    else:
        position = _export_locally(name, params, output)
    size = output.stat().st_size
    console.print(f"{name}: {size:,} bytes written to {output} (log position {position})")


def _download(server: str, name: str, params: dict[str, str], output: Path) -> int:
    from mims.cli.common import progress_bar

    with httpx.stream(
        "GET", f"{server}/v1/exports/{name}", params=params, headers=server_headers(),
        timeout=httpx.Timeout(60, read=600),
    ) as answer:  # fmt: skip
        if answer.status_code != 200:  # noqa: PLR2004
            answer.read()
            detail = answer.json().get("detail", answer.text) if answer.text else ""
            console.print(f"[red]refused[/red] {answer.status_code}: {detail}")
            raise typer.Exit(1)
        position = int(answer.headers.get("x-mims-position", 0))
        with progress_bar() as bar, output.open("wb") as out:
            task = bar.add_task(f"exporting {name}", total=None)
            for chunk in answer.iter_bytes():
                out.write(chunk)
                bar.advance(task, len(chunk))
    return position


def _export_locally(name: str, params: dict[str, str], output: Path) -> int:
    from ledger.writer import Ledger
    from mims.settings import Settings
    from projections.engine.runner import ProjectionRunner
    from projections.engine.view import ReadModels
    from queries.exports.catalogue import ExportRefused, Selection, parse_instant
    from queries.exports.stream import open_export

    settings = Settings()
    ledger = Ledger(settings.store_env(), settings.writer_settings())
    models = ReadModels(settings.read_model_path)
    try:  # caught up first: the file may be behind the event store
        ProjectionRunner(ledger.app.recorder, models).catch_up()
        fmt = params.pop("format")
        selection = Selection(
            filters={k: v for k, v in params.items() if k not in {"asOf", "knownAt"}},
            as_of=parse_instant("asOf", params.get("asOf")),
            known_at=parse_instant("knownAt", params.get("knownAt")),
        )
        export = open_export(models, name, fmt, selection, None)
    except ExportRefused as e:
        models.close()
        ledger.close()
        console.print(f"[red]refused[/red] {e}")
        raise typer.Exit(1) from None
    try:
        with output.open("wb") as out:
            for chunk in export.chunks():
                out.write(chunk)
        return export.position
    finally:
        models.close()
        ledger.close()


def models() -> None:
    """List the models `mims export model` and `GET /v1/exports/{model}` export."""
    from queries.exports.catalogue import MODELS

    for found in MODELS.values():
        extras = " asOf," if found.as_of else ""
        filters = ", ".join(found.filters) or "none"
        console.print(f"[bold]{found.name}[/bold]: {found.description}")
        console.print(f"    filters:{extras} {filters}")


def lake(
    into: Annotated[Path, typer.Option("--into", help="The lake's folder (made if missing)")],
    settle_days: Annotated[
        int | None,
        typer.Option(
            "--settle-days",
            min=0,
            help="Snapshot a day once this many days have passed after it"
            " (default: MIMS_BACKDATING_WINDOW_DAYS)",
        ),
    ] = None,
    url: UrlOption = None,
    local: LocalOption = False,
) -> None:
    """Add the stock ledger's new movements and the newly closed days' stock snapshots to
    a Parquet lake partitioned by site and date (`site=…/date=…/part-….parquet`); a
    second run writes only what is new."""
    from mims.settings import Settings
    from queries.exports.lake import export_lake

    settings = Settings()
    settle = timedelta(days=settings.backdating_window_days if settle_days is None else settle_days)
    server = running_server(url, local)
    if server:
        run = export_lake(into, _server_fetch(server), settle=settle)
    else:
        run = _lake_locally(into, settle)
    if run.movements:
        console.print(
            f"{run.movements:,} movements added (positions {run.first_position}"
            f" to {run.last_position})"
        )
    else:
        console.print(f"no new movements (the lake is at position {run.last_position})")
    if run.days:
        console.print(
            f"{len(run.days)} daily snapshots added ({run.days[0]} to {run.days[-1]},"
            f" {run.snapshot_rows:,} rows)"
        )
    console.print(f"{len(run.files)} files written under {into}")


def _server_fetch(server: str) -> Callable[[str, dict[str, str], Path], None]:
    def fetch(name: str, filters: dict[str, str], file: Path) -> None:
        with httpx.stream(
            "GET", f"{server}/v1/exports/{name}", params={**filters, "format": "parquet"},
            headers=server_headers(), timeout=httpx.Timeout(60, read=600),
        ) as answer:  # fmt: skip
            if answer.status_code != 200:  # noqa: PLR2004
                answer.read()
                console.print(f"[red]refused[/red] {answer.status_code}: {answer.text}")
                raise typer.Exit(1)
            with file.open("wb") as out:
                for chunk in answer.iter_bytes():
                    out.write(chunk)

    return fetch


def _lake_locally(into: Path, settle: timedelta) -> LakeRun:
    from ledger.writer import Ledger
    from mims.settings import Settings
    from projections.engine.runner import ProjectionRunner
    from projections.engine.view import ReadModels
    from queries.exports.catalogue import Selection
    from queries.exports.lake import export_lake
    from queries.exports.stream import export_to, open_export

    settings = Settings()
    ledger = Ledger(settings.store_env(), settings.writer_settings())
    models = ReadModels(settings.read_model_path)
    try:
        ProjectionRunner(ledger.app.recorder, models).catch_up()

        def fetch(name: str, filters: dict[str, str], file: Path) -> None:
            with file.open("wb") as out:
                export_to(out, open_export(models, name, "parquet", Selection(filters), None))

        return export_lake(into, fetch, settle=settle)
    finally:
        models.close()
        ledger.close()
