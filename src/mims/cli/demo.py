"""`mims demo load`: the demo plant."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ledger.writer import Ledger

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
        else:
            posted, already = load_demo(ledger)
            if posted:
                print(f"demo plant loaded: {posted} commands posted")
            else:
                print(f"demo plant already loaded ({already} commands): nothing posted")
        if settings.environment == "development":
            people(ledger, f"http://{settings.host}:{settings.port}")
    finally:
        ledger.close()


def people(ledger: Ledger, base: str) -> None:
    """The demo people (development only), and how to log in as one."""
    from ledger.identity.roles import Role
    from mims.demo import DEMO_PASSWORD, demo_people, demo_user

    created, key = demo_people(ledger)
    if created:
        print(f"demo people created: {', '.join(created)}")
    print(
        f"log in at {base}/login as demo-storekeeper, demo-planner, demo-quality-approver,"
        f" demo-administrator... (one per role) with the password {DEMO_PASSWORD}"
    )
    print(
        f"a token for curl: curl -s -X POST {base}/auth/login -H 'Content-Type:"
        f' application/json\' -d \'{{"user": "{demo_user(Role.ADMINISTRATOR)}",'
        f' "password": "{DEMO_PASSWORD}"}}\'  (then -H \'Authorization: Bearer <token>\')'
    )
    if key:
        print(f"an API key of the demo administrator (shown once): {key}")
