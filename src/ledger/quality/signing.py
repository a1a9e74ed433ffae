"""Signing a quality decision, and re-verifying the signatures the ledger holds.

A release of a hold, a status change to available, every disposition (scrap, return to
supplier, rework, use as is), a recall containment hold and an adjustment (the
correction of a recorded balance) are signed (21 CFR Part 11). The password or TOTP
code was checked where the request was received (`ledger.writer.Ledger` runs
`check_secret` off the writer); here, in the handler, the
signature is given on the account as the writer holds it (`sign`): a wrong password is
counted on the account even though the command is refused (``keep_on_refusal``), and the
fifth locks it, a security event logged as an alert.

What a signature covers (its ``record_hash``) is built by the functions below from what
the signed events themselves hold, so `verify_signatures` can rebuild each record from
the store: a signature copied onto another record, or a record changed after it was
signed, no longer verifies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import structlog

from ledger.identity.accounts import Account, account_id
from ledger.identity.principals import Principal, PrincipalKind
from ledger.identity.signatures import (
    SignatureNotGiven,
    SignedRecord,
    check_separation,
    sign,
    verify,
)
from ledger.quality.aggregates import Hold, Recall, RecalledLot, SignatureRequired, hold_id
from ledger.stock.commands import Signed
from ledger.unit_of_work import UnitOfWork
from ledger.values import Disposition, Meta, Signature, StockStatus

log = structlog.get_logger("mims.ledger.signatures")


def hold_record(hold: Hold) -> SignedRecord:
    """A hold as it stood when its release was signed: what it holds, why, who placed it."""
    return SignedRecord(
        kind="hold",
        id=hold.hold_id,
        version=hold.version,
        content={
            "sku": hold.sku,
            "lot": hold.lot,
            "location": hold.location,
            "quantity": hold.quantity,
            "reason": hold.reason,
            "placed_by": hold.placed_by,
            "held": [
                {"location": p.location, "lot": p.lot, "quantity": p.quantity} for p in hold.held
            ],
        },
    )


def status_record(
    *,
    card: UUID,
    version: int,
    location: str,
    lot: str,
    quantity: Decimal,
    from_status: StockStatus,
    to_status: StockStatus,
    reason: str,
) -> SignedRecord:
    """A move of stock between statuses (to available, a use as is) on the item's stock
    card at ``version`` (the card before the move), with the move's own quantity."""
    return SignedRecord(
        kind="stock-status",
        id=str(card),
        version=version,
        content={
            "location": location,
            "lot": lot,
            "quantity": quantity,
            "from_status": str(from_status),
            "to_status": str(to_status),
            "reason": reason,
        },
    )


def disposition_record(
    *,
    card: UUID,
    version: int,
    location: str,
    lot: str,
    status: StockStatus,
    quantity: Decimal,
    disposition: Disposition,
    target: str,
    reason: str,
) -> SignedRecord:
    """Stock disposed of (scrapped, returned to its supplier, sent to rework) on the
    item's stock card at ``version`` (before it left), with the disposition's own fact
    (``target``: "scrap", the supplier or the rework work order). A use as is is a move
    to available: `status_record`."""
    return SignedRecord(
        kind="disposition",
        id=str(card),
        version=version,
        content={
            "location": location,
            "lot": lot,
            "status": str(status),
            "quantity": quantity,
            "disposition": str(disposition),
            "target": target,
            "reason": reason,
        },
    )


def adjustment_record(
    *,
    card: UUID,
    version: int,
    location: str,
    lot: str,
    status: StockStatus,
    quantity_delta: Decimal,
    reason_code: str,
    note: str,
) -> SignedRecord:
    """A recorded balance corrected on the item's stock card at ``version`` (before the
    correction), by ``quantity_delta``, with its reason code and note."""
    return SignedRecord(
        kind="adjustment",
        id=str(card),
        version=version,
        content={
            "location": location,
            "lot": lot,
            "status": str(status),
            "quantity_delta": quantity_delta,
            "reason_code": reason_code,
            "note": note,
        },
    )


def recall_record(*, hold_id: str, lots: Iterable[RecalledLot], reason: str) -> SignedRecord:
    """A recall containment hold: its id, the lots it holds (sorted) and why."""
    return SignedRecord(
        kind="recall-hold",
        id=hold_id,
        version=0,
        content={
            "lots": [{"sku": x.sku, "lot": x.lot} for x in sorted(lots, key=_lot_order)],
            "reason": reason,
        },
    )


def _lot_order(lot: RecalledLot) -> tuple[str, str]:
    return (lot.sku, lot.lot)


def _signer(uow: UnitOfWork) -> Principal:
    """Who signs: the authenticated principal; a trusted caller in-process (a terminal, a
    test) signs as the actor it names, with that person's password all the same."""
    principal = uow.envelope.principal
    if principal is not None:
        return principal
    actor = uow.envelope.actor
    return Principal(kind=PrincipalKind.PERSON, id=actor, printed_name=actor, grants=())


def signed(
    uow: UnitOfWork,
    cmd: Signed,
    *,
    meta: Meta,
    record: SignedRecord,
    took_part: Iterable[str] = (),
    independent: bool = False,
) -> Signature:
    """The signature ``cmd`` carries, given by the authenticated person on ``record``, or
    `SignatureNotGiven` (`SignatureRequired` when none is sent) / `SeparationOfDuties`.

    ``took_part``: who recorded what is approved (placed the hold, recorded the
    inspection); they may not sign its release where the plant separates duties
    (``Envelope.separation_of_duties``) or the item asks for an independent release."""
    given = cmd.given_signature()
    if given is None:
        raise SignatureRequired("this needs an electronic signature", field="signature")
    principal = _signer(uow)
    if principal.kind is not PrincipalKind.PERSON:
        raise SignatureNotGiven(
            f"{principal.actor} is not a person: only a person signs, with their password",
            field="signature",
            actor=principal.actor,
        )
    check = cmd.secret_check
    if check is None:
        # `Ledger.submit` checks every signature's password first; checking it here
        # would stall the writer (argon2id).
        msg = f"{cmd.command_name} reached the writer without its signature checked"
        raise RuntimeError(msg)
    account = uow.find(Account, account_id(principal.id))
    if account is None:
        raise SignatureNotGiven(
            f"{principal.actor} has no account to sign with",
            field="signature",
            actor=principal.actor,
        )
    uow.keep_on_refusal(account)  # a wrong password is counted although the command is refused
    was_locked = account.locked
    try:
        signature = sign(
            principal, account, check, meaning=given.meaning, reason=given.reason,
            record=record, now=datetime.now(UTC), meta=meta,
        )  # fmt: skip
    finally:
        if account.locked and not was_locked:
            # A security event: five wrong signature passwords (21 CFR 11.300(d)).
            log.warning(
                "account locked after wrong signature passwords",
                alert="security",
                user=account.user_id,
                attempts=account.failed_signatures,
                command=cmd.command_name,
            )
    check_separation(
        signature.signer, took_part, enforced=independent or uow.envelope.separation_of_duties
    )
    return signature


# --- re-verifying ---------------------------------------------------------------------------


@dataclass
class SignatureAudit:
    """`verify_signatures`' findings: how many signatures were checked, which failed
    (position and why), and how many predate bound signatures (no ``record_hash``)."""

    checked: int = 0
    unbound: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)

    @property
    def wrong(self) -> int:
        return len(self.failures)


def _record_of(event: Any, hold_at: Callable[[UUID], SignedRecord | None]) -> SignedRecord | None:
    from ledger.stock.card import Stock

    if isinstance(event, Recall.Held):
        return recall_record(hold_id=event.hold_id, lots=event.recalled, reason=event.reason)
    if isinstance(event, Stock.Disposed):
        return disposition_record(
            card=UUID(str(event.originator_id)), version=event.originator_version - 1,
            location=event.location, lot=event.lot, status=event.status,
            quantity=event.quantity, disposition=event.disposition, target=event.target,
            reason=event.reason,
        )  # fmt: skip
    if isinstance(event, Stock.Adjusted):
        return adjustment_record(
            card=UUID(str(event.originator_id)), version=event.originator_version - 1,
            location=event.location, lot=event.lot, status=event.status,
            quantity_delta=event.quantity_delta, reason_code=event.reason_code,
            note=event.note,
        )  # fmt: skip
    if isinstance(event, Hold.Released):
        return hold_at(UUID(str(event.originator_id)))
    hold_key = getattr(event, "hold_id", None)
    if hold_key:
        return hold_at(hold_id(hold_key))
    return status_record(
        card=UUID(str(event.originator_id)),
        version=event.originator_version - 1,
        location=event.location,
        lot=event.lot,
        quantity=event.quantity,
        from_status=event.from_status,
        to_status=event.to_status,
        reason=event.reason,
    )


def verify_signatures(
    events: Iterable[tuple[int, Any]],
    load: Callable[[UUID, int | None], Any],
) -> SignatureAudit:
    """Re-verify every signature in ``events`` (position, domain event) against the record
    it signs, rebuilt from the store (``load(id, version)``: an aggregate at a version,
    or its latest with None). A signature copied onto another record, or a record that
    changed after it was signed, fails, named by its position."""
    audit = SignatureAudit()
    holds: dict[UUID, SignedRecord | None] = {}

    def hold_at(stream: UUID) -> SignedRecord | None:
        if stream not in holds:
            latest = load(stream, None)
            signed_at = None
            if isinstance(latest, Hold) and not latest.active:
                signed_at = load(stream, latest.version - 1)
            holds[stream] = hold_record(signed_at) if isinstance(signed_at, Hold) else None
        return holds[stream]

    for position, event in events:
        signature = getattr(event, "signature", None)
        if not isinstance(signature, Signature):
            continue
        if not signature.record_hash:
            audit.unbound += 1
            continue
        audit.checked += 1
        record = _record_of(event, hold_at)
        if record is None:
            audit.failures.append((position, "the record it signs is not in the ledger"))
        elif not verify(signature, record):
            audit.failures.append(
                (position, f"does not verify on {record.kind} {record.id} version {record.version}")
            )
    return audit


def signed_events(app: Any, page: int = 5_000) -> Iterator[tuple[int, Any]]:
    """Every stored event that can hold a signature, with its position."""
    from eventsourcing.utils import get_topic

    from ledger.stock.card import Stock

    topics = [
        get_topic(Stock.StatusChanged),
        get_topic(Hold.Released),
        get_topic(Stock.Disposed),
        get_topic(Stock.Adjusted),
        get_topic(Recall.Held),
    ]
    start = 1
    while True:
        found = app.recorder.select_notifications(start=start, limit=page, topics=topics)
        if not found:
            return
        for notification in found:
            yield notification.id, app.mapper.to_domain_event(notification)
        start = found[-1].id + 1
