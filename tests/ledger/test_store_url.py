"""A database URL's password never appears in an error (issue 13, point 18)."""

from __future__ import annotations

import pytest

from ledger.store import redacted, store_env


@pytest.mark.parametrize(
    "url",
    [
        "postgress://user:secret@host/db",
        "postgre://user:secret@host:5432/db?schema=mims",
        "mysql://user:secret@host/db",
        "user:secret@host/db",
    ],
)
def test_a_mistyped_scheme_is_named_and_the_password_is_not(url: str) -> None:
    with pytest.raises(ValueError, match="scheme") as raised:
        store_env(url)
    message = str(raised.value)
    assert "secret" not in message
    assert "postgresql://" in message  # says what to write instead


def test_redacted_hides_the_password_and_keeps_the_rest() -> None:
    assert redacted("postgresql://mims:s3cr%40t@db.plant:5432/ledger?schema=m") == (
        "postgresql://mims:***@db.plant:5432/ledger?schema=m"
    )
    assert redacted("postgresql://mims@db/ledger") == "postgresql://mims@db/ledger"
    assert redacted("sqlite:///var/mims.db") == "sqlite:///var/mims.db"
