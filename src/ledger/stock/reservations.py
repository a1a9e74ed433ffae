"""Reservations on the stock card: stock promised to demand, first to expire first.

A reservation is for the item as a whole or pinned to one (location, lot). Feasibility is
exactly: pinned reservations fit their bucket, and all reservations fit the available,
unexpired total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ledger.errors import (
    InsufficientStock,
    ReservationMismatch,
    UnknownReservation,
)
from ledger.stock.base import AVAILABLE, CardBase
from ledger.stock.costing import Bucket
from ledger.values import (
    ZERO,
    Meta,
)

if TYPE_CHECKING:
    from ledger.master_data.item import Item
    from ledger.stock.card import Place


@dataclass(frozen=True, kw_only=True)
class Reservation:
    """Stock promised to a demand; pinned to one (location, lot) or to the item as a whole."""

    reservation_id: str
    quantity: Decimal
    location: str | None
    lot: str | None
    reference: str

    @property
    def pin(self) -> tuple[str, str] | None:
        if self.location is None:
            return None
        return (self.location, self.lot or "")


class Reservations(CardBase):
    """Reservations of the stock card (a part of ``Stock``)."""

    def _consume_reservation(self, reservation_id: str, quantity: Decimal) -> None:
        reservation = self.reservations[reservation_id]
        used = min(quantity, reservation.quantity)
        self.reserved -= used
        if reservation.pin is not None:
            self.pinned[reservation.pin] -= used
            if not self.pinned[reservation.pin]:
                del self.pinned[reservation.pin]
        if used == reservation.quantity:
            del self.reservations[reservation_id]
        else:
            self.reservations[reservation_id] = Reservation(
                reservation_id=reservation.reservation_id,
                quantity=reservation.quantity - used,
                location=reservation.location,
                lot=reservation.lot,
                reference=reservation.reference,
            )

    def expired_available(self, today: date) -> Decimal:
        """Available quantity in lots past their expiry: it exists but cannot be promised."""
        total = ZERO
        for lot, quantity in self.lot_available.items():
            if quantity:
                expiry = self.lots[lot].expiry
                if expiry is not None and expiry < today:
                    total += quantity
        return total

    def free_to_promise(self, today: date) -> Decimal:
        """Available, unexpired stock not yet promised to any reservation."""
        return self.available - self.expired_available(today) - self.reserved

    def fefo(self, today: date, location: str | None = None) -> list[tuple[Bucket, Decimal]]:
        """Available, unexpired buckets (of one location, or all) with the quantity in each
        not pinned to a reservation: first to expire first, then first received."""
        found = []
        for bucket, quantity in self.balances.items():
            where, lot, status = bucket
            if status is not AVAILABLE or (location is not None and where != location):
                continue
            info = self.lots.get(lot)
            if info is not None and info.expiry is not None and info.expiry < today:
                continue
            free = quantity - self.pinned.get((where, lot), ZERO)
            if free > 0:
                found.append((bucket, free))

        def order(entry: tuple[Bucket, Decimal]) -> tuple[date, date, str, str]:
            info = self.lots.get(entry[0][1])
            expiry = info.expiry if info is not None and info.expiry is not None else date.max
            first = info.first_received if info is not None else date.min
            return (expiry, first, entry[0][1], entry[0][0])

        return sorted(found, key=order)

    def _check_unreserved(
        self,
        bucket: Bucket,
        quantity: Decimal,
        today: date,
        reservation: Reservation | None = None,
    ) -> None:
        """Taking ``quantity`` of available stock out of ``bucket`` leaves every reservation
        coverable: its pinned ones by the bucket, all of them by the unexpired remainder.
        """
        covered = min(quantity, reservation.quantity) if reservation else ZERO
        pin = (bucket[0], bucket[1])
        pinned_after = self.pinned.get(pin, ZERO) - (
            covered if reservation is not None and reservation.pin == pin else ZERO
        )
        if self.quantity_in(bucket) - quantity < pinned_after:
            raise InsufficientStock(
                f"{self.sku} at {bucket[0]}: {self.quantity_in(bucket) - pinned_after} free,"
                f" {quantity} requested ({pinned_after} reserved there)",
                sku=self.sku,
                location=bucket[0],
                lot=bucket[1] or None,
                requested=quantity,
                free=self.quantity_in(bucket) - pinned_after,
                reserved=pinned_after,
            )
        free_after = self.free_to_promise(today) - quantity + covered
        if free_after < 0:
            raise InsufficientStock(
                f"{self.sku}: {self.free_to_promise(today) + covered} free to promise,"
                f" {quantity} requested ({self.reserved - covered} reserved for others)",
                sku=self.sku,
                requested=quantity,
                free=self.free_to_promise(today) + covered,
                reserved=self.reserved - covered,
                expired=self.expired_available(today),
                unavailable=self.unavailable(today),
            )

    def reserve(
        self,
        *,
        meta: Meta,
        item: Item,
        reservation_id: str,
        quantity: Decimal,
        place: Place | None,
        lot: str | None,
        reference: str,
    ) -> None:
        self._check_quantity(item, quantity)
        today = meta.effective_at.date()
        lot_key = ""
        if lot:
            lot_key = self._check_lot(item, lot, quantity)
            self._check_not_expired(lot_key, today)
        if place is not None:
            self._check_place(place)
            lot_key = self._check_lot(item, lot, quantity)
            bucket = (place.code, lot_key, AVAILABLE)
            self._check_has(bucket, quantity)
            self._check_not_expired(lot_key, today)
            self._check_unreserved(bucket, quantity, today)
        elif lot:
            raise ReservationMismatch(
                "a reservation pinned to a lot also names its location", field="location"
            )
        else:
            free = self.free_to_promise(today)
            if free < quantity:
                raise InsufficientStock(
                    f"{self.sku}: {free} free to promise, {quantity} requested",
                    sku=self.sku,
                    requested=quantity,
                    free=free,
                    reserved=self.reserved,
                    expired=self.expired_available(today),
                    unavailable=self.unavailable(today),
                )
        self.trigger_event(
            self.Reserved,
            meta=meta,
            reservation_id=reservation_id,
            quantity=quantity,
            location=place.code if place else None,
            lot=lot_key or None,
            reference=reference,
        )

    def release_reservation(
        self, *, meta: Meta, reservation_id: str, quantity: Decimal | None, reason: str
    ) -> None:
        reservation = self.reservations.get(reservation_id)
        if reservation is None:
            raise UnknownReservation(
                f"{self.sku} has no open reservation {reservation_id}", field="reservation_id"
            )
        released = reservation.quantity if quantity is None else quantity
        if released > reservation.quantity:
            raise ReservationMismatch(
                f"reservation {reservation_id} holds {reservation.quantity}, not {released}",
                field="quantity",
            )
        self.trigger_event(
            self.ReservationReleased,
            meta=meta,
            reservation_id=reservation_id,
            quantity=released,
            reason=reason,
        )
