"""`mims schemas write|check`: the contracts checked in under schemas/."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="The contracts checked in under schemas/.", no_args_is_help=True)


@app.command("write")
def write(root: Path = typer.Option(Path("schemas"), help="Folder to write")) -> None:
    """Regenerate the OpenAPI document and the JSON Schemas of events and commands."""
    from mims.schemas import write_schemas

    for path in write_schemas(root):
        print(f"wrote {path}")


@app.command("check")
def check(root: Path = typer.Option(Path("schemas"), help="Folder to check")) -> None:
    """Exit 1 when a checked-in schema differs from the code."""
    from mims.schemas import stale_schemas

    stale = stale_schemas(root)
    for relative in stale:
        print(f"stale: {root / relative}")
    if stale:
        raise typer.Exit(1)
