"""Handlers of planning commands: save an MRP run's proposals, firm one into an order.

A run is one save: its proposals, the supersession of the previous run's unfirmed ones,
and the board's record of the run. Firming is one save too: the purchase or work order
it creates (decided by the same handlers as ``CreatePurchaseOrder`` and
``CreateWorkOrder``) and the proposal's ``Firmed``.
"""

from __future__ import annotations

from ledger.errors import AlreadyExists, InvalidMasterData
from ledger.ids import derived_id
from ledger.orders.aggregates import PurchaseOrder
from ledger.orders.commands import ConfirmPurchaseOrder, CreatePurchaseOrder, OrderLineInput
from ledger.orders.handlers import confirm_purchase_order, create_purchase_order
from ledger.planning.aggregates import (
    PLANNING_BOARD_ID,
    FirmingIncomplete,
    Peg,
    PegKind,
    PlannedOrder,
    PlannedOrderKind,
    PlanningBoard,
    PlanningException,
    UnknownPlannedOrder,
    planned_order_id,
)
from ledger.planning.commands import FirmPlannedOrder, ProposePlannedOrders
from ledger.production.commands import CreateWorkOrder
from ledger.production.handlers import create_work_order
from ledger.production.work_order import WorkOrder
from ledger.stock.card import Stock
from ledger.unit_of_work import UnitOfWork


def _check_orders(uow: UnitOfWork, cmd: ProposePlannedOrders) -> None:
    numbers = {order.number for order in cmd.orders}
    if len(numbers) != len(cmd.orders):
        raise InvalidMasterData("planned order numbers must be unique in a run", field="orders")
    for n, order in enumerate(cmd.orders):
        # Numbers carry the run id, so a run that is new cannot collide with an old one.
        if not order.number.startswith(f"{cmd.run_id}-"):
            raise InvalidMasterData(
                f"planned order {order.number} is numbered outside run {cmd.run_id}"
                f" (expected {cmd.run_id}-...)",
                field=f"orders.{n}.number",
            )
        item = uow.item(order.item, f"orders.{n}.item")
        Stock._check_quantity(item, order.quantity, f"orders.{n}.quantity")
        for k, peg in enumerate(order.pegging):
            if peg.kind is PegKind.PLANNED_ORDER and peg.reference not in numbers:
                raise InvalidMasterData(
                    f"{order.number} is pegged to {peg.reference!r}, not a planned order of"
                    f" run {cmd.run_id}",
                    field=f"orders.{n}.pegging.{k}.reference",
                )


def propose_planned_orders(uow: UnitOfWork, cmd: ProposePlannedOrders) -> dict[str, str]:
    meta = uow.meta()
    board = uow.find(PlanningBoard, PLANNING_BOARD_ID)
    if board is None:
        board = PlanningBoard.open(meta=meta)
        uow.add(board)
    if cmd.run_id in board.runs:
        raise AlreadyExists(
            f"MRP run {cmd.run_id} was saved already", field="run_id", run_id=cmd.run_id
        )
    _check_orders(uow, cmd)
    superseded = []
    for number in board.latest:
        previous = uow.find(PlannedOrder, planned_order_id(number))
        if previous is not None and previous.supersede(meta=meta, by_run=cmd.run_id):
            superseded.append(number)
    for order in cmd.orders:
        uow.add(
            PlannedOrder.propose(
                meta=meta,
                run_id=cmd.run_id,
                number=order.number,
                item=order.item,
                kind=order.kind,
                quantity=order.quantity,
                release_date=order.release_date,
                due_date=order.due_date,
                pegging=tuple(
                    Peg(
                        kind=p.kind,
                        reference=p.reference,
                        quantity=p.quantity,
                        needed_on=p.needed_on,
                    )
                    for p in order.pegging
                ),
                messages=tuple(order.messages),
            )
        )
    board.record_run(
        meta=meta,
        run_id=cmd.run_id,
        start_date=cmd.start_date,
        bucket_days=cmd.bucket_days,
        horizon=cmd.horizon,
        planned_orders=tuple(order.number for order in cmd.orders),
        superseded=tuple(superseded),
        exceptions=tuple(
            PlanningException(
                item=x.item,
                exception=x.exception,
                reference=x.reference,
                scheduled_date=x.scheduled_date,
                suggested_date=x.suggested_date,
                quantity=x.quantity,
                message=x.message,
            )
            for x in cmd.exceptions
        ),
    )
    return {
        "run_id": cmd.run_id,
        "proposed": str(len(cmd.orders)),
        "superseded": str(len(superseded)),
    }


def firm_planned_order(uow: UnitOfWork, cmd: FirmPlannedOrder) -> dict[str, str]:
    planned = uow.find(PlannedOrder, planned_order_id(cmd.number))
    if planned is None:
        raise UnknownPlannedOrder(
            f"no planned order {cmd.number}", field="number", number=cmd.number
        )
    planned.must_be_open()
    item = uow.item(planned.item)
    quantity = cmd.quantity if cmd.quantity is not None else planned.quantity
    Stock._check_quantity(item, quantity)
    due_date = cmd.due_date or planned.due_date
    if planned.kind is PlannedOrderKind.PURCHASE:
        if cmd.supplier is None:
            raise FirmingIncomplete(
                f"{planned.number} is a purchase proposal: name its supplier", field="supplier"
            )
        if cmd.output_location or cmd.supply_location:
            raise InvalidMasterData(
                f"{planned.number} is a purchase proposal: it takes a supplier, not locations",
                field="output_location" if cmd.output_location else "supply_location",
            )
        if uow.peek(PurchaseOrder, derived_id("purchase-order", cmd.order_number)) is not None:
            raise AlreadyExists(f"purchase order {cmd.order_number} exists", field="order_number")
        line = OrderLineInput(
            line=1,
            sku=planned.item,
            quantity=quantity,
            due_date=due_date,
            unit_price=cmd.unit_price,
        )
        create_purchase_order(
            uow, CreatePurchaseOrder(number=cmd.order_number, supplier=cmd.supplier, lines=[line])
        )
        if cmd.confirm:
            confirm_purchase_order(uow, ConfirmPurchaseOrder(number=cmd.order_number))
        order_kind = "purchase_order"
    else:
        if cmd.output_location is None or cmd.supply_location is None:
            raise FirmingIncomplete(
                f"{planned.number} is a production proposal: give its output_location and"
                " supply_location",
                field="supply_location" if cmd.output_location else "output_location",
            )
        if cmd.supplier is not None:
            raise InvalidMasterData(
                f"{planned.number} is a production proposal: it takes locations, not a supplier",
                field="supplier",
            )
        if uow.peek(WorkOrder, derived_id("work-order", cmd.order_number)) is not None:
            raise AlreadyExists(f"work order {cmd.order_number} exists", field="order_number")
        create_work_order(
            uow,
            CreateWorkOrder(
                number=cmd.order_number,
                item=planned.item,
                quantity=quantity,
                due_date=due_date,
                output_location=cmd.output_location,
                supply_location=cmd.supply_location,
                reference=planned.number,
            ),
        )
        order_kind = "work_order"
    planned.firm(
        meta=uow.meta(),
        order_kind=order_kind,
        order_number=cmd.order_number,
        quantity=quantity,
        due_date=due_date,
    )
    return {"number": planned.number, "order_kind": order_kind, "order_number": cmd.order_number}
