"""Quality on the stock card: statuses, holds and what they keep held.

A standing hold (a lot, or the whole item, optionally at one location) covers everything
in its scope, stock arriving later included; a quantity hold covers the quantity it moved
into held status (its claim). Releasing a hold frees only what no other hold keeps held.
Stock goes back to use with a signature, out of quarantine after a passed inspection.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ledger.errors import (
    InvalidMasterData,
    StockNotAvailable,
)
from ledger.quality.aggregates import HeldPart, InspectionNotPassed, SignatureRequired, StockOnHold
from ledger.stock.base import AVAILABLE, HELD, CardBase
from ledger.stock.costing import Bucket, Draw
from ledger.values import (
    ZERO,
    Disposition,
    Meta,
    Signature,
    StockStatus,
)

if TYPE_CHECKING:
    from ledger.master_data.item import Item
    from ledger.stock.card import Place


@dataclass(frozen=True, kw_only=True)
class HoldOnCard:
    """An active hold as the stock card knows it. A standing hold (a lot, or the whole
    item, optionally at one location) covers everything in its scope, stock arriving later
    included; a quantity hold covers the quantity it moved into held status."""

    hold_id: str
    lot: str | None
    location: str | None
    standing: bool
    reason: str

    def covers(self, location: str, lot: str) -> bool:
        return (
            self.standing
            and (self.lot is None or self.lot == lot)
            and (self.location is None or self.location == location)
        )


class Holds(CardBase):
    """Statuses and holds of the stock card (a part of ``Stock``)."""

    def _unclaim(self, location: str, lot: str, quantity: Decimal, hold: str | None) -> None:
        """Held stock left the bucket: the named hold's claim gives way first, then the
        anonymous one, then the others (newest first), so claims never exceed what is held.
        """
        mine = [k for k in self.hold_claims if k[0] == location and k[1] == lot]
        first = [k for k in mine if hold and k[2] == hold]
        anonymous = [k for k in mine if not k[2]]
        others = [k for k in reversed(mine) if k not in first and k not in anonymous]
        left = quantity
        keys = first + anonymous + others
        for key in keys:
            if left <= 0:
                break
            take = min(left, self.hold_claims[key])
            if take == self.hold_claims[key]:
                del self.hold_claims[key]
            else:
                self.hold_claims[key] -= take
            left -= take

    def protected(self, location: str, lot: str, without: str | None = None) -> Decimal:
        """How much of the held stock in (location, lot) stays held if hold ``without``
        were gone: all of it under another standing hold, else what the other holds (and
        holds placed without an id) claim there."""
        held = self.quantity_in((location, lot, HELD))
        if any(h.covers(location, lot) for k, h in self.holds.items() if k != without):
            return held
        claimed = sum(
            (
                q
                for (where, lot_, key), q in self.hold_claims.items()
                if where == location and lot_ == lot and key != without
                and (not key or key in self.holds)
            ),
            ZERO,
        )  # fmt: skip
        return min(held, claimed)

    def holds_on(self, location: str, lot: str) -> list[dict[str, str]]:
        """The holds keeping stock of (location, lot) held, for a refusal to name."""
        named = {k[2] for k in self.hold_claims if k[0] == location and k[1] == lot and k[2]}
        return [
            {"hold_id": h.hold_id, "reason": h.reason}
            for h in self.holds.values()
            if h.hold_id in named or h.covers(location, lot)
        ]

    def unavailable(
        self, today: date, location: str | None = None, lot: str | None = None
    ) -> dict[str, object]:
        """What exists but cannot be used, by status, expired lots apart (and the holds
        behind held stock): the facts a refusal for lack of available stock gives."""
        by_status: dict[str, Decimal] = {}
        holds: dict[str, dict[str, str]] = {}
        for (where, lot_, status), quantity in self.balances.items():
            if (location and where != location) or (lot and lot_ != lot):
                continue
            if status is AVAILABLE:
                info = self.lots.get(lot_)
                if info is not None and info.expiry is not None and info.expiry < today:
                    by_status["expired"] = by_status.get("expired", ZERO) + quantity
                continue
            by_status[str(status)] = by_status.get(str(status), ZERO) + quantity
            if status is HELD:
                for h in self.holds_on(where, lot_):
                    holds[h["hold_id"]] = h
        facts: dict[str, object] = {k: str(v) for k, v in sorted(by_status.items())}
        if holds:
            facts["holds"] = sorted(holds.values(), key=lambda h: h["hold_id"])
        return facts

    def _move_status(
        self,
        meta: Meta,
        bucket: Bucket,
        quantity: Decimal,
        to_status: StockStatus,
        *,
        reason: str,
        hold_id: str | None = None,
        signature: Signature | None = None,
    ) -> None:
        drawn = self.draw(bucket, quantity)
        self.trigger_event(
            self.StatusChanged,
            meta=meta,
            location=bucket[0],
            lot=bucket[1],
            quantity=quantity,
            from_status=bucket[2],
            to_status=to_status,
            value=drawn.value,
            layers=drawn.layers,
            reason=reason,
            hold_id=hold_id,
            signature=signature,
        )

    def place_hold(
        self,
        *,
        meta: Meta,
        item: Item,
        key: str,
        place: Place | None,
        lot: str | None,
        quantity: Decimal | None,
        reason: str,
    ) -> tuple[HeldPart, ...]:
        """Take available stock in scope out of use. A quantity hold needs its location
        (and lot); a lot or item hold takes all available stock in scope now, and the
        stock card holds whatever arrives in scope later (receipts, output, releases).
        Promised stock is held too: quality comes before a promise, and the reservation
        shows the shortage."""
        if key in self.holds:
            raise InvalidMasterData(f"hold {key} is already on {self.sku}", field="hold_id")
        lot_key = self._check_lot(item, lot, quantity) if lot or quantity is not None else None
        if quantity is not None:
            self._check_quantity(item, quantity)
            if place is None:
                raise InvalidMasterData("a hold of a quantity names its location", field="location")
            bucket = (place.code, lot_key or "", AVAILABLE)
            self._check_has(bucket, quantity)
            moves = [(bucket, quantity)]
        else:
            moves = [
                (bucket, q)
                for bucket, q in sorted(self.balances.items())
                if bucket[2] is AVAILABLE and q > 0
                and (lot_key is None or bucket[1] == lot_key)
                and (place is None or bucket[0] == place.code)
            ]  # fmt: skip
        self.trigger_event(
            self.HoldApplied,
            meta=meta,
            hold_id=key,
            lot=lot_key,
            location=place.code if place else None,
            standing=quantity is None,
            reason=reason,
        )
        for bucket, q in moves:
            self._move_status(meta, bucket, q, HELD, reason=reason, hold_id=key)
        return tuple(HeldPart(location=b[0], lot=b[1], quantity=q) for b, q in moves)

    def release_hold(self, *, meta: Meta, key: str, signature: Signature) -> tuple[HeldPart, ...]:
        """Release what only this hold kept held; stock another hold covers stays held."""
        hold = self.holds.get(key)
        if hold is None:
            return ()
        pins = {(k[0], k[1]) for k in self.hold_claims if k[2] == key}
        pins |= {
            (where, lot) for (where, lot, status) in self.balances
            if status is HELD and hold.covers(where, lot)
        }  # fmt: skip
        released = []
        for location, lot in sorted(pins):
            held = self.quantity_in((location, lot, HELD))
            free = held - self.protected(location, lot, without=key)
            if not hold.standing:
                free = min(free, self.hold_claims.get((location, lot, key), ZERO))
            if free > 0:
                released.append(HeldPart(location=location, lot=lot, quantity=free))
                self._move_status(
                    meta, (location, lot, HELD), free, AVAILABLE,
                    reason=f"hold {key} released: {signature.reason}", hold_id=key,
                    signature=signature,
                )  # fmt: skip
        self.trigger_event(self.HoldLifted, meta=meta, hold_id=key)
        return tuple(released)

    def hold_arrivals(self, *, meta: Meta, location: str, lot: str) -> None:
        """Stock that just became available where a standing hold applies is held by it."""
        quantity = self.quantity_in((location, lot, AVAILABLE))
        hold = next((h for h in self.holds.values() if h.covers(location, lot)), None)
        if hold is not None and quantity > 0:
            self._move_status(
                meta,
                (location, lot, AVAILABLE),
                quantity,
                HELD,
                reason=hold.reason,
                hold_id=hold.hold_id,
            )

    def record_inspection(self, *, meta: Meta, key: str, lot: str, passed: bool) -> None:
        self.trigger_event(self.LotInspected, meta=meta, inspection_id=key, lot=lot, passed=passed)

    def change_status(
        self,
        *,
        meta: Meta,
        item: Item,
        place: Place,
        quantity: Decimal,
        lot: str | None,
        from_status: StockStatus,
        to_status: StockStatus,
        reason: str,
        signature: Signature | None = None,
    ) -> None:
        """Stock to use again needs a signature; out of quarantine, a passed inspection of
        an inspection-required item; out of held, only what no named hold keeps held
        (those are released with their hold). Rejecting is a quality decision, signed
        too (a failed inspection rejects by itself: `reject_failed`)."""
        self._check_quantity(item, quantity)
        lot_key = self._check_lot(item, lot, quantity)
        if from_status is to_status:
            raise StockNotAvailable(
                f"the stock is already {to_status}", field="to_status", stock_status=str(to_status)
            )
        bucket = (place.code, lot_key, from_status)
        self._check_has(bucket, quantity)
        if to_status in (AVAILABLE, StockStatus.REJECTED) and signature is None:
            decision = "releasing" if to_status is AVAILABLE else "rejecting"
            raise SignatureRequired(
                f"{decision} {from_status} stock of {self.sku} needs an electronic signature",
                field="signature",
            )
        if (
            from_status is StockStatus.QUARANTINE
            and to_status is AVAILABLE
            and item.inspection_required
            and not self.inspected.get(lot_key)
        ):
            raise InspectionNotPassed(
                f"{self.sku}" + (f" lot {lot_key}" if lot_key else "")
                + " has no passed inspection: it stays in quarantine",
                field="lot", sku=self.sku, lot=lot_key or None,
                inspected=lot_key in self.inspected,
            )  # fmt: skip
        if from_status is HELD and to_status is not StockStatus.REJECTED:
            free = self.quantity_in(bucket) - self.protected(place.code, lot_key, without="")
            if quantity > free:
                raise StockOnHold(
                    f"{self.sku} at {place.code}" + (f" lot {lot_key}" if lot_key else "")
                    + f": {quantity - free} is kept held by a hold; release the hold",
                    sku=self.sku, location=place.code, lot=lot_key or None,
                    holds=self.holds_on(place.code, lot_key),
                )  # fmt: skip
        if from_status is AVAILABLE:
            # Reservations may not be left uncovered by taking stock out of availability.
            self._check_unreserved(bucket, quantity, meta.effective_at.date())
        self._move_status(meta, bucket, quantity, to_status, reason=reason, signature=signature)
        if to_status is AVAILABLE:
            self.hold_arrivals(meta=meta, location=place.code, lot=lot_key)

    def use_as_is(
        self,
        *,
        meta: Meta,
        item: Item,
        place: Place,
        quantity: Decimal,
        lot: str | None,
        from_status: StockStatus,
        deviation: str,
        reason: str,
        signature: Signature,
    ) -> None:
        """Release rejected or quarantined stock to use under a signed deviation: the
        inspection rule gives way, a hold does not."""
        self._check_quantity(item, quantity)
        lot_key = self._check_lot(item, lot, quantity)
        bucket = (place.code, lot_key, from_status)
        self._check_has(bucket, quantity)
        self._move_status(
            meta, bucket, quantity, AVAILABLE, reason=use_as_is_reason(deviation, reason),
            signature=signature,
        )  # fmt: skip
        self.hold_arrivals(meta=meta, location=place.code, lot=lot_key)

    def expire(self, *, meta: Meta, today: date) -> list[HeldPart]:
        """Hold every available quantity of a lot past its expiry, with reason "expired"."""
        parts = []
        for (location, lot, status), quantity in sorted(self.balances.items()):
            info = self.lots.get(lot)
            expiry = info.expiry if info is not None else None
            if status is AVAILABLE and expiry is not None and expiry < today and quantity > 0:
                parts.append(HeldPart(location=location, lot=lot, quantity=quantity))
        for part in parts:
            self._move_status(
                meta, (part.location, part.lot, AVAILABLE), part.quantity, HELD, reason="expired"
            )
        return parts

    def reject_failed(
        self, *, meta: Meta, location: str, lot: str, quantity: Decimal, reason: str
    ) -> Decimal:
        """A failed inspection rejects what it inspected: quarantined stock first, then
        available stock (quality comes before any promise made on it)."""
        left = quantity
        for status in (StockStatus.QUARANTINE, AVAILABLE):
            take = min(left, self.quantity_in((location, lot, status)))
            if take > 0:
                self._move_status(
                    meta, (location, lot, status), take, StockStatus.REJECTED, reason=reason
                )
                left -= take
        return quantity - left

    def dispose(
        self,
        *,
        meta: Meta,
        item: Item,
        place: Place,
        lot: str | None,
        quantity: Decimal,
        status: StockStatus,
        disposition: Disposition,
        target: str,
        reason: str,
        signature: Signature | None = None,
    ) -> Draw:
        """Scrap, return or send to rework stock that quality rejected (or quarantined)."""
        self._check_quantity(item, quantity)
        lot_key = self._check_lot(item, lot, quantity)
        if status not in (StockStatus.REJECTED, StockStatus.QUARANTINE):
            raise StockNotAvailable(
                f"only rejected or quarantined stock is disposed of; {status} stock is"
                + (" issued" if status is AVAILABLE else " rejected first"),
                field="status", stock_status=str(status),
            )  # fmt: skip
        bucket = (place.code, lot_key, status)
        self._check_has(bucket, quantity)
        drawn = self.draw(bucket, quantity)
        self.trigger_event(
            self.Disposed, meta=meta, location=place.code, lot=lot_key, status=status,
            quantity=quantity, value=drawn.value, layers=drawn.layers, disposition=disposition,
            target=target, reason=reason, signature=signature,
        )  # fmt: skip
        return drawn


def use_as_is_reason(deviation: str, reason: str) -> str:
    """The reason a use-as-is move records (and its signature covers)."""
    return f"use as is, deviation {deviation}: {reason}"
