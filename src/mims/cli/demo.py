"""`mims demo load`: the demo plant."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="The demo plant.", no_args_is_help=True)


@app.command("load")
def load(
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
