"""The command table: every command has one row, and the row is the one path that answers
it, whether the lane hands the request over or the router finds it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from fastapi.testclient import TestClient
from starlette.middleware import Middleware
from starlette.routing import Route

from commands.lane import CommandEndpoint, CommandLane
from commands.routes import COMMAND_ROUTES, PREFIX
from ledger.dispatch import ALL_COMMANDS
from ledger.identity.commands import LOGIN_COMMANDS
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from projections.engine.view import ReadModels
from tests.support.identity import log_in


def _is_lane(middleware: Middleware) -> bool:
    return getattr(middleware, "cls", None) is CommandLane


def test_every_command_has_exactly_one_route() -> None:
    """Every command but the login endpoint's own (which nobody may post) has one route."""
    rows = Counter(route.body for route in COMMAND_ROUTES)
    posted = [command for command in ALL_COMMANDS if command not in LOGIN_COMMANDS]
    assert {command: rows[command] for command in posted} == dict.fromkeys(posted, 1)
    assert {command: rows[command] for command in LOGIN_COMMANDS} == dict.fromkeys(
        LOGIN_COMMANDS, 0
    )
    paths = Counter(route.path for route in COMMAND_ROUTES)
    assert [path for path, count in paths.items() if count > 1] == []


def test_the_lane_and_the_router_hold_the_same_endpoint() -> None:
    app = create_app(read_models=ReadModels(None))
    lanes = [m for m in app.user_middleware if _is_lane(m)]
    assert len(lanes) == 1
    lane_endpoints = cast("dict[str, CommandEndpoint]", lanes[0].kwargs["endpoints"])
    served = {
        route.path: route.app
        for route in app.router.routes
        if isinstance(route, Route) and isinstance(route.app, CommandEndpoint)
    }
    assert set(served) == {PREFIX + route.path for route in COMMAND_ROUTES}
    for path, endpoint in served.items():
        assert lane_endpoints[path] is endpoint
        assert PREFIX + endpoint.route.path == path


@pytest.fixture
def routed_only(tmp_path: Path) -> Iterator[TestClient]:
    """The server without its lane: every command reaches its endpoint through routing."""
    ledger = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    app = create_app(ledger=ledger, read_models=ReadModels(None))
    app.user_middleware = [m for m in app.user_middleware if not _is_lane(m)]
    with TestClient(app) as client:
        log_in(client, ledger, "tester")
        yield client
    ledger.close()


def test_without_the_lane_a_command_is_answered_the_same(routed_only: TestClient) -> None:
    site = {"code": "S", "level": "site", "command_id": "site-1"}
    posted = routed_only.post("/v1/locations", json=site)
    assert posted.status_code == 201, posted.text
    assert posted.json()["command_type"] == "RegisterLocation"
    again = routed_only.post("/v1/locations", json=site)
    assert again.status_code == 201
    assert again.json()["duplicate"] is True
    assert again.headers["idempotent-replayed"] == "true"
    refused = routed_only.post("/v1/locations", json={"code": "W", "level": "warehouse"})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["instance"] == "/v1/locations"
    wrong = routed_only.get("/v1/receipts")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "POST"
