"""`mims audit verify`: recompute every balance from the ledger and compare it with the
read models (asks a running server, or opens the files)."""

from __future__ import annotations

import httpx
import typer

from mims.cli.common import LocalOption, UrlOption, console, running_server

app = typer.Typer(help="Audit the read models against the ledger.", no_args_is_help=True)


@app.command("verify")
def verify(url: UrlOption = None, local: LocalOption = False) -> None:
    """Recompute every balance from the ledger and compare with the read models; exit 1
    and list each difference (item, location, lot) if any."""
    server = running_server(url, local)
    if server:
        answer = httpx.post(f"{server}/admin/audit/verify", timeout=600).json()
        texts = [d["text"] for d in answer["differences"]]
        stopped = answer.get("stopped", [])
    else:
        texts, stopped = _verify_locally()
    for text in stopped:  # the cause of differences, named first
        console.print(f"[red]stopped[/red] {text}")
    for text in texts:
        console.print(f"[red]difference[/red] {text}")
    if stopped and not texts:
        raise typer.Exit(1)
    if texts:
        console.print(f"{len(texts)} differences between the ledger and the read models")
        raise typer.Exit(1)
    console.print("the read models agree with the ledger")


def _verify_locally() -> tuple[list[str], list[str]]:
    from ledger.writer import Ledger
    from mims.audit import verify as verify_balances
    from mims.settings import Settings
    from projections.engine.runner import ProjectionRunner
    from projections.engine.view import ReadModels

    settings = Settings()
    ledger = Ledger(settings.store_env(), settings.writer_settings())
    models = ReadModels(settings.read_model_path)
    try:
        runner = ProjectionRunner(ledger.app.recorder, models)
        found = verify_balances(ledger, models, runner)
        return [str(d) for d in found], [str(s) for s in runner.stopped()]
    finally:
        models.close()
        ledger.close()
