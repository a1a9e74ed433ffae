"""People for the tests: a registered account with a known password and grants."""

from __future__ import annotations

from typing import Any

from ledger.identity.accounts import Account, account_id
from ledger.identity.commands import GrantInput, GrantRole, IssueApiKey, RegisterUser
from ledger.stock.commands import SignatureInput
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


def signature(
    reason: str = "cleared", *, password: str = PASSWORD, meaning: str = "approved"
) -> SignatureInput:
    """A signature as the signer gives it: what it means, why, and their password (or
    TOTP code) re-entered; the signer is whoever sends the command."""
    return SignatureInput(meaning=meaning, reason=reason, password=password)  # type: ignore[arg-type]


def signature_json(
    reason: str = "cleared", *, password: str = PASSWORD, meaning: str = "approved"
) -> dict[str, str]:
    """The same, as a request body carries it."""
    return {"meaning": meaning, "reason": reason, "password": password}


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


def admin_key(ledger: Ledger, name: str = "test administrator") -> str:
    """An administrator's API key for every site."""
    return issue_key(ledger, (("administrator", "*"),), name=name)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def admin_headers(ledger: Ledger) -> dict[str, str]:
    return bearer(admin_key(ledger))


def admin_key_for(database_url: str, name: str = "test administrator") -> str:
    """An administrator's key issued into the event store at ``database_url`` (for a server
    in another process), through a ledger of its own, closed again."""
    from ledger.store import store_env

    ledger = Ledger(store_env(database_url))
    try:
        return admin_key(ledger, name)
    finally:
        ledger.close()


def login(client: Any, user: str, password: str = PASSWORD) -> str:
    """Log ``user`` in through ``POST /auth/login`` (an httpx or Starlette test client);
    the session token, for ``Authorization: Bearer``."""
    answer = client.post("/auth/login", json={"user": user, "password": password})
    assert answer.status_code == 200, answer.text
    client.cookies.clear()  # the token is sent as a header: no cookie, no CSRF check
    token: str = answer.json()["token"]
    return token


def log_in(
    client: Any,
    ledger: Ledger,
    user: str = "tester",
    *,
    grants: tuple[tuple[str, str], ...] = (("administrator", "*"),),
) -> dict[str, str]:
    """Register ``user`` (once) with ``grants`` and log the client in as them: its requests
    carry the session token from then on, and the ledger records ``user`` as their actor.
    The headers are returned too, for other clients of the same server."""
    if ledger.find(Account, account_id(user)) is None:
        register(ledger, user, grants=grants)
    headers = bearer(login(client, user))
    client.headers.update(headers)
    return headers
