from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings


@pytest.fixture
def sqlite_ledger(tmp_path: Path) -> Iterator[Ledger]:
    """One store for the tests that hash passwords (argon2id: a good part of a second
    each); the behaviour on every store is in `test_accounts.py`."""
    led = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    yield led
    led.close()
