"""What each command needs, and the one check of whether a principal may do it where.

A role is granted to an account (or given to an API key) for one site, or for every
site (``"*"``, for administrators and auditors), and optionally for a location subtree
of that site (``location_prefix``: location codes starting with it, e.g. ``"WH1-"``).
`ledger.identity.roles.ROLE_PERMISSIONS` says what each role may do,
`COMMAND_PERMISSIONS` what each command needs; `allowed` is the one check. Signed
actions (a release, a disposition) also need an electronic signature
(``ledger.identity.signatures``) besides the permission.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ledger.commands import Command
from ledger.engineering.commands import DefineBom, DefineRouting, DefineWorkCenter
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
from ledger.identity.principals import Principal, PrincipalKind
from ledger.identity.roles import ROLE_PERMISSIONS, Grant, Permission, Role
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

P = Permission
COMMAND_PERMISSIONS: Mapping[type[Command], Permission] = MappingProxyType(
    {
        # master data
        RegisterItem: P.MASTER_DATA_WRITE,
        ChangePlanningParameters: P.PLANNING_WRITE,
        ChangeStandardCost: P.MASTER_DATA_WRITE,
        RegisterLocation: P.MASTER_DATA_WRITE,
        BlockLocation: P.LOCATION_BLOCK,
        UnblockLocation: P.LOCATION_BLOCK,
        # stock
        ReceiveStock: P.STOCK_RECEIVE,
        IssueStock: P.STOCK_ISSUE,
        MoveStock: P.STOCK_MOVE,
        AdjustStock: P.STOCK_ADJUST,
        ScrapStock: P.STOCK_SCRAP,
        CountStock: P.STOCK_COUNT,
        ReserveStock: P.STOCK_RESERVE,
        ReleaseReservation: P.STOCK_RESERVE,
        ChangeStockStatus: P.STOCK_STATUS,
        # engineering
        DefineWorkCenter: P.ENGINEERING_WRITE,
        DefineBom: P.ENGINEERING_WRITE,
        DefineRouting: P.ENGINEERING_WRITE,
        # production
        CreateWorkOrder: P.PRODUCTION_WRITE,
        ReleaseWorkOrder: P.PRODUCTION_WRITE,
        IssueToWorkOrder: P.PRODUCTION_MATERIAL,
        ReturnFromWorkOrder: P.PRODUCTION_MATERIAL,
        ReportOperation: P.PRODUCTION_REPORT,
        ReceiveWorkOrderOutput: P.PRODUCTION_REPORT,
        CompleteWorkOrder: P.PRODUCTION_WRITE,
        CloseWorkOrder: P.PRODUCTION_WRITE,
        CancelWorkOrder: P.PRODUCTION_WRITE,
        # orders
        CreatePurchaseOrder: P.ORDERS_PURCHASE,
        ConfirmPurchaseOrder: P.ORDERS_PURCHASE,
        ReceivePurchaseOrder: P.STOCK_RECEIVE,
        CancelPurchaseOrderLine: P.ORDERS_PURCHASE,
        ReturnToSupplier: P.ORDERS_PURCHASE,
        ClosePurchaseOrder: P.ORDERS_PURCHASE,
        CreateSalesOrder: P.ORDERS_SALES,
        AllocateSalesOrder: P.ORDERS_SALES,
        PickSalesOrder: P.ORDERS_SHIP,
        ShipSalesOrder: P.ORDERS_SHIP,
        ReturnSalesOrder: P.STOCK_RECEIVE,
        # quality
        DefineSpecification: P.QUALITY_SPECIFY,
        RecordInspection: P.QUALITY_INSPECT,
        PlaceHold: P.QUALITY_HOLD,
        HoldLots: P.QUALITY_HOLD,
        ReleaseHold: P.QUALITY_RELEASE,
        DisposeStock: P.QUALITY_DISPOSE,
        SplitLot: P.STOCK_LOTS,
        MergeLots: P.STOCK_LOTS,
        ExpireLots: P.QUALITY_EXPIRE,
        # planning
        ProposePlannedOrders: P.PLANNING_WRITE,
        FirmPlannedOrder: P.PLANNING_WRITE,
        # identity (setting one's own password is decided by the HTTP layer: `may_set_password`)
        RegisterUser: P.IDENTITY_MANAGE,
        SetPassword: P.IDENTITY_MANAGE,
        GrantRole: P.IDENTITY_MANAGE,
        RevokeRole: P.IDENTITY_MANAGE,
        DeactivateUser: P.IDENTITY_MANAGE,
        ReactivateUser: P.IDENTITY_MANAGE,
        EnrollTotp: P.IDENTITY_MANAGE,
        UnlockUser: P.IDENTITY_MANAGE,
        EndSession: P.IDENTITY_MANAGE,
        # Sent by the login endpoint as a trusted caller; no principal may post them.
        RecordFailedLogin: P.IDENTITY_MANAGE,
        ClearFailedLogins: P.IDENTITY_MANAGE,
        IssueApiKey: P.IDENTITY_MANAGE,
        RevokeApiKey: P.IDENTITY_MANAGE,
        # webhooks (plant-wide, like identity: a subscription may see every site)
        CreateWebhookSubscription: P.WEBHOOKS_MANAGE,
        DisableWebhookSubscription: P.WEBHOOKS_MANAGE,
        EnableWebhookSubscription: P.WEBHOOKS_MANAGE,
        ReplayWebhookSubscription: P.WEBHOOKS_MANAGE,
        DeleteWebhookSubscription: P.WEBHOOKS_MANAGE,
    }
)


def permits(grant: Grant, permission: Permission, site: str | None, location: str | None) -> bool:
    return permission in ROLE_PERMISSIONS[grant.role] and grant.covers(site, location)


def allowed(
    principal: Principal, permission: Permission, site: str | None, location: str | None = None
) -> bool:
    """May ``principal`` do ``permission`` at ``site`` (and ``location``)? Some grant must
    both hold the permission and cover the place: two grants are never combined."""
    return any(permits(grant, permission, site, location) for grant in principal.grants)


def may_set_password(principal: Principal, user_id: str) -> bool:
    """A person may set their own password; setting another's takes identity.manage."""
    own = principal.kind is PrincipalKind.PERSON and principal.id == user_id
    return own or allowed(principal, P.IDENTITY_MANAGE, None)


def may_end_session(principal: Principal, user_id: str) -> bool:
    """A person may end their own sessions (logout); ending another's takes
    identity.manage."""
    return may_set_password(principal, user_id)


def roles_table() -> list[tuple[Role, list[Permission]]]:
    """Roles × permissions, as ``docs/identity.md`` shows it."""
    return [(role, sorted(ROLE_PERMISSIONS[role])) for role in Role]
