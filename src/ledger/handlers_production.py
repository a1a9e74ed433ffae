"""Handlers of engineering, work-order and order commands.

Every step that moves stock changes the stock cards and the order in the same unit of
work, so the writer saves them in one transaction: a work order never records material
that its components' stock cards did not give, and a shipment never leaves an order
line unchanged.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from ledger import commands as c
from ledger.engineering import (
    ENGINEERING_ID,
    Backflush,
    BillOfMaterials,
    BomLine,
    Engineering,
    NoEffectiveVersion,
    Operation,
    Routing,
    WorkCenter,
    work_center_id,
)
from ledger.errors import AlreadyExists, InsufficientStock, InvalidMasterData, NotFound
from ledger.ids import derived_id
from ledger.item import Item
from ledger.orders import (
    Allocation,
    OrderLine,
    PurchaseOrder,
    SalesOrder,
)
from ledger.stock import Place, Stock
from ledger.unit_of_work import UnitOfWork
from ledger.values import (
    ZERO,
    Disposition,
    IssueTarget,
    Meta,
    StockStatus,
    Tracking,
    quantum,
    round_value,
)
from ledger.work_order import (
    PlannedOperation,
    Requirement,
    Shortage,
    WorkOrder,
)

REWORK = "REWORK"  # the "BOM version" of a rework order: the item itself, once per unit


class UnknownWorkOrder(NotFound):
    """No work order has this number."""

    type = "unknown-work-order"
    title = "Unknown work order"


class UnknownOrder(NotFound):
    """No purchase or sales order has this number."""

    type = "unknown-order"
    title = "Unknown order"


class UnknownWorkCenter(NotFound):
    """No work center has this code."""

    type = "unknown-work-center"
    title = "Unknown work center"


def _work_order(uow: UnitOfWork, number: str) -> WorkOrder:
    found = uow.find(WorkOrder, derived_id("work-order", number))
    if found is None:
        raise UnknownWorkOrder(f"no work order {number}", field="number", number=number)
    return found


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


def _engineering(uow: UnitOfWork, *, to_change: bool) -> Engineering | None:
    if to_change:
        return uow.find(Engineering, ENGINEERING_ID)
    return uow.peek(Engineering, ENGINEERING_ID)


def _to_precision(quantity: Decimal, item: Item) -> Decimal:
    """A computed consumption in the item's unit (backflush of 1.5 kg per unit x 3 units)."""
    return quantity.quantize(quantum(item.precision), rounding=ROUND_HALF_UP)


def _receive_at_value(
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


def _today(uow: UnitOfWork) -> date:
    return uow.envelope.effective_at.date()


# --- engineering ------------------------------------------------------------------------


def define_work_center(uow: UnitOfWork, cmd: c.DefineWorkCenter) -> dict[str, str]:
    if uow.peek(WorkCenter, work_center_id(cmd.code)) is not None:
        raise AlreadyExists(f"work center {cmd.code} exists", field="code")
    uow.add(
        WorkCenter.define(
            meta=uow.meta(),
            code=cmd.code,
            name=cmd.name or cmd.code,
            capacity_hours_per_day=cmd.capacity_hours_per_day,
            working_days=tuple(sorted(set(cmd.working_days))),
            labour_rate=cmd.labour_rate,
            machine_rate=cmd.machine_rate,
        )
    )
    return {"code": cmd.code}


def _engineering_to_change(uow: UnitOfWork) -> Engineering:
    engineering = _engineering(uow, to_change=True)
    if engineering is None:
        engineering = Engineering.start(meta=uow.meta())
        uow.add(engineering)
    return engineering


def define_bom(uow: UnitOfWork, cmd: c.DefineBom) -> dict[str, str]:
    uow.item(cmd.parent, "parent")
    for n, line in enumerate(cmd.lines):
        uow.item(line.component, f"lines.{n}.component")
    engineering = _engineering_to_change(uow)
    bom = BillOfMaterials.define(
        meta=uow.meta(),
        parent=cmd.parent,
        revision=cmd.version,
        effective_from=cmd.effective_from,
        effective_to=cmd.effective_to,
        output_quantity=cmd.output_quantity,
        lines=tuple(
            BomLine(
                component=line.component,
                quantity=line.quantity,
                scrap_factor=line.scrap_factor,
                phantom=line.phantom,
                by_product=line.by_product,
                backflush=Backflush(line.backflush),
                operation=line.operation,
            )
            for line in cmd.lines
        ),
    )
    engineering.index_bom(meta=uow.meta(), bom=bom)
    uow.add(bom)
    return {"parent": cmd.parent, "version": cmd.version}


def define_routing(uow: UnitOfWork, cmd: c.DefineRouting) -> dict[str, str]:
    uow.item(cmd.item, "item")
    for n, op in enumerate(cmd.operations):
        if uow.peek(WorkCenter, work_center_id(op.work_center)) is None:
            raise UnknownWorkCenter(
                f"no work center {op.work_center}", field=f"operations.{n}.work_center"
            )
    engineering = _engineering_to_change(uow)
    routing = Routing.define(
        meta=uow.meta(),
        item=cmd.item,
        revision=cmd.version,
        effective_from=cmd.effective_from,
        effective_to=cmd.effective_to,
        operations=tuple(
            Operation(
                seq=op.seq,
                work_center=op.work_center,
                description=op.description,
                setup_hours=op.setup_hours,
                run_hours_per_unit=op.run_hours_per_unit,
                move_queue_hours=op.move_queue_hours,
            )
            for op in cmd.operations
        ),
    )
    engineering.index_routing(meta=uow.meta(), routing=routing)
    uow.add(routing)
    return {"item": cmd.item, "version": cmd.version}


def explode(
    uow: UnitOfWork, engineering: Engineering, item: str, day: date
) -> tuple[BillOfMaterials, dict[str, tuple[Decimal, BomLine]]]:
    """The BOM effective on ``day`` and its components per unit of the parent, gross of
    scrap, with phantoms replaced by their own components (summed where they meet)."""
    version = engineering.effective_bom(item, day)
    if version is None:
        raise NoEffectiveVersion(
            f"{item} has no BOM effective on {day.isoformat()}", field="item", item=item
        )
    bom = uow.peek(BillOfMaterials, version.stream)
    if bom is None:
        raise NoEffectiveVersion(f"BOM {item} {version.version} is missing", item=item)
    found: dict[str, tuple[Decimal, BomLine]] = {}

    def add(b: BillOfMaterials, factor: Decimal) -> None:
        for line in b.lines:
            per_unit = factor * line.quantity / b.output_quantity * (1 + line.scrap_factor)
            if line.phantom and not line.by_product:
                _, phantom = explode(uow, engineering, line.component, day)
                for component, (quantity, inner) in phantom.items():
                    sofar = found.get(component, (ZERO, inner))[0]
                    found[component] = (sofar + per_unit * quantity, inner)
                continue
            signed = -per_unit if line.by_product else per_unit
            sofar = found.get(line.component, (ZERO, line))[0]
            found[line.component] = (sofar + signed, line)

    add(bom, Decimal(1))
    return bom, found


# --- work orders --------------------------------------------------------------------------


def create_work_order(uow: UnitOfWork, cmd: c.CreateWorkOrder) -> dict[str, str]:
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


def release_work_order(uow: UnitOfWork, cmd: c.ReleaseWorkOrder) -> dict[str, str]:
    wo = _work_order(uow, cmd.number)
    wo._must_be("created")
    engineering = _engineering(uow, to_change=False)
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


def issue_to_work_order(uow: UnitOfWork, cmd: c.IssueToWorkOrder) -> dict[str, str]:
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


def return_from_work_order(uow: UnitOfWork, cmd: c.ReturnFromWorkOrder) -> dict[str, str]:
    wo = _work_order(uow, cmd.number)
    item = uow.item(cmd.component, "component")
    place = uow.place(cmd.location)
    meta = uow.meta(place.site)
    Stock._check_quantity(item, cmd.quantity)
    value = _receive_at_value(
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


def report_operation(uow: UnitOfWork, cmd: c.ReportOperation) -> dict[str, str]:
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
    value = _receive_at_value(
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


def receive_work_order_output(uow: UnitOfWork, cmd: c.ReceiveWorkOrderOutput) -> dict[str, str]:
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


def complete_work_order(uow: UnitOfWork, cmd: c.CompleteWorkOrder) -> dict[str, str]:
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


def close_work_order(uow: UnitOfWork, cmd: c.CloseWorkOrder) -> dict[str, str]:
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


def cancel_work_order(uow: UnitOfWork, cmd: c.CancelWorkOrder) -> dict[str, str]:
    wo = _work_order(uow, cmd.number)
    meta = uow.meta(uow.place(wo.output_location).site)
    _release_reservations(uow, wo, meta)
    wo.cancel(meta=meta, reason=cmd.reason)
    return {"number": wo.number}


# --- purchase orders ----------------------------------------------------------------------


def _lines(uow: UnitOfWork, lines: list[c.OrderLineInput]) -> tuple[OrderLine, ...]:
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


def create_purchase_order(uow: UnitOfWork, cmd: c.CreatePurchaseOrder) -> dict[str, str]:
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


def confirm_purchase_order(uow: UnitOfWork, cmd: c.ConfirmPurchaseOrder) -> dict[str, str]:
    _purchase_order(uow, cmd.number).confirm(meta=uow.meta())
    return {"number": cmd.number}


def receive_purchase_order(uow: UnitOfWork, cmd: c.ReceivePurchaseOrder) -> dict[str, str]:
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


def cancel_purchase_order_line(uow: UnitOfWork, cmd: c.CancelPurchaseOrderLine) -> dict[str, str]:
    _purchase_order(uow, cmd.number).cancel_line(
        meta=uow.meta(), line=cmd.line, quantity=cmd.quantity, reason=cmd.reason
    )
    return {"number": cmd.number}


def return_to_supplier(uow: UnitOfWork, cmd: c.ReturnToSupplier) -> dict[str, str]:
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


def close_purchase_order(uow: UnitOfWork, cmd: c.ClosePurchaseOrder) -> dict[str, str]:
    _purchase_order(uow, cmd.number).close(meta=uow.meta(), reason=cmd.reason)
    return {"number": cmd.number}


# --- sales orders -------------------------------------------------------------------------


def create_sales_order(uow: UnitOfWork, cmd: c.CreateSalesOrder) -> dict[str, str]:
    if uow.peek(SalesOrder, derived_id("sales-order", cmd.number)) is not None:
        raise AlreadyExists(f"sales order {cmd.number} exists", field="number")
    uow.add(
        SalesOrder.create(
            meta=uow.meta(), number=cmd.number, customer=cmd.customer, lines=_lines(uow, cmd.lines)
        )
    )
    return {"number": cmd.number}


def allocate_sales_order(uow: UnitOfWork, cmd: c.AllocateSalesOrder) -> dict[str, str]:
    """Reserve available stock for the open lines, first to expire first, pinned to the
    (location, lot) it comes from: never more than is free to promise."""
    so = _sales_order(uow, cmd.number)
    lines = [so.line(cmd.line)] if cmd.line is not None else [so.lines[n] for n in sorted(so.lines)]
    meta = uow.meta()
    day = _today(uow)
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


def pick_sales_order(uow: UnitOfWork, cmd: c.PickSalesOrder) -> dict[str, str]:
    _sales_order(uow, cmd.number).pick(
        meta=uow.meta(), line=cmd.line, quantity=cmd.quantity, picker=uow.envelope.actor
    )
    return {"number": cmd.number}


def ship_sales_order(uow: UnitOfWork, cmd: c.ShipSalesOrder) -> dict[str, str]:
    """Ship from the line's allocations first, then from free stock first to expire."""
    so = _sales_order(uow, cmd.number)
    meta = uow.meta()
    day = _today(uow)
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


def return_sales_order(uow: UnitOfWork, cmd: c.ReturnSalesOrder) -> dict[str, str]:
    so = _sales_order(uow, cmd.number)
    ordered = so.line(cmd.line)
    place = uow.place(cmd.location)
    meta = uow.meta(place.site)
    Stock._check_quantity(uow.item(ordered.sku), cmd.quantity)
    value = _receive_at_value(
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
