"""One handler per command: look up what the decision needs, then call the aggregates.

A handler never saves; the writer saves every aggregate the unit of work changed, together
with the command's receipt, in one transaction. What a handler returns is the data the
caller needs back (a generated reservation id, a count variance). ``ledger/dispatch.py``
lists which handler decides which command.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ledger import commands as c
from ledger.errors import AlreadyExists
from ledger.ids import derived_id, item_id, location_id, stock_id
from ledger.item import Item
from ledger.location import Location
from ledger.quality import check_signature
from ledger.stock import Stock
from ledger.unit_of_work import UnitOfWork
from ledger.values import PlanningParameters, Signature


def _planning(given: c.PlanningParametersInput) -> PlanningParameters:
    return PlanningParameters(**given.model_dump())


def register_item(uow: UnitOfWork, cmd: c.RegisterItem) -> dict[str, str]:
    if uow.peek(Item, item_id(cmd.sku)) is not None:
        raise AlreadyExists(f"item {cmd.sku} is already registered", field="sku", sku=cmd.sku)
    meta = uow.meta()
    item = Item.register(
        id=item_id(cmd.sku),
        meta=meta,
        sku=cmd.sku,
        description=cmd.description,
        kind=cmd.kind,
        unit_of_measure=cmd.unit_of_measure,
        precision=cmd.precision,
        tracking=cmd.tracking,
        costing_method=cmd.costing_method,
        standard_cost=cmd.standard_cost,
        shelf_life_days=cmd.shelf_life_days,
        inspection_required=cmd.inspection_required,
        planning=_planning(cmd.planning),
    )
    uow.add(item)
    uow.add(Stock.open(id=stock_id(cmd.sku), meta=meta, item=item))
    return {"sku": cmd.sku}


def change_planning_parameters(uow: UnitOfWork, cmd: c.ChangePlanningParameters) -> dict[str, str]:
    uow.item(cmd.sku, to_change=True).change_planning_parameters(
        meta=uow.meta(), planning=_planning(cmd.planning), reason=cmd.reason
    )
    return {"sku": cmd.sku}


def change_standard_cost(uow: UnitOfWork, cmd: c.ChangeStandardCost) -> dict[str, str]:
    item = uow.item(cmd.sku, to_change=True)
    item.change_standard_cost(meta=uow.meta(), standard_cost=cmd.standard_cost)
    stock = uow.stock(cmd.sku)
    stock.revalue(meta=uow.meta(), new_unit_cost=cmd.standard_cost)
    revalued: Stock.Revalued = stock.pending_events[-1]  # type: ignore[assignment]
    return {"sku": cmd.sku, "value_delta": str(revalued.value_delta)}


def register_location(uow: UnitOfWork, cmd: c.RegisterLocation) -> dict[str, str]:
    if uow.peek(Location, location_id(cmd.code)) is not None:
        raise AlreadyExists(
            f"location {cmd.code} is already registered", field="code", location=cmd.code
        )
    parent = uow.location(cmd.parent, "parent") if cmd.parent else None
    location = Location.register(
        id=location_id(cmd.code),
        meta=uow.meta(parent.site if parent else cmd.code),
        code=cmd.code,
        name=cmd.name or cmd.code,
        level=cmd.level,
        kind=cmd.kind,
        parent=parent,
    )
    uow.add(location)
    return {"code": cmd.code, "site": location.site}


def block_location(uow: UnitOfWork, cmd: c.BlockLocation) -> dict[str, str]:
    location = uow.location(cmd.code, "code", to_change=True)
    location.block(meta=uow.meta(location.site), reason=cmd.reason)
    return {"code": cmd.code}


def unblock_location(uow: UnitOfWork, cmd: c.UnblockLocation) -> dict[str, str]:
    location = uow.location(cmd.code, "code", to_change=True)
    location.unblock(meta=uow.meta(location.site), reason=cmd.reason)
    return {"code": cmd.code}


def receive(uow: UnitOfWork, cmd: c.ReceiveStock) -> dict[str, str]:
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


def issue(uow: UnitOfWork, cmd: c.IssueStock) -> dict[str, str]:
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


def move(uow: UnitOfWork, cmd: c.MoveStock) -> dict[str, str]:
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


def adjust(uow: UnitOfWork, cmd: c.AdjustStock) -> dict[str, str]:
    item = uow.item(cmd.sku)
    place = uow.place(cmd.location)
    stock = uow.stock(cmd.sku)
    stock.adjust(
        meta=uow.meta(place.site),
        item=item,
        place=place,
        quantity_delta=cmd.quantity_delta,
        lot=cmd.lot,
        status=cmd.status,
        unit_cost=cmd.unit_cost,
        reason_code=cmd.reason_code,
        note=cmd.note,
    )
    adjusted: Stock.Adjusted = stock.pending_events[-1]  # type: ignore[assignment]
    return {"value_delta": str(adjusted.value_delta)}


def scrap(uow: UnitOfWork, cmd: c.ScrapStock) -> dict[str, str]:
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


def count(uow: UnitOfWork, cmd: c.CountStock) -> dict[str, str]:
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


def reserve(uow: UnitOfWork, cmd: c.ReserveStock) -> dict[str, str]:
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


def release_reservation(uow: UnitOfWork, cmd: c.ReleaseReservation) -> dict[str, str]:
    uow.item(cmd.sku)
    uow.stock(cmd.sku).release_reservation(
        meta=uow.meta(),
        reservation_id=cmd.reservation_id,
        quantity=cmd.quantity,
        reason=cmd.reason,
    )
    return {"reservation_id": cmd.reservation_id}


def change_status(uow: UnitOfWork, cmd: c.ChangeStockStatus) -> dict[str, str]:
    item = uow.item(cmd.sku)
    place = uow.place(cmd.location)
    meta = uow.meta(place.site)
    signature = None
    if cmd.signature is not None:
        signature = check_signature(
            Signature(
                signer=cmd.signature.signer,
                meaning=cmd.signature.meaning,
                reason=cmd.signature.reason,
                signed_at=datetime.now(UTC),  # stamped by the ledger, never by the client
            ),
            meta=meta,
            placed_by=None,
            independent=False,
        )
    uow.stock(cmd.sku).change_status(
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
