"""`mims relay`: every event to NATS JetStream, as a process of its own."""

from __future__ import annotations


def relay() -> None:
    """Relay every event to NATS JetStream (MIMS_NATS_URL), from where it left off, until
    stopped (Ctrl-C). `mims serve` does the same when MIMS_NATS_URL is set."""
    import asyncio
    import signal

    from ledger.writer import Ledger
    from mims.logs import configure_logging
    from mims.relay import Relay
    from mims.settings import Settings

    settings = Settings()
    configure_logging(settings.log_level, json=settings.log_json)
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
