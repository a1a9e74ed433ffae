"""Authentication at the HTTP edge: every route but the open ones answers 401 without
credentials; API keys, login sessions (cookie with CSRF, or token) and their actor;
deactivation within a second; no mass assignment of who or when."""

from __future__ import annotations

import base64
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
from structlog.testing import capture_logs

from commands.authentication import (
    CSRF_COOKIE,
    OPEN_PATHS,
    OPEN_PREFIXES,
    SESSION_COOKIE,
    Sessions,
    is_open,
)
from ledger.errors import NotPermitted
from ledger.identity.accounts import Account, account_id
from ledger.identity.commands import DeactivateUser, RecordFailedLogin, UnlockUser
from ledger.identity.principals import Principal, PrincipalKind
from ledger.identity.roles import Grant, Role
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from mims.settings import Settings
from projections.engine.view import ReadModels
from tests.support.identity import PASSWORD, admin_key, bearer, issue_key, login, register
from tests.support.plant import Plant

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


@pytest.fixture
def unlimited(tmp_path: Path) -> Iterator[tuple[TestClient, Ledger]]:
    """The server without the per-address login limit (the lockout tests log in often)."""
    ledger = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    settings = Settings(
        secret_key_file=tmp_path / "secret_key",
        expiry_interval_minutes=0,
        anchor_interval_seconds=0,
        rate_limit_login="",
    )
    app = create_app(settings, ledger=ledger, read_models=ReadModels(None))
    with TestClient(app) as client:
        yield client, ledger
    ledger.close()


def account_events(ledger: Ledger, user: str) -> list[str]:
    return [type(e).__qualname__ for e in ledger.app.events.get(account_id(user))]


def log_in_as(client: TestClient, user: str, password: str) -> Any:
    answer = client.post("/auth/login", json={"user": user, "password": password})
    client.cookies.clear()
    return answer


def test_wrong_passwords_at_login_lock_the_account(
    unlimited: tuple[TestClient, Ledger],
) -> None:
    client, ledger = unlimited
    register(ledger, "anna", grants=(("administrator", "*"),))
    nobody = log_in_as(client, "nobody", "wrong password")
    assert nobody.status_code == 401
    for _ in range(4):
        assert log_in_as(client, "anna", "wrong password").json() == nobody.json()
    assert ledger.find(Account, account_id("anna")).failed_logins == 4  # type: ignore[union-attr]
    # A good password starts the count again: four more wrong ones do not lock.
    assert log_in_as(client, "anna", PASSWORD).status_code == 200
    assert ledger.find(Account, account_id("anna")).failed_logins == 0  # type: ignore[union-attr]
    with capture_logs() as logs:
        for attempt in range(5):
            refused = log_in_as(client, "anna", "wrong password")
            assert refused.status_code == 401, attempt
            assert refused.json() == nobody.json()
    account = ledger.find(Account, account_id("anna"))
    assert account is not None
    assert account.locked
    alerts = [e for e in logs if e["log_level"] == "warning" and e.get("alert")]
    assert [a["user"] for a in alerts] == ["anna"]
    events = account_events(ledger, "anna")
    assert events.count("Account.LoginRefused") == 9
    assert events.count("Account.LockedOut") == 1
    assert "Account.FailedLoginsCleared" in events
    # Locked: the right password gets exactly the answer a wrong one gets, and the
    # attempts are no longer counted (a locked account is refused whatever is sent).
    right = log_in_as(client, "anna", PASSWORD)
    assert right.status_code == 401
    assert right.json() == nobody.json()
    assert log_in_as(client, "anna", "wrong password").json() == nobody.json()
    assert account_events(ledger, "anna").count("Account.LoginRefused") == 9
    # An administrator unlocks (the UnlockUser command, `mims users unlock`).
    ledger.execute(UnlockUser(user_id="anna", reason="called the help desk"))
    time.sleep(1.1)  # the authenticator reads an account at most 1 s old
    assert log_in_as(client, "anna", PASSWORD).status_code == 200


def test_a_failed_login_cannot_be_posted(served: tuple[TestClient, Ledger]) -> None:
    """Only the login endpoint records failed logins: a principal cannot, even an
    administrator in-process, and no route takes them."""
    client, ledger = served
    register(ledger, "anna")
    root = bearer(admin_key(ledger))
    for path in ("/v1/users/failed-login", "/v1/record-failed-login"):
        assert client.post(path, json={"user_id": "anna"}, headers=root).status_code in {
            404,
            405,
        }
    admin = Principal(
        kind=PrincipalKind.PERSON,
        id="root",
        printed_name="Root",
        grants=(Grant(role=Role.ADMINISTRATOR, site="*"),),
    )
    with pytest.raises(NotPermitted):
        ledger.execute(RecordFailedLogin(user_id="anna"), principal=admin)
    assert ledger.find(Account, account_id("anna")).failed_logins == 0  # type: ignore[union-attr]


def session_id_of(token: str) -> str:
    payload = token.removeprefix("mimss.").split(".")[0]
    found: str = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["s"]
    return found


def test_logout_ends_the_session_token(served: tuple[TestClient, Ledger]) -> None:
    client, ledger = served
    register(ledger, "anna", grants=(("administrator", "*"),))
    token = login(client, "anna")
    assert client.get("/v1/items/NONE", headers=bearer(token)).status_code == 404
    out = client.post("/auth/logout", headers=bearer(token))
    assert out.status_code == 200, out.text
    # Refused at once here, and by every worker within a second (its account read).
    gone = client.get("/v1/items/NONE", headers=bearer(token))
    assert gone.status_code == 401
    assert gone.json()["type"] == "/problems/not-authenticated"
    # The event names the session by its id, never its token.
    ended = ledger.find(Account, account_id("anna"))
    assert ended is not None
    assert ended.session_ended(session_id_of(token))
    # A browser's session (the cookie) ends the same way, and a copy of its token too.
    answer = client.post("/auth/login", json={"user": "anna", "password": PASSWORD})
    browser_token = answer.json()["token"]
    assert client.post("/auth/logout").status_code == 200  # the cookie
    client.cookies.clear()
    assert client.get("/v1/items/NONE", headers=bearer(browser_token)).status_code == 401
    # Another session of the same person goes on.
    other = login(client, "anna")
    assert client.get("/v1/items/NONE", headers=bearer(other)).status_code == 404


def stored_meta(ledger: Ledger, position: int) -> dict[str, Any]:
    [notification] = ledger.app.recorder.select_notifications(position, 1)
    meta: dict[str, Any] = orjson.loads(notification.state)["meta"]
    assert "mimss." not in notification.state.decode()  # never a session token
    return meta


def test_the_session_and_device_are_recorded_from_the_principal(
    served: tuple[TestClient, Ledger],
) -> None:
    client, ledger = served
    register(ledger, "anna", grants=(("administrator", "*"),))
    token = login(client, "anna")
    by_session = client.post("/v1/locations", json=SITE, headers=bearer(token))
    assert by_session.status_code == 201, by_session.text
    meta = stored_meta(ledger, by_session.json()["position"])
    assert (meta["actor"], meta["session"], meta["device"]) == ("anna", session_id_of(token), None)
    key = issue_key(ledger, (("administrator", "*"),), on_behalf_of="anna")
    by_key = client.post("/v1/locations", json={"code": "P2", "level": "site"}, headers=bearer(key))
    assert by_key.status_code == 201, by_key.text
    meta = stored_meta(ledger, by_key.json()["position"])
    key_id = key.split("_")[1]
    assert meta["actor"] == f"key:{key_id} for anna"
    assert (meta["session"], meta["device"], meta["on_behalf_of"]) == (None, key_id, "anna")
    # A body cannot name them (mass assignment).
    for field in ("session", "device", "on_behalf_of"):
        refused = client.post(
            "/v1/locations", json={"code": "P3", "level": "site", field: "x"}, headers=bearer(key)
        )
        assert refused.status_code == 422, field


def test_a_command_id_sent_by_another_gets_no_answer_of_it(
    served: tuple[TestClient, Ledger],
) -> None:
    client, ledger = served
    first = bearer(issue_key(ledger, (("administrator", "*"),), name="first"))
    second = bearer(issue_key(ledger, (("administrator", "*"),), name="second"))
    body = {**SITE, "command_id": "site-p1"}
    original = client.post("/v1/locations", json=body, headers=first)
    assert original.status_code == 201, original.text
    taken = client.post("/v1/locations", json=body, headers=second)
    assert taken.status_code == 409, taken.text
    problem = taken.json()
    assert problem["type"] == "/problems/command-id-taken"
    assert not {"events", "position", "data", "command_type"} & set(problem)
    assert "RegisterLocation" not in problem["detail"]
    assert "idempotent-replayed" not in taken.headers
    again = client.post("/v1/locations", json=body, headers=first)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["events"] == original.json()["events"]


def test_the_stock_ledger_shows_each_movements_session_and_device(
    served: tuple[TestClient, Ledger],
) -> None:
    client, ledger = served
    Plant(ledger).item("SEEN")
    register(ledger, "anna", grants=(("administrator", "*"),))
    token = login(client, "anna")
    key = issue_key(ledger, (("storekeeper", "S"),), name="scanner 7")
    receipt = {"sku": "SEEN", "location": "A", "quantity": "1", "unit_cost": "2"}
    positions = [
        client.post("/v1/receipts", json=receipt, headers=bearer(sender)).json()["position"]
        for sender in (token, key)
    ]
    answer = client.post(
        "/graphql",
        json={"query": '{ stockLedger(filter: {item: "SEEN"}) { rows { actor session device } } }'},
        headers={**bearer(token), "X-Min-Position": str(max(positions))},
    )
    assert answer.status_code == 200, answer.text
    assert "errors" not in answer.json(), answer.json()
    key_id = key.split("_")[1]
    assert answer.json()["data"]["stockLedger"]["rows"] == [
        {"actor": "anna", "session": session_id_of(token), "device": None},
        {"actor": f"key:{key_id}", "session": None, "device": key_id},
    ]
