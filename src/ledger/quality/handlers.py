"""Handlers of quality commands: specifications, inspections, holds and their signed
releases, dispositions (scrap, return, rework, use as is), lot splits and merges, expiry.

A hold's own record (``Hold``) and the stock moves it causes (``Stock.StatusChanged``
with its hold id) are saved together; so are an inspection and the rejection it causes.
"""

from __future__ import annotations

from decimal import Decimal

from ledger.engineering.aggregates import Backflush
from ledger.errors import AlreadyExists, InvalidMasterData, NotFound
from ledger.master_data.item import Characteristic, Item
from ledger.production.handlers import REWORK
from ledger.production.work_order import Requirement, WorkOrder, work_order_id
from ledger.quality.aggregates import (
    Hold,
    HoldNotActive,
    Inspection,
    OutOfSpecification,
    Recall,
    RecalledLot,
    Result,
    UnknownHold,
    hold_id,
    inspection_id,
    recall_id,
)
from ledger.quality.commands import (
    DefineSpecification,
    DisposeStock,
    ExpireLots,
    HoldLots,
    MergeLots,
    PlaceHold,
    RecordInspection,
    ReleaseHold,
    SplitLot,
)
from ledger.quality.signing import (
    disposition_record,
    hold_record,
    recall_record,
    signed,
    status_record,
)
from ledger.stock.card import Stock
from ledger.stock.holds import use_as_is_reason
from ledger.unit_of_work import UnitOfWork
from ledger.values import ZERO, Disposition, Meta, StockStatus


def define_specification(uow: UnitOfWork, cmd: DefineSpecification) -> dict[str, str]:
    uow.item(cmd.sku, to_change=True).define_specification(
        meta=uow.meta(),
        characteristics=tuple(
            Characteristic(name=x.name, unit=x.unit, lower=x.lower, upper=x.upper)
            for x in cmd.characteristics
        ),
        independent_release=cmd.independent_release,
    )
    return {"sku": cmd.sku}


def _results(item: Item, cmd: RecordInspection) -> tuple[Result, ...]:
    spec = {x.name: x for x in item.specification}
    if not spec:
        raise OutOfSpecification(
            f"{item.sku} has no specification to inspect against", field="sku", sku=item.sku
        )
    measured = {m.characteristic: m.value for m in cmd.results}
    unknown = sorted(set(measured) - set(spec))
    missing = sorted(set(spec) - set(measured))
    if unknown or missing or len(measured) != len(cmd.results):
        raise OutOfSpecification(
            f"{item.sku}: measure each characteristic of the specification once"
            + (f"; not in it: {', '.join(unknown)}" if unknown else "")
            + (f"; missing: {', '.join(missing)}" if missing else ""),
            field="results", unknown=unknown, missing=missing,
        )  # fmt: skip
    return tuple(
        Result(
            characteristic=name,
            value=measured[name],
            lower=x.lower,
            upper=x.upper,
            passed=x.accepts(measured[name]),
        )
        for name, x in spec.items()
    )


def record_inspection(uow: UnitOfWork, cmd: RecordInspection) -> dict[str, str]:
    """Record the results; a failed inspection rejects the quantity it decided on."""
    item = uow.item(cmd.sku)
    place = uow.place(cmd.location)
    meta = uow.meta(place.site)
    stock = uow.stock(cmd.sku)
    lot = Stock._check_lot(item, cmd.lot, None)
    on_hand = sum(
        (
            q
            for (where, lot_, _), q in stock.balances.items()
            if where == place.code and lot_ == lot
        ),
        ZERO,
    )
    if on_hand < cmd.quantity:
        raise InvalidMasterData(
            f"{cmd.sku} at {place.code}" + (f" lot {lot}" if lot else "")
            + f": {on_hand} on hand, {cmd.quantity} inspected",
            field="quantity", on_hand=on_hand,
        )  # fmt: skip
    if uow.peek(Inspection, inspection_id(cmd.inspection_id)) is not None:
        raise AlreadyExists(f"inspection {cmd.inspection_id} exists", field="inspection_id")
    results = _results(item, cmd)
    info = stock.lots.get(lot)
    inspection = Inspection.record(
        meta=meta, key=cmd.inspection_id, sku=cmd.sku, lot=lot, location=place.code,
        supplier=info.supplier if info else None, reference=cmd.reference, results=results,
        quantity=cmd.quantity,
    )  # fmt: skip
    uow.add(inspection)
    stock.record_inspection(meta=meta, key=cmd.inspection_id, lot=lot, passed=inspection.passed)
    rejected = ZERO
    if not inspection.passed:
        failed = ", ".join(r.characteristic for r in results if not r.passed)
        rejected = stock.reject_failed(
            meta=meta, location=place.code, lot=lot, quantity=cmd.quantity,
            reason=f"inspection {cmd.inspection_id} failed: {failed}",
        )  # fmt: skip
    return {
        "inspection_id": cmd.inspection_id,
        "passed": str(inspection.passed).lower(),
        "rejected": str(rejected),
    }


def _place_hold(
    uow: UnitOfWork,
    meta: Meta,
    *,
    key: str,
    sku: str,
    lot: str | None,
    location: str | None,
    quantity: Decimal | None,
    reason: str,
) -> Hold:
    if uow.peek(Hold, hold_id(key)) is not None:
        raise AlreadyExists(f"hold {key} exists", field="hold_id", hold_id=key)
    item = uow.item(sku)
    place = uow.place(location) if location else None
    held = uow.stock(sku).place_hold(
        meta=meta, item=item, key=key, place=place, lot=lot, quantity=quantity, reason=reason
    )
    hold = Hold.place(
        meta=meta, key=key, sku=sku, lot=lot, location=location, quantity=quantity,
        reason=reason, held=held,
    )  # fmt: skip
    uow.add(hold)
    return hold


def place_hold(uow: UnitOfWork, cmd: PlaceHold) -> dict[str, str]:
    hold = _place_hold(
        uow, uow.meta(), key=cmd.hold_id, sku=cmd.sku, lot=cmd.lot, location=cmd.location,
        quantity=cmd.quantity, reason=cmd.reason,
    )  # fmt: skip
    return {
        "hold_id": cmd.hold_id,
        "held": str(sum((p.quantity for p in hold.held), ZERO)),
    }


def hold_lots(uow: UnitOfWork, cmd: HoldLots) -> dict[str, str]:
    """One hold per lot (``HOLD_ID-n``), all in one save: each cleared lot is later
    released on its own."""
    if uow.peek(Recall, recall_id(cmd.hold_id)) is not None:
        raise AlreadyExists(f"hold {cmd.hold_id} exists", field="hold_id", hold_id=cmd.hold_id)
    meta = uow.meta()
    lots = tuple(sorted((RecalledLot(sku=x.sku, lot=x.lot) for x in cmd.lots), key=_lot_key))
    signature = signed(
        uow, cmd, meta=meta, record=recall_record(hold_id=cmd.hold_id, lots=lots, reason=cmd.reason)
    )
    uow.add(
        Recall.hold(meta=meta, key=cmd.hold_id, lots=lots, reason=cmd.reason, signature=signature)
    )
    held = ZERO
    for n, given in enumerate(cmd.lots, start=1):
        hold = _place_hold(
            uow, meta, key=f"{cmd.hold_id}-{n}", sku=given.sku, lot=given.lot, location=None,
            quantity=None, reason=cmd.reason,
        )  # fmt: skip
        held += sum((p.quantity for p in hold.held), ZERO)
    return {"hold_id": cmd.hold_id, "holds": str(len(cmd.lots)), "held": str(held)}


def _lot_key(lot: RecalledLot) -> tuple[str, str]:
    return (lot.sku, lot.lot)


def release_hold(uow: UnitOfWork, cmd: ReleaseHold) -> dict[str, str]:
    hold = uow.find(Hold, hold_id(cmd.hold_id))
    if hold is None:
        raise UnknownHold(f"no hold {cmd.hold_id}", field="hold_id", hold_id=cmd.hold_id)
    if not hold.active:
        raise HoldNotActive(f"hold {cmd.hold_id} was released already", hold_id=cmd.hold_id)
    meta = uow.meta()
    item = uow.item(hold.sku)
    signature = signed(
        uow, cmd, meta=meta, record=hold_record(hold), took_part=(hold.placed_by,),
        independent=item.independent_release,
    )  # fmt: skip
    released = uow.stock(hold.sku).release_hold(meta=meta, key=cmd.hold_id, signature=signature)
    hold.release(meta=meta, signature=signature, released=released)
    return {
        "hold_id": cmd.hold_id,
        "released": str(sum((p.quantity for p in released), ZERO)),
    }


def dispose_stock(uow: UnitOfWork, cmd: DisposeStock) -> dict[str, str]:
    item = uow.item(cmd.sku)
    place = uow.place(cmd.location)
    meta = uow.meta(place.site)
    stock = uow.stock(cmd.sku)
    status = StockStatus(cmd.status)
    if cmd.disposition is Disposition.USE_AS_IS:
        deviation = cmd.deviation or ""
        record = status_record(
            card=stock.id, version=stock.version, location=place.code, lot=cmd.lot or "",
            quantity=cmd.quantity, from_status=status, to_status=StockStatus.AVAILABLE,
            reason=use_as_is_reason(deviation, cmd.reason),
        )  # fmt: skip
        signature = signed(uow, cmd, meta=meta, record=record)
        stock.use_as_is(
            meta=meta, item=item, place=place, quantity=cmd.quantity, lot=cmd.lot,
            from_status=status, deviation=deviation, reason=cmd.reason,
            signature=signature,
        )  # fmt: skip
        return {"disposition": str(cmd.disposition), "value": "0"}
    target = "scrap"
    if cmd.disposition is Disposition.RETURN_TO_SUPPLIER:
        info = stock.lots.get(cmd.lot or "")
        target = cmd.supplier or (info.supplier if info else None) or ""
        if not target:
            raise InvalidMasterData(
                f"no supplier known for {cmd.sku} lot {cmd.lot}: name it", field="supplier"
            )
    elif cmd.disposition is Disposition.REWORK:
        target = cmd.work_order or ""
    record = disposition_record(
        card=stock.id, version=stock.version, location=place.code, lot=cmd.lot or "",
        status=status, quantity=cmd.quantity, disposition=cmd.disposition, target=target,
        reason=cmd.reason,
    )  # fmt: skip
    signature = signed(uow, cmd, meta=meta, record=record)
    drawn = stock.dispose(
        meta=meta, item=item, place=place, lot=cmd.lot, quantity=cmd.quantity, status=status,
        disposition=cmd.disposition, target=target, reason=cmd.reason, signature=signature,
    )  # fmt: skip
    if cmd.disposition is Disposition.REWORK:
        _rework_order(uow, meta, cmd, item=item, stock=stock, value=drawn.value)
    return {"disposition": str(cmd.disposition), "target": target, "value": str(drawn.value)}


def _rework_order(
    uow: UnitOfWork,
    meta: Meta,
    cmd: DisposeStock,
    *,
    item: Item,
    stock: Stock,
    value: Decimal,
) -> None:
    """A rework order is released at once with the item itself as its one component,
    already issued: receiving its output brings the goods back (to quarantine, to be
    inspected again) at the value they left with plus any hours reported."""
    number = cmd.work_order or ""
    if uow.peek(WorkOrder, work_order_id(number)) is not None:  # type: ignore[arg-type]
        raise AlreadyExists(f"work order {number} exists", field="work_order")
    uow.place(cmd.output_location or "", "output_location")
    wo = WorkOrder.create(
        meta=meta, number=number, item=item.sku, quantity=cmd.quantity,
        due_date=meta.effective_at.date(), output_location=cmd.output_location or "",
        supply_location=cmd.location, reference=f"rework: {cmd.reason}",
    )  # fmt: skip
    uow.add(wo)
    wo.release(
        meta=meta, bom_version=REWORK, routing_version=None,
        requirements=(
            Requirement(
                component=item.sku, per_unit=Decimal(1), required=cmd.quantity,
                standard_cost=stock.unit_cost(), backflush=Backflush.NONE, operation=None,
            ),
        ),
        operations=(), reservations={}, shortages=(),
    )  # fmt: skip
    wo.record_issue(
        meta=meta, component=item.sku, lot=cmd.lot or "", location=cmd.location,
        quantity=cmd.quantity, value=value, operation=None, backflushed=False,
    )  # fmt: skip


def split_lot(uow: UnitOfWork, cmd: SplitLot) -> dict[str, str]:
    place = uow.place(cmd.location)
    uow.stock(cmd.sku).split_lot(
        meta=uow.meta(place.site), item=uow.item(cmd.sku), place=place, lot=cmd.lot,
        new_lot=cmd.new_lot, quantity=cmd.quantity, status=StockStatus(cmd.status),
        reason=cmd.reason,
    )  # fmt: skip
    return {"lot": cmd.new_lot}


def merge_lots(uow: UnitOfWork, cmd: MergeLots) -> dict[str, str]:
    place = uow.place(cmd.location)
    total = uow.stock(cmd.sku).merge_lots(
        meta=uow.meta(place.site), item=uow.item(cmd.sku), place=place, lots=tuple(cmd.lots),
        new_lot=cmd.new_lot, status=StockStatus(cmd.status), reason=cmd.reason,
    )  # fmt: skip
    return {"lot": cmd.new_lot, "quantity": str(total)}


def expire_lots(uow: UnitOfWork, cmd: ExpireLots) -> dict[str, str]:
    meta = uow.meta()
    stock = uow.stock(cmd.sku)
    if stock is None:
        raise NotFound(f"no stock card for {cmd.sku}")
    parts = stock.expire(meta=meta, today=meta.effective_at.date())
    return {
        "sku": cmd.sku,
        "lots": str(len({p.lot for p in parts})),
        "held": str(sum((p.quantity for p in parts), ZERO)),
    }
