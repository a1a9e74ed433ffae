"""The stock card: one stream per item holding every stock-changing event of that item.

State is kept per *bucket* = (location, lot, status); ``lot`` is "" for untracked items and
the serial number for serial-tracked ones. Costs are fixed in the events:

* FIFO keeps cost layers per bucket; issues, moves and status changes draw the bucket's
  oldest layers (lowest receipt sequence) and carry the draws, so the value of every
  bucket is exact and a move carries its own cost (FIFO by storage location).
* Moving average keeps the item's total value; an issue takes ``value * q / on_hand``,
  rounded to ``VALUE_QUANTUM``, and the last unit out takes whatever value is left, so the
  valuation never drifts.
* Standard cost values everything at standard; a receipt records its purchase price
  variance, a standard-cost change records a revaluation.

Every method decides first (all checks, all draws computed) and only then triggers one
event; the event's ``apply`` only assigns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Self
from uuid import UUID

from ledger.aggregate import LedgerAggregate
from ledger.errors import (
    InsufficientStock,
    InvalidMasterData,
    LocationBlocked,
    LocationNotStockable,
    LotExpired,
    LotRuleViolated,
    OutOfRange,
    PrecisionExceeded,
    ReservationMismatch,
    StockNotAvailable,
    UnknownLot,
    UnknownReservation,
)
from ledger.quality.aggregates import HeldPart, InspectionNotPassed, SignatureRequired, StockOnHold
from ledger.stock import costing
from ledger.stock.costing import Bucket, Draw, Layer, Revaluation, merge_layers, remove_layers
from ledger.values import (
    QUANTITY,
    SEGREGATION_KINDS,
    VALUE,
    ZERO,
    CostingMethod,
    Disposition,
    IssueTarget,
    LocationKind,
    Meta,
    Signature,
    StockStatus,
    Tracking,
    fits_precision,
)

if TYPE_CHECKING:
    from ledger.master_data.item import Item

AVAILABLE = StockStatus.AVAILABLE
HELD = StockStatus.HELD


@dataclass(frozen=True, kw_only=True)
class Lot:
    lot: str
    supplier_lot: str | None
    expiry: date | None
    first_received: date
    supplier: str | None = None


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


@dataclass(frozen=True, kw_only=True)
class Place:
    """What the stock card needs to know about a location (the caller looks it up)."""

    code: str
    site: str
    kind: LocationKind
    holds_stock: bool
    blocked_by: str | None  # the location itself or the ancestor that blocks it


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


@dataclass(frozen=True, kw_only=True)
class LotPart:
    """One source lot of a merge, with the cost it carried."""

    lot: str
    quantity: Decimal
    value: Decimal
    layers: tuple[Layer, ...]


class Stock(LedgerAggregate, stored_as="ledger.stock"):
    if TYPE_CHECKING:
        sku: str
        costing_method: CostingMethod
        standard_cost: Decimal | None
        balances: dict[Bucket, Decimal]
        layers: dict[Bucket, tuple[Layer, ...]]
        lots: dict[str, Lot]
        lot_available: dict[str, Decimal]
        reservations: dict[str, Reservation]
        pinned: dict[tuple[str, str], Decimal]
        on_hand: Decimal
        available: Decimal
        reserved: Decimal
        value: Decimal
        next_seq: int
        last_unit_cost: Decimal
        holds: dict[str, HoldOnCard]
        hold_claims: dict[tuple[str, str, str], Decimal]
        inspected: dict[str, bool]

    # --- events ------------------------------------------------------------------------

    class Opened(LedgerAggregate.Created):
        sku: str
        costing_method: CostingMethod
        standard_cost: Decimal | None

        def apply(self, aggregate: Stock) -> None:
            aggregate.sku = self.sku
            aggregate.costing_method = self.costing_method
            aggregate.standard_cost = self.standard_cost
            aggregate.balances = {}
            aggregate.layers = {}
            aggregate.lots = {}
            aggregate.lot_available = {}
            aggregate.reservations = {}
            aggregate.pinned = {}
            aggregate.on_hand = ZERO
            aggregate.available = ZERO
            aggregate.reserved = ZERO
            aggregate.value = ZERO
            aggregate.next_seq = 1
            aggregate.last_unit_cost = self.standard_cost or ZERO
            aggregate.holds = {}
            aggregate.hold_claims = {}
            aggregate.inspected = {}

    class Received(LedgerAggregate.Event):
        location: str
        lot: str
        status: StockStatus
        quantity: Decimal
        unit_cost: Decimal
        value: Decimal
        purchase_price_variance: Decimal
        layer_seq: int
        supplier_lot: str | None
        expiry: date | None
        supplier: str | None
        reference: str

        def apply(self, aggregate: Stock) -> None:
            bucket = (self.location, self.lot, self.status)
            layer = Layer(seq=self.layer_seq, quantity=self.quantity, unit_cost=self.unit_cost)
            aggregate._put(bucket, self.quantity, (layer,))
            aggregate.value += self.value
            aggregate.next_seq = self.layer_seq + 1
            aggregate.last_unit_cost = self.unit_cost
            if self.lot and self.lot not in aggregate.lots:
                aggregate.lots[self.lot] = Lot(
                    lot=self.lot,
                    supplier_lot=self.supplier_lot,
                    expiry=self.expiry,
                    first_received=self.meta.effective_at.date(),
                    supplier=self.supplier,
                )

    class Issued(LedgerAggregate.Event):
        location: str
        lot: str
        quantity: Decimal
        value: Decimal
        layers: tuple[Layer, ...]
        target_kind: IssueTarget
        target: str
        reservation_id: str | None
        reference: str

        def apply(self, aggregate: Stock) -> None:
            aggregate._take((self.location, self.lot, AVAILABLE), self.quantity, self.layers)
            aggregate.value -= self.value
            if self.reservation_id is not None:
                aggregate._consume_reservation(self.reservation_id, self.quantity)

    class Moved(LedgerAggregate.Event):
        """``meta.site`` is the site of ``from_location``; version 2 adds ``to_site``,
        the site of ``to_location`` (None in a version 1 event, which kept only the
        sender's site: readers take the location's site then)."""

        class_version = 2

        from_location: str
        to_location: str
        lot: str
        status: StockStatus
        quantity: Decimal
        value: Decimal
        layers: tuple[Layer, ...]
        reference: str
        to_site: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["to_site"] = None

        def apply(self, aggregate: Stock) -> None:
            aggregate._take((self.from_location, self.lot, self.status), self.quantity, self.layers)
            aggregate._put((self.to_location, self.lot, self.status), self.quantity, self.layers)

    class StatusChanged(LedgerAggregate.Event):
        """Version 2 names the hold that caused or lifted it, and the signature that
        released stock to use."""

        class_version = 2

        location: str
        lot: str
        quantity: Decimal
        from_status: StockStatus
        to_status: StockStatus
        value: Decimal
        layers: tuple[Layer, ...]
        reason: str
        hold_id: str | None
        signature: Signature | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["hold_id"] = None
            state["signature"] = None

        def apply(self, aggregate: Stock) -> None:
            aggregate._take((self.location, self.lot, self.from_status), self.quantity, self.layers)
            aggregate._put((self.location, self.lot, self.to_status), self.quantity, self.layers)
            if self.from_status is HELD:
                aggregate._unclaim(self.location, self.lot, self.quantity, self.hold_id)
            if self.to_status is HELD:
                key = (self.location, self.lot, self.hold_id or "")
                aggregate.hold_claims[key] = aggregate.hold_claims.get(key, ZERO) + self.quantity

    class HoldApplied(LedgerAggregate.Event):
        hold_id: str
        lot: str | None
        location: str | None
        standing: bool
        reason: str

        def apply(self, aggregate: Stock) -> None:
            aggregate.holds[self.hold_id] = HoldOnCard(
                hold_id=self.hold_id,
                lot=self.lot,
                location=self.location,
                standing=self.standing,
                reason=self.reason,
            )

    class HoldLifted(LedgerAggregate.Event):
        hold_id: str

        def apply(self, aggregate: Stock) -> None:
            aggregate.holds.pop(self.hold_id, None)
            for key in [k for k in aggregate.hold_claims if k[2] == self.hold_id]:
                del aggregate.hold_claims[key]

    class LotInspected(LedgerAggregate.Event):
        inspection_id: str
        lot: str
        passed: bool

        def apply(self, aggregate: Stock) -> None:
            aggregate.inspected[self.lot] = self.passed

    class LotSplit(LedgerAggregate.Event):
        location: str
        status: StockStatus
        from_lot: str
        to_lot: str
        quantity: Decimal
        value: Decimal
        layers: tuple[Layer, ...]
        reason: str

        def apply(self, aggregate: Stock) -> None:
            aggregate._take((self.location, self.from_lot, self.status), self.quantity, self.layers)
            aggregate._put((self.location, self.to_lot, self.status), self.quantity, self.layers)
            aggregate._inherit_lot(self.to_lot, (self.from_lot,), self.meta.effective_at.date())

    class LotsMerged(LedgerAggregate.Event):
        location: str
        status: StockStatus
        to_lot: str
        parts: tuple[LotPart, ...]
        quantity: Decimal
        value: Decimal
        reason: str

        def apply(self, aggregate: Stock) -> None:
            for part in self.parts:
                aggregate._take((self.location, part.lot, self.status), part.quantity, part.layers)
                aggregate._put(
                    (self.location, self.to_lot, self.status), part.quantity, part.layers
                )
            aggregate._inherit_lot(
                self.to_lot, tuple(p.lot for p in self.parts), self.meta.effective_at.date()
            )

    class Disposed(LedgerAggregate.Event):
        """Stock leaves the books by a quality disposition: scrapped, returned to the
        supplier, or issued to a rework work order (``target``)."""

        location: str
        lot: str
        status: StockStatus
        quantity: Decimal
        value: Decimal
        layers: tuple[Layer, ...]
        disposition: Disposition
        target: str
        reason: str

        def apply(self, aggregate: Stock) -> None:
            aggregate._take((self.location, self.lot, self.status), self.quantity, self.layers)
            aggregate.value -= self.value
            if self.status is HELD:
                aggregate._unclaim(self.location, self.lot, self.quantity, None)

    class Scrapped(LedgerAggregate.Event):
        """Available stock written off as scrap in one step, at the cost it drew (the
        layers, or the average or standard value); ``reason_code`` says why."""

        location: str
        lot: str
        quantity: Decimal
        value: Decimal
        layers: tuple[Layer, ...]
        reason_code: str
        note: str
        reference: str

        def apply(self, aggregate: Stock) -> None:
            aggregate._take((self.location, self.lot, AVAILABLE), self.quantity, self.layers)
            aggregate.value -= self.value

    class Adjusted(LedgerAggregate.Event):
        location: str
        lot: str
        status: StockStatus
        quantity_delta: Decimal
        value_delta: Decimal
        layers: tuple[Layer, ...]
        reason_code: str
        note: str

        def apply(self, aggregate: Stock) -> None:
            aggregate._apply_delta(self)

    class Counted(LedgerAggregate.Event):
        location: str
        lot: str
        status: StockStatus
        book_quantity: Decimal
        counted_quantity: Decimal
        quantity_delta: Decimal  # the variance: counted minus book
        value_delta: Decimal
        layers: tuple[Layer, ...]
        count_reference: str

        def apply(self, aggregate: Stock) -> None:
            aggregate._apply_delta(self)

    class Reserved(LedgerAggregate.Event):
        reservation_id: str
        quantity: Decimal
        location: str | None
        lot: str | None
        reference: str

        def apply(self, aggregate: Stock) -> None:
            reservation = Reservation(
                reservation_id=self.reservation_id,
                quantity=self.quantity,
                location=self.location,
                lot=self.lot,
                reference=self.reference,
            )
            aggregate.reservations[self.reservation_id] = reservation
            aggregate.reserved += self.quantity
            if reservation.pin is not None:
                aggregate.pinned[reservation.pin] = (
                    aggregate.pinned.get(reservation.pin, ZERO) + self.quantity
                )

    class ReservationReleased(LedgerAggregate.Event):
        reservation_id: str
        quantity: Decimal
        reason: str

        def apply(self, aggregate: Stock) -> None:
            aggregate._consume_reservation(self.reservation_id, self.quantity)

    class Revalued(LedgerAggregate.Event):
        old_unit_cost: Decimal
        new_unit_cost: Decimal
        quantity: Decimal
        value_delta: Decimal
        lines: tuple[Revaluation, ...]

        def apply(self, aggregate: Stock) -> None:
            aggregate.standard_cost = self.new_unit_cost
            aggregate.value += self.value_delta

    # --- mutators (assignment only, called from apply) -----------------------------------

    def _put(self, bucket: Bucket, quantity: Decimal, layers: tuple[Layer, ...]) -> None:
        self.balances[bucket] = self.balances.get(bucket, ZERO) + quantity
        if self.costing_method is CostingMethod.FIFO:
            self.layers[bucket] = merge_layers(self.layers.get(bucket, ()), layers)
        self.on_hand += quantity
        if bucket[2] is AVAILABLE:
            self.available += quantity
            if bucket[1]:
                self.lot_available[bucket[1]] = self.lot_available.get(bucket[1], ZERO) + quantity

    def _take(self, bucket: Bucket, quantity: Decimal, layers: tuple[Layer, ...]) -> None:
        left = self.balances[bucket] - quantity
        if left:
            self.balances[bucket] = left
        else:
            del self.balances[bucket]
        if self.costing_method is CostingMethod.FIFO:
            remaining = remove_layers(self.layers.get(bucket, ()), layers)
            if remaining:
                self.layers[bucket] = remaining
            else:
                self.layers.pop(bucket, None)
        self.on_hand -= quantity
        if bucket[2] is AVAILABLE:
            self.available -= quantity
            if bucket[1]:
                self.lot_available[bucket[1]] -= quantity

    def _apply_delta(self, event: Stock.Adjusted | Stock.Counted) -> None:
        bucket = (event.location, event.lot, event.status)
        if event.quantity_delta > 0:
            self._put(bucket, event.quantity_delta, event.layers)
            self.next_seq = max(self.next_seq, max((x.seq for x in event.layers), default=0) + 1)
        elif event.quantity_delta < 0:
            self._take(bucket, -event.quantity_delta, event.layers)
        self.value += event.value_delta

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

    def _inherit_lot(self, lot: str, sources: tuple[str, ...], today: date) -> None:
        """A lot made by a split or a merge keeps the earliest expiry of its sources and
        their supplier lot when they share one."""
        if lot in self.lots:
            return
        infos = [self.lots[x] for x in sources if x in self.lots]
        expiries = [x.expiry for x in infos if x.expiry is not None]
        supplier_lots = {x.supplier_lot for x in infos}
        self.lots[lot] = Lot(
            lot=lot,
            supplier_lot=supplier_lots.pop() if len(supplier_lots) == 1 else None,
            expiry=min(expiries) if expiries else None,
            first_received=min((x.first_received for x in infos), default=today),
        )

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

    # --- creation ------------------------------------------------------------------------

    @classmethod
    def open(cls, *, id: UUID, meta: Meta, item: Item) -> Self:  # noqa: A002
        return cls._create(
            cls.Opened,
            id=id,
            meta=meta,
            sku=item.sku,
            costing_method=item.costing_method,
            standard_cost=item.standard_cost,
        )

    # --- queries the decisions use -------------------------------------------------------

    def quantity_in(self, bucket: Bucket) -> Decimal:
        return self.balances.get(bucket, ZERO)

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

    def unit_cost(self) -> Decimal:
        """The item's cost per unit now (``costing.unit_cost``)."""
        return costing.unit_cost(
            self.costing_method,
            standard_cost=self.standard_cost,
            value=self.value,
            on_hand=self.on_hand,
            last_unit_cost=self.last_unit_cost,
        )

    # --- checks --------------------------------------------------------------------------

    @staticmethod
    def _check_quantity(item: Item, quantity: Decimal, field: str = "quantity") -> None:
        if not fits_precision(quantity, item.precision):
            raise PrecisionExceeded(
                f"{quantity} {item.unit_of_measure} has more than {item.precision} decimals",
                field=field,
                precision=item.precision,
            )

    def _check_range(
        self, quantity: Decimal, value: Decimal, *values: Decimal, field: str = "quantity"
    ) -> None:
        """Stock coming in (``quantity`` worth ``value``) keeps the card, and so every
        bucket and read-model row of it, within the ledger's ranges (``ledger.values``)."""
        on_hand = self.on_hand + quantity
        if not QUANTITY.holds(on_hand):
            raise OutOfRange(
                f"{self.sku} would hold {on_hand}, more than the largest quantity"
                f" {QUANTITY.largest}",
                field=field,
                largest=QUANTITY.largest,
            )
        for figure in (value, self.value + value, *values):
            if not VALUE.holds(figure):
                raise OutOfRange(
                    f"a value of {figure} for {self.sku} is beyond the largest value"
                    f" {VALUE.largest}",
                    field=field,
                    largest=VALUE.largest,
                )

    @staticmethod
    def _check_lot(item: Item, lot: str | None, quantity: Decimal | None) -> str:
        if item.tracking is Tracking.NONE:
            if lot:
                raise LotRuleViolated(f"{item.sku} is not lot-tracked: give no lot", field="lot")
            return ""
        if not lot:
            raise LotRuleViolated(
                f"{item.sku} is {item.tracking}-tracked: a {item.tracking} number is required",
                field="lot",
            )
        if item.tracking is Tracking.SERIAL and quantity is not None and quantity != 1:
            raise LotRuleViolated(
                f"serial {lot}: a serial number stands for exactly one unit", field="quantity"
            )
        return lot

    @staticmethod
    def _check_place(place: Place, field: str = "location") -> None:
        if not place.holds_stock:
            raise LocationNotStockable(
                f"{place.code} is a {place.kind} location that cannot hold stock",
                field=field,
                location=place.code,
            )
        if place.blocked_by is not None:
            raise LocationBlocked(
                f"{place.code} is blocked"
                + ("" if place.blocked_by == place.code else f" (by {place.blocked_by})"),
                field=field,
                location=place.code,
                blocked_by=place.blocked_by,
            )

    def _check_not_expired(self, lot: str, today: date) -> None:
        info = self.lots.get(lot)
        if info is not None and info.expiry is not None and info.expiry < today:
            raise LotExpired(
                f"lot {lot} of {self.sku} expired on {info.expiry.isoformat()}",
                field="lot",
                lot=lot,
                expiry=info.expiry.isoformat(),
            )

    def _check_has(self, bucket: Bucket, quantity: Decimal) -> None:
        """The bucket holds at least ``quantity``; else say what is there."""
        on_hand = self.quantity_in(bucket)
        if on_hand >= quantity:
            return
        location, lot, status = bucket
        if lot and not any(k[1] == lot for k in self.balances):
            raise UnknownLot(
                f"{self.sku} has no stock in lot {lot}", field="lot", lot=lot, sku=self.sku
            )
        elsewhere = {
            str(k[2]): str(q)
            for k, q in self.balances.items()
            if k[0] == location and k[1] == lot and k[2] is not status
        }
        if status is AVAILABLE and elsewhere:
            raise StockNotAvailable(
                f"{self.sku} at {location}"
                + (f" lot {lot}" if lot else "")
                + f": {on_hand} available, the rest is "
                + ", ".join(f"{q} {s}" for s, q in elsewhere.items()),
                sku=self.sku,
                location=location,
                lot=lot or None,
                requested=quantity,
                available=on_hand,
                statuses=elsewhere,
                holds=self.holds_on(location, lot),
            )
        raise InsufficientStock(
            f"{self.sku} at {location}"
            + (f" lot {lot}" if lot else "")
            + f": {quantity} requested, {on_hand} {status}",
            sku=self.sku,
            location=location,
            lot=lot or None,
            stock_status=str(status),
            requested=quantity,
            on_hand=on_hand,
        )

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

    # --- costing -------------------------------------------------------------------------

    def draw(self, bucket: Bucket, quantity: Decimal) -> Draw:
        """The cost of taking ``quantity`` out of ``bucket`` under the item's method."""
        return costing.draw(
            self.costing_method,
            quantity,
            layers=self.layers.get(bucket, ()),
            standard_cost=self.standard_cost,
            value=self.value,
            on_hand=self.on_hand,
        )

    # --- commands ------------------------------------------------------------------------

    def receive(
        self,
        *,
        meta: Meta,
        item: Item,
        place: Place,
        quantity: Decimal,
        unit_cost: Decimal,
        lot: str | None,
        supplier_lot: str | None,
        expiry: date | None,
        supplier: str | None,
        reference: str,
        status: StockStatus | None = None,
    ) -> None:
        """``status``: where the stock arrives (default: quarantine for items that need
        incoming inspection, else available; returns from customers choose their own)."""
        self._check_quantity(item, quantity)
        lot_key = self._check_lot(item, lot, quantity)
        self._check_place(place)
        today = meta.effective_at.date()
        if item.tracking is Tracking.SERIAL and any(
            k[1] == lot_key for k, q in self.balances.items() if q
        ):
            raise LotRuleViolated(f"serial {lot_key} of {item.sku} is already on hand", field="lot")
        known = self.lots.get(lot_key)
        if known is not None:
            if expiry is not None and known.expiry is not None and expiry != known.expiry:
                raise LotRuleViolated(
                    f"lot {lot_key} expires on {known.expiry.isoformat()}, not"
                    f" {expiry.isoformat()}",
                    field="expiry",
                )
            expiry = known.expiry
        elif expiry is None and item.shelf_life_days is not None and lot_key:
            expiry = date.fromordinal(today.toordinal() + item.shelf_life_days)
        if expiry is not None and expiry < today:
            raise LotExpired(
                f"lot {lot_key} expired on {expiry.isoformat()}: not received",
                field="expiry",
                lot=lot_key,
                expiry=expiry.isoformat(),
            )
        value, variance = costing.receipt_value(
            self.costing_method, quantity, unit_cost, self.standard_cost
        )
        self._check_range(quantity, value, variance)
        if status is None:
            status = StockStatus.QUARANTINE if item.inspection_required else AVAILABLE
        self.trigger_event(
            self.Received,
            meta=meta,
            location=place.code,
            lot=lot_key,
            status=status,
            quantity=quantity,
            unit_cost=unit_cost,
            value=value,
            purchase_price_variance=variance,
            layer_seq=self.next_seq,
            # What this receipt says, so a recall of it finds the lot; a receipt that says
            # nothing (an output, a return) carries the lot's own.
            supplier_lot=supplier_lot
            if supplier_lot is not None or known is None
            else known.supplier_lot,
            expiry=expiry,
            supplier=supplier,
            reference=reference,
        )
        if status is AVAILABLE:
            self.hold_arrivals(meta=meta, location=place.code, lot=lot_key)

    def issue(
        self,
        *,
        meta: Meta,
        item: Item,
        place: Place,
        quantity: Decimal,
        lot: str | None,
        target_kind: IssueTarget,
        target: str,
        reservation_id: str | None,
        reference: str,
    ) -> Draw:
        self._check_quantity(item, quantity)
        lot_key = self._check_lot(item, lot, quantity)
        self._check_place(place)
        today = meta.effective_at.date()
        bucket = (place.code, lot_key, AVAILABLE)
        reservation = None
        if reservation_id is not None:
            reservation = self.reservations.get(reservation_id)
            if reservation is None:
                raise UnknownReservation(
                    f"{self.sku} has no open reservation {reservation_id}",
                    field="reservation_id",
                )
            if reservation.pin is not None and reservation.pin != (place.code, lot_key):
                raise ReservationMismatch(
                    f"reservation {reservation_id} is for {reservation.location}"
                    + (f" lot {reservation.lot}" if reservation.lot else ""),
                    field="reservation_id",
                )
        self._check_has(bucket, quantity)
        self._check_not_expired(lot_key, today)
        self._check_unreserved(bucket, quantity, today, reservation)
        drawn = self.draw(bucket, quantity)
        self.trigger_event(
            self.Issued,
            meta=meta,
            location=place.code,
            lot=lot_key,
            quantity=quantity,
            value=drawn.value,
            layers=drawn.layers,
            target_kind=target_kind,
            target=target,
            reservation_id=reservation_id,
            reference=reference,
        )
        return drawn

    def scrap(
        self,
        *,
        meta: Meta,
        item: Item,
        place: Place,
        quantity: Decimal,
        lot: str | None,
        reason_code: str,
        note: str,
        reference: str,
    ) -> Draw:
        """Write available stock off: what may be issued may be scrapped (not held,
        quarantined, rejected or expired stock, nor stock promised to a reservation)."""
        self._check_quantity(item, quantity)
        lot_key = self._check_lot(item, lot, quantity)
        self._check_place(place)
        today = meta.effective_at.date()
        bucket = (place.code, lot_key, AVAILABLE)
        self._check_has(bucket, quantity)
        self._check_not_expired(lot_key, today)
        self._check_unreserved(bucket, quantity, today)
        drawn = self.draw(bucket, quantity)
        self.trigger_event(
            self.Scrapped,
            meta=meta,
            location=place.code,
            lot=lot_key,
            quantity=quantity,
            value=drawn.value,
            layers=drawn.layers,
            reason_code=reason_code,
            note=note,
            reference=reference,
        )
        return drawn

    def move(
        self,
        *,
        meta: Meta,
        item: Item,
        source: Place,
        destination: Place,
        quantity: Decimal,
        lot: str | None,
        status: StockStatus,
        reference: str,
    ) -> None:
        self._check_quantity(item, quantity)
        lot_key = self._check_lot(item, lot, quantity)
        self._check_place(source, "from_location")
        self._check_place(destination, "to_location")
        if source.code == destination.code:
            raise LocationNotStockable(
                f"a move needs two different locations, both are {source.code}",
                field="to_location",
                location=source.code,
            )
        today = meta.effective_at.date()
        bucket = (source.code, lot_key, status)
        segregating = destination.kind in SEGREGATION_KINDS
        if status is not AVAILABLE and not segregating:
            raise StockNotAvailable(
                f"{self.sku} at {source.code}: {status} stock can only be moved to a"
                " quarantine or scrap location",
                sku=self.sku,
                location=source.code,
                lot=lot_key or None,
                stock_status=str(status),
            )
        self._check_has(bucket, quantity)
        if not segregating:
            self._check_not_expired(lot_key, today)
        if status is AVAILABLE:
            # A move keeps stock on the books, so only the pinned reservations matter.
            pinned = self.pinned.get((source.code, lot_key), ZERO)
            if self.quantity_in(bucket) - quantity < pinned:
                raise InsufficientStock(
                    f"{self.sku} at {source.code}: {pinned} of"
                    f" {self.quantity_in(bucket)} is reserved there",
                    sku=self.sku,
                    location=source.code,
                    requested=quantity,
                    reserved=pinned,
                )
        drawn = self.draw(bucket, quantity)
        self.trigger_event(
            self.Moved,
            meta=meta,
            from_location=source.code,
            to_location=destination.code,
            lot=lot_key,
            status=status,
            quantity=quantity,
            value=drawn.value,
            layers=drawn.layers,
            reference=reference,
            to_site=destination.site,
        )
        if status is AVAILABLE:
            self.hold_arrivals(meta=meta, location=destination.code, lot=lot_key)

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
        (those are released with their hold). Rejecting is always possible."""
        self._check_quantity(item, quantity)
        lot_key = self._check_lot(item, lot, quantity)
        if from_status is to_status:
            raise StockNotAvailable(
                f"the stock is already {to_status}", field="to_status", stock_status=str(to_status)
            )
        bucket = (place.code, lot_key, from_status)
        self._check_has(bucket, quantity)
        if to_status is AVAILABLE and signature is None:
            raise SignatureRequired(
                f"releasing {from_status} stock of {self.sku} to use needs an electronic signature",
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
            meta, bucket, quantity, AVAILABLE, reason=f"use as is, deviation {deviation}: {reason}",
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

    def _delta_costs(
        self, bucket: Bucket, delta: Decimal, unit_cost: Decimal | None
    ) -> tuple[Decimal, tuple[Layer, ...]]:
        if delta < 0:
            drawn = self.draw(bucket, -delta)
            return -drawn.value, drawn.layers
        cost, value = costing.entry_cost(
            self.costing_method,
            delta,
            unit_cost,
            standard_cost=self.standard_cost,
            current_unit_cost=self.unit_cost(),
        )
        return value, (Layer(seq=self.next_seq, quantity=delta, unit_cost=cost),)

    def adjust(
        self,
        *,
        meta: Meta,
        item: Item,
        place: Place,
        quantity_delta: Decimal,
        lot: str | None,
        status: StockStatus,
        unit_cost: Decimal | None,
        reason_code: str,
        note: str,
    ) -> None:
        self._check_quantity(item, quantity_delta, "quantity_delta")
        lot_key = self._check_lot(item, lot, abs(quantity_delta))
        self._check_place(place)
        bucket = (place.code, lot_key, status)
        if quantity_delta < 0:
            self._check_has(bucket, -quantity_delta)
        elif item.tracking is not Tracking.NONE and lot_key not in self.lots:
            raise UnknownLot(
                f"{item.sku} has never received lot {lot_key}: receive it instead",
                field="lot",
                lot=lot_key,
            )
        value_delta, layers = self._delta_costs(bucket, quantity_delta, unit_cost)
        self._check_range(quantity_delta, value_delta, field="quantity_delta")
        self.trigger_event(
            self.Adjusted,
            meta=meta,
            location=place.code,
            lot=lot_key,
            status=status,
            quantity_delta=quantity_delta,
            value_delta=value_delta,
            layers=layers,
            reason_code=reason_code,
            note=note,
        )

    def count(
        self,
        *,
        meta: Meta,
        item: Item,
        place: Place,
        counted_quantity: Decimal,
        lot: str | None,
        status: StockStatus,
        count_reference: str,
    ) -> Decimal:
        self._check_quantity(item, counted_quantity, "counted_quantity")
        lot_key = self._check_lot(item, lot, None)
        if item.tracking is Tracking.SERIAL and counted_quantity > 1:
            raise LotRuleViolated(
                f"serial {lot_key}: a serial number counts 0 or 1", field="counted_quantity"
            )
        self._check_place(place)
        if counted_quantity > 0 and item.tracking is not Tracking.NONE and lot_key not in self.lots:
            raise UnknownLot(
                f"{item.sku} has never received lot {lot_key}", field="lot", lot=lot_key
            )
        bucket = (place.code, lot_key, status)
        book = self.quantity_in(bucket)
        variance = counted_quantity - book
        value_delta, layers = self._delta_costs(bucket, variance, None) if variance else (ZERO, ())
        self._check_range(variance, value_delta, field="counted_quantity")
        self.trigger_event(
            self.Counted,
            meta=meta,
            location=place.code,
            lot=lot_key,
            status=status,
            book_quantity=book,
            counted_quantity=counted_quantity,
            quantity_delta=variance,
            value_delta=value_delta,
            layers=layers,
            count_reference=count_reference,
        )
        return variance

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

    def revalue(self, *, meta: Meta, new_unit_cost: Decimal) -> None:
        old = self.standard_cost or ZERO
        lines = costing.revaluation(self.balances, old, new_unit_cost)
        self._check_range(ZERO, self.on_hand * (new_unit_cost - old), field="new_unit_cost")
        self.trigger_event(
            self.Revalued,
            meta=meta,
            old_unit_cost=old,
            new_unit_cost=new_unit_cost,
            quantity=self.on_hand,
            value_delta=self.on_hand * (new_unit_cost - old),
            lines=lines,
        )

    # --- quality -------------------------------------------------------------------------

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

    def split_lot(
        self,
        *,
        meta: Meta,
        item: Item,
        place: Place,
        lot: str,
        new_lot: str,
        quantity: Decimal,
        status: StockStatus,
        reason: str,
    ) -> None:
        """Relabel part of a lot as a new lot, at the same place and status."""
        self._check_quantity(item, quantity)
        self._check_lot(item, lot, quantity)
        self._check_lot(item, new_lot, quantity)
        self._check_splittable(status)
        if new_lot in self.lots:
            raise LotRuleViolated(f"lot {new_lot} of {self.sku} exists already", field="new_lot")
        bucket = (place.code, lot, status)
        self._check_has(bucket, quantity)
        if status is AVAILABLE and self.quantity_in(bucket) - quantity < self.pinned.get(
            (place.code, lot), ZERO
        ):
            raise InsufficientStock(
                f"{self.sku} at {place.code} lot {lot}: reserved there, cannot be split off",
                sku=self.sku, location=place.code, lot=lot, requested=quantity,
            )  # fmt: skip
        drawn = self.draw(bucket, quantity)
        self.trigger_event(
            self.LotSplit, meta=meta, location=place.code, status=status, from_lot=lot,
            to_lot=new_lot, quantity=quantity, value=drawn.value, layers=drawn.layers,
            reason=reason,
        )  # fmt: skip
        if status is AVAILABLE:
            self.hold_arrivals(meta=meta, location=place.code, lot=new_lot)

    def merge_lots(
        self,
        *,
        meta: Meta,
        item: Item,
        place: Place,
        lots: tuple[str, ...],
        new_lot: str,
        status: StockStatus,
        reason: str,
    ) -> Decimal:
        """Combine every unit of several lots at one place into a new lot."""
        self._check_splittable(status)
        self._check_lot(item, new_lot, None)
        if item.tracking is not Tracking.LOT:
            raise LotRuleViolated(f"{self.sku} is not lot-tracked: nothing to merge", field="lots")
        if len(set(lots)) != len(lots) or len(lots) < 2:  # noqa: PLR2004 - a merge needs two
            raise LotRuleViolated("a merge names two or more different lots", field="lots")
        if new_lot in self.lots:
            raise LotRuleViolated(f"lot {new_lot} of {self.sku} exists already", field="new_lot")
        parts = []
        for n, lot in enumerate(lots):
            bucket = (place.code, lot, status)
            quantity = self.quantity_in(bucket)
            if quantity <= 0:
                raise UnknownLot(
                    f"{self.sku} has no {status} stock of lot {lot} at {place.code}",
                    field=f"lots.{n}", lot=lot,
                )  # fmt: skip
            if self.pinned.get((place.code, lot), ZERO) and status is AVAILABLE:
                raise InsufficientStock(
                    f"{self.sku} lot {lot} at {place.code} is reserved there: release it first",
                    sku=self.sku, location=place.code, lot=lot,
                )  # fmt: skip
            drawn = self.draw(bucket, quantity)
            parts.append(
                LotPart(lot=lot, quantity=quantity, value=drawn.value, layers=drawn.layers)
            )
        total = sum((p.quantity for p in parts), ZERO)
        self.trigger_event(
            self.LotsMerged, meta=meta, location=place.code, status=status, to_lot=new_lot,
            parts=tuple(parts), quantity=total, value=sum((p.value for p in parts), ZERO),
            reason=reason,
        )  # fmt: skip
        if status is AVAILABLE:
            self.hold_arrivals(meta=meta, location=place.code, lot=new_lot)
        return total

    @staticmethod
    def _check_splittable(status: StockStatus) -> None:
        if status in (HELD, StockStatus.REJECTED):
            raise StockNotAvailable(
                f"{status} stock keeps its lot until quality decides on it",
                field="status", stock_status=str(status),
            )  # fmt: skip

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
            target=target, reason=reason,
        )  # fmt: skip
        return drawn
