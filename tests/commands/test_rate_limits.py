"""Rate limits per caller in front of commands, GraphQL and the admin routes: over the
limit a request is answered 429 with ``Retry-After`` and a problem body, and nothing is
saved. The caller is the principal the identity layer names (``scope["state"]
["principal"]``), else the client's address; counts are shared through Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from commands.rate_limits import caller, kind_of
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from mims.settings import Settings
from projections.engine.view import ReadModels
from tests.support.identity import PASSWORD, bearer, issue_key, register
from tests.support.services import require_service

REDIS = "redis://127.0.0.1:6379/0"
LOCATION = {"code": "S", "level": "site"}


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    yield led
    led.close()


def app_with(ledger: Ledger, **settings: Any) -> FastAPI:
    return create_app(Settings(**settings), ledger=ledger, read_models=ReadModels(None))


def client_of(app: FastAPI, ledger: Ledger, name: str = "tester") -> TestClient:
    """A client with an administrator's API key of its own (its own count)."""
    return TestClient(app, headers=key_of(ledger, name))


def key_of(ledger: Ledger, name: str) -> dict[str, str]:
    return bearer(issue_key(ledger, (("administrator", "*"),), name=name))


LIMITED = {
    "rate_limit_commands": "3/minute",
    "rate_limit_graphql": "2/minute",
    "rate_limit_admin": "1/minute",
}


def post_location(client: TestClient, code: str, **headers: str) -> Any:
    return client.post("/v1/locations", json={**LOCATION, "code": code}, headers=headers)


def is_429(answer: Any) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "/problems/too-many-requests"
    retry = int(answer.headers["retry-after"])
    assert 1 <= retry <= 60
    assert answer.json()["retry_after"] == retry


def test_over_the_limit_a_command_is_429_with_retry_after_and_nothing_saved(
    ledger: Ledger,
) -> None:
    with client_of(app_with(ledger, **LIMITED), ledger) as client:
        for n in range(3):
            assert post_location(client, f"S{n}").status_code == 201
        before = ledger.max_position()
        is_429(post_location(client, "S9"))
        assert ledger.max_position() == before
        # Each kind is counted apart; what is not a command, GraphQL or admin is not counted.
        for _ in range(2):
            assert client.post("/graphql", json={"query": "{ __typename }"}).status_code == 200
        is_429(client.post("/graphql", json={"query": "{ __typename }"}))
        assert client.get("/admin/projections").status_code == 200
        is_429(client.get("/admin/projections"))
        for _ in range(5):
            assert client.get("/health").status_code == 200
            assert client.get("/problems/too-many-requests").status_code == 200


def test_each_principal_has_its_own_count(ledger: Ledger) -> None:
    alice, bob = key_of(ledger, "alice"), key_of(ledger, "bob")
    with TestClient(app_with(ledger, **LIMITED)) as client:
        for n in range(3):
            assert post_location(client, f"A{n}", **alice).status_code == 201
        is_429(post_location(client, "A9", **alice))
        # Bob, from the same address, is not held back by Alice's burst.
        assert post_location(client, "B0", **bob).status_code == 201


def test_the_caller_is_the_principal_else_the_address() -> None:
    scope: dict[str, Any] = {"client": ("10.0.0.7", 5000), "state": {}}
    assert caller(scope) == "address:10.0.0.7"
    scope["state"]["principal"] = SimpleNamespace(id="key-17")
    assert caller(scope) == "principal:key-17"
    scope["state"]["principal"] = {"id": "user-3"}
    assert caller(scope) == "principal:user-3"
    assert kind_of("/v1/receipts") == "commands"
    assert kind_of("/graphql") == "graphql"
    assert kind_of("/admin/jobs") == "admin"
    assert kind_of("/health") is None
    assert kind_of("/dashboards/lib.js") is None


@pytest.mark.parametrize(
    "settings",
    [
        {"rate_limit_commands": "lots"},
        {"rate_limit_graphql": "10/fortnight"},
        {"rate_limit_storage": "memcached://127.0.0.1:11211"},
    ],
)
def test_a_limit_or_storage_not_understood_is_refused_at_start(settings: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="rate"):
        Settings(**settings)  # type: ignore[arg-type]


def test_an_empty_limit_means_none(ledger: Ledger) -> None:
    with client_of(app_with(ledger, rate_limit_commands=""), ledger) as client:
        for n in range(20):
            assert post_location(client, f"N{n}").status_code == 201


def test_the_counts_are_shared_through_redis_by_every_worker(ledger: Ledger) -> None:
    require_service("Redis", 6379)
    principal = key_of(ledger, "shared")  # a new key: fresh counts
    settings = {**LIMITED, "rate_limit_storage": REDIS}
    one, two = app_with(ledger, **settings), app_with(ledger, **settings)
    with TestClient(one) as first, TestClient(two) as second:
        assert post_location(first, "R0", **principal).status_code == 201
        assert post_location(second, "R1", **principal).status_code == 201
        assert post_location(first, "R2", **principal).status_code == 201
        is_429(post_location(second, "R3", **principal))  # the other worker's count held


def test_an_unreachable_redis_lets_requests_through(ledger: Ledger) -> None:
    settings = {**LIMITED, "rate_limit_storage": "redis://127.0.0.1:1/0"}
    with client_of(app_with(ledger, **settings), ledger) as client:
        for n in range(5):
            assert post_location(client, f"D{n}").status_code == 201


def test_logins_are_counted_by_address_right_or_wrong(ledger: Ledger) -> None:
    """Password guessing: the limit holds before any password is checked, so a right
    password past it is refused too, and the count is the login's own."""
    register(ledger, "guesser")
    app = app_with(ledger, rate_limit_login="3/minute")
    with TestClient(app) as client:
        wrong = {"user": "guesser", "password": "not the password"}
        for _ in range(3):
            assert client.post("/auth/login", json=wrong).status_code == 401
        right = {"user": "guesser", "password": PASSWORD}
        is_429(client.post("/auth/login", json=right))
        # Other kinds keep their own counts.
        with client_of(app, ledger) as other:
            assert post_location(other, "S1").status_code == 201
