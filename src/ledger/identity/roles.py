"""The vocabulary of permissions: roles, permissions, the one table of what each role
may do, and a grant (a role for a site, optionally a location subtree).

Kept apart from `ledger.identity.permissions` (which maps every command to a permission
and decides `allowed`) because the identity commands name roles and grants, and that
map names the identity commands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

ALL_SITES = "*"


class Role(StrEnum):
    OPERATOR = "operator"
    STOREKEEPER = "storekeeper"
    QUALITY_INSPECTOR = "quality_inspector"
    QUALITY_APPROVER = "quality_approver"
    PLANNER = "planner"
    PRODUCTION_SUPERVISOR = "production_supervisor"
    AUDITOR = "auditor"
    INTEGRATION = "integration"
    ADMINISTRATOR = "administrator"
    # The plant's own jobs (`principals.SYSTEM`); never granted to an account or a key.
    SYSTEM = "system"


class Permission(StrEnum):
    # stock movements
    STOCK_RECEIVE = "stock.receive"
    STOCK_ISSUE = "stock.issue"
    STOCK_MOVE = "stock.move"
    STOCK_ADJUST = "stock.adjust"
    STOCK_SCRAP = "stock.scrap"
    STOCK_COUNT = "stock.count"
    STOCK_RESERVE = "stock.reserve"
    STOCK_STATUS = "stock.status"
    STOCK_LOTS = "stock.lots"  # split and merge lots
    LOCATION_BLOCK = "location.block"
    # master data and engineering
    MASTER_DATA_WRITE = "master_data.write"
    ENGINEERING_WRITE = "engineering.write"
    # production
    PRODUCTION_WRITE = "production.write"  # create, release, complete, close, cancel
    PRODUCTION_MATERIAL = "production.material"  # issue to and return from a work order
    PRODUCTION_REPORT = "production.report"  # operations and output
    # orders
    ORDERS_PURCHASE = "orders.purchase"
    ORDERS_SALES = "orders.sales"
    ORDERS_SHIP = "orders.ship"  # pick and ship
    # quality
    QUALITY_SPECIFY = "quality.specify"
    QUALITY_INSPECT = "quality.inspect"
    QUALITY_HOLD = "quality.hold"
    QUALITY_RELEASE = "quality.release"  # signed
    QUALITY_DISPOSE = "quality.dispose"  # signed
    QUALITY_EXPIRE = "quality.expire"
    # planning
    PLANNING_WRITE = "planning.write"
    # identity
    IDENTITY_MANAGE = "identity.manage"
    # webhooks: subscribe other systems to the ledger's events, read the delivery log
    WEBHOOKS_MANAGE = "webhooks.manage"
    # reads
    READ_STOCK = "read.stock"
    READ_QUALITY = "read.quality"
    READ_PRODUCTION = "read.production"
    READ_PLANNING = "read.planning"
    READ_ORDERS = "read.orders"
    READ_MASTER_DATA = "read.master_data"
    READ_LEDGER = "read.ledger"
    # audit and operations
    AUDIT_REPLAY = "audit.replay"
    AUDIT_VERIFY = "audit.verify"
    ADMIN_REBUILD = "admin.rebuild"
    EXPORT = "export"


P = Permission
_READ_FLOOR = frozenset({P.READ_STOCK, P.READ_MASTER_DATA})
_READ_ALL = frozenset(p for p in Permission if p.startswith("read."))
# Signed actions need a quality approver's grant: an administrator's role does not give
# them (an administrator cannot sign as someone else, nor release by default).
_SIGNED = frozenset({P.QUALITY_RELEASE, P.QUALITY_DISPOSE})

ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {
        Role.OPERATOR: _READ_FLOOR
        | {
            P.READ_PRODUCTION,
            P.STOCK_MOVE,
            P.STOCK_COUNT,
            P.PRODUCTION_MATERIAL,
            P.PRODUCTION_REPORT,
        },
        Role.STOREKEEPER: _READ_FLOOR
        | {
            P.READ_ORDERS,
            P.READ_QUALITY,
            P.STOCK_RECEIVE,
            P.STOCK_ISSUE,
            P.STOCK_MOVE,
            P.STOCK_ADJUST,
            P.STOCK_SCRAP,
            P.STOCK_COUNT,
            P.STOCK_RESERVE,
            P.STOCK_LOTS,
            P.LOCATION_BLOCK,
            P.ORDERS_SHIP,
            P.PRODUCTION_MATERIAL,
        },
        Role.QUALITY_INSPECTOR: _READ_FLOOR
        | {
            P.READ_QUALITY,
            P.READ_PRODUCTION,
            P.QUALITY_INSPECT,
            P.QUALITY_HOLD,
            P.STOCK_STATUS,
            P.STOCK_LOTS,
            P.LOCATION_BLOCK,
        },
        Role.QUALITY_APPROVER: _READ_ALL
        | {
            P.QUALITY_SPECIFY,
            P.QUALITY_HOLD,
            P.QUALITY_RELEASE,
            P.QUALITY_DISPOSE,
            P.QUALITY_EXPIRE,
            P.STOCK_STATUS,
            P.EXPORT,
        },
        Role.PLANNER: _READ_ALL
        | {
            P.PLANNING_WRITE,
            P.ORDERS_PURCHASE,
            P.ORDERS_SALES,
            P.PRODUCTION_WRITE,
            P.STOCK_RESERVE,
            P.EXPORT,
        },
        Role.PRODUCTION_SUPERVISOR: _READ_FLOOR
        | {
            P.READ_PRODUCTION,
            P.READ_QUALITY,
            P.READ_PLANNING,
            P.PRODUCTION_WRITE,
            P.PRODUCTION_MATERIAL,
            P.PRODUCTION_REPORT,
            P.STOCK_MOVE,
            P.STOCK_ADJUST,
            P.STOCK_SCRAP,
            P.STOCK_RESERVE,
        },
        Role.AUDITOR: _READ_ALL | {P.AUDIT_REPLAY, P.AUDIT_VERIFY, P.EXPORT},
        Role.INTEGRATION: _READ_FLOOR
        | {
            P.READ_ORDERS,
            P.READ_PRODUCTION,
            P.READ_PLANNING,
            P.STOCK_RECEIVE,
            P.STOCK_ISSUE,
            P.STOCK_MOVE,
            P.ORDERS_PURCHASE,
            P.ORDERS_SALES,
            P.ORDERS_SHIP,
            P.PRODUCTION_MATERIAL,
            P.PRODUCTION_REPORT,
        },
        Role.ADMINISTRATOR: frozenset(Permission) - _SIGNED,
        Role.SYSTEM: _READ_ALL
        | {P.QUALITY_EXPIRE, P.PLANNING_WRITE, P.AUDIT_VERIFY, P.ADMIN_REBUILD},
    }
)

# Roles whose grant may span every site; the others are granted site by site.
ALL_SITE_ROLES = frozenset({Role.ADMINISTRATOR, Role.AUDITOR, Role.SYSTEM})
# Roles no account or key can be granted.
RESERVED_ROLES = frozenset({Role.SYSTEM})


@dataclass(frozen=True, kw_only=True)
class Grant:
    """A role for one site (or ``"*"``, every site) and optionally a location subtree."""

    role: Role
    site: str
    location_prefix: str | None = None

    def covers(self, site: str | None, location: str | None) -> bool:
        """Whether this grant applies at ``site`` (None: a plant-wide action, which only
        an every-site grant covers) and ``location`` (None: the site as a whole, which a
        location-scoped grant does not cover)."""
        if self.site != ALL_SITES and (site is None or self.site != site):
            return False
        if self.location_prefix is None:
            return True
        return location is not None and location.startswith(self.location_prefix)
