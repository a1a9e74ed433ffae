"""`mims import KIND FILE`: validate a sheet, report every bad row, post it all or nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def import_sheet(
    kind: Annotated[str, typer.Argument(help="items, locations, opening-balances or receipts")],
    file: Annotated[Path, typer.Argument(help="A CSV (, or ; separated) or XLSX sheet")],
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Post the good rows even if some are bad")
    ] = False,
    errors_out: Annotated[
        Path | None,
        typer.Option(help="Write a copy of the sheet with an errors column here"),
    ] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the whole result as JSON")
    ] = False,
) -> None:
    """Import a sheet into the ledger: every row is checked first, and nothing is posted
    while any row is bad (unless --skip-invalid). Running it again posts nothing twice."""
    from ledger.writer import Ledger
    from mims.cli.common import console, progress_bar
    from mims.imports.importer import kind_named, post, validate
    from mims.imports.tables import write_with_errors
    from mims.settings import Settings

    chosen = kind_named(kind)
    content = file.read_bytes()
    settings = Settings()
    ledger = Ledger(settings.store_env(), settings.writer_settings())
    try:
        with progress_bar() as bar:
            tasks: dict[str, object] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done)  # type: ignore[arg-type]

            validated = validate(ledger, chosen, file.name, content, progress)
            result = post(ledger, validated, skip_invalid=skip_invalid, progress=progress)
    finally:
        ledger.close()
    if errors_out is not None and result.errors:
        write_with_errors(validated.table, _by_row(result.errors), errors_out)
    if json_out:
        print(json.dumps(result.as_json(), indent=2))
    else:
        for p in result.errors[:50]:
            console.print(
                f"row {p.row} {p.column or '-'} [{p.type}] {p.message} ({p.value!r})",
                markup=False,
                highlight=False,
            )
        if len(result.errors) > 50:  # noqa: PLR2004
            console.print(f"... and {len(result.errors) - 50} more (--json or --errors-out)")
        console.print(
            f"{result.rows} rows: {result.posted} posted, {result.duplicates} already posted,"
            f" {len(validated.bad_rows)} bad"
            + (f", {result.skipped} skipped" if result.skipped else "")
        )
    if result.errors and not skip_invalid:
        console.print("nothing posted: fix the rows above, or --skip-invalid")
        raise typer.Exit(1)
    if result.errors:
        raise typer.Exit(1 if result.posted + result.duplicates == 0 else 0)


def _by_row(problems: list) -> dict[int, str]:  # type: ignore[type-arg]
    by_row: dict[int, list[str]] = {}
    for p in problems:
        by_row.setdefault(p.row, []).append(f"{p.column or '-'}: {p.message}")
    return {row: "; ".join(m) for row, m in by_row.items()}
