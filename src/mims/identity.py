"""Identity as the composition root sees it: the ledger's accounts and keys listed for
the CLI (there is no read model of them: they are few, and their events must not reach
the read side, which relays and exports follow)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar
from uuid import UUID

from eventsourcing.utils import get_topic

from ledger.aggregate import LedgerAggregate
from ledger.identity.accounts import Account
from ledger.identity.api_keys import ApiKey
from ledger.writer import Ledger

A = TypeVar("A", bound=LedgerAggregate)
_PAGE = 1000


def _each(ledger: Ledger, cls: type[A], created: type[LedgerAggregate.Event]) -> Iterator[A]:
    """Every ``cls`` aggregate, in the order they were created, as stored now."""
    topic = get_topic(created)
    start: int | None = 1
    while True:
        page = ledger.app.recorder.select_notifications(start, _PAGE, topics=[topic])
        for notification in page:
            found = ledger.find(cls, UUID(str(notification.originator_id)))
            if found is not None:
                yield found
        if len(page) < _PAGE:
            return
        start = page[-1].id + 1


def accounts(ledger: Ledger) -> Iterator[Account]:
    return _each(ledger, Account, Account.Registered)


def api_keys(ledger: Ledger) -> Iterator[ApiKey]:
    return _each(ledger, ApiKey, ApiKey.Issued)
