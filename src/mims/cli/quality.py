"""`mims quality expire`: hold every available lot past its expiry now (the job that
`mims serve` runs on its own every MIMS_EXPIRY_INTERVAL_MINUTES)."""

from __future__ import annotations

from typing import Any

import httpx
import typer
from rich.table import Table

from mims.cli.common import LocalOption, UrlOption, console, running_server, server_headers

app = typer.Typer(help="Quality operations: the expiry job.", no_args_is_help=True)


def _table(done: list[dict[str, Any]]) -> Table:
    table = Table(title="lots past expiry, now held")
    for column in ("sku", "lots", "held"):
        table.add_column(column, justify="left" if column == "sku" else "right")
    for row in done:
        table.add_row(row["sku"], row["lots"], row["held"])
    return table


@app.command("expire")
def expire(url: UrlOption = None, local: LocalOption = False) -> None:
    """Hold every available lot past its expiry, with the reason "expired"."""
    base = running_server(url, local)
    if base is not None:
        answer = httpx.post(f"{base}/admin/quality/expire", headers=server_headers(), timeout=300)
        answer.raise_for_status()
        done = answer.json()["expired"]
    else:
        from ledger.writer import Ledger
        from mims.jobs import expire_due
        from mims.settings import Settings
        from projections.engine.runner import ProjectionRunner
        from projections.engine.view import ReadModels

        settings = Settings()
        ledger = Ledger(settings.store_env(), settings.writer_settings())
        models = ReadModels(settings.read_model_path)
        try:
            runner = ProjectionRunner(ledger.app.recorder, models)
            runner.catch_up()
            done = expire_due(ledger, models)
        finally:
            models.close()
            ledger.close()
    console.print(_table(done) if done else "no available stock past its expiry")
