"""People for the tests: a registered account with a known password and grants."""

from __future__ import annotations

from ledger.identity.accounts import Account, account_id
from ledger.identity.commands import GrantInput, GrantRole, RegisterUser
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
