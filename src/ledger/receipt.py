"""The idempotency record of one command, saved in the same transaction as its events.

Its stream id is derived from the client's command id, so a retried command collides on
version 1 of the same stream and the whole save fails atomically; the writer then answers
with the outcome recorded here instead of posting twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self
from uuid import UUID

from ledger.aggregate import LedgerAggregate
from ledger.values import EventRef, Meta


class CommandReceipt(LedgerAggregate):
    if TYPE_CHECKING:
        command_id: str
        command_type: str
        fingerprint: str
        events: tuple[EventRef, ...]
        data: dict[str, str]

    class Recorded(LedgerAggregate.Created):
        command_id: str
        command_type: str
        fingerprint: str
        events: tuple[EventRef, ...]
        data: dict[str, str]

        def apply(self, aggregate: CommandReceipt) -> None:
            aggregate.command_id = self.command_id
            aggregate.command_type = self.command_type
            aggregate.fingerprint = self.fingerprint
            aggregate.events = self.events
            aggregate.data = self.data

    @classmethod
    def record(
        cls,
        *,
        id: UUID,  # noqa: A002
        meta: Meta,
        command_type: str,
        fingerprint: str,
        events: tuple[EventRef, ...],
        data: dict[str, str],
    ) -> Self:
        return cls._create(
            cls.Recorded,
            id=id,
            meta=meta,
            command_id=meta.command_id,
            command_type=command_type,
            fingerprint=fingerprint,
            events=events,
            data=data,
        )
