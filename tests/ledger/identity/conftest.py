from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.identity.accounts import Account, account_id
from ledger.identity.commands import GrantInput, GrantRole, RegisterUser
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings

PASSWORD = "correct horse battery"  # noqa: S105 - a test person's


@pytest.fixture
def sqlite_ledger(tmp_path: Path) -> Iterator[Ledger]:
    """One store for the tests that hash passwords (argon2id: a good part of a second
    each); the behaviour on every store is in `test_accounts.py`."""
    led = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    yield led
    led.close()


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
