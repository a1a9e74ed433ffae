"""`mims load`: drive shop-floor traffic at a server, or in process, and summarise it."""

from __future__ import annotations

from typing import Annotated

import typer


def load(  # noqa: PLR0917 - typer's options
    url: Annotated[str | None, typer.Option(help="Server to load; default: in-process")] = None,
    clients: Annotated[int, typer.Option(help="Concurrent clients (scanners)")] = 32,
    duration: Annotated[float, typer.Option(help="Seconds of traffic")] = 10.0,
    items: Annotated[int, typer.Option(help="SKUs; a fifth of them take 80% of traffic")] = 1000,
    prefix: Annotated[str, typer.Option(help="Prefix of the load's SKUs and locations")] = "LD",
    key: Annotated[
        str | None,
        typer.Option(envvar="MIMS_API_KEY", help="API key for --url (mims keys issue)"),
    ] = None,
) -> None:
    """Drive shop-floor traffic (receipts, moves, issues, reservations) and summarise it."""
    from ledger.writer import Ledger
    from mims.load import print_result, run_http, run_in_process
    from mims.settings import Settings

    if url:
        if not key:
            raise typer.BadParameter("--url needs an API key: --key or MIMS_API_KEY")
        result = run_http(
            url, key=key, prefix=prefix, items=items, clients=clients, duration=duration
        )
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
