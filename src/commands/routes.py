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
from ledger import commands as c

PREFIX = "/v1"

COMMAND_ROUTES: tuple[CommandRoute, ...] = (
    CommandRoute(
        "/items",
        c.RegisterItem,
        "master data",
        "Register an item (SKU) with its unit, tracking, costing and planning parameters",
    ),
    CommandRoute(
        "/items/planning-parameters",
        c.ChangePlanningParameters,
        "master data",
        "Change an item's lead time, lot sizing, safety stock or reorder point",
    ),
    CommandRoute(
        "/items/standard-cost",
        c.ChangeStandardCost,
        "master data",
        "Change a standard-costed item's standard cost; on-hand stock is revalued",
    ),
    CommandRoute(
        "/locations",
        c.RegisterLocation,
        "master data",
        "Register a site, warehouse, zone or bin under its parent",
    ),
    CommandRoute(
        "/locations/block",
        c.BlockLocation,
        "master data",
        "Block a location (and everything under it) for movements",
    ),
    CommandRoute("/locations/unblock", c.UnblockLocation, "master data", "Lift a location's block"),
    CommandRoute(
        "/receipts",
        c.ReceiveStock,
        "stock",
        "Receive stock into a location, at a unit cost, optionally as a lot",
    ),
    CommandRoute(
        "/issues",
        c.IssueStock,
        "stock",
        "Issue available stock to a work order, cost center or customer",
    ),
    CommandRoute(
        "/moves",
        c.MoveStock,
        "stock",
        "Move stock between locations; its status and cost travel with it",
    ),
    CommandRoute(
        "/adjustments", c.AdjustStock, "stock", "Adjust a balance up or down with a reason code"
    ),
    CommandRoute(
        "/scraps",
        c.ScrapStock,
        "stock",
        "Write available stock off as scrap, at its cost, with a reason code",
    ),
    CommandRoute(
        "/counts",
        c.CountStock,
        "stock",
        "Record a physical count; the variance against the book is posted",
    ),
    CommandRoute(
        "/reservations",
        c.ReserveStock,
        "stock",
        "Reserve available stock for a demand, for the item or pinned to a location and lot",
    ),
    CommandRoute(
        "/reservations/release",
        c.ReleaseReservation,
        "stock",
        "Release all or part of a reservation",
    ),
    CommandRoute(
        "/status-changes",
        c.ChangeStockStatus,
        "stock",
        "Move stock between available, quarantine, held and rejected",
    ),
    CommandRoute(
        "/work-centers",
        c.DefineWorkCenter,
        "engineering",
        "Define a work center: capacity, calendar, rates",
    ),
    CommandRoute(
        "/boms",
        c.DefineBom,
        "engineering",
        "Define a BOM version; a BOM that would contain itself is refused",
    ),
    CommandRoute(
        "/routings",
        c.DefineRouting,
        "engineering",
        "Define a routing version: operations at work centers",
    ),
    CommandRoute("/work-orders", c.CreateWorkOrder, "production", "Create a work order"),
    CommandRoute(
        "/work-orders/release",
        c.ReleaseWorkOrder,
        "production",
        "Release: snapshot BOM and routing, reserve components",
    ),
    CommandRoute(
        "/work-orders/issue",
        c.IssueToWorkOrder,
        "production",
        "Issue a component to a work order (pick list)",
    ),
    CommandRoute(
        "/work-orders/return",
        c.ReturnFromWorkOrder,
        "production",
        "Return a component from a work order to stock",
    ),
    CommandRoute(
        "/work-orders/report",
        c.ReportOperation,
        "production",
        "Report an operation: good, scrap, rework, hours; backflush",
    ),
    CommandRoute(
        "/work-orders/receive",
        c.ReceiveWorkOrderOutput,
        "production",
        "Receive output into stock, at its WIP cost",
    ),
    CommandRoute(
        "/work-orders/complete",
        c.CompleteWorkOrder,
        "production",
        "Report what is left at standard and receive all output",
    ),
    CommandRoute(
        "/work-orders/close",
        c.CloseWorkOrder,
        "production",
        "Close with variances; release what is still reserved",
    ),
    CommandRoute(
        "/work-orders/cancel",
        c.CancelWorkOrder,
        "production",
        "Cancel an order that consumed nothing",
    ),
    CommandRoute("/purchase-orders", c.CreatePurchaseOrder, "orders", "Create a purchase order"),
    CommandRoute(
        "/purchase-orders/confirm", c.ConfirmPurchaseOrder, "orders", "Confirm a purchase order"
    ),
    CommandRoute(
        "/purchase-orders/receive",
        c.ReceivePurchaseOrder,
        "orders",
        "Receive purchase-order lines into a location",
    ),
    CommandRoute(
        "/purchase-orders/cancel-line",
        c.CancelPurchaseOrderLine,
        "orders",
        "Cancel what is open on a line",
    ),
    CommandRoute(
        "/purchase-orders/return",
        c.ReturnToSupplier,
        "orders",
        "Return received goods to the supplier",
    ),
    CommandRoute(
        "/purchase-orders/close", c.ClosePurchaseOrder, "orders", "Close a purchase order"
    ),
    CommandRoute(
        "/specifications",
        c.DefineSpecification,
        "quality",
        "Define an item's quality specification (characteristics and limits)",
    ),
    CommandRoute(
        "/inspections",
        c.RecordInspection,
        "quality",
        "Record an inspection against the specification; a failure rejects what it covers",
    ),
    CommandRoute(
        "/holds",
        c.PlaceHold,
        "quality",
        "Hold a quantity, a lot or every lot of an item; holds stack",
    ),
    CommandRoute(
        "/holds/lots",
        c.HoldLots,
        "quality",
        "Hold every listed lot in one atomic step (recall containment)",
    ),
    CommandRoute("/holds/release", c.ReleaseHold, "quality", "Release one hold, with a signature"),
    CommandRoute(
        "/dispositions",
        c.DisposeStock,
        "quality",
        "Scrap, return, rework or use as is rejected or quarantined stock",
    ),
    CommandRoute("/lots/split", c.SplitLot, "quality", "Split part of a lot off as a new lot"),
    CommandRoute(
        "/lots/merge", c.MergeLots, "quality", "Merge lots at one location into a new lot"
    ),
    CommandRoute(
        "/lots/expire",
        c.ExpireLots,
        "quality",
        "Hold the item's lots past their expiry (reason: expired)",
    ),
    CommandRoute("/sales-orders", c.CreateSalesOrder, "orders", "Create a sales order"),
    CommandRoute(
        "/sales-orders/allocate",
        c.AllocateSalesOrder,
        "orders",
        "Allocate available stock, first to expire first",
    ),
    CommandRoute(
        "/sales-orders/pick", c.PickSalesOrder, "orders", "Record picking of allocated stock"
    ),
    CommandRoute(
        "/sales-orders/ship",
        c.ShipSalesOrder,
        "orders",
        "Ship to the customer, from allocations first",
    ),
    CommandRoute(
        "/sales-orders/return",
        c.ReturnSalesOrder,
        "orders",
        "Take back shipped goods (into quarantine)",
    ),
    CommandRoute(
        "/planned-orders",
        c.ProposePlannedOrders,
        "planning",
        "Save an MRP run's planned orders; the previous run's unfirmed ones are superseded",
    ),
    CommandRoute(
        "/planned-orders/firm",
        c.FirmPlannedOrder,
        "planning",
        "Firm a planned order into a purchase order or a work order",
    ),
    RECALL_HOLD,
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
