"""The stock card: one stream per item holding every stock-changing event of that item.

State is kept per *bucket* = (location, lot, status); ``lot`` is "" for untracked items and
the serial number for serial-tracked ones. Costs are fixed in the events, computed by
``costing.py`` (FIFO layers per bucket, moving average, standard cost).

This module holds the events, their mutators, the shared checks and the stock movements
(receive, issue, scrap, move, adjust, count, revalue); statuses and holds
(``holds.py``), reservations (``reservations.py``) and lot splits and merges (``lots.py``)
are parts of the same aggregate, in modules of their own.

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
from ledger.stock import costing
from ledger.stock.base import AVAILABLE, HELD
from ledger.stock.costing import Bucket, Draw, Layer, Revaluation, merge_layers, remove_layers
from ledger.stock.holds import HoldOnCard, Holds
from ledger.stock.lots import Lot, LotPart, Lots
from ledger.stock.reservations import Reservation, Reservations
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


@dataclass(frozen=True, kw_only=True)
class Place:
    """What the stock card needs to know about a location (the caller looks it up)."""

    code: str
    site: str
    kind: LocationKind
    holds_stock: bool
    blocked_by: str | None  # the location itself or the ancestor that blocks it


class Stock(Holds, Reservations, Lots, LedgerAggregate, stored_as="ledger.stock"):
    """The stock card of one item; its decisions on statuses and holds, reservations and
    lots are written in the parts it inherits (``CardBase`` says what they share)."""

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
            aggregate.inspected_by = {}

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
            # Who inspected the lot does not sign its release (separation of duties).
            aggregate.inspected_by[self.lot] = self.meta.actor

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
        supplier, or issued to a rework work order (``target``). Version 2 holds the
        signature of the person who decided it (None before dispositions were signed)."""

        class_version = 2

        location: str
        lot: str
        status: StockStatus
        quantity: Decimal
        value: Decimal
        layers: tuple[Layer, ...]
        disposition: Disposition
        target: str
        reason: str
        signature: Signature | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["signature"] = None

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
        """A recorded balance corrected. Version 2 holds the signature of the person who
        corrected it (None before corrections were signed)."""

        class_version = 2

        location: str
        lot: str
        status: StockStatus
        quantity_delta: Decimal
        value_delta: Decimal
        layers: tuple[Layer, ...]
        reason_code: str
        note: str
        signature: Signature | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            state["signature"] = None

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
        signature: Signature | None = None,
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
            signature=signature,
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
