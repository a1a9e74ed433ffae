"""The `mims` command line: one module per command group under ``mims.cli``, each imported
only when one of its commands runs (`mims.cli.lazy`); every error is one line
(`mims.cli.errors`)."""

from __future__ import annotations

import typer

from mims.cli.lazy import Lazy, lazy_group

# Only typer is imported at start: each command imports what it needs when it runs, and
# its module is imported only when it does (`mims --help` would otherwise load the ledger,
# FastAPI, DuckDB, polars and scipy: 9-15 s). A group's module is named after it and its
# typer app is ``app``; a command's module holds the function named after it.
app = typer.Typer(
    help="MIMS: event-sourced inventory ledger for manufacturing plants.",
    no_args_is_help=True,
    cls=lazy_group(
        audit=Lazy(
            "mims.cli.audit",
            "app",
            "Audit the read models against the ledger, and the ledger against its hash chain.",
        ),
        demo=Lazy("mims.cli.demo", "app", "The demo plant."),
        events=Lazy("mims.cli.events", "app", "The events the relay published to NATS JetStream."),
        export=Lazy(
            "mims.cli.export",
            "app",
            "Exports: read models as CSV, XLSX or Parquet, the stock ledger as a Parquet lake,\n"
            "the ledger as EPCIS 2.0 for traceability partners.",
        ),
        **{
            "import": Lazy(
                "mims.cli.imports",
                "import_sheet",
                "Import a sheet into the ledger (CSV or XLSX: items, locations, opening balances,\n"
                "receipts), all rows or none.",
            )
        },
        keys=Lazy("mims.cli.keys", "app", "API keys for devices and integrations."),
        load=Lazy(
            "mims.cli.load",
            "load",
            "Drive shop-floor traffic (receipts, moves, issues, reservations) and summarise it.",
        ),
        plan=Lazy(
            "mims.cli.plan", "app", "Planning models: JSON problem on stdin, JSON result on stdout."
        ),
        projections=Lazy("mims.cli.projections", "app", "The read models: status, rebuild, run."),
        quality=Lazy("mims.cli.quality", "app", "Quality operations: the expiry job."),
        relay=Lazy(
            "mims.cli.relay",
            "relay",
            "Relay every event to NATS JetStream (MIMS_NATS_URL), from where it left off, until\n"
            "stopped (Ctrl-C). `mims serve` does the same when MIMS_NATS_URL is set.",
        ),
        replay=Lazy(
            "mims.cli.projections",
            "replay",
            "Rebuild every read model as of an instant into a separate file, for an auditor.",
        ),
        schemas=Lazy("mims.cli.schemas", "app", "The contracts checked in under schemas/."),
        users=Lazy("mims.cli.users", "app", "People's accounts: add, roles, passwords."),
        webhooks=Lazy("mims.cli.webhooks", "app", "Webhooks: deliver to the subscribed receivers."),
        serve=Lazy("mims.cli.serve", "serve", "Serve the command API, GraphQL and the dashboards."),
    ),
)


@app.callback()
def mims() -> None:
    # A callback keeps `mims` a group when only one command is defined here.
    pass


@app.command()
def version() -> None:
    """Print the MIMS version."""
    from importlib.metadata import version as package_version

    print(package_version("mims"))


def main() -> None:
    from mims.cli.errors import run_cli

    run_cli(app)
