"""The `mims` command line: serve, load the demo plant, plan, operate the read side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mims.cli_lazy import Lazy, lazy_group

# Only typer is imported at start: each command imports what it needs when it runs, and
# the groups below are imported only when one of their commands does (`mims --help`
# would otherwise load the ledger, FastAPI, DuckDB, polars and scipy: 9-15 s).
app = typer.Typer(
    help="MIMS: event-sourced inventory ledger for manufacturing plants.",
    no_args_is_help=True,
    cls=lazy_group(
        plan=Lazy(
            "mims.plan_cli", "app", "Planning models: JSON problem on stdin, JSON result on stdout."
        ),
        projections=Lazy(
            "mims.cli_ops", "projections_app", "The read models: status, rebuild, run."
        ),
        audit=Lazy("mims.cli_ops", "audit_app", "Audit the read models against the ledger."),
        quality=Lazy("mims.quality_ops", "quality_app", "Quality operations: the expiry job."),
        replay=Lazy(
            "mims.cli_ops",
            "replay",
            "Rebuild every read model as of an instant into a separate file, for an auditor.",
        ),
    ),
)
demo_app = typer.Typer(help="The demo plant.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
schemas_app = typer.Typer(help="The contracts checked in under schemas/.", no_args_is_help=True)
app.add_typer(schemas_app, name="schemas")


@app.command()
def version() -> None:
    """Print the MIMS version."""
    from importlib.metadata import version as package_version

    print(package_version("mims"))


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Default: MIMS_HOST or 127.0.0.1"),
    port: int | None = typer.Option(None, help="Default: MIMS_PORT or 8000"),
    workers: int | None = typer.Option(None, help="Worker processes (PostgreSQL only)"),
) -> None:
    """Serve the command API, GraphQL and the dashboards."""
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE

    from mims.logs import configure_logging
    from mims.settings import Settings

    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
    count = workers or settings.workers
    if count > 1 and not settings.uses_postgres:
        raise typer.BadParameter("several workers need MIMS_DATABASE_URL=postgresql://...")
    config = uvicorn.Config(
        "mims.asgi:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=count,
        log_level=settings.log_level,
        access_log=False,  # mims.access logs each request, with its correlation id
        log_config=None,  # uvicorn's lines go through structlog (mims.logs)
    )
    if count == 1:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            raise SystemExit(STARTUP_FAILURE)
        return
    import shutil

    from mims.metrics import prepare_multiprocess_dir
    from mims.workers import serve_workers

    # Set before any worker starts: each writes its samples there, a scrape sums them.
    samples = prepare_multiprocess_dir() if settings.metrics_enabled else None
    try:
        serve_workers(
            config,
            start_seconds=settings.worker_start_seconds,
            healthcheck_seconds=settings.worker_healthcheck_seconds,
        )
    finally:
        if samples is not None:
            shutil.rmtree(samples, ignore_errors=True)


@demo_app.command("load")
def demo_load(
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Only into an empty store")] = False,
) -> None:
    """Load the demo plant (once: a store that holds it is left alone)."""
    from ledger.writer import Ledger
    from mims.demo import load_demo
    from mims.settings import Settings

    settings = Settings()
    ledger = Ledger(settings.store_env(), settings.writer_settings())
    try:
        if if_empty and ledger.max_position() > 0:
            print("the event store is not empty: demo not loaded")
            return
        posted, already = load_demo(ledger)
    finally:
        ledger.close()
    if posted:
        print(f"demo plant loaded: {posted} commands posted")
    else:
        print(f"demo plant already loaded ({already} commands): nothing posted")


@app.command()
def load(
    url: Annotated[str | None, typer.Option(help="Server to load; default: in-process")] = None,
    clients: Annotated[int, typer.Option(help="Concurrent clients (scanners)")] = 32,
    duration: Annotated[float, typer.Option(help="Seconds of traffic")] = 10.0,
    items: Annotated[int, typer.Option(help="SKUs; a fifth of them take 80% of traffic")] = 1000,
    prefix: Annotated[str, typer.Option(help="Prefix of the load's SKUs and locations")] = "LD",
) -> None:
    """Drive shop-floor traffic (receipts, moves, issues, reservations) and summarise it."""
    from ledger.writer import Ledger
    from mims.load import print_result, run_http, run_in_process
    from mims.settings import Settings

    if url:
        result = run_http(url, prefix=prefix, items=items, clients=clients, duration=duration)
        print_result(result, f"{clients} HTTP clients against {url}")
        return
    settings = Settings()
    ledger = Ledger(settings.store_env(), settings.writer_settings())
    try:
        result = run_in_process(
            ledger, prefix=prefix, items=items, clients=clients, duration=duration
        )
    finally:
        ledger.close()
    print_result(result, f"{clients} in-process clients on {settings.database_url.split('@')[-1]}")


@schemas_app.command("write")
def schemas_write(root: Path = typer.Option(Path("schemas"), help="Folder to write")) -> None:
    """Regenerate the OpenAPI document and the JSON Schemas of events and commands."""
    from mims.schemas import write_schemas

    for path in write_schemas(root):
        print(f"wrote {path}")


@schemas_app.command("check")
def schemas_check(root: Path = typer.Option(Path("schemas"), help="Folder to check")) -> None:
    """Exit 1 when a checked-in schema differs from the code."""
    from mims.schemas import stale_schemas

    stale = stale_schemas(root)
    for relative in stale:
        print(f"stale: {root / relative}")
    if stale:
        raise typer.Exit(1)


def main() -> None:
    from mims.cli_errors import run_cli

    run_cli(app)


@app.command()
def relay() -> None:
    """Relay every event to NATS JetStream (MIMS_NATS_URL), from where it left off, until
    stopped (Ctrl-C). `mims serve` does the same when MIMS_NATS_URL is set."""
    import asyncio
    import signal

    from ledger.writer import Ledger
    from mims.relay import Relay
    from mims.settings import Settings

    settings = Settings()
    ledger = Ledger(settings.store_env(), settings.writer_settings())

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await Relay(ledger, settings.relay_settings()).run(stop)

    try:
        asyncio.run(main())
    finally:
        ledger.close()
