"""`mims plan KIND`: the planning models, JSON in and JSON out.

Each kind reads one JSON problem on stdin, validates it with the kind's pydantic model,
calls the pure planning function and prints the JSON result on stdout. Invalid input is
answered on stderr with the field and the reason, exit status 2, and nothing on stdout.
`mims plan schemas --write DIR` regenerates the JSON Schemas (`schemas/planning/`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError

from mims.cli.lazy import Lazy, lazy_group
from planning.errors import PlanningError
from planning.kinds import KINDS, Kind, json_schemas

# `mrp` (which also plans on the ledger) and `policies` open the ledger and the read
# models: their module is imported only when they run, so `mims plan eoq` starts fast.
app = typer.Typer(
    help="Planning models: JSON problem on stdin, JSON result on stdout.",
    cls=lazy_group(
        mrp=Lazy(
            "mims.cli.plan_from_ledger",
            "mrp",
            "Time-phased multi-level MRP: a JSON problem on stdin, or --from-ledger.",
        ),
        policies=Lazy(
            "mims.cli.plan_from_ledger",
            "policies",
            "Safety stock, reorder point and EOQ per item from the ledger's history.",
        ),
    ),
)

INVALID_INPUT = 2


def _fail(lines: list[str]) -> NoReturn:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(INVALID_INPUT)


def run_kind(name: str) -> None:
    """Solve the problem on stdin with kind ``name`` and print its result."""
    _run(KINDS[name])


def _run(kind: Kind) -> None:
    raw = sys.stdin.read()
    try:
        problem = kind.problem.model_validate_json(raw)
    except ValidationError as error:
        _fail(
            [f"invalid {kind.name} problem:"]
            + [
                f"  {'.'.join(str(part) for part in e['loc']) or '(document)'}: {e['msg']}"
                for e in error.errors()
            ]
        )
    try:
        result = kind.solve(problem)
    except PlanningError as error:
        _fail([f"invalid {kind.name} problem:", f"  {error.field}: {error.reason}"])
    sys.stdout.write(result.model_dump_json(by_alias=True, indent=2) + "\n")


def _register(kind: Kind) -> None:
    def command() -> None:
        _run(kind)

    command.__doc__ = f"{kind.summary} (schemas/planning/{kind.name}.input.json)"
    app.command(name=kind.name)(command)


for _kind in KINDS.values():
    if _kind.name != "mrp":  # `mrp` also plans on the ledger: a lazy command above
        _register(_kind)


@app.command("schemas")
def schemas(
    write: Annotated[
        Path | None, typer.Option("--write", help="directory to write the schemas to")
    ] = None,
) -> None:
    """Print (or write, one file per kind and direction) the JSON Schemas of every kind."""
    generated = json_schemas()
    if write is None:
        typer.echo(json.dumps(generated, indent=2, sort_keys=True))
        return
    write.mkdir(parents=True, exist_ok=True)
    for name, schema in generated.items():
        (write / name).write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    typer.echo(f"wrote {len(generated)} schemas to {write}", err=True)
