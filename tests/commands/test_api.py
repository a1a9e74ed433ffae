"""The command API over HTTP: 201 with the commit position, RFC 9457 problems otherwise,
and a refused command leaves the store exactly as it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.commands import DECIMAL_TEXT
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from projections.engine.view import ReadModels
from tests.support.clock import Clock
from tests.support.identity import admin_headers, log_in


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(tmp_path: Path, clock: Clock) -> Iterator[Ledger]:
    led = Ledger(
        store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0), clock=clock
    )
    yield led
    led.close()


@pytest.fixture
def api(ledger: Ledger) -> Iterator[TestClient]:
    with TestClient(create_app(ledger=ledger, read_models=ReadModels(None))) as client:
        log_in(client, ledger, "tester")
        setup = [
            ("/v1/locations", {"code": "S", "level": "site"}),
            ("/v1/locations", {"code": "W", "level": "warehouse", "parent": "S"}),
            ("/v1/locations", {"code": "A", "level": "zone", "parent": "W"}),
            ("/v1/locations", {"code": "B", "level": "zone", "parent": "W"}),
            ("/v1/locations", {"code": "QA", "level": "zone", "kind": "quarantine", "parent": "W"}),
            (
                "/v1/items",
                {
                    "sku": "STEEL",
                    "description": "Steel",
                    "kind": "raw_material",
                    "unit_of_measure": "kg",
                    "precision": 2,
                },
            ),
            (
                "/v1/items",
                {
                    "sku": "MILK",
                    "description": "Milk powder",
                    "kind": "raw_material",
                    "unit_of_measure": "kg",
                    "tracking": "lot",
                    "shelf_life_days": 5,
                },
            ),
            (
                "/v1/items",
                {
                    "sku": "RESIN",
                    "description": "Resin",
                    "kind": "raw_material",
                    "unit_of_measure": "kg",
                    "inspection_required": True,
                },
            ),
            ("/v1/receipts", {"sku": "STEEL", "location": "A", "quantity": "10", "unit_cost": "2"}),
            (
                "/v1/receipts",
                {"sku": "MILK", "location": "A", "quantity": "3", "unit_cost": "5", "lot": "M1"},
            ),
            ("/v1/receipts", {"sku": "RESIN", "location": "A", "quantity": "4", "unit_cost": "1"}),
        ]
        for path, body in setup:
            answer = client.post(path, json=body)
            assert answer.status_code == 201, answer.text
        yield client


def issue(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sku": "STEEL",
        "location": "A",
        "quantity": "1",
        "target_kind": "work_order",
        "target": "WO-1",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def refused(
    api: TestClient,
    ledger: Ledger,
    path: str,
    body: Any,
    status: int,
    type_: str,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    before = ledger.max_position()
    answer = (
        api.post(
            path, content=body, headers={"content-type": "application/json", **(headers or {})}
        )
        if isinstance(body, str)
        else api.post(path, json=body, headers=headers)
    )
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == f"/problems/{type_}"
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    assert problem["instance"] == path
    assert ledger.max_position() == before, "a refused command changed the store"
    return problem


def test_accepted_command_answers_201_with_events_and_position(
    api: TestClient, ledger: Ledger
) -> None:
    answer = api.post("/v1/issues", json=issue(quantity="2.5", command_id="c-1"))
    assert answer.status_code == 201
    body = answer.json()
    assert body["command_type"] == "IssueStock"
    assert body["events"][0]["type"] == "Stock.Issued"
    assert body["position"] == ledger.max_position()
    assert body["data"] == {"value": "5.0"}
    card = api.get("/v1/stock/STEEL").json()
    assert card["on_hand"] == "7.5"


def test_a_replayed_command_is_answered_from_its_receipt(api: TestClient, ledger: Ledger) -> None:
    first = api.post("/v1/issues", json=issue(), headers={"Idempotency-Key": "scan-7"})
    position = ledger.max_position()
    again = api.post("/v1/issues", json=issue(), headers={"Idempotency-Key": "scan-7"})
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["events"] == first.json()["events"]
    assert ledger.max_position() == position
    refused(
        api,
        ledger,
        "/v1/issues",
        issue(quantity="2", command_id="scan-7"),
        422,
        "idempotency-key-reused",
    )


def test_malformed_input_is_422_with_the_field(api: TestClient, ledger: Ledger) -> None:
    assert (
        refused(api, ledger, "/v1/issues", issue(quantity="-1"), 422, "validation-error")["field"]
        == "quantity"
    )
    assert (
        refused(api, ledger, "/v1/issues", issue(quantity="abc"), 422, "validation-error")["field"]
        == "quantity"
    )
    assert (
        refused(api, ledger, "/v1/issues", issue(sku=None), 422, "validation-error")["field"]
        == "sku"
    )
    assert (
        refused(api, ledger, "/v1/issues", issue(colour="red"), 422, "validation-error")["field"]
        == "colour"
    )
    assert (
        refused(api, ledger, "/v1/issues", issue(target_kind="friend"), 422, "validation-error")[
            "field"
        ]
        == "target_kind"
    )
    assert (
        refused(api, ledger, "/v1/issues", "{not json", 422, "validation-error")["field"] == "body"
    )
    assert (
        refused(api, ledger, "/v1/issues", issue(quantity="NaN"), 422, "validation-error")["field"]
        == "quantity"
    )
    assert (
        refused(api, ledger, "/v1/issues", issue(quantity="1.005"), 422, "precision-exceeded")[
            "field"
        ]
        == "quantity"
    )
    assert (
        refused(api, ledger, "/v1/issues", issue(lot="L1"), 422, "lot-rule-violated")["field"]
        == "lot"
    )
    assert (
        refused(api, ledger, "/v1/issues", issue(sku="MILK", lot=None), 422, "lot-rule-violated")[
            "field"
        ]
        == "lot"
    )
    old = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    assert (
        refused(
            api, ledger, "/v1/issues", issue(effective_at=old), 422, "effective-time-out-of-window"
        )["field"]
        == "effective_at"
    )
    assert (
        refused(
            api,
            ledger,
            "/v1/issues",
            issue(effective_at="2026-01-01T00:00:00"),
            422,
            "validation-error",
        )["field"]
        == "effective_at"
    )
    mismatch = api.post("/v1/issues", json=issue(command_id="a"), headers={"Idempotency-Key": "b"})
    assert mismatch.status_code == 422
    assert mismatch.json()["type"] == "/problems/idempotency-key-mismatch"


def test_unknown_ids_are_404(api: TestClient, ledger: Ledger) -> None:
    refused(api, ledger, "/v1/issues", issue(sku="NOPE"), 404, "unknown-item")
    assert (
        refused(api, ledger, "/v1/issues", issue(location="Z9"), 404, "unknown-location")[
            "location"
        ]
        == "Z9"
    )
    refused(api, ledger, "/v1/issues", issue(reservation_id="R-9"), 404, "unknown-reservation")
    refused(api, ledger, "/v1/issues", issue(sku="MILK", lot="NOPE"), 404, "unknown-lot")
    assert api.get("/v1/stock/NOPE").status_code == 404
    assert api.get("/v1/items/NOPE").json()["type"] == "/problems/unknown-item"
    assert api.get("/v1/locations/NOPE").status_code == 404
    assert api.get("/v1/nothing-here").json()["status"] == 404


def test_rules_refuse_with_409(api: TestClient, ledger: Ledger, clock: Clock) -> None:
    short = refused(api, ledger, "/v1/issues", issue(quantity="11"), 409, "insufficient-stock")
    assert (short["requested"], short["on_hand"]) == ("11", "10")
    status = refused(api, ledger, "/v1/issues", issue(sku="RESIN"), 409, "stock-not-available")
    assert status["statuses"] == {"quarantine": "4"}
    refused(
        api,
        ledger,
        "/v1/moves",
        {
            "sku": "RESIN",
            "from_location": "A",
            "to_location": "B",
            "quantity": "1",
            "status": "quarantine",
        },
        409,
        "stock-not-available",
    )
    refused(
        api,
        ledger,
        "/v1/reservations",
        {"sku": "STEEL", "quantity": "11"},
        409,
        "insufficient-stock",
    )
    refused(
        api,
        ledger,
        "/v1/items",
        {"sku": "STEEL", "description": "again", "kind": "component", "unit_of_measure": "ea"},
        409,
        "already-exists",
    )
    assert api.post("/v1/locations/block", json={"code": "W", "reason": "audit"}).status_code == 201
    blocked = refused(api, ledger, "/v1/issues", issue(), 409, "location-blocked")
    assert blocked["blocked_by"] == "W"
    assert api.post("/v1/locations/unblock", json={"code": "W"}).status_code == 201
    clock.now += timedelta(days=6)
    expired = refused(api, ledger, "/v1/issues", issue(sku="MILK", lot="M1"), 409, "lot-expired")
    assert expired["lot"] == "M1"
    refused(
        api,
        ledger,
        "/v1/receipts",
        {"sku": "STEEL", "location": "W", "quantity": "1", "unit_cost": "1"},
        409,
        "location-not-stockable",
    )


def test_version_conflict_after_bounded_retries_is_409(tmp_path: Path) -> None:
    env = store_env(f"sqlite:///{tmp_path}/shared.db")
    server_side = Ledger(env, WriterSettings(batch_wait=0, max_retries=0))
    other_process = Ledger(env, WriterSettings(batch_wait=0))
    try:
        with TestClient(
            create_app(ledger=server_side, read_models=ReadModels(None)),
            headers=admin_headers(server_side),
        ) as api:
            for path, body in [
                ("/v1/locations", {"code": "S", "level": "site"}),
                ("/v1/locations", {"code": "W", "level": "warehouse", "parent": "S"}),
                ("/v1/locations", {"code": "A", "level": "zone", "parent": "W"}),
                (
                    "/v1/items",
                    {
                        "sku": "STEEL",
                        "description": "s",
                        "kind": "raw_material",
                        "unit_of_measure": "kg",
                    },
                ),
                (
                    "/v1/receipts",
                    {"sku": "STEEL", "location": "A", "quantity": "10", "unit_cost": "2"},
                ),
            ]:
                assert api.post(path, json=body).status_code == 201
            from ledger.stock.commands import IssueStock

            other_process.execute(
                IssueStock(
                    sku="STEEL", location="A", quantity=1, target_kind="work_order", target="W"
                )
            )  # type: ignore[arg-type]
            refused(api, server_side, "/v1/issues", issue(), 409, "concurrency-conflict")
    finally:
        server_side.close()
        other_process.close()


def test_problem_types_are_documented(api: TestClient) -> None:
    explained = api.get("/problems/insufficient-stock").json()
    assert explained["status"] == 409
    assert "reserved" in explained["description"]
    assert api.get("/problems/made-up").status_code == 404


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
field_values = st.one_of(
    json_values,
    st.sampled_from(
        ["STEEL", "MILK", "A", "B", "QA", "-1", "0", "1", "10.5", "1e400", "work_order", "M1"]
    ),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(
        [
            "/v1/issues",
            "/v1/receipts",
            "/v1/moves",
            "/v1/reservations",
            "/v1/counts",
            "/v1/adjustments",
            "/v1/status-changes",
            "/v1/items",
            "/v1/locations",
        ]
    ),
    body=st.dictionaries(
        st.sampled_from(
            [
                "sku",
                "location",
                "from_location",
                "to_location",
                "quantity",
                "unit_cost",
                "lot",
                "target_kind",
                "target",
                "quantity_delta",
                "reason_code",
                "counted_quantity",
                "from_status",
                "to_status",
                "reason",
                "code",
                "level",
            ]
        ),
        field_values,
        max_size=8,
    ),
)
def test_no_input_gets_a_500_and_refusals_change_nothing(
    api: TestClient, ledger: Ledger, path: str, body: dict[str, Any]
) -> None:
    before = ledger.max_position()
    answer = api.post(path, content=json.dumps(body), headers={"content-type": "application/json"})
    assert answer.status_code < 500, answer.text
    if answer.status_code != 201:
        assert answer.headers["content-type"] == "application/problem+json"
        assert ledger.max_position() == before


def test_an_empty_idempotency_key_is_refused(api: TestClient, ledger: Ledger) -> None:
    for _ in range(2):
        refused(
            api,
            ledger,
            "/v1/issues",
            issue(quantity="1000"),
            422,
            "invalid-idempotency-key",
            headers={"Idempotency-Key": ""},
        )


def test_a_method_not_allowed_names_the_allowed_ones(api: TestClient) -> None:
    for method, path, allowed in (
        ("GET", "/v1/issues", "POST"),
        ("TRACE", "/v1/locations/A", "GET"),
        ("DELETE", "/health", "GET"),
        ("OPTIONS", "/graphql", "GET, POST"),  # two routes serve it: both are named
        ("PUT", "/v1/items/standard-cost", "POST"),  # a concrete path before /v1/items/{sku}
        ("PUT", "/dashboards/", "GET"),  # a page the OpenAPI document leaves out
    ):
        answer = api.request(method, path)
        assert answer.status_code == 405
        assert answer.headers["allow"] == allowed
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"] == "/problems/method-not-allowed"


def test_a_graphql_request_that_cannot_be_read_is_a_problem(api: TestClient) -> None:
    for body in ('"AAA"', "[1]", '{"query": "{ __typename }", "operationName": {}}', "{"):
        answer = api.post("/graphql", content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 400, body  # was a 500 (or strawberry's plain text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"] == "/problems/bad-request"


def test_the_openapi_document_describes_problem_answers(api: TestClient) -> None:
    doc = api.get("/openapi.json").json()
    receipts = doc["paths"]["/v1/receipts"]["post"]["responses"]
    assert set(receipts) == {"201", "401", "403", "404", "409", "413", "415", "422", "503"}
    for code in ("401", "403", "404", "409", "413", "415", "422", "503"):
        assert list(receipts[code]["content"]) == ["application/problem+json"]
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    problem = doc["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance"}
    graphql = doc["paths"]["/graphql"]["post"]
    assert graphql["requestBody"]["content"]["application/json"]["schema"]["required"] == ["query"]


@pytest.mark.parametrize("quantity", ['"1e3"', '"+5"', '"NaN"', '"1_000"', '".5"', "true"])
def test_a_decimal_is_written_plainly(api: TestClient, ledger: Ledger, quantity: str) -> None:
    """What the OpenAPI document's decimal pattern says is what the API takes."""
    before = ledger.max_position()
    answer = api.post(
        "/v1/receipts",
        content=f'{{"sku": "STEEL", "location": "A", "quantity": {quantity}, "unit_cost": "1"}}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == "quantity"
    assert ledger.max_position() == before
    doc = api.get("/openapi.json").json()["components"]["schemas"]["ReceiveStock"]
    text = [f for f in doc["properties"]["quantity"]["anyOf"] if f["type"] == "string"]
    assert text == [{"type": "string", "pattern": DECIMAL_TEXT}]
