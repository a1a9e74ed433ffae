"""Stock handlers: look up the item, the places and the stock card, then let the card decide.

A handler never saves; the writer saves every aggregate the unit of work changed, together
with the command's receipt, in one transaction. ``ledger/dispatch.py`` lists which handler
decides which command.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from ledger.errors import AlreadyExists
from ledger.ids import derived_id
from ledger.quality.signing import adjustment_record, signed, status_record
from ledger.stock.card import Place, Stock
from ledger.stock.commands import (
    AdjustStock,
    ChangeStockStatus,
    CountStock,
    IssueStock,
    MoveStock,
    ReceiveStock,
    ReleaseReservation,
    ReserveStock,
    ScrapStock,
)
from ledger.unit_of_work import UnitOfWork
from ledger.values import ZERO, Meta, StockStatus, quantum, round_value


def receive(uow: UnitOfWork, cmd: ReceiveStock) -> dict[str, str]:
    item = uow.item(cmd.sku)
    place = uow.place(cmd.location)
    stock = uow.stock(cmd.sku)
    stock.receive(
        meta=uow.meta(place.site),
        item=item,
        place=place,
        quantity=cmd.quantity,
        unit_cost=cmd.unit_cost,
        lot=cmd.lot,
        supplier_lot=cmd.supplier_lot,
        expiry=cmd.expiry,
        supplier=cmd.supplier,
        reference=cmd.reference,
    )
    received = next(e for e in reversed(stock.pending_events) if isinstance(e, Stock.Received))
    held = stock.pending_events[-1] is not received  # a standing hold took it
    return {
        "status": "held" if held else str(received.status),
        "value": str(received.value),
        **({"expiry": received.expiry.isoformat()} if received.expiry else {}),
    }


def issue(uow: UnitOfWork, cmd: IssueStock) -> dict[str, str]:
    item = uow.item(cmd.sku)
    place = uow.place(cmd.location)
    drawn = uow.stock(cmd.sku).issue(
        meta=uow.meta(place.site),
        item=item,
        place=place,
        quantity=cmd.quantity,
        lot=cmd.lot,
        target_kind=cmd.target_kind,
        target=cmd.target,
        reservation_id=cmd.reservation_id,
        reference=cmd.reference,
    )
    return {"value": str(drawn.value)}


def move(uow: UnitOfWork, cmd: MoveStock) -> dict[str, str]:
    item = uow.item(cmd.sku)
    source = uow.place(cmd.from_location, "from_location")
    destination = uow.place(cmd.to_location, "to_location")
    uow.stock(cmd.sku).move(
        meta=uow.meta(source.site),
        item=item,
        source=source,
        destination=destination,
        quantity=cmd.quantity,
        lot=cmd.lot,
        status=cmd.status,
        reference=cmd.reference,
    )
    return {}


def adjust(uow: UnitOfWork, cmd: AdjustStock) -> dict[str, str]:
    item = uow.item(cmd.sku)
    place = uow.place(cmd.location)
    stock = uow.stock(cmd.sku)
    meta = uow.meta(place.site)
    record = adjustment_record(
        card=stock.id, version=stock.version, location=place.code, lot=cmd.lot or "",
        status=cmd.status, quantity_delta=cmd.quantity_delta, reason_code=cmd.reason_code,
        note=cmd.note,
    )  # fmt: skip
    signature = signed(uow, cmd, meta=meta, record=record)
    stock.adjust(
        meta=meta,
        item=item,
        place=place,
        quantity_delta=cmd.quantity_delta,
        lot=cmd.lot,
        status=cmd.status,
        unit_cost=cmd.unit_cost,
        reason_code=cmd.reason_code,
        note=cmd.note,
        signature=signature,
    )
    adjusted: Stock.Adjusted = stock.pending_events[-1]  # type: ignore[assignment]
    return {"value_delta": str(adjusted.value_delta)}


def scrap(uow: UnitOfWork, cmd: ScrapStock) -> dict[str, str]:
    item = uow.item(cmd.sku)
    place = uow.place(cmd.location)
    drawn = uow.stock(cmd.sku).scrap(
        meta=uow.meta(place.site),
        item=item,
        place=place,
        quantity=cmd.quantity,
        lot=cmd.lot,
        reason_code=cmd.reason_code,
        note=cmd.note,
        reference=cmd.reference,
    )
    return {"value": str(drawn.value)}


def count(uow: UnitOfWork, cmd: CountStock) -> dict[str, str]:
    item = uow.item(cmd.sku)
    place = uow.place(cmd.location)
    variance = uow.stock(cmd.sku).count(
        meta=uow.meta(place.site),
        item=item,
        place=place,
        counted_quantity=cmd.counted_quantity,
        lot=cmd.lot,
        status=cmd.status,
        count_reference=cmd.count_reference,
    )
    return {"variance": str(variance)}


def reserve(uow: UnitOfWork, cmd: ReserveStock) -> dict[str, str]:
    item = uow.item(cmd.sku)
    place = uow.place(cmd.location) if cmd.location else None
    reservation_id = cmd.reservation_id or str(derived_id("reservation", uow.envelope.command_id))
    stock = uow.stock(cmd.sku)
    if reservation_id in stock.reservations:
        raise AlreadyExists(
            f"reservation {reservation_id} is already open",
            field="reservation_id",
            reservation_id=reservation_id,
        )
    stock.reserve(
        meta=uow.meta(place.site if place else ""),
        item=item,
        reservation_id=reservation_id,
        quantity=cmd.quantity,
        place=place,
        lot=cmd.lot,
        reference=cmd.reference,
    )
    return {"reservation_id": reservation_id}


def release_reservation(uow: UnitOfWork, cmd: ReleaseReservation) -> dict[str, str]:
    uow.item(cmd.sku)
    uow.stock(cmd.sku).release_reservation(
        meta=uow.meta(),
        reservation_id=cmd.reservation_id,
        quantity=cmd.quantity,
        reason=cmd.reason,
    )
    return {"reservation_id": cmd.reservation_id}


def change_status(uow: UnitOfWork, cmd: ChangeStockStatus) -> dict[str, str]:
    item = uow.item(cmd.sku)
    place = uow.place(cmd.location)
    meta = uow.meta(place.site)
    stock = uow.stock(cmd.sku)
    signature = None
    if cmd.signature is not None:
        record = status_record(
            card=stock.id, version=stock.version, location=place.code, lot=cmd.lot or "",
            quantity=cmd.quantity, from_status=cmd.from_status, to_status=cmd.to_status,
            reason=cmd.reason,
        )  # fmt: skip
        took_part: tuple[str, ...] = ()
        inspector = stock.inspected_by.get(cmd.lot or "")
        if cmd.from_status is StockStatus.QUARANTINE and inspector:
            # Whoever recorded the lot's inspection does not sign its release.
            took_part = (inspector,)
        signature = signed(uow, cmd, meta=meta, record=record, took_part=took_part)
    stock.change_status(
        meta=meta,
        item=item,
        place=place,
        quantity=cmd.quantity,
        lot=cmd.lot,
        from_status=cmd.from_status,
        to_status=cmd.to_status,
        reason=cmd.reason,
        signature=signature,
    )
    return {}


def receive_at_value(
    uow: UnitOfWork,
    sku: str,
    *,
    meta: Meta,
    place: Place,
    quantity: Decimal,
    value: Decimal,
    lot: str | None,
    reference: str,
    status: StockStatus | None = None,
) -> Decimal:
    """Receive ``quantity`` worth exactly ``value``. When value / quantity does not end
    within six decimals, the last unit of the item's measure carries the remainder
    (two receipt events, one cost layer each), so no value is created or lost."""
    item = uow.item(sku)
    stock = uow.stock(sku)
    unit_cost = round_value(value / quantity)
    one = quantum(item.precision)
    parts = [(quantity, unit_cost)]
    if quantity * unit_cost != value and quantity > one:
        floor = (value / quantity).quantize(Decimal("0.000001"), rounding=ROUND_DOWN)
        parts = [(quantity - one, floor), (one, (value - (quantity - one) * floor) / one)]
    for part, cost in parts:
        stock.receive(
            meta=meta, item=item, place=place, quantity=part, unit_cost=cost, lot=lot,
            supplier_lot=None, expiry=None, supplier=None, reference=reference, status=status,
        )  # fmt: skip
    return sum((part * cost for part, cost in parts), ZERO)
