"""The idempotency record of one command: the authority on what became of a command id.

Its stream id is derived from the client's command id, so two decisions of the same id
(a resend to another process, after a restart, or two at once) collide on the same
version of the same stream and only one of them is saved; the writer then answers with
the outcome recorded here. An accepted command's receipt is saved in the same
transaction as its events, and answers every resend forever. A refused command's
receipt records the refusal (its problem type, detail and facts), so a resend within the
idempotency window gets the same refusal from any process; after the window a resend is
decided again and its outcome appended to the same stream.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Self
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
        # The refusal's problem (None once accepted) and when it was decided.
        refusal: dict[str, Any] | None
        refused_at: datetime | None
        # Who first sent the command id (its first event's actor): a resend by anyone
        # else is refused without the answer (`ledger.errors.CommandIdTaken`).
        sender: str

    class Recorded(LedgerAggregate.Created):
        """The command was accepted and its events saved in the same transaction."""

        command_id: str
        command_type: str
        fingerprint: str
        events: tuple[EventRef, ...]
        data: dict[str, str]

        def apply(self, aggregate: CommandReceipt) -> None:
            _accept(aggregate, self)

    class Refused(LedgerAggregate.Created):
        """The command was refused by a rule of the ledger; nothing else was saved."""

        command_id: str
        command_type: str
        fingerprint: str
        refusal: dict[str, Any]
        refused_at: datetime

        def apply(self, aggregate: CommandReceipt) -> None:
            _refuse(aggregate, self)

    class AcceptedOnResend(LedgerAggregate.Event):
        """A resend after the refusal's idempotency window was decided again and accepted."""

        command_type: str
        fingerprint: str
        events: tuple[EventRef, ...]
        data: dict[str, str]

        def apply(self, aggregate: CommandReceipt) -> None:
            _accept(aggregate, self)

    class RefusedOnResend(LedgerAggregate.Event):
        """A resend after the refusal's idempotency window was decided again and refused."""

        command_type: str
        fingerprint: str
        refusal: dict[str, Any]
        refused_at: datetime

        def apply(self, aggregate: CommandReceipt) -> None:
            _refuse(aggregate, self)

    @property
    def accepted(self) -> bool:
        return self.refusal is None

    def refusal_stands(self, now: datetime, window: timedelta) -> bool:
        """A refusal is answered again to resends within the window, decided anew after."""
        return self.refused_at is not None and now - self.refused_at < window

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

    @classmethod
    def accepted_after(
        cls,
        earlier: CommandReceipt | None,
        *,
        id: UUID,  # noqa: A002
        meta: Meta,
        command_type: str,
        fingerprint: str,
        events: tuple[EventRef, ...],
        data: dict[str, str],
    ) -> CommandReceipt:
        """The receipt of an accepted command: new, or appended to an expired refusal's."""
        if earlier is None:
            return cls.record(
                id=id,
                meta=meta,
                command_type=command_type,
                fingerprint=fingerprint,
                events=events,
                data=data,
            )
        receipt = earlier.clone()
        receipt.trigger_event(
            cls.AcceptedOnResend,
            meta=meta,
            command_type=command_type,
            fingerprint=fingerprint,
            events=events,
            data=data,
        )
        return receipt

    @classmethod
    def refused_after(
        cls,
        earlier: CommandReceipt | None,
        *,
        id: UUID,  # noqa: A002
        meta: Meta,
        command_type: str,
        fingerprint: str,
        refusal: dict[str, Any],
        refused_at: datetime,
    ) -> CommandReceipt:
        """The receipt of a refused command: new, or appended to an expired refusal's."""
        if earlier is None:
            return cls._create(
                cls.Refused,
                id=id,
                meta=meta,
                command_id=meta.command_id,
                command_type=command_type,
                fingerprint=fingerprint,
                refusal=refusal,
                refused_at=refused_at,
            )
        receipt = earlier.clone()
        receipt.trigger_event(
            cls.RefusedOnResend,
            meta=meta,
            command_type=command_type,
            fingerprint=fingerprint,
            refusal=refusal,
            refused_at=refused_at,
        )
        return receipt


def _accept(
    aggregate: CommandReceipt,
    event: CommandReceipt.Recorded | CommandReceipt.AcceptedOnResend,
) -> None:
    if isinstance(event, CommandReceipt.Recorded):
        aggregate.command_id = event.command_id
        aggregate.sender = event.meta.actor
    aggregate.command_type = event.command_type
    aggregate.fingerprint = event.fingerprint
    aggregate.events = event.events
    aggregate.data = event.data
    aggregate.refusal = None
    aggregate.refused_at = None


def _refuse(
    aggregate: CommandReceipt,
    event: CommandReceipt.Refused | CommandReceipt.RefusedOnResend,
) -> None:
    if isinstance(event, CommandReceipt.Refused):
        aggregate.command_id = event.command_id
        aggregate.sender = event.meta.actor
    aggregate.command_type = event.command_type
    aggregate.fingerprint = event.fingerprint
    aggregate.events = ()
    aggregate.data = {}
    aggregate.refusal = event.refusal
    aggregate.refused_at = event.refused_at
