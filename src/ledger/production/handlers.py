"""Production handlers: work orders, each step posting to the stock cards in the same save.

A handler never saves; the writer saves every aggregate the unit of work changed, together
with the command's receipt, in one transaction. ``ledger/dispatch.py`` lists which handler
decides which command.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ledger.engineering.aggregates import (
    Backflush,
    NoEffectiveVersion,
    Routing,
    WorkCenter,
    work_center_id,
)
from ledger.engineering.handlers import UnknownWorkCenter, engineering_index, explode
from ledger.errors import AlreadyExists, InsufficientStock, InvalidMasterData, NotFound
from ledger.ids import derived_id
from ledger.master_data.item import Item
from ledger.production.commands import (
    CancelWorkOrder,
    CloseWorkOrder,
    CompleteWorkOrder,
    CreateWorkOrder,
    IssueToWorkOrder,
    ReceiveWorkOrderOutput,
    ReleaseWorkOrder,
    ReportOperation,
    ReturnFromWorkOrder,
)
from ledger.production.work_order import (
    PlannedOperation,
    Requirement,
    Shortage,
    WorkOrder,
)
from ledger.stock.card import Stock
from ledger.stock.handlers import receive_at_value
from ledger.unit_of_work import UnitOfWork
from ledger.values import (
    ZERO,
    IssueTarget,
    Meta,
    StockStatus,
    Tracking,
    quantum,
)

REWORK = "REWORK"  # the "BOM version" of a rework order: the item itself, once per unit


class UnknownWorkOrder(NotFound):
    """No work order has this number."""

    type = "unknown-work-order"
    title = "Unknown work order"


def _work_order(uow: UnitOfWork, number: str) -> WorkOrder:
    found = uow.find(WorkOrder, derived_id("work-order", number))
    if found is None:
        raise UnknownWorkOrder(f"no work order {number}", field="number", number=number)
    return found


def _to_precision(quantity: Decimal, item: Item) -> Decimal:
    """A computed consumption in the item's unit (backflush of 1.5 kg per unit x 3 units)."""
    return quantity.quantize(quantum(item.precision), rounding=ROUND_HALF_UP)


def _today(uow: UnitOfWork) -> date:
    return uow.envelope.effective_at.date()


def create_work_order(uow: UnitOfWork, cmd: CreateWorkOrder) -> dict[str, str]:
    if uow.peek(WorkOrder, derived_id("work-order", cmd.number)) is not None:
        raise AlreadyExists(f"work order {cmd.number} exists", field="number")
    item = uow.item(cmd.item, "item")
    Stock._check_quantity(item, cmd.quantity)
    output = uow.place(cmd.output_location, "output_location")
    uow.place(cmd.supply_location, "supply_location")
    uow.add(
        WorkOrder.create(
            meta=uow.meta(output.site),
            number=cmd.number,
            item=cmd.item,
            quantity=cmd.quantity,
            due_date=cmd.due_date,
            output_location=cmd.output_location,
            supply_location=cmd.supply_location,
            reference=cmd.reference,
        )
    )
    return {"number": cmd.number}


def _reservation_id(number: str, component: str) -> str:
    return f"WO:{number}:{component}"


def release_work_order(uow: UnitOfWork, cmd: ReleaseWorkOrder) -> dict[str, str]:
    wo = _work_order(uow, cmd.number)
    wo._must_be("created")
    engineering = engineering_index(uow, to_change=False)
    day = _today(uow)
    if engineering is None:
        raise NoEffectiveVersion(f"{wo.item} has no BOM", field="number", item=wo.item)
    bom, components = explode(uow, engineering, wo.item, day)
    meta = uow.meta(uow.place(wo.output_location).site)
    requirements = []
    reservations: dict[str, str] = {}
    shortages = []
    for component, (per_unit, line) in sorted(components.items()):
        item = uow.item(component)
        stock = uow.stock(component)
        required = _to_precision(per_unit * wo.quantity, item)
        requirements.append(
            Requirement(
                component=component,
                per_unit=per_unit,
                required=required,
                standard_cost=stock.unit_cost(),
                backflush=line.backflush,
                operation=line.operation,
            )
        )
        if required <= 0:
            continue  # a by-product: nothing to reserve
        free = max(ZERO, stock.free_to_promise(day))
        reserve = min(required, free)
        if reserve > 0:
            rid = _reservation_id(wo.number, component)
            stock.reserve(
                meta=meta,
                item=item,
                reservation_id=rid,
                quantity=_to_precision(reserve, item),
                place=None,
                lot=None,
                reference=wo.number,
            )
            reservations[component] = rid
        if reserve < required:
            shortages.append(Shortage(component=component, required=required, reserved=reserve))
    operations: tuple[PlannedOperation, ...] = ()
    routing_version = engineering.effective_routing(wo.item, day)
    if routing_version is not None:
        routing = uow.peek(Routing, routing_version.stream)
        if routing is not None:
            planned = []
            for op in routing.operations:
                center = uow.peek(WorkCenter, work_center_id(op.work_center))
                if center is None:
                    raise UnknownWorkCenter(f"no work center {op.work_center}")
                planned.append(
                    PlannedOperation(
                        seq=op.seq,
                        work_center=op.work_center,
                        setup_hours=op.setup_hours,
                        run_hours_per_unit=op.run_hours_per_unit,
                        labour_rate=center.labour_rate,
                        machine_rate=center.machine_rate,
                    )
                )
            operations = tuple(planned)
    wo.release(
        meta=meta,
        bom_version=bom.revision,
        routing_version=routing_version.version if routing_version else None,
        requirements=tuple(requirements),
        operations=operations,
        reservations=reservations,
        shortages=tuple(shortages),
    )
    return {
        "number": wo.number,
        "bom_version": bom.revision,
        "shortages": str(len(shortages)),
    }


def _issue(
    uow: UnitOfWork,
    wo: WorkOrder,
    *,
    meta: Meta,
    component: str,
    location: str,
    quantity: Decimal,
    lot: str | None,
    operation: int | None,
    backflushed: bool,
) -> None:
    item = uow.item(component)
    stock = uow.stock(component)
    place = uow.place(location)
    rid = wo.reservations.get(component)
    drawn = stock.issue(
        meta=meta,
        item=item,
        place=place,
        quantity=quantity,
        lot=lot,
        target_kind=IssueTarget.WORK_ORDER,
        target=wo.number,
        reservation_id=rid if rid in stock.reservations else None,
        reference=f"{wo.number} op {operation}" if operation else wo.number,
    )
    wo.record_issue(
        meta=meta,
        component=component,
        lot=lot or "",
        location=location,
        quantity=quantity,
        value=drawn.value,
        operation=operation,
        backflushed=backflushed,
    )


def _backflush(
    uow: UnitOfWork, wo: WorkOrder, meta: Meta, units: Decimal, *, operation: int | None
) -> None:
    """Consume the components flagged for this operation (or for completion) for
    ``units`` of output, from the supply location, first to expire first."""
    mode = Backflush.OPERATION if operation is not None else Backflush.COMPLETION
    for r in wo.requirements:
        if r.backflush is not mode or r.per_unit <= 0:
            continue
        if mode is Backflush.OPERATION and r.operation != operation:
            continue
        item = uow.item(r.component)
        needed = _to_precision(r.per_unit * units, item)
        if needed <= 0:
            continue
        stock = uow.stock(r.component)
        takes: list[tuple[str, Decimal]] = []
        left = needed
        rid = wo.reservations.get(r.component)
        reserved = stock.reservations[rid].quantity if rid in stock.reservations else ZERO
        for (_, lot, _), free in stock.fefo(_today(uow), wo.supply_location):
            if left <= 0:
                break
            take = min(left, free)
            takes.append((lot, take))
            left -= take
        if left > 0:
            raise InsufficientStock(
                f"backflush of {r.component} for {wo.number}: {needed} needed at"
                f" {wo.supply_location}, {needed - left} there",
                sku=r.component,
                location=wo.supply_location,
                requested=needed,
                available=needed - left,
                reserved=reserved,
                unavailable=stock.unavailable(_today(uow), wo.supply_location),
            )
        for lot, take in takes:
            _issue(
                uow,
                wo,
                meta=meta,
                component=r.component,
                location=wo.supply_location,
                quantity=take,
                lot=lot or None,
                operation=operation,
                backflushed=True,
            )


def issue_to_work_order(uow: UnitOfWork, cmd: IssueToWorkOrder) -> dict[str, str]:
    wo = _work_order(uow, cmd.number)
    wo._must_be("released")
    wo.requirement(cmd.component)
    meta = uow.meta(uow.place(cmd.location).site)
    _issue(
        uow,
        wo,
        meta=meta,
        component=cmd.component,
        location=cmd.location,
        quantity=cmd.quantity,
        lot=cmd.lot,
        operation=cmd.operation,
        backflushed=False,
    )
    return {"number": wo.number, "wip_value": str(wo.wip_value)}


def return_from_work_order(uow: UnitOfWork, cmd: ReturnFromWorkOrder) -> dict[str, str]:
    wo = _work_order(uow, cmd.number)
    item = uow.item(cmd.component, "component")
    place = uow.place(cmd.location)
    meta = uow.meta(place.site)
    Stock._check_quantity(item, cmd.quantity)
    value = receive_at_value(
        uow,
        cmd.component,
        meta=meta,
        place=place,
        quantity=cmd.quantity,
        value=wo.return_value(cmd.component, cmd.lot or "", cmd.quantity),
        lot=cmd.lot,
        reference=f"return from {wo.number}",
        status=StockStatus.AVAILABLE,
    )
    wo.record_return(
        meta=meta,
        component=cmd.component,
        lot=cmd.lot or "",
        location=cmd.location,
        quantity=cmd.quantity,
        value=value,
    )
    return {"number": wo.number, "value": str(value)}


def report_operation(uow: UnitOfWork, cmd: ReportOperation) -> dict[str, str]:
    wo = _work_order(uow, cmd.number)
    meta = uow.meta(uow.place(wo.output_location).site)
    wo.report(
        meta=meta,
        operation=cmd.operation,
        good=cmd.good,
        scrap=cmd.scrap,
        rework=cmd.rework,
        labour_hours=cmd.labour_hours,
        machine_hours=cmd.machine_hours,
    )
    _backflush(uow, wo, meta, cmd.good + cmd.scrap, operation=cmd.operation)
    return {"number": wo.number, "wip_value": str(wo.wip_value)}


def _receive_output(
    uow: UnitOfWork,
    wo: WorkOrder,
    *,
    meta: Meta,
    quantity: Decimal,
    lot: str | None,
    location: str,
) -> Decimal:
    wo.check_receivable(quantity)
    _backflush(uow, wo, meta, quantity, operation=None)
    place = uow.place(location)
    for r in wo.requirements:  # by-products come out with the output
        if r.per_unit < 0:
            by_item = uow.item(r.component)
            produced = _to_precision(-r.per_unit * quantity, by_item)
            if produced <= 0:
                continue
            by_lot = wo.number if by_item.tracking is Tracking.LOT else None
            uow.stock(r.component).receive(
                meta=meta, item=by_item, place=place, quantity=produced,
                unit_cost=r.standard_cost, lot=by_lot, supplier_lot=None, expiry=None,
                supplier=None, reference=f"by-product of {wo.number}",
            )  # fmt: skip
            wo.record_issue(
                meta=meta, component=r.component, lot=by_lot or "", location=location,
                quantity=-produced, value=-produced * r.standard_cost, operation=None,
                backflushed=True,
            )  # fmt: skip
    item = uow.item(wo.item)
    if lot is None and item.tracking is Tracking.LOT:
        lot = f"{wo.number}-{len(wo.output_lots) + 1}"
    value = receive_at_value(
        uow,
        wo.item,
        meta=meta,
        place=place,
        quantity=quantity,
        value=wo.output_value(quantity),
        lot=lot,
        reference=wo.number,
        # Reworked goods are inspected again before they are used.
        status=StockStatus.QUARANTINE if wo.bom_version == REWORK else None,
    )
    wo.receive_output(meta=meta, quantity=quantity, lot=lot or "", location=location, value=value)
    return value


def receive_work_order_output(uow: UnitOfWork, cmd: ReceiveWorkOrderOutput) -> dict[str, str]:
    wo = _work_order(uow, cmd.number)
    location = cmd.location or wo.output_location
    meta = uow.meta(uow.place(location).site)
    value = _receive_output(
        uow, wo, meta=meta, quantity=cmd.quantity, lot=cmd.lot, location=location
    )
    return {
        "number": wo.number,
        "value": str(value),
        "lot": wo.output_lots[-1] if wo.output_lots else "",
    }


def complete_work_order(uow: UnitOfWork, cmd: CompleteWorkOrder) -> dict[str, str]:
    """Report what is left of every operation as good at standard hours, then receive the
    rest of the output: one atomic command (what a completion scan at the end of the line
    does)."""
    wo = _work_order(uow, cmd.number)
    wo._must_be("released")
    meta = uow.meta(uow.place(wo.output_location).site)
    for op in wo.operations:
        done = wo.progress[op.seq]
        left = wo.started_at(op.seq) - done.good - done.scrap
        if left <= 0:
            continue
        hours = (
            op.setup_hours if not (done.good or done.scrap) else ZERO
        ) + op.run_hours_per_unit * left
        wo.report(
            meta=meta,
            operation=op.seq,
            good=left,
            scrap=ZERO,
            rework=ZERO,
            labour_hours=hours,
            machine_hours=hours,
        )
        _backflush(uow, wo, meta, left, operation=op.seq)
    quantity = wo.receivable()
    if quantity <= 0:
        raise InvalidMasterData(f"{wo.number} has nothing left to receive", field="number")
    value = _receive_output(
        uow, wo, meta=meta, quantity=quantity, lot=cmd.lot, location=wo.output_location
    )
    return {"number": wo.number, "received": str(quantity), "value": str(value)}


def _release_reservations(uow: UnitOfWork, wo: WorkOrder, meta: Meta) -> None:
    for component, rid in sorted(wo.reservations.items()):
        stock = uow.stock(component)
        if rid in stock.reservations:
            stock.release_reservation(
                meta=meta, reservation_id=rid, quantity=None, reason=f"{wo.number} {wo.status}"
            )


def close_work_order(uow: UnitOfWork, cmd: CloseWorkOrder) -> dict[str, str]:
    wo = _work_order(uow, cmd.number)
    meta = uow.meta(uow.place(wo.output_location).site)
    _release_reservations(uow, wo, meta)
    wo.close(meta=meta)
    closed: WorkOrder.Closed = wo.pending_events[-1]  # type: ignore[assignment]
    return {
        "number": wo.number,
        "actual_cost": str(closed.actual_cost),
        "standard_cost": str(closed.standard_cost),
        "variance": str(closed.actual_cost - closed.standard_cost),
    }


def cancel_work_order(uow: UnitOfWork, cmd: CancelWorkOrder) -> dict[str, str]:
    wo = _work_order(uow, cmd.number)
    meta = uow.meta(uow.place(wo.output_location).site)
    _release_reservations(uow, wo, meta)
    wo.cancel(meta=meta, reason=cmd.reason)
    return {"number": wo.number}
