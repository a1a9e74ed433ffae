"""`mims webhooks run`: the webhook dispatcher as a process of its own."""

from __future__ import annotations

import typer

app = typer.Typer(help="Webhooks: deliver to the subscribed receivers.", no_args_is_help=True)


@app.command("run")
def run() -> None:
    """Deliver webhooks until stopped (Ctrl-C). `mims serve` does the same; of several
    dispatchers on one store, one delivers and the others stand by."""
    import asyncio
    import signal

    from ledger.writer import Ledger
    from mims.settings import Settings
    from mims.webhooks import WebhookDispatcher

    settings = Settings()
    ledger = Ledger(settings.store_env(), settings.writer_settings())

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await WebhookDispatcher(ledger, settings.webhook_settings()).run(stop)

    try:
        asyncio.run(main())
    finally:
        ledger.close()
