"""Quality: holds with their own identity, inspections against the item's specification,
and the refusals of the quality rules.

A hold (``Hold``, one stream per hold id) is the quality engineer's record: what it
covers (a quantity at a location, a lot anywhere or at one location, or every lot of the
item), why, who placed it, and who released it with which signature. The stock moves it
causes are ``Stock.StatusChanged`` events carrying the hold id, on the item's stock card,
in the same save. Holds stack: stock covered by two holds stays held until both are
released.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Self
from uuid import UUID

from ledger.aggregate import LedgerAggregate
from ledger.errors import LedgerError, NotFound
from ledger.ids import derived_id
from ledger.values import Meta, Signature


class UnknownHold(NotFound):
    """No hold has this id."""

    type = "unknown-hold"
    title = "Unknown hold"


class HoldNotActive(LedgerError):
    """The hold was released already."""

    type = "hold-not-active"
    title = "The hold is not active"


class SignatureRequired(LedgerError):
    """Releasing stock to use needs an electronic signature of the person releasing."""

    type = "signature-required"
    title = "An electronic signature is required"
    kind = "invalid"


class StockOnHold(LedgerError):
    """Stock kept held by one or more holds: each is released on its own, with a
    signature."""

    type = "stock-on-hold"
    title = "Stock is on hold"


class InspectionNotPassed(LedgerError):
    """An inspection-required item may leave quarantine only after a passed inspection
    of its lot."""

    type = "inspection-not-passed"
    title = "No passed inspection"


class OutOfSpecification(LedgerError):
    """The inspection's results do not match the item's specification."""

    type = "specification-mismatch"
    title = "Results do not match the specification"
    kind = "invalid"


def hold_id(key: str) -> UUID:
    return derived_id("hold", key)


def inspection_id(key: str) -> UUID:
    return derived_id("inspection", key)


def recall_id(key: str) -> UUID:
    return derived_id("recall", key)


@dataclass(frozen=True, kw_only=True)
class HeldPart:
    """A quantity of one bucket that a hold moved into, or out of, held status."""

    location: str
    lot: str
    quantity: Decimal


@dataclass(frozen=True, kw_only=True)
class Result:
    """One characteristic as measured, against the specification's limits then."""

    characteristic: str
    value: Decimal
    lower: Decimal | None
    upper: Decimal | None
    passed: bool


class Hold(LedgerAggregate, stored_as="ledger.quality"):
    if TYPE_CHECKING:
        hold_id: str
        sku: str
        lot: str | None
        location: str | None
        quantity: Decimal | None
        reason: str
        placed_by: str
        active: bool
        held: tuple[HeldPart, ...]

    class Placed(LedgerAggregate.Created):
        hold_id: str
        sku: str
        lot: str | None
        location: str | None
        quantity: Decimal | None
        reason: str
        placed_by: str
        held: tuple[HeldPart, ...]

        def apply(self, aggregate: Hold) -> None:
            aggregate.hold_id = self.hold_id
            aggregate.sku = self.sku
            aggregate.lot = self.lot
            aggregate.location = self.location
            aggregate.quantity = self.quantity
            aggregate.reason = self.reason
            aggregate.placed_by = self.placed_by
            aggregate.active = True
            aggregate.held = self.held

    class Released(LedgerAggregate.Event):
        signature: Signature
        released: tuple[HeldPart, ...]

        def apply(self, aggregate: Hold) -> None:
            aggregate.active = False

    @property
    def standing(self) -> bool:
        """A hold on a lot or a whole item covers all of it, wherever and whenever."""
        return self.quantity is None

    @classmethod
    def place(
        cls,
        *,
        meta: Meta,
        key: str,
        sku: str,
        lot: str | None,
        location: str | None,
        quantity: Decimal | None,
        reason: str,
        held: tuple[HeldPart, ...],
    ) -> Self:
        return cls._create(
            cls.Placed,
            id=hold_id(key),
            meta=meta,
            hold_id=key,
            sku=sku,
            lot=lot,
            location=location,
            quantity=quantity,
            reason=reason,
            placed_by=meta.actor,
            held=held,
        )

    def release(self, *, meta: Meta, signature: Signature, released: tuple[HeldPart, ...]) -> None:
        if not self.active:
            raise HoldNotActive(f"hold {self.hold_id} was released already", hold_id=self.hold_id)
        self.trigger_event(self.Released, meta=meta, signature=signature, released=released)


@dataclass(frozen=True, kw_only=True)
class RecalledLot:
    """A lot a recall containment hold covers."""

    sku: str
    lot: str


class Recall(LedgerAggregate, stored_as="ledger.quality"):
    """A recall containment hold as the person who decided it signed it: the lots it
    holds (one ``Hold`` each, ``HOLD_ID-1``, ``HOLD_ID-2``..., in the same save), why,
    and the signature. The signature covers the hold id, the lots in sorted order and
    the reason (``ledger.quality.signing.recall_record``)."""

    if TYPE_CHECKING:
        hold_id: str
        recalled: tuple[RecalledLot, ...]
        reason: str
        signature: Signature

    class Held(LedgerAggregate.Created):
        hold_id: str
        recalled: tuple[RecalledLot, ...]
        reason: str
        signature: Signature

        def apply(self, aggregate: Recall) -> None:
            aggregate.hold_id = self.hold_id
            aggregate.recalled = self.recalled
            aggregate.reason = self.reason
            aggregate.signature = self.signature

    @classmethod
    def hold(
        cls,
        *,
        meta: Meta,
        key: str,
        lots: tuple[RecalledLot, ...],
        reason: str,
        signature: Signature,
    ) -> Self:
        return cls._create(
            cls.Held, id=recall_id(key), meta=meta, hold_id=key, recalled=lots, reason=reason,
            signature=signature,
        )  # fmt: skip


class Inspection(LedgerAggregate, stored_as="ledger.quality"):
    """One inspection of one lot (or of an untracked receipt) against the specification."""

    if TYPE_CHECKING:
        inspection_id: str
        sku: str
        lot: str
        passed: bool

    class Recorded(LedgerAggregate.Created):
        inspection_id: str
        sku: str
        lot: str
        location: str
        supplier: str | None
        reference: str
        results: tuple[Result, ...]
        passed: bool
        inspector: str
        quantity: Decimal

        def apply(self, aggregate: Inspection) -> None:
            aggregate.inspection_id = self.inspection_id
            aggregate.sku = self.sku
            aggregate.lot = self.lot
            aggregate.passed = self.passed

    @classmethod
    def record(
        cls,
        *,
        meta: Meta,
        key: str,
        sku: str,
        lot: str,
        location: str,
        supplier: str | None,
        reference: str,
        results: tuple[Result, ...],
        quantity: Decimal,
    ) -> Self:
        return cls._create(
            cls.Recorded,
            id=inspection_id(key),
            meta=meta,
            inspection_id=key,
            sku=sku,
            lot=lot,
            location=location,
            supplier=supplier,
            reference=reference,
            results=results,
            passed=all(r.passed for r in results),
            inspector=meta.actor,
            quantity=quantity,
        )
