"""The authorisation matrix, generated from the permission tables: every command route,
GraphQL root field, /admin endpoint and export model × every grantable role × its own
site, another site and every site, against what `ROLE_PERMISSIONS` says. Prints "cells
checked N, wrong 0"; fails when a route, a field or an endpoint has no permission.

Commands are checked where the writer checks them (the check before the handler, then
the place the handler resolves, `UnitOfWork.place`), at a location of the principal's
site and at one of another site; GraphQL and /admin over HTTP, one API key per grant.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from commands.recalls import RECALL_HOLD
from commands.routes import COMMAND_ROUTES
from ledger.aggregate import LedgerAggregate
from ledger.commands import Command
from ledger.errors import NotPermitted
from ledger.identity.commands import EndSession, SetPassword
from ledger.identity.permissions import COMMAND_PERMISSIONS
from ledger.identity.principals import Principal, PrincipalKind
from ledger.identity.roles import ROLE_PERMISSIONS, Grant, Permission, Role
from ledger.master_data.commands import RegisterLocation
from ledger.master_data.location import Location
from ledger.quality.commands import HoldLots
from ledger.store import store_env
from ledger.unit_of_work import Envelope, UnitOfWork
from ledger.writer import PLANT_WIDE, Ledger, WriterSettings, permitted_somewhere
from mims.imports.api import IMPORT_PERMISSIONS
from mims.permissions import ADMIN_PERMISSIONS, GRAPHQL_PERMISSIONS
from mims.server import create_app
from projections.engine.view import ReadModels
from queries.exports.catalogue import MODELS
from queries.schema import build_schema
from tests.support.identity import admin_key, bearer, issue_key

GRANTABLE = [role for role in Role if role is not Role.SYSTEM]
EVERY_SITE = {Role.ADMINISTRATOR, Role.AUDITOR}  # the roles a "*" grant may hold
OWN, OTHER = "P1", "P2"
# (role, the grant's site): each role at its own site, and the every-site grants.
GRANTS = [(role, OWN) for role in GRANTABLE] + [(role, "*") for role in EVERY_SITE]


def principal(role: Role, site: str) -> Principal:
    return Principal(
        kind=PrincipalKind.KEY, id="k", printed_name="k", grants=(Grant(role=role, site=site),)
    )


def command_of(body: type[BaseModel]) -> type[Command]:
    if body is RECALL_HOLD.body:
        return HoldLots  # the recall posts HoldLots
    assert issubclass(body, Command), body
    return body


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    folder: Path = tmp_path_factory.mktemp("matrix")
    led = Ledger(store_env(f"sqlite:///{folder}/events.db"), WriterSettings(batch_wait=0))
    for site in (OWN, OTHER):
        for code, level, parent in [
            (site, "site", None),
            (f"{site}-W", "warehouse", site),
            (f"{site}-A", "zone", f"{site}-W"),
        ]:
            led.execute(RegisterLocation(code=code, name=code, level=level, parent=parent))  # type: ignore[arg-type]
    yield led
    led.close()


class Locations:
    """The committed locations, as a unit of work's source (a place walks only those)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def load(self, aggregate_id: UUID) -> LedgerAggregate | None:
        return self.ledger.find(Location, aggregate_id)


def decided(ledger: Ledger, who: Principal, command: type[Command], at: str) -> bool:
    """Whether the writer's checks let ``who`` send ``command`` acting at location ``at``."""
    envelope = Envelope(
        actor=who.actor,
        command_id="matrix",
        correlation_id="matrix",
        effective_at=datetime.now(UTC),
        principal=who,
        permission=COMMAND_PERMISSIONS.get(command),
    )
    try:
        permitted_somewhere(envelope, command.model_construct())
        UnitOfWork(Locations(ledger), envelope).place(at)
    except NotPermitted:
        return False
    return True


def expected_for_command(permission: Permission, role: Role, site: str, at_own: bool) -> bool:
    if permission not in ROLE_PERMISSIONS[role]:
        return False
    if permission in PLANT_WIDE:
        return site == "*"  # managing people and webhooks is plant-wide
    return site == "*" or at_own


def test_the_matrix(ledger: Ledger, capsys: pytest.CaptureFixture[str]) -> None:
    cells = 0
    wrong: list[str] = []
    # Commands.
    routes = [*COMMAND_ROUTES, RECALL_HOLD]
    unmapped = [r.path for r in routes if command_of(r.body) not in COMMAND_PERMISSIONS]
    assert unmapped == [], f"command routes with no permission: {unmapped}"
    for route in routes:
        command = command_of(route.body)
        permission = COMMAND_PERMISSIONS[command]
        for role, site in GRANTS:
            for at_own in (True, False):
                if command in (SetPassword, EndSession):
                    # one's own password or session: `may_set_password`, `may_end_session`,
                    # tested apart
                    continue
                at = f"{OWN if at_own else OTHER}-A"
                found = decided(ledger, principal(role, site), command, at)
                expected = expected_for_command(permission, role, site, at_own)
                cells += 1
                if found != expected:
                    wrong.append(f"{route.path} {role}@{site} at {at}: {found}")
    # GraphQL root fields and /admin endpoints, over HTTP.
    fields = sorted(build_schema()._schema.query_type.fields)
    assert [f for f in fields if f not in GRAPHQL_PERMISSIONS] == [], "fields with no permission"
    app = create_app(ledger=ledger, read_models=ReadModels(None))
    # From the OpenAPI document: FastAPI 0.165 keeps an included router's routes behind an
    # `_IncludedRouter`, so `app.routes` no longer lists them as `APIRoute`s.
    documented = [
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    ]
    admin_routes = [(m, p) for m, p in documented if p.startswith("/admin")]
    assert admin_routes, "no /admin route found"
    assert [r for r in admin_routes if r not in ADMIN_PERMISSIONS] == [], "admin with none"
    import_routes = [(m, p) for m, p in documented if p.startswith("/v1/imports")]
    assert sorted(import_routes) == [("GET", "/v1/imports/{job_id}"), ("POST", "/v1/imports")]
    keys = {
        (role, site): bearer(issue_key(ledger, ((role.value, site),), name=f"{role}@{site}"))
        for role, site in GRANTS
    }
    with TestClient(app) as client:
        for (role, site), headers in keys.items():
            for field in fields:
                answer = client.post("/graphql", json={"query": f"{{ {field} }}"}, headers=headers)
                errors: list[dict[str, Any]] = answer.json().get("errors", [])
                forbidden = any(e.get("extensions", {}).get("code") == "FORBIDDEN" for e in errors)
                needs = GRAPHQL_PERMISSIONS[field]
                expected = needs in ROLE_PERMISSIONS[role] and (
                    needs not in PLANT_WIDE or site == "*"
                )
                cells += 1
                if forbidden == expected:
                    wrong.append(f"graphql {field} {role}@{site}: forbidden={forbidden}")
            for method, path in admin_routes:
                concrete = path.replace("{job_id}", "none")
                # An invalid body: an allowed call is refused 422 before it runs anything.
                answer = client.request(method, concrete, json=[], headers=headers)
                permission = ADMIN_PERMISSIONS[(method, path)]
                expected = permission in ROLE_PERMISSIONS[role] and site == "*"
                cells += 1
                if (answer.status_code != 403) != expected:
                    wrong.append(f"{method} {path} {role}@{site}: {answer.status_code}")
            # Exports: the read permission of the GraphQL field each model mirrors; a
            # plant-wide model for an every-site grant only.
            for name, model in MODELS.items():
                answer = client.get(f"/v1/exports/{name}", headers=headers)
                permission = GRAPHQL_PERMISSIONS[model.field]
                expected = permission in ROLE_PERMISSIONS[role] and (
                    site == "*" or not model.plant_wide
                )
                cells += 1
                if (answer.status_code == 200) != expected or answer.status_code not in (200, 403):
                    wrong.append(f"GET /v1/exports/{name} {role}@{site}: {answer.status_code}")
            for method, path in import_routes:
                # Any import kind's permission somewhere opens the routes (the kind's own is
                # checked once the form is read, each row's place by the writer); an
                # invalid body is then refused 422 (a POST) or an unknown job 404 (a GET).
                answer = client.request(method, path.replace("{job_id}", "none"), headers=headers)
                expected = bool(IMPORT_PERMISSIONS & ROLE_PERMISSIONS[role])
                cells += 1
                if (answer.status_code != 403) != expected:
                    wrong.append(f"{method} {path} {role}@{site}: {answer.status_code}")
        # Without credentials, nothing.
        assert client.post("/v1/imports").status_code == 401
        assert client.post("/graphql", json={"query": "{ items { sku } }"}).status_code == 401
        assert client.get("/admin/projections").status_code == 401
        assert client.get("/v1/exports/stock_on_hand").status_code == 401
        admin = bearer(admin_key(ledger))
        assert client.get("/admin/projections", headers=admin).status_code == 200
    with capsys.disabled():
        print(f"\nauthorisation matrix: cells checked {cells}, wrong {len(wrong)}")
    assert wrong == [], "\n".join(wrong[:50])
    assert cells > 1000
