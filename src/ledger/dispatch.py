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

from ledger.commands import Command
from ledger.engineering import handlers as engineering
from ledger.engineering.commands import DefineBom, DefineRouting, DefineWorkCenter
from ledger.identity import handlers as identity
from ledger.identity.commands import (
    ClearFailedLogins,
    DeactivateUser,
    EndSession,
    EnrollTotp,
    GrantRole,
    IssueApiKey,
    ReactivateUser,
    RecordFailedLogin,
    RegisterUser,
    RevokeApiKey,
    RevokeRole,
    SetPassword,
    UnlockUser,
)
from ledger.master_data import handlers as master_data
from ledger.master_data.commands import (
    BlockLocation,
    ChangePlanningParameters,
    ChangeStandardCost,
    RegisterItem,
    RegisterLocation,
    UnblockLocation,
)
from ledger.orders import handlers as orders
from ledger.orders.commands import (
    AllocateSalesOrder,
    CancelPurchaseOrderLine,
    ClosePurchaseOrder,
    ConfirmPurchaseOrder,
    CreatePurchaseOrder,
    CreateSalesOrder,
    PickSalesOrder,
    ReceivePurchaseOrder,
    ReturnSalesOrder,
    ReturnToSupplier,
    ShipSalesOrder,
)
from ledger.planning import handlers as planning
from ledger.planning.commands import FirmPlannedOrder, ProposePlannedOrders
from ledger.production import handlers as production
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
from ledger.quality import handlers as quality
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
from ledger.stock import handlers as stock
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
from ledger.webhooks import handlers as webhooks
from ledger.webhooks.commands import (
    CreateWebhookSubscription,
    DeleteWebhookSubscription,
    DisableWebhookSubscription,
    EnableWebhookSubscription,
    ReplayWebhookSubscription,
)

C = TypeVar("C", bound=Command)
Handler = Callable[[UnitOfWork, Any], dict[str, str]]
Row = tuple[type[Command], Handler]


def _row(command: type[C], handler: Callable[[UnitOfWork, C], dict[str, str]]) -> Row:
    return command, handler


# The order is the order of the checked-in schemas and of `ALL_COMMANDS`.
FEATURES: Mapping[str, tuple[Row, ...]] = MappingProxyType(
    {
        "master_data": (
            _row(RegisterItem, master_data.register_item),
            _row(ChangePlanningParameters, master_data.change_planning_parameters),
            _row(ChangeStandardCost, master_data.change_standard_cost),
            _row(RegisterLocation, master_data.register_location),
            _row(BlockLocation, master_data.block_location),
            _row(UnblockLocation, master_data.unblock_location),
        ),
        "stock": (
            _row(ReceiveStock, stock.receive),
            _row(IssueStock, stock.issue),
            _row(MoveStock, stock.move),
            _row(AdjustStock, stock.adjust),
            _row(ScrapStock, stock.scrap),
            _row(CountStock, stock.count),
            _row(ReserveStock, stock.reserve),
            _row(ReleaseReservation, stock.release_reservation),
            _row(ChangeStockStatus, stock.change_status),
        ),
        "engineering": (
            _row(DefineWorkCenter, engineering.define_work_center),
            _row(DefineBom, engineering.define_bom),
            _row(DefineRouting, engineering.define_routing),
        ),
        "production": (
            _row(CreateWorkOrder, production.create_work_order),
            _row(ReleaseWorkOrder, production.release_work_order),
            _row(IssueToWorkOrder, production.issue_to_work_order),
            _row(ReturnFromWorkOrder, production.return_from_work_order),
            _row(ReportOperation, production.report_operation),
            _row(ReceiveWorkOrderOutput, production.receive_work_order_output),
            _row(CompleteWorkOrder, production.complete_work_order),
            _row(CloseWorkOrder, production.close_work_order),
            _row(CancelWorkOrder, production.cancel_work_order),
        ),
        "orders": (
            _row(CreatePurchaseOrder, orders.create_purchase_order),
            _row(ConfirmPurchaseOrder, orders.confirm_purchase_order),
            _row(ReceivePurchaseOrder, orders.receive_purchase_order),
            _row(CancelPurchaseOrderLine, orders.cancel_purchase_order_line),
            _row(ReturnToSupplier, orders.return_to_supplier),
            _row(ClosePurchaseOrder, orders.close_purchase_order),
            _row(CreateSalesOrder, orders.create_sales_order),
            _row(AllocateSalesOrder, orders.allocate_sales_order),
            _row(PickSalesOrder, orders.pick_sales_order),
            _row(ShipSalesOrder, orders.ship_sales_order),
            _row(ReturnSalesOrder, orders.return_sales_order),
        ),
        "quality": (
            _row(DefineSpecification, quality.define_specification),
            _row(RecordInspection, quality.record_inspection),
            _row(PlaceHold, quality.place_hold),
            _row(HoldLots, quality.hold_lots),
            _row(ReleaseHold, quality.release_hold),
            _row(DisposeStock, quality.dispose_stock),
            _row(SplitLot, quality.split_lot),
            _row(MergeLots, quality.merge_lots),
            _row(ExpireLots, quality.expire_lots),
        ),
        "planning": (
            _row(ProposePlannedOrders, planning.propose_planned_orders),
            _row(FirmPlannedOrder, planning.firm_planned_order),
        ),
        # Cross-cutting, apart from the plant's features: who may act on the ledger.
        "identity": (
            _row(RegisterUser, identity.register_user),
            _row(SetPassword, identity.set_password),
            _row(GrantRole, identity.grant_role),
            _row(RevokeRole, identity.revoke_role),
            _row(DeactivateUser, identity.deactivate_user),
            _row(ReactivateUser, identity.reactivate_user),
            _row(EnrollTotp, identity.enroll_totp),
            _row(UnlockUser, identity.unlock_user),
            _row(EndSession, identity.end_session),
            _row(RecordFailedLogin, identity.record_failed_login),
            _row(ClearFailedLogins, identity.clear_failed_logins),
            _row(IssueApiKey, identity.issue_api_key),
            _row(RevokeApiKey, identity.revoke_api_key),
        ),
        # Cross-cutting too: other systems subscribed to the ledger's events.
        "webhooks": (
            _row(CreateWebhookSubscription, webhooks.create_webhook_subscription),
            _row(DisableWebhookSubscription, webhooks.disable_webhook_subscription),
            _row(EnableWebhookSubscription, webhooks.enable_webhook_subscription),
            _row(ReplayWebhookSubscription, webhooks.replay_webhook_subscription),
            _row(DeleteWebhookSubscription, webhooks.delete_webhook_subscription),
        ),
    }
)


def _table(features: Mapping[str, tuple[Row, ...]]) -> Mapping[type[Command], Handler]:
    table: dict[type[Command], Handler] = {}
    for rows in features.values():
        for command, handler in rows:
            if command in table:
                # A second row would silently replace the first handler.
                msg = f"{command.__name__} is listed twice in the dispatch table"
                raise ValueError(msg)
            table[command] = handler
    return MappingProxyType(table)


HANDLERS: Mapping[type[Command], Handler] = _table(FEATURES)
ALL_COMMANDS: tuple[type[Command], ...] = tuple(HANDLERS)
