"""People for the tests: a registered account with a known password and grants."""

from __future__ import annotations

from ledger.identity.accounts import Account, account_id
from ledger.identity.commands import GrantInput, GrantRole, IssueApiKey, RegisterUser
from ledger.writer import Ledger

PASSWORD = "correct horse battery"  # noqa: S105 - a test person's


def register(
    ledger: Ledger,
    user: str,
    *,
    password: str | None = PASSWORD,
    grants: tuple[tuple[str, str], ...] = (),
) -> Account:
    ledger.execute(RegisterUser(user_id=user, printed_name=user.title(), password=password))  # type: ignore[arg-type]
    for role, site in grants:
        ledger.execute(GrantRole(user_id=user, grant=GrantInput(role=role, site=site)))  # type: ignore[arg-type]
    account = ledger.find(Account, account_id(user))
    assert account is not None
    return account


def issue_key(
    ledger: Ledger,
    grants: tuple[tuple[str, str], ...],
    *,
    name: str = "test",
    on_behalf_of: str | None = None,
) -> str:
    """An API key with ``grants`` ((role, site) pairs), issued directly through the ledger;
    its text, for ``Authorization: Bearer``."""
    outcome = ledger.execute(
        IssueApiKey(
            name=name,
            grants=tuple(GrantInput(role=role, site=site) for role, site in grants),  # type: ignore[arg-type]
            on_behalf_of=on_behalf_of,
        ),
        actor="test-setup",
    )
    return outcome.data["key"]


def admin_key(ledger: Ledger) -> str:
    """An administrator's API key for every site."""
    return issue_key(ledger, (("administrator", "*"),), name="test administrator")


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def admin_headers(ledger: Ledger) -> dict[str, str]:
    return bearer(admin_key(ledger))


def admin_key_for(database_url: str) -> str:
    """An administrator's key issued into the event store at ``database_url`` (for a server
    in another process), through a ledger of its own, closed again."""
    from ledger.store import store_env

    ledger = Ledger(store_env(database_url))
    try:
        return admin_key(ledger)
    finally:
        ledger.close()
