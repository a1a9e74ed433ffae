"""`mims users add|grant|revoke|deactivate|reactivate|passwd|unlock|list`: people's
accounts, decided by the ledger in this process (on MIMS_DATABASE_URL), recorded with
the actor ``cli:<login>`` (who has the database's address is trusted at a terminal)."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from mims.cli.common import console

if TYPE_CHECKING:
    from ledger.commands import Command
    from ledger.writer import Ledger, Outcome

app = typer.Typer(help="People's accounts: add, roles, passwords, deactivation.")

User = Annotated[str, typer.Argument(help="The user id (never reused)")]
Role = Annotated[str, typer.Argument(help="operator, storekeeper, quality_inspector, ...")]
Site = Annotated[str, typer.Argument(help="A site's code, or '*' (administrators, auditors)")]
Prefix = Annotated[
    str | None, typer.Option("--locations", help="Only locations whose code starts with this")
]
Reason = Annotated[str, typer.Option("--reason", help="Why (kept with the event)")]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input")
]
Expires = Annotated[
    datetime | None, typer.Option("--expires", help="When the password must be changed (UTC)")
]


@contextmanager
def ledger_here() -> Iterator[Ledger]:
    from ledger.writer import Ledger
    from mims.settings import Settings

    settings = Settings()
    ledger = Ledger(settings.store_env(), settings.writer_settings())
    try:
        yield ledger
    finally:
        ledger.close()


def actor() -> str:
    return f"cli:{getpass.getuser()}"


def execute(ledger: Ledger, command: Command) -> Outcome:
    """The command decided by the ledger; a refusal is one line and exit code 1."""
    from ledger.errors import LedgerError

    try:
        return ledger.execute(command, actor=actor())
    except LedgerError as e:
        console.print(f"[red]refused[/red]: {e.detail}")
        raise typer.Exit(1) from None


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    entered: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return entered


def _utc(moment: datetime | None) -> datetime | None:
    from datetime import UTC

    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@app.command("add")
def add(  # noqa: PLR0917 - a typer command: each option is a parameter
    user: User,
    name: Annotated[str, typer.Option("--name", help="The printed name (signatures)")],
    time_zone: Annotated[str, typer.Option("--time-zone")] = "UTC",
    password: Annotated[bool, typer.Option("--password/--no-password")] = True,
    password_stdin: PasswordStdin = False,
    expires: Expires = None,
) -> None:
    """Register a person, with a password (asked twice, or read from stdin)."""
    from pydantic import SecretStr

    from ledger.identity.commands import RegisterUser

    secret = SecretStr(read_password(password_stdin)) if password or password_stdin else None
    command = RegisterUser(
        user_id=user,
        printed_name=name,
        time_zone=time_zone,
        password=secret,
        password_expires_at=_utc(expires),
    )
    with ledger_here() as ledger:
        outcome = execute(ledger, command)
    console.print(f"registered {outcome.data['user_id']}")


@app.command("passwd")
def passwd(user: User, password_stdin: PasswordStdin = False, expires: Expires = None) -> None:
    """Set a person's password."""
    from pydantic import SecretStr

    from ledger.identity.commands import SetPassword

    secret = SecretStr(read_password(password_stdin))
    with ledger_here() as ledger:
        execute(ledger, SetPassword(user_id=user, password=secret, expires_at=_utc(expires)))
    console.print(f"password of {user} set")


def _grant(role: str, site: str, prefix: str | None):  # type: ignore[no-untyped-def]  # noqa: ANN202
    from ledger.identity.commands import GrantInput

    return GrantInput.model_validate({"role": role, "site": site, "location_prefix": prefix})


@app.command("grant")
def grant(user: User, role: Role, site: Site, locations: Prefix = None) -> None:
    """Grant a role for a site (and optionally a location subtree)."""
    from ledger.identity.commands import GrantRole

    with ledger_here() as ledger:
        execute(ledger, GrantRole(user_id=user, grant=_grant(role, site, locations)))
    console.print(f"{user} is {role} at {site}" + (f" under {locations}" if locations else ""))


@app.command("revoke")
def revoke(user: User, role: Role, site: Site, locations: Prefix = None) -> None:
    """Revoke a role's grant."""
    from ledger.identity.commands import RevokeRole

    with ledger_here() as ledger:
        execute(ledger, RevokeRole(user_id=user, grant=_grant(role, site, locations)))
    console.print(f"{user} is no longer {role} at {site}")


@app.command("deactivate")
def deactivate(user: User, reason: Reason) -> None:
    """Deactivate a person: refused everywhere within a second; the id is never reused."""
    from ledger.identity.commands import DeactivateUser

    with ledger_here() as ledger:
        execute(ledger, DeactivateUser(user_id=user, reason=reason))
    console.print(f"{user} deactivated")


@app.command("reactivate")
def reactivate(user: User, reason: Reason) -> None:
    """Reactivate a person."""
    from ledger.identity.commands import ReactivateUser

    with ledger_here() as ledger:
        execute(ledger, ReactivateUser(user_id=user, reason=reason))
    console.print(f"{user} reactivated")


@app.command("unlock")
def unlock(user: User, reason: Reason) -> None:
    """Unlock a person locked by wrong signature passwords."""
    from ledger.identity.commands import UnlockUser

    with ledger_here() as ledger:
        execute(ledger, UnlockUser(user_id=user, reason=reason))
    console.print(f"{user} unlocked")


@app.command("list")
def list_users() -> None:
    """Every account: state and grants (no secrets)."""
    from mims.identity import accounts

    table = Table(title="people")
    table.add_column("user", no_wrap=True)
    for column in ("name", "state", "grants", "password"):
        table.add_column(column)
    with ledger_here() as ledger:
        for account in accounts(ledger):
            state = "locked" if account.locked else "active" if account.active else "deactivated"
            grants = ", ".join(
                f"{g.role}@{g.site}" + (f"/{g.location_prefix}" if g.location_prefix else "")
                for g in account.grants
            )
            expires = account.password_expires_at
            password = (
                "none"
                if account.password_hash is None
                else f"expires {expires:%Y-%m-%d}"
                if expires
                else "set"
            )
            table.add_row(account.user_id, account.printed_name, state, grants, password)
    console.print(table)
