"""Authentication at the HTTP edge: every route but the open ones answers 401 without
credentials; API keys, login sessions (cookie with CSRF, or token) and their actor;
deactivation within a second; no mass assignment of who or when."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from starlette.routing import Mount

from commands.authentication import (
    CSRF_COOKIE,
    OPEN_PATHS,
    OPEN_PREFIXES,
    SESSION_COOKIE,
    Sessions,
    is_open,
)
from ledger.identity.commands import DeactivateUser
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from mims.settings import Settings
from projections.engine.view import ReadModels
from tests.support.identity import PASSWORD, admin_key, bearer, issue_key, register

SITE = {"code": "P1", "level": "site"}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, Ledger]]:
    ledger = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    settings = Settings(
        secret_key_file=tmp_path / "secret_key",
        expiry_interval_minutes=0,
        anchor_interval_seconds=0,
    )
    app = create_app(settings, ledger=ledger, read_models=ReadModels(None))
    with TestClient(app) as client:
        yield client, ledger
    ledger.close()


def actor_at(ledger: Ledger, position: int) -> str:
    [notification] = ledger.app.recorder.select_notifications(position, 1)
    actor: str = orjson.loads(notification.state)["meta"]["actor"]
    return actor


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x", path)


def endpoints(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Every (path, method) the app routes, included routers' too."""
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI's included router
            inner = prefix + route.include_context.prefix
            yield from endpoints(route.original_router.routes, inner)
        elif isinstance(route, Mount):
            yield f"{prefix}{route.path}/x.js", "GET"
        else:
            for method in sorted((getattr(route, "methods", None) or {"GET"}) - {"HEAD"}):
                yield concrete(prefix + route.path), method


def test_every_route_is_open_by_the_list_or_answers_401(
    served: tuple[TestClient, Ledger],
) -> None:
    client, _ = served
    app: Any = client.app
    checked = 0
    for path, method in sorted(set(endpoints(app.routes))):
        if True:
            answer = client.request(method, path, json={}, follow_redirects=False)
            checked += 1
            if is_open(path):
                assert answer.status_code != 401, (method, path)
                continue
            # Not in the open list: a page sends a browser to log in, anything else is 401.
            if answer.status_code == 303:
                assert answer.headers["location"] == "/login", (method, path)
                continue
            assert answer.status_code == 401, (method, path, answer.status_code)
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.headers["www-authenticate"].startswith("Bearer")
            assert answer.json()["type"] == "/problems/not-authenticated"
    assert checked > 80  # every command route, GraphQL, /admin, the reads
    # The list itself: documentation, health, the way in; never data.
    assert "/graphql" not in OPEN_PATHS
    assert not any(p.startswith(("/v1", "/admin", "/graphql")) for p in OPEN_PREFIXES)


def test_the_dashboards_send_a_browser_to_the_login_page(
    served: tuple[TestClient, Ledger],
) -> None:
    client, _ = served
    for page in ("/", "/dashboards", "/dashboards/", "/dashboards/ledger.html", "/graphql"):
        answer = client.get(page, follow_redirects=False, headers={"accept": "text/html"})
        assert answer.status_code == 303, page
        assert answer.headers["location"] == "/login"
    login = client.get("/login")
    assert login.status_code == 200
    assert "<script" in login.text
    assert "<script>" not in login.text  # no inline script
    assert client.get("/dashboards/login.js").status_code == 200
    assert client.get("/metrics").status_code == 200  # open by default


def test_an_api_key_is_recorded_as_its_actor(served: tuple[TestClient, Ledger]) -> None:
    client, ledger = served
    key = admin_key(ledger)
    answer = client.post("/v1/locations", json=SITE, headers=bearer(key))
    assert answer.status_code == 201, answer.text
    key_id = key.split("_")[1]
    assert actor_at(ledger, answer.json()["position"]) == f"key:{key_id}"
    # A header naming someone else is no credential and changes nothing.
    again = client.post(
        "/v1/locations", json={"code": "P2", "level": "site"}, headers={"X-Actor": "admin"}
    )
    assert again.status_code == 401
    wrong = client.post("/v1/locations", json=SITE, headers=bearer(key[:-2] + "xx"))
    assert wrong.status_code == 401


def test_a_login_session_by_cookie_needs_its_csrf_token(
    served: tuple[TestClient, Ledger],
) -> None:
    client, ledger = served
    register(ledger, "anna", grants=(("administrator", "*"),))
    refused = client.post("/auth/login", json={"user": "anna", "password": "wrong password"})
    assert refused.status_code == 401
    answer = client.post("/auth/login", json={"user": "ANNA", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    cookies = answer.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith(f"{SESSION_COOKIE}="))
    assert "HttpOnly" in session
    assert "SameSite=Strict" in session
    assert "Secure" not in session  # plain http in the test
    assert any(c.startswith(f"{CSRF_COOKIE}=") and "HttpOnly" not in c for c in cookies)
    csrf = answer.json()["csrf_token"]
    # A read with the cookie alone is fine; a change needs the CSRF header.
    assert client.post("/graphql", json={"query": "{ items { sku } }"}).status_code == 403
    assert client.get("/v1/items/NONE").status_code == 404
    no_csrf = client.post("/v1/locations", json=SITE)
    assert no_csrf.status_code == 403
    assert no_csrf.json()["type"] == "/problems/csrf-token-missing"
    wrong = client.post("/v1/locations", json=SITE, headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 403
    done = client.post("/v1/locations", json=SITE, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 201, done.text
    assert actor_at(ledger, done.json()["position"]) == "anna"
    # The same session as a bearer token (curl): no cookie, no CSRF.
    client.cookies.clear()
    token = answer.json()["token"]
    more = client.post("/v1/locations", json={"code": "P2", "level": "site"}, headers=bearer(token))
    assert more.status_code == 201, more.text
    # Logging out clears the cookies.
    out = client.post("/auth/logout")
    assert any(c.startswith(f"{SESSION_COOKIE}=;") for c in out.headers.get_list("set-cookie"))


def test_deactivation_stops_a_session_within_a_second(
    served: tuple[TestClient, Ledger],
) -> None:
    client, ledger = served
    register(ledger, "bert", grants=(("administrator", "*"),))
    token = client.post("/auth/login", json={"user": "bert", "password": PASSWORD}).json()["token"]
    client.cookies.clear()
    assert client.get("/v1/items/NONE", headers=bearer(token)).status_code == 404
    ledger.execute(DeactivateUser(user_id="bert", reason="left"))
    time.sleep(1.1)
    assert client.get("/v1/items/NONE", headers=bearer(token)).status_code == 401


def test_a_session_token_is_signed_and_expires() -> None:
    sessions = Sessions(b"k" * 32, ttl_seconds=60)
    token, session = sessions.issue("anna", now=1000)
    assert sessions.read(token, now=1001) == session
    assert sessions.read(token, now=1061) is None  # expired
    head, _, signature = token.rpartition(".")
    assert sessions.read(f"{head}.{signature[::-1]}", now=1001) is None
    assert Sessions(b"o" * 32).read(token, now=1001) is None  # another server's secret


@pytest.mark.parametrize(
    "field",
    ["actor", "created_by", "recorded_at", "version", "signed_at", "position", "site", "meta"],
)
def test_who_and_when_cannot_be_posted(served: tuple[TestClient, Ledger], field: str) -> None:
    """Mass assignment: the recorded actor, times, versions and positions are the
    ledger's; a body naming one is refused and nothing is saved."""
    client, ledger = served
    headers = bearer(admin_key(ledger))
    before = ledger.max_position()
    answer = client.post(
        "/v1/items",
        json={
            "sku": "A",
            "description": "a",
            "kind": "raw_material",
            "unit_of_measure": "EA",
            field: "admin" if field != "version" else 1,
        },
        headers=headers,
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
    assert ledger.max_position() == before


def test_production_refuses_to_start_without_a_secret_key() -> None:
    with pytest.raises(ValidationError, match="MIMS_SECRET_KEY"):
        Settings(environment="production", database_url="postgresql://u@h/db")
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(secret_key="short")  # type: ignore[arg-type]  # noqa: S106
    with pytest.raises(ValidationError, match="go together"):
        Settings(oidc_issuer="https://id.example")
    Settings(
        environment="production",
        database_url="postgresql://u@h/db",
        secret_key="x" * 32,  # type: ignore[arg-type]
    )


def test_a_key_of_one_site_cannot_act_at_another(served: tuple[TestClient, Ledger]) -> None:
    client, ledger = served
    admin = bearer(admin_key(ledger))
    for body in (
        SITE,
        {"code": "P1-W", "level": "warehouse", "parent": "P1"},
        {"code": "P2", "level": "site"},
        {"code": "P2-W", "level": "warehouse", "parent": "P2"},
    ):
        assert client.post("/v1/locations", json=body, headers=admin).status_code == 201
    keeper = bearer(issue_key(ledger, (("storekeeper", "P1"),)))
    before = ledger.max_position()
    refused = client.post(
        "/v1/locations/block", json={"code": "P2-W", "reason": "count"}, headers=keeper
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["type"] == "/problems/not-permitted"
    assert ledger.max_position() == before  # not even a receipt
    done = client.post(
        "/v1/locations/block", json={"code": "P1-W", "reason": "count"}, headers=keeper
    )
    assert done.status_code == 201, done.text
