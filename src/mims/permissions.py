"""What each read and operation needs: GraphQL root fields and /admin endpoints mapped to
the read, audit, rebuild and export permissions of `ledger.identity.roles` (commands are
mapped in `ledger.identity.permissions.COMMAND_PERMISSIONS`). One table each; the
authorisation matrix test (tests/commands/test_authorization_matrix.py) fails when a
field or an endpoint has no row.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from fastapi import HTTPException, Request

from ledger.identity.permissions import allowed
from ledger.identity.principals import Principal
from ledger.identity.roles import ALL_SITES, ROLE_PERMISSIONS, Permission
from ledger.writer import PLANT_WIDE
from queries.access import NOWHERE, Access, Scope

P = Permission
GRAPHQL_PERMISSIONS: Mapping[str, Permission] = MappingProxyType(
    {
        # master data and engineering
        "item": P.READ_MASTER_DATA,
        "items": P.READ_MASTER_DATA,
        "location": P.READ_MASTER_DATA,
        "vocabulary": P.READ_MASTER_DATA,
        "bomExplosion": P.READ_MASTER_DATA,
        "whereUsed": P.READ_MASTER_DATA,
        "projectionStatus": P.READ_MASTER_DATA,
        # stock
        "stockOnHand": P.READ_STOCK,
        "availableToPromise": P.READ_STOCK,
        "reservations": P.READ_STOCK,
        "lot": P.READ_STOCK,
        "stockLedger": P.READ_LEDGER,
        "valuation": P.READ_LEDGER,
        # quality
        "qualityKpis": P.READ_QUALITY,
        "recallSimulation": P.READ_QUALITY,
        "signatures": P.READ_QUALITY,
        "signedReleases": P.READ_QUALITY,
        "traceBackward": P.READ_QUALITY,
        "traceForward": P.READ_QUALITY,
        # production
        "consumption": P.READ_PRODUCTION,
        "wipByWorkCenter": P.READ_PRODUCTION,
        "workOrder": P.READ_PRODUCTION,
        "workOrders": P.READ_PRODUCTION,
        # orders
        "allocations": P.READ_ORDERS,
        "shipments": P.READ_ORDERS,
        # planning
        "mrpRun": P.READ_PLANNING,
        "plannedOrders": P.READ_PLANNING,
        "planningRuns": P.READ_PLANNING,
        "openDemand": P.READ_PLANNING,
        "openSupply": P.READ_PLANNING,
        # webhooks (administrators, every site: `queries.webhooks`)
        "webhookSubscriptions": P.WEBHOOKS_MANAGE,
        "webhookDeliveries": P.WEBHOOKS_MANAGE,
    }
)

# (method, route path) of /admin: a plant-wide operation, so an every-site grant is needed.
ADMIN_PERMISSIONS: Mapping[tuple[str, str], Permission] = MappingProxyType(
    {
        ("GET", "/admin/projections"): P.READ_LEDGER,
        ("POST", "/admin/projections/rebuild"): P.ADMIN_REBUILD,
        ("GET", "/admin/jobs/{job_id}"): P.ADMIN_REBUILD,
        ("POST", "/admin/audit/verify"): P.AUDIT_VERIFY,
        ("POST", "/admin/quality/expire"): P.QUALITY_EXPIRE,
        ("POST", "/admin/planning/mrp"): P.PLANNING_WRITE,
        ("POST", "/admin/planning/policies"): P.PLANNING_WRITE,
    }
)


def readable_scope(principal: Principal, permission: Permission) -> Scope | None:
    """The places where ``principal`` holds ``permission``: a (site, location prefix) pair
    per grant holding it (None: everywhere, an every-site grant without a prefix)."""
    places = set()
    for grant in principal.grants:
        if permission in ROLE_PERMISSIONS[grant.role]:
            prefix = grant.location_prefix or ""
            if grant.site == ALL_SITES and prefix == "":
                return None
            places.add((grant.site, prefix))
    return Scope(frozenset(places))


def may_read_somewhere(principal: Principal, permission: Permission) -> bool:
    found = readable_scope(principal, permission)
    return found is None or bool(found.places)


def graphql_access(request: Request) -> Access:
    principal = request.scope.get("state", {}).get("principal")
    if not isinstance(principal, Principal):
        return Access(may_read=lambda _field: False, scope=lambda _field: NOWHERE)

    def may_read(field: str) -> bool:
        permission = GRAPHQL_PERMISSIONS.get(field)
        if permission in PLANT_WIDE:
            return allowed(principal, permission, None)  # an every-site grant
        return permission is not None and may_read_somewhere(principal, permission)

    def scope(field: str) -> Scope | None:
        permission = GRAPHQL_PERMISSIONS.get(field)
        return NOWHERE if permission is None else readable_scope(principal, permission)

    return Access(may_read=may_read, scope=scope)


def forbidden(detail: str) -> HTTPException:
    return HTTPException(403, detail)


def check_admin(request: Request) -> None:
    """The /admin routes' dependency: the principal holds the route's permission on an
    every-site grant, else 403 (a route with no row in the table is refused too)."""
    route = request.scope.get("route")
    key = (request.method, getattr(route, "path", ""))
    permission = ADMIN_PERMISSIONS.get(key)
    principal = request.scope.get("state", {}).get("principal")
    if permission is None or not isinstance(principal, Principal):
        raise forbidden(f"{key[0]} {key[1]} is mapped to no permission")
    if not allowed(principal, permission, None):
        raise forbidden(f"{principal.actor} may not {permission} (a plant-wide grant is needed)")


# GET /v1/epcis/events: an export, narrowed to the places of the caller's grants.
EPCIS_PERMISSION = P.EXPORT


def check_epcis(request: Request) -> None:
    """The EPCIS route's dependency: the principal may export somewhere, else 403."""
    principal = request.scope.get("state", {}).get("principal")
    if not isinstance(principal, Principal) or not may_read_somewhere(principal, EPCIS_PERMISSION):
        raise forbidden(f"not permitted: {EPCIS_PERMISSION}")


def epcis_places(request: Request) -> frozenset[tuple[str, str]] | None:
    """The (site, location prefix) pairs the caller may export (None: everywhere)."""
    principal = request.scope.get("state", {}).get("principal")
    if not isinstance(principal, Principal):
        return frozenset()
    scope = readable_scope(principal, EPCIS_PERMISSION)
    return None if scope is None else scope.places
