"""The dispatch table: every command and the one handler that decides it, by feature.

The table is written out here rather than filled by decorators when handler modules are
imported, so that what the writer can decide is read in one place and does not depend on
which modules happen to be imported. ``_row`` ties each handler's parameter type to its
command for mypy; ``tests/ledger/test_dispatch.py`` holds every ``Command`` class to
exactly one row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from ledger import commands as c
from ledger import handlers as master_data_and_stock
from ledger import handlers_planning as planning
from ledger import handlers_production as production
from ledger import handlers_quality as quality
from ledger.unit_of_work import UnitOfWork

C = TypeVar("C", bound=c.Command)
Handler = Callable[[UnitOfWork, Any], dict[str, str]]
Row = tuple[type[c.Command], Handler]


def _row(command: type[C], handler: Callable[[UnitOfWork, C], dict[str, str]]) -> Row:
    return command, handler


# The order is the order of the checked-in schemas and of `ALL_COMMANDS`.
FEATURES: Mapping[str, tuple[Row, ...]] = MappingProxyType(
    {
        "master_data": (
            _row(c.RegisterItem, master_data_and_stock.register_item),
            _row(c.ChangePlanningParameters, master_data_and_stock.change_planning_parameters),
            _row(c.ChangeStandardCost, master_data_and_stock.change_standard_cost),
            _row(c.RegisterLocation, master_data_and_stock.register_location),
            _row(c.BlockLocation, master_data_and_stock.block_location),
            _row(c.UnblockLocation, master_data_and_stock.unblock_location),
        ),
        "stock": (
            _row(c.ReceiveStock, master_data_and_stock.receive),
            _row(c.IssueStock, master_data_and_stock.issue),
            _row(c.MoveStock, master_data_and_stock.move),
            _row(c.AdjustStock, master_data_and_stock.adjust),
            _row(c.ScrapStock, master_data_and_stock.scrap),
            _row(c.CountStock, master_data_and_stock.count),
            _row(c.ReserveStock, master_data_and_stock.reserve),
            _row(c.ReleaseReservation, master_data_and_stock.release_reservation),
            _row(c.ChangeStockStatus, master_data_and_stock.change_status),
        ),
        "engineering": (
            _row(c.DefineWorkCenter, production.define_work_center),
            _row(c.DefineBom, production.define_bom),
            _row(c.DefineRouting, production.define_routing),
        ),
        "production": (
            _row(c.CreateWorkOrder, production.create_work_order),
            _row(c.ReleaseWorkOrder, production.release_work_order),
            _row(c.IssueToWorkOrder, production.issue_to_work_order),
            _row(c.ReturnFromWorkOrder, production.return_from_work_order),
            _row(c.ReportOperation, production.report_operation),
            _row(c.ReceiveWorkOrderOutput, production.receive_work_order_output),
            _row(c.CompleteWorkOrder, production.complete_work_order),
            _row(c.CloseWorkOrder, production.close_work_order),
            _row(c.CancelWorkOrder, production.cancel_work_order),
        ),
        "orders": (
            _row(c.CreatePurchaseOrder, production.create_purchase_order),
            _row(c.ConfirmPurchaseOrder, production.confirm_purchase_order),
            _row(c.ReceivePurchaseOrder, production.receive_purchase_order),
            _row(c.CancelPurchaseOrderLine, production.cancel_purchase_order_line),
            _row(c.ReturnToSupplier, production.return_to_supplier),
            _row(c.ClosePurchaseOrder, production.close_purchase_order),
            _row(c.CreateSalesOrder, production.create_sales_order),
            _row(c.AllocateSalesOrder, production.allocate_sales_order),
            _row(c.PickSalesOrder, production.pick_sales_order),
            _row(c.ShipSalesOrder, production.ship_sales_order),
            _row(c.ReturnSalesOrder, production.return_sales_order),
        ),
        "quality": (
            _row(c.DefineSpecification, quality.define_specification),
            _row(c.RecordInspection, quality.record_inspection),
            _row(c.PlaceHold, quality.place_hold),
            _row(c.HoldLots, quality.hold_lots),
            _row(c.ReleaseHold, quality.release_hold),
            _row(c.DisposeStock, quality.dispose_stock),
            _row(c.SplitLot, quality.split_lot),
            _row(c.MergeLots, quality.merge_lots),
            _row(c.ExpireLots, quality.expire_lots),
        ),
        "planning": (
            _row(c.ProposePlannedOrders, planning.propose_planned_orders),
            _row(c.FirmPlannedOrder, planning.firm_planned_order),
        ),
    }
)


def _table(features: Mapping[str, tuple[Row, ...]]) -> Mapping[type[c.Command], Handler]:
    table: dict[type[c.Command], Handler] = {}
    for rows in features.values():
        for command, handler in rows:
            if command in table:
                # A second row would silently replace the first handler.
                msg = f"{command.__name__} is listed twice in the dispatch table"
                raise ValueError(msg)
            table[command] = handler
    return MappingProxyType(table)


HANDLERS: Mapping[type[c.Command], Handler] = _table(FEATURES)
ALL_COMMANDS: tuple[type[c.Command], ...] = tuple(HANDLERS)
