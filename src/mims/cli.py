"""The `mims` command line: serve, load the demo plant, plan, operate the read side."""

from __future__ import annotations

from importlib.metadata import version as package_version

import typer

from mims.plan_cli import app as plan_app

app = typer.Typer(
    help="MIMS: event-sourced inventory ledger for manufacturing plants.", no_args_is_help=True
)
app.add_typer(plan_app, name="plan")


@app.command()
def version() -> None:
    """Print the MIMS version."""
    print(package_version("mims"))


def main() -> None:
    app()
