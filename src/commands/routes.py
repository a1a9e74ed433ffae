"""The command table: every command route of the API, in one place.

Each `CommandRoute` is served by its `CommandEndpoint` (the one HTTP path of a command,
`commands.lane`) and documented from the same row in the OpenAPI document.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Response

from commands.api import CREATED
from commands.lane import CommandEndpoint, CommandLane, CommandRoute, documented_endpoint
from commands.limits import DEFAULT_MAX_BODY
from commands.recalls import RECALL_HOLD
from commands.webhooks import check_webhook_target
from ledger.engineering.commands import DefineBom, DefineRouting, DefineWorkCenter
from ledger.identity.commands import (
    DeactivateUser,
    EndSession,
    EnrollTotp,
    GrantRole,
    IssueApiKey,
    ReactivateUser,
    RegisterUser,
    RevokeApiKey,
    RevokeRole,
    SetPassword,
    UnlockUser,
)
from ledger.master_data.commands import (
    BlockLocation,
    ChangePlanningParameters,
    ChangeStandardCost,
    RegisterItem,
    RegisterLocation,
    UnblockLocation,
)
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
from ledger.planning.commands import FirmPlannedOrder, ProposePlannedOrders
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
from ledger.webhooks.commands import (
    CreateWebhookSubscription,
    DeleteWebhookSubscription,
    DisableWebhookSubscription,
    EnableWebhookSubscription,
    ReplayWebhookSubscription,
)

PREFIX = "/v1"

COMMAND_ROUTES: tuple[CommandRoute, ...] = (
    CommandRoute(
        "/items",
        RegisterItem,
        "master data",
        "Register an item (SKU) with its unit, tracking, costing and planning parameters",
    ),
    CommandRoute(
        "/items/planning-parameters",
        ChangePlanningParameters,
        "master data",
        "Change an item's lead time, lot sizing, safety stock or reorder point",
    ),
    CommandRoute(
        "/items/standard-cost",
        ChangeStandardCost,
        "master data",
        "Change a standard-costed item's standard cost; on-hand stock is revalued",
    ),
    CommandRoute(
        "/locations",
        RegisterLocation,
        "master data",
        "Register a site, warehouse, zone or bin under its parent",
    ),
    CommandRoute(
        "/locations/block",
        BlockLocation,
        "master data",
        "Block a location (and everything under it) for movements",
    ),
    CommandRoute("/locations/unblock", UnblockLocation, "master data", "Lift a location's block"),
    CommandRoute(
        "/receipts",
        ReceiveStock,
        "stock",
        "Receive stock into a location, at a unit cost, optionally as a lot",
    ),
    CommandRoute(
        "/issues",
        IssueStock,
        "stock",
        "Issue available stock to a work order, cost center or customer",
    ),
    CommandRoute(
        "/moves",
        MoveStock,
        "stock",
        "Move stock between locations; its status and cost travel with it",
    ),
    CommandRoute(
        "/adjustments", AdjustStock, "stock", "Adjust a balance up or down with a reason code"
    ),
    CommandRoute(
        "/scraps",
        ScrapStock,
        "stock",
        "Write available stock off as scrap, at its cost, with a reason code",
    ),
    CommandRoute(
        "/counts",
        CountStock,
        "stock",
        "Record a physical count; the variance against the book is posted",
    ),
    CommandRoute(
        "/reservations",
        ReserveStock,
        "stock",
        "Reserve available stock for a demand, for the item or pinned to a location and lot",
    ),
    CommandRoute(
        "/reservations/release",
        ReleaseReservation,
        "stock",
        "Release all or part of a reservation",
    ),
    CommandRoute(
        "/status-changes",
        ChangeStockStatus,
        "stock",
        "Move stock between available, quarantine, held and rejected",
    ),
    CommandRoute(
        "/work-centers",
        DefineWorkCenter,
        "engineering",
        "Define a work center: capacity, calendar, rates",
    ),
    CommandRoute(
        "/boms",
        DefineBom,
        "engineering",
        "Define a BOM version; a BOM that would contain itself is refused",
    ),
    CommandRoute(
        "/routings",
        DefineRouting,
        "engineering",
        "Define a routing version: operations at work centers",
    ),
    CommandRoute("/work-orders", CreateWorkOrder, "production", "Create a work order"),
    CommandRoute(
        "/work-orders/release",
        ReleaseWorkOrder,
        "production",
        "Release: snapshot BOM and routing, reserve components",
    ),
    CommandRoute(
        "/work-orders/issue",
        IssueToWorkOrder,
        "production",
        "Issue a component to a work order (pick list)",
    ),
    CommandRoute(
        "/work-orders/return",
        ReturnFromWorkOrder,
        "production",
        "Return a component from a work order to stock",
    ),
    CommandRoute(
        "/work-orders/report",
        ReportOperation,
        "production",
        "Report an operation: good, scrap, rework, hours; backflush",
    ),
    CommandRoute(
        "/work-orders/receive",
        ReceiveWorkOrderOutput,
        "production",
        "Receive output into stock, at its WIP cost",
    ),
    CommandRoute(
        "/work-orders/complete",
        CompleteWorkOrder,
        "production",
        "Report what is left at standard and receive all output",
    ),
    CommandRoute(
        "/work-orders/close",
        CloseWorkOrder,
        "production",
        "Close with variances; release what is still reserved",
    ),
    CommandRoute(
        "/work-orders/cancel",
        CancelWorkOrder,
        "production",
        "Cancel an order that consumed nothing",
    ),
    CommandRoute("/purchase-orders", CreatePurchaseOrder, "orders", "Create a purchase order"),
    CommandRoute(
        "/purchase-orders/confirm", ConfirmPurchaseOrder, "orders", "Confirm a purchase order"
    ),
    CommandRoute(
        "/purchase-orders/receive",
        ReceivePurchaseOrder,
        "orders",
        "Receive purchase-order lines into a location",
    ),
    CommandRoute(
        "/purchase-orders/cancel-line",
        CancelPurchaseOrderLine,
        "orders",
        "Cancel what is open on a line",
    ),
    CommandRoute(
        "/purchase-orders/return",
        ReturnToSupplier,
        "orders",
        "Return received goods to the supplier",
    ),
    CommandRoute("/purchase-orders/close", ClosePurchaseOrder, "orders", "Close a purchase order"),
    CommandRoute(
        "/specifications",
        DefineSpecification,
        "quality",
        "Define an item's quality specification (characteristics and limits)",
    ),
    CommandRoute(
        "/inspections",
        RecordInspection,
        "quality",
        "Record an inspection against the specification; a failure rejects what it covers",
    ),
    CommandRoute(
        "/holds",
        PlaceHold,
        "quality",
        "Hold a quantity, a lot or every lot of an item; holds stack",
    ),
    CommandRoute(
        "/holds/lots",
        HoldLots,
        "quality",
        "Hold every listed lot in one atomic step (recall containment)",
    ),
    CommandRoute("/holds/release", ReleaseHold, "quality", "Release one hold, with a signature"),
    CommandRoute(
        "/dispositions",
        DisposeStock,
        "quality",
        "Scrap, return, rework or use as is rejected or quarantined stock",
    ),
    CommandRoute("/lots/split", SplitLot, "quality", "Split part of a lot off as a new lot"),
    CommandRoute("/lots/merge", MergeLots, "quality", "Merge lots at one location into a new lot"),
    CommandRoute(
        "/lots/expire",
        ExpireLots,
        "quality",
        "Hold the item's lots past their expiry (reason: expired)",
    ),
    CommandRoute("/sales-orders", CreateSalesOrder, "orders", "Create a sales order"),
    CommandRoute(
        "/sales-orders/allocate",
        AllocateSalesOrder,
        "orders",
        "Allocate available stock, first to expire first",
    ),
    CommandRoute(
        "/sales-orders/pick", PickSalesOrder, "orders", "Record picking of allocated stock"
    ),
    CommandRoute(
        "/sales-orders/ship",
        ShipSalesOrder,
        "orders",
        "Ship to the customer, from allocations first",
    ),
    CommandRoute(
        "/sales-orders/return",
        ReturnSalesOrder,
        "orders",
        "Take back shipped goods (into quarantine)",
    ),
    CommandRoute(
        "/planned-orders",
        ProposePlannedOrders,
        "planning",
        "Save an MRP run's planned orders; the previous run's unfirmed ones are superseded",
    ),
    CommandRoute(
        "/planned-orders/firm",
        FirmPlannedOrder,
        "planning",
        "Firm a planned order into a purchase order or a work order",
    ),
    RECALL_HOLD,
    CommandRoute(
        "/users", RegisterUser, "identity", "Register a person (user ids are never reused)"
    ),
    CommandRoute(
        "/users/password",
        SetPassword,
        "identity",
        "Set a person's password (their own, or anyone's with identity.manage)",
    ),
    CommandRoute("/users/grant", GrantRole, "identity", "Grant a role for a site"),
    CommandRoute("/users/revoke-role", RevokeRole, "identity", "Revoke a role's grant"),
    CommandRoute(
        "/users/deactivate", DeactivateUser, "identity", "Deactivate a person (within 1 s)"
    ),
    CommandRoute("/users/reactivate", ReactivateUser, "identity", "Reactivate a person"),
    CommandRoute(
        "/users/totp",
        EnrollTotp,
        "identity",
        "Enroll a TOTP authenticator; its URI is answered once (data.totp_uri)",
    ),
    CommandRoute(
        "/users/unlock",
        UnlockUser,
        "identity",
        "Unlock a person locked by wrong signatures or wrong passwords at login",
    ),
    CommandRoute(
        "/users/end-session",
        EndSession,
        "identity",
        "End a login session (within 1 s): one's own, or anyone's with identity.manage",
    ),
    CommandRoute(
        "/api-keys",
        IssueApiKey,
        "identity",
        "Issue an API key; its text is answered once (data.key), stored only hashed",
    ),
    CommandRoute("/api-keys/revoke", RevokeApiKey, "identity", "Revoke an API key (within 1 s)"),
    CommandRoute(
        "/webhooks",
        CreateWebhookSubscription,
        "webhooks",
        "Subscribe a receiver to the ledger's events; its secret is answered once (data.secret)",
        decide=check_webhook_target,
    ),
    CommandRoute(
        "/webhooks/disable",
        DisableWebhookSubscription,
        "webhooks",
        "Stop delivering to a subscription (its cursor is kept)",
    ),
    CommandRoute(
        "/webhooks/enable",
        EnableWebhookSubscription,
        "webhooks",
        "Resume a disabled subscription where it stopped",
    ),
    CommandRoute(
        "/webhooks/replay",
        ReplayWebhookSubscription,
        "webhooks",
        "Deliver again from a position of the log or from a time",
    ),
    CommandRoute(
        "/webhooks/delete", DeleteWebhookSubscription, "webhooks", "Delete a subscription"
    ),
)


def documented_routes() -> APIRouter:
    """The command routes as the OpenAPI document describes them (they answer nothing:
    `serve_commands` serves the same rows)."""
    router = APIRouter(prefix=PREFIX)
    for route in COMMAND_ROUTES:
        router.add_api_route(
            route.path,
            documented_endpoint(route),
            methods=["POST"],
            status_code=CREATED,
            responses=route.answers,
            response_class=Response,
            tags=[route.tag],
            summary=route.summary,
            description=route.description,
            name=route.operation,
        )
    return router


def serve_commands(app: FastAPI, max_body: int = DEFAULT_MAX_BODY) -> None:
    """Serve every command route on ``app``: one `CommandEndpoint` per row, routed like
    any path (404, 405) and reached before routing by the lane."""
    endpoints = {PREFIX + route.path: CommandEndpoint(route, max_body) for route in COMMAND_ROUTES}
    for path, endpoint in endpoints.items():
        # An ASGI app, not a request function: Starlette's Route serves it as it is.
        app.router.add_route(path, endpoint, methods=["POST"], include_in_schema=False)  # type: ignore[arg-type]
    app.add_middleware(CommandLane, endpoints=endpoints)
