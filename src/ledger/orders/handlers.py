"""Order handlers: purchase and sales orders, receipts and shipments posting to the stock cards.

A handler never saves; the writer saves every aggregate the unit of work changed, together
with the command's receipt, in one transaction. ``ledger/dispatch.py`` lists which handler
decides which command.
"""

from __future__ import annotations

from decimal import Decimal

from ledger.errors import AlreadyExists, InsufficientStock, NotFound
from ledger.ids import derived_id
from ledger.orders.aggregates import (
    Allocation,
    OrderLine,
    PurchaseOrder,
    SalesOrder,
)
from ledger.orders.commands import (
    AllocateSalesOrder,
    CancelPurchaseOrderLine,
    ClosePurchaseOrder,
    ConfirmPurchaseOrder,
    CreatePurchaseOrder,
    CreateSalesOrder,
    OrderLineInput,
    PickSalesOrder,
    ReceivePurchaseOrder,
    ReturnSalesOrder,
    ReturnToSupplier,
    ShipSalesOrder,
)
from ledger.stock.card import Stock
from ledger.stock.handlers import receive_at_value
from ledger.unit_of_work import UnitOfWork
from ledger.values import (
    ZERO,
    Disposition,
    IssueTarget,
    StockStatus,
)


class UnknownOrder(NotFound):
    """No purchase or sales order has this number."""

    type = "unknown-order"
    title = "Unknown order"


def _purchase_order(uow: UnitOfWork, number: str) -> PurchaseOrder:
    found = uow.find(PurchaseOrder, derived_id("purchase-order", number))
    if found is None:
        raise UnknownOrder(f"no purchase order {number}", field="number", number=number)
    return found


def _sales_order(uow: UnitOfWork, number: str) -> SalesOrder:
    found = uow.find(SalesOrder, derived_id("sales-order", number))
    if found is None:
        raise UnknownOrder(f"no sales order {number}", field="number", number=number)
    return found


def _lines(uow: UnitOfWork, lines: list[OrderLineInput]) -> tuple[OrderLine, ...]:
    out = []
    for n, line in enumerate(lines):
        item = uow.item(line.sku, f"lines.{n}.sku")
        Stock._check_quantity(item, line.quantity, f"lines.{n}.quantity")
        out.append(
            OrderLine(
                line=line.line,
                sku=line.sku,
                quantity=line.quantity,
                due_date=line.due_date,
                unit_price=line.unit_price,
            )
        )
    return tuple(out)


def create_purchase_order(uow: UnitOfWork, cmd: CreatePurchaseOrder) -> dict[str, str]:
    if uow.peek(PurchaseOrder, derived_id("purchase-order", cmd.number)) is not None:
        raise AlreadyExists(f"purchase order {cmd.number} exists", field="number")
    uow.add(
        PurchaseOrder.create(
            meta=uow.meta(),
            number=cmd.number,
            supplier=cmd.supplier,
            lines=_lines(uow, cmd.lines),
            over_receipt_tolerance=cmd.over_receipt_tolerance,
        )
    )
    return {"number": cmd.number}


def confirm_purchase_order(uow: UnitOfWork, cmd: ConfirmPurchaseOrder) -> dict[str, str]:
    _purchase_order(uow, cmd.number).confirm(meta=uow.meta())
    return {"number": cmd.number}


def receive_purchase_order(uow: UnitOfWork, cmd: ReceivePurchaseOrder) -> dict[str, str]:
    po = _purchase_order(uow, cmd.number)
    place = uow.place(cmd.location)
    meta = uow.meta(place.site)
    value = ZERO
    for n, line in enumerate(cmd.lines):
        ordered = po.receive(
            meta=meta,
            line=line.line,
            quantity=line.quantity,
            lot=line.lot or "",
            location=place.code,
        )
        stock = uow.stock(ordered.sku)
        stock.receive(
            meta=meta,
            item=uow.item(ordered.sku, f"lines.{n}"),
            place=place,
            quantity=line.quantity,
            unit_cost=ordered.unit_price,
            lot=line.lot,
            supplier_lot=line.supplier_lot,
            expiry=line.expiry,
            supplier=po.supplier,
            reference=f"{po.number}/{line.line}",
        )
        value += line.quantity * ordered.unit_price
    return {"number": po.number, "lines": str(len(cmd.lines)), "value": str(value)}


def cancel_purchase_order_line(uow: UnitOfWork, cmd: CancelPurchaseOrderLine) -> dict[str, str]:
    _purchase_order(uow, cmd.number).cancel_line(
        meta=uow.meta(), line=cmd.line, quantity=cmd.quantity, reason=cmd.reason
    )
    return {"number": cmd.number}


def return_to_supplier(uow: UnitOfWork, cmd: ReturnToSupplier) -> dict[str, str]:
    po = _purchase_order(uow, cmd.number)
    place = uow.place(cmd.location)
    meta = uow.meta(place.site)
    ordered = po.return_to_supplier(
        meta=meta,
        line=cmd.line,
        quantity=cmd.quantity,
        lot=cmd.lot or "",
        location=place.code,
        reason=cmd.reason,
    )
    stock = uow.stock(ordered.sku)
    item = uow.item(ordered.sku)
    rejected = next(
        (
            s
            for (loc, lot, s), q in sorted(stock.balances.items())
            if loc == place.code
            and lot == (cmd.lot or "")
            and q >= cmd.quantity
            and s in (StockStatus.REJECTED, StockStatus.QUARANTINE)
        ),
        None,
    )
    reference = f"{po.number}/{cmd.line} return: {cmd.reason}"
    if rejected is not None:
        # Rejected or quarantined goods leave as a quality disposition.
        drawn = stock.dispose(
            meta=meta, item=item, place=place, lot=cmd.lot, quantity=cmd.quantity,
            status=rejected, disposition=Disposition.RETURN_TO_SUPPLIER, target=po.supplier,
            reason=reference,
        )  # fmt: skip
    else:
        drawn = stock.issue(
            meta=meta, item=item, place=place, quantity=cmd.quantity, lot=cmd.lot,
            target_kind=IssueTarget.SUPPLIER, target=po.supplier, reservation_id=None,
            reference=reference,
        )  # fmt: skip
    return {"number": po.number, "value": str(drawn.value)}


def close_purchase_order(uow: UnitOfWork, cmd: ClosePurchaseOrder) -> dict[str, str]:
    _purchase_order(uow, cmd.number).close(meta=uow.meta(), reason=cmd.reason)
    return {"number": cmd.number}


def create_sales_order(uow: UnitOfWork, cmd: CreateSalesOrder) -> dict[str, str]:
    if uow.peek(SalesOrder, derived_id("sales-order", cmd.number)) is not None:
        raise AlreadyExists(f"sales order {cmd.number} exists", field="number")
    uow.add(
        SalesOrder.create(
            meta=uow.meta(), number=cmd.number, customer=cmd.customer, lines=_lines(uow, cmd.lines)
        )
    )
    return {"number": cmd.number}


def allocate_sales_order(uow: UnitOfWork, cmd: AllocateSalesOrder) -> dict[str, str]:
    """Reserve available stock for the open lines, first to expire first, pinned to the
    (location, lot) it comes from: never more than is free to promise."""
    so = _sales_order(uow, cmd.number)
    lines = [so.line(cmd.line)] if cmd.line is not None else [so.lines[n] for n in sorted(so.lines)]
    meta = uow.meta()
    day = uow.envelope.effective_at.date()
    made: list[Allocation] = []
    needed: dict[str, Decimal] = {}
    for ordered in lines:
        need = so.unallocated(ordered.line)
        if need <= 0:
            continue
        needed[ordered.sku] = needed.get(ordered.sku, ZERO) + need
        item = uow.item(ordered.sku)
        stock = uow.stock(ordered.sku)
        for (location, lot, _), free in stock.fefo(day):
            if need <= 0:
                break
            take = min(need, free, max(ZERO, stock.free_to_promise(day)))
            if take <= 0:
                break
            place = uow.place(location)
            rid = str(
                derived_id(
                    "allocation",
                    f"{so.number}:{ordered.line}:{uow.envelope.command_id}:{location}:{lot}",
                )
            )
            stock.reserve(
                meta=meta,
                item=item,
                reservation_id=rid,
                quantity=take,
                place=place,
                lot=lot or None,
                reference=f"{so.number}/{ordered.line}",
            )
            made.append(
                Allocation(
                    reservation_id=rid, line=ordered.line, location=location, lot=lot, quantity=take
                )
            )
            need -= take
    if not made and needed:
        # Nothing could be promised: say why (held, quarantined, expired...), save nothing.
        raise InsufficientStock(
            f"{so.number}: nothing free to allocate for " + ", ".join(sorted(needed)),
            sku=min(needed),
            requested=sum(needed.values(), ZERO),
            unavailable={sku: uow.stock(sku).unavailable(day) for sku in sorted(needed)},
        )
    so.allocate(meta=meta, allocations=tuple(made))
    return {"number": so.number, "allocated": str(sum((a.quantity for a in made), ZERO))}


def pick_sales_order(uow: UnitOfWork, cmd: PickSalesOrder) -> dict[str, str]:
    _sales_order(uow, cmd.number).pick(
        meta=uow.meta(), line=cmd.line, quantity=cmd.quantity, picker=uow.envelope.actor
    )
    return {"number": cmd.number}


def ship_sales_order(uow: UnitOfWork, cmd: ShipSalesOrder) -> dict[str, str]:
    """Ship from the line's allocations first, then from free stock first to expire."""
    so = _sales_order(uow, cmd.number)
    meta = uow.meta()
    day = uow.envelope.effective_at.date()
    shipped = ZERO
    for n, wanted in enumerate(cmd.lines):
        ordered = so.line(wanted.line)
        item = uow.item(ordered.sku)
        stock = uow.stock(ordered.sku)
        left = wanted.quantity
        sources: list[tuple[str, str, Decimal, str | None]] = [
            (a.location, a.lot, a.quantity, a.reservation_id)
            for a in sorted(so.allocations.values(), key=lambda a: a.reservation_id)
            if a.line == wanted.line
        ]
        for source in list(sources):
            left -= min(left, source[2])
        if left > 0:  # not enough allocated: the rest from free stock
            for (location, lot, _), free in stock.fefo(day):
                take = min(left, free)
                if take <= 0:
                    break
                sources.append((location, lot, take, None))
                left -= take
        if left > 0:
            raise InsufficientStock(
                f"{so.number} line {wanted.line}: {wanted.quantity - left} of {wanted.quantity}"
                f" {ordered.sku} can be shipped",
                field=f"lines.{n}.quantity",
                sku=ordered.sku,
                requested=wanted.quantity,
                unavailable=stock.unavailable(day),
            )
        left = wanted.quantity
        for location, lot, quantity, rid in sources:
            take = min(left, quantity)
            if take <= 0:
                break
            place = uow.place(location)
            drawn = stock.issue(
                meta=meta, item=item, place=place, quantity=take, lot=lot or None,
                target_kind=IssueTarget.CUSTOMER, target=so.customer, reservation_id=rid,
                reference=f"{so.number}/{wanted.line} {cmd.shipment}",
            )  # fmt: skip
            so.record_shipment(
                meta=meta,
                shipment=cmd.shipment,
                line=wanted.line,
                lot=lot,
                location=location,
                quantity=take,
                value=drawn.value,
                reservation_id=rid,
            )
            left -= take
            shipped += take
    return {"number": so.number, "shipment": cmd.shipment, "shipped": str(shipped)}


def return_sales_order(uow: UnitOfWork, cmd: ReturnSalesOrder) -> dict[str, str]:
    so = _sales_order(uow, cmd.number)
    ordered = so.line(cmd.line)
    place = uow.place(cmd.location)
    meta = uow.meta(place.site)
    Stock._check_quantity(uow.item(ordered.sku), cmd.quantity)
    value = receive_at_value(
        uow,
        ordered.sku,
        meta=meta,
        place=place,
        quantity=cmd.quantity,
        value=so.return_value(cmd.line, cmd.lot or "", cmd.quantity),
        lot=cmd.lot,
        reference=f"return {so.number}/{cmd.line}: {cmd.reason}",
        status=StockStatus.QUARANTINE,  # returned goods are inspected before they are used again
    )
    so.record_return(
        meta=meta,
        line=cmd.line,
        lot=cmd.lot or "",
        location=place.code,
        quantity=cmd.quantity,
        value=value,
        reason=cmd.reason,
    )
    return {"number": so.number, "value": str(value)}
