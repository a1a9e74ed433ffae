"""Purchase and sales orders: their open lines are MRP's scheduled receipts and demand;
receipts and shipments post to the stock cards in the same save as the order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Self

from ledger.aggregate import LedgerAggregate
from ledger.errors import InvalidMasterData, LedgerError
from ledger.ids import derived_id
from ledger.values import ZERO, Meta


class OrderState(LedgerError):
    """The order or line is not open for this (cancelled, closed, not confirmed)."""

    type = "order-state"
    title = "Not allowed in the order's status"


class OverReceipt(LedgerError):
    """More than the line's quantity plus its over-receipt tolerance."""

    type = "over-receipt"
    title = "More than ordered"


class UnknownOrderLine(LedgerError):
    """The order has no such line."""

    type = "unknown-order-line"
    title = "Unknown order line"
    kind = "not_found"


def purchase_order_id(number: str) -> object:
    return derived_id("purchase-order", number)


def sales_order_id(number: str) -> object:
    return derived_id("sales-order", number)


@dataclass(frozen=True, kw_only=True)
class OrderLine:
    line: int
    sku: str
    quantity: Decimal
    due_date: date
    unit_price: Decimal


@dataclass(frozen=True, kw_only=True)
class LineState:
    ordered: Decimal
    received: Decimal = ZERO  # purchase: received net of returns; sales: shipped net of returns
    cancelled: Decimal = ZERO

    @property
    def open(self) -> Decimal:
        return max(ZERO, self.ordered - self.received - self.cancelled)


def _line_states(lines: tuple[OrderLine, ...]) -> dict[int, LineState]:
    return {line.line: LineState(ordered=line.quantity) for line in lines}


def _check_lines(lines: tuple[OrderLine, ...]) -> None:
    if not lines:
        raise InvalidMasterData("an order needs at least one line", field="lines")
    numbers = [line.line for line in lines]
    if len(set(numbers)) != len(numbers):
        raise InvalidMasterData("line numbers must be unique", field="lines")


def _find_line(number: str, lines: dict[int, OrderLine], line: int) -> OrderLine:
    found = lines.get(line)
    if found is None:
        raise UnknownOrderLine(f"{number} has no line {line}", field="line", line=line)
    return found


class PurchaseOrder(LedgerAggregate, stored_as="ledger.orders"):
    if TYPE_CHECKING:
        number: str
        supplier: str
        lines: dict[int, OrderLine]
        state: dict[int, LineState]
        status: str
        tolerance: Decimal

    class Created(LedgerAggregate.Created):
        number: str
        supplier: str
        lines: tuple[OrderLine, ...]
        over_receipt_tolerance: Decimal

        def apply(self, aggregate: PurchaseOrder) -> None:
            aggregate.number = self.number
            aggregate.supplier = self.supplier
            aggregate.lines = {line.line: line for line in self.lines}
            aggregate.state = _line_states(self.lines)
            aggregate.status = "draft"
            aggregate.tolerance = self.over_receipt_tolerance

    class Confirmed(LedgerAggregate.Event):
        def apply(self, aggregate: PurchaseOrder) -> None:
            aggregate.status = "confirmed"

    class LineReceived(LedgerAggregate.Event):
        line: int
        sku: str
        quantity: Decimal
        lot: str
        location: str
        unit_price: Decimal

        def apply(self, aggregate: PurchaseOrder) -> None:
            s = aggregate.state[self.line]
            aggregate.state[self.line] = LineState(
                ordered=s.ordered, received=s.received + self.quantity, cancelled=s.cancelled
            )

    class LineReturned(LedgerAggregate.Event):
        line: int
        sku: str
        quantity: Decimal
        lot: str
        location: str
        reason: str

        def apply(self, aggregate: PurchaseOrder) -> None:
            s = aggregate.state[self.line]
            aggregate.state[self.line] = LineState(
                ordered=s.ordered, received=s.received - self.quantity, cancelled=s.cancelled
            )

    class LineCancelled(LedgerAggregate.Event):
        line: int
        quantity: Decimal
        reason: str

        def apply(self, aggregate: PurchaseOrder) -> None:
            s = aggregate.state[self.line]
            aggregate.state[self.line] = LineState(
                ordered=s.ordered, received=s.received, cancelled=s.cancelled + self.quantity
            )

    class Closed(LedgerAggregate.Event):
        reason: str

        def apply(self, aggregate: PurchaseOrder) -> None:
            aggregate.status = "closed"

    @classmethod
    def create(
        cls,
        *,
        meta: Meta,
        number: str,
        supplier: str,
        lines: tuple[OrderLine, ...],
        over_receipt_tolerance: Decimal,
    ) -> Self:
        _check_lines(lines)
        return cls._create(
            cls.Created,
            id=derived_id("purchase-order", number),
            meta=meta,
            number=number,
            supplier=supplier,
            lines=lines,
            over_receipt_tolerance=over_receipt_tolerance,
        )

    def _line(self, line: int) -> OrderLine:
        return _find_line(self.number, self.lines, line)

    def confirm(self, *, meta: Meta) -> None:
        if self.status != "draft":
            raise OrderState(f"{self.number} is {self.status}", order_status=self.status)
        self.trigger_event(self.Confirmed, meta=meta)

    def receive(
        self, *, meta: Meta, line: int, quantity: Decimal, lot: str, location: str
    ) -> OrderLine:
        if self.status != "confirmed":
            raise OrderState(
                f"{self.number} is {self.status}: only a confirmed order is received",
                order_status=self.status,
            )
        ordered = self._line(line)
        s = self.state[line]
        allowed = (s.ordered - s.cancelled) * (1 + self.tolerance) - s.received
        if quantity > allowed:
            raise OverReceipt(
                f"{self.number} line {line}: {max(ZERO, allowed)} more can be received"
                f" (ordered {s.ordered}, received {s.received}, tolerance {self.tolerance})",
                field="quantity",
                allowed=max(ZERO, allowed),
            )
        self.trigger_event(
            self.LineReceived,
            meta=meta,
            line=line,
            sku=ordered.sku,
            quantity=quantity,
            lot=lot,
            location=location,
            unit_price=ordered.unit_price,
        )
        return ordered

    def return_to_supplier(
        self, *, meta: Meta, line: int, quantity: Decimal, lot: str, location: str, reason: str
    ) -> OrderLine:
        ordered = self._line(line)
        if quantity > self.state[line].received:
            raise OverReceipt(
                f"{self.number} line {line}: only {self.state[line].received} was received",
                field="quantity",
            )
        self.trigger_event(
            self.LineReturned,
            meta=meta,
            line=line,
            sku=ordered.sku,
            quantity=quantity,
            lot=lot,
            location=location,
            reason=reason,
        )
        return ordered

    def cancel_line(self, *, meta: Meta, line: int, quantity: Decimal | None, reason: str) -> None:
        if self.status == "closed":
            raise OrderState(f"{self.number} is closed", order_status=self.status)
        self._line(line)
        open_quantity = self.state[line].open
        cancelled = open_quantity if quantity is None else quantity
        if cancelled > open_quantity:
            raise OverReceipt(
                f"{self.number} line {line} has {open_quantity} open", field="quantity"
            )
        self.trigger_event(
            self.LineCancelled, meta=meta, line=line, quantity=cancelled, reason=reason
        )

    def close(self, *, meta: Meta, reason: str) -> None:
        if self.status == "closed":
            raise OrderState(f"{self.number} is closed", order_status=self.status)
        self.trigger_event(self.Closed, meta=meta, reason=reason)


@dataclass(frozen=True, kw_only=True)
class Allocation:
    reservation_id: str
    line: int
    location: str
    lot: str
    quantity: Decimal


class SalesOrder(LedgerAggregate, stored_as="ledger.orders"):
    if TYPE_CHECKING:
        number: str
        customer: str
        lines: dict[int, OrderLine]
        state: dict[int, LineState]
        allocations: dict[str, Allocation]
        picked: dict[int, Decimal]
        status: str
        shipped_value: dict[tuple[int, str], tuple[Decimal, Decimal]]

    class Created(LedgerAggregate.Created):
        number: str
        customer: str
        lines: tuple[OrderLine, ...]

        def apply(self, aggregate: SalesOrder) -> None:
            aggregate.number = self.number
            aggregate.customer = self.customer
            aggregate.lines = {line.line: line for line in self.lines}
            aggregate.state = _line_states(self.lines)
            aggregate.allocations = {}
            aggregate.picked = {}
            aggregate.status = "open"
            aggregate.shipped_value = {}

    class Allocated(LedgerAggregate.Event):
        allocations: tuple[Allocation, ...]

        def apply(self, aggregate: SalesOrder) -> None:
            for a in self.allocations:
                aggregate.allocations[a.reservation_id] = a

    class Picked(LedgerAggregate.Event):
        line: int
        quantity: Decimal
        picker: str

        def apply(self, aggregate: SalesOrder) -> None:
            aggregate.picked[self.line] = aggregate.picked.get(self.line, ZERO) + self.quantity

    class Shipped(LedgerAggregate.Event):
        shipment: str
        customer: str
        line: int
        sku: str
        lot: str
        location: str
        quantity: Decimal
        value: Decimal
        reservation_id: str | None

        def apply(self, aggregate: SalesOrder) -> None:
            s = aggregate.state[self.line]
            aggregate.state[self.line] = LineState(
                ordered=s.ordered, received=s.received + self.quantity, cancelled=s.cancelled
            )
            key = (self.line, self.lot)
            q, v = aggregate.shipped_value.get(key, (ZERO, ZERO))
            aggregate.shipped_value[key] = (q + self.quantity, v + self.value)
            if self.reservation_id is not None:
                a = aggregate.allocations[self.reservation_id]
                left = a.quantity - self.quantity
                if left > 0:
                    aggregate.allocations[self.reservation_id] = Allocation(
                        reservation_id=a.reservation_id,
                        line=a.line,
                        location=a.location,
                        lot=a.lot,
                        quantity=left,
                    )
                else:
                    del aggregate.allocations[self.reservation_id]

    class Returned(LedgerAggregate.Event):
        line: int
        sku: str
        lot: str
        location: str
        quantity: Decimal
        value: Decimal
        reason: str

        def apply(self, aggregate: SalesOrder) -> None:
            s = aggregate.state[self.line]
            aggregate.state[self.line] = LineState(
                ordered=s.ordered, received=s.received - self.quantity, cancelled=s.cancelled
            )
            key = (self.line, self.lot)
            q, v = aggregate.shipped_value[key]
            aggregate.shipped_value[key] = (q - self.quantity, v - self.value)

    @classmethod
    def create(
        cls, *, meta: Meta, number: str, customer: str, lines: tuple[OrderLine, ...]
    ) -> Self:
        _check_lines(lines)
        return cls._create(
            cls.Created,
            id=derived_id("sales-order", number),
            meta=meta,
            number=number,
            customer=customer,
            lines=lines,
        )

    def line(self, line: int) -> OrderLine:
        return _find_line(self.number, self.lines, line)

    def unallocated(self, line: int) -> Decimal:
        allocated = sum((a.quantity for a in self.allocations.values() if a.line == line), ZERO)
        return max(ZERO, self.state[line].open - allocated)

    def allocate(self, *, meta: Meta, allocations: tuple[Allocation, ...]) -> None:
        if allocations:
            self.trigger_event(self.Allocated, meta=meta, allocations=allocations)

    def pick(self, *, meta: Meta, line: int, quantity: Decimal, picker: str) -> None:
        self.line(line)
        allocated = sum((a.quantity for a in self.allocations.values() if a.line == line), ZERO)
        if self.picked.get(line, ZERO) + quantity > allocated:
            raise OverReceipt(
                f"{self.number} line {line}: {allocated} allocated,"
                f" {self.picked.get(line, ZERO)} picked already",
                field="quantity",
            )
        self.trigger_event(self.Picked, meta=meta, line=line, quantity=quantity, picker=picker)

    def record_shipment(
        self,
        *,
        meta: Meta,
        shipment: str,
        line: int,
        lot: str,
        location: str,
        quantity: Decimal,
        value: Decimal,
        reservation_id: str | None,
    ) -> None:
        ordered = self.line(line)
        if quantity > self.state[line].open:
            raise OverReceipt(
                f"{self.number} line {line}: {self.state[line].open} open, not {quantity}",
                field="quantity",
            )
        self.trigger_event(
            self.Shipped,
            meta=meta,
            shipment=shipment,
            customer=self.customer,
            line=line,
            sku=ordered.sku,
            lot=lot,
            location=location,
            quantity=quantity,
            value=value,
            reservation_id=reservation_id,
        )

    def return_value(self, line: int, lot: str, quantity: Decimal) -> Decimal:
        q, v = self.shipped_value.get((line, lot), (ZERO, ZERO))
        if quantity > q:
            raise OverReceipt(
                f"{self.number} line {line}" + (f" lot {lot}" if lot else "") + f": {q} shipped",
                field="quantity",
            )
        return v if quantity == q else v * quantity / q

    def record_return(
        self,
        *,
        meta: Meta,
        line: int,
        lot: str,
        location: str,
        quantity: Decimal,
        value: Decimal,
        reason: str,
    ) -> None:
        ordered = self.line(line)
        self.trigger_event(
            self.Returned,
            meta=meta,
            line=line,
            sku=ordered.sku,
            lot=lot,
            location=location,
            quantity=quantity,
            value=value,
            reason=reason,
        )
