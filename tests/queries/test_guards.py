"""GraphQL's guards: a cost budget checked before anything runs, a time limit, capped page
sizes, and in production no introspection and no "did you mean" hints, while the
dashboards still get their option lists (`vocabulary`)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from graphql import OperationDefinitionNode, get_introspection_query, parse

from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from mims.settings import Settings
from projections.engine.view import ReadModels
from queries.enums import ItemKind, StockStatus
from queries.guards import ASSUMED_LIST_SIZE, FIELD_COSTS, INTROSPECTION_COST, query_cost
from queries.pagination import MAX_PAGE
from queries.schema import build_schema
from tests.support.history import build_history
from tests.support.identity import admin_headers

TWENTY_MRP_RUNS = "{ " + " ".join(f"r{i}: mrpRun {{ warnings }}" for i in range(20)) + " }"


@pytest.fixture(scope="module")
def ledger() -> Iterator[Ledger]:
    folder = tempfile.TemporaryDirectory()
    led = Ledger(store_env(f"sqlite:///{folder.name}/events.db"), WriterSettings(batch_wait=0))
    build_history(led, seed=5, commands=60)
    yield led
    led.close()
    folder.cleanup()


def serve(ledger: Ledger, **settings: Any) -> TestClient:
    app = create_app(Settings(**settings), ledger=ledger, read_models=ReadModels(None))
    return TestClient(app, headers=admin_headers(ledger))


@pytest.fixture(scope="module")
def development(ledger: Ledger) -> Iterator[TestClient]:
    with serve(ledger) as client:
        assert client.app.state.runner.wait_for(ledger.max_position(), timeout=30)  # type: ignore[attr-defined]
        yield client


@pytest.fixture(scope="module")
def closed(ledger: Ledger) -> Iterator[TestClient]:
    """Introspection and suggestions as production has them (production itself needs
    PostgreSQL: `test_production_closes_the_schema` checks the mapping)."""
    with serve(ledger, graphql_introspection=False) as client:
        assert client.app.state.runner.wait_for(ledger.max_position(), timeout=30)  # type: ignore[attr-defined]
        yield client


def ask(client: TestClient, query: str, variables: dict[str, Any] | None = None) -> Any:
    answer = client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert answer.status_code == 200, answer.text
    return answer.json()


def messages(body: Any) -> str:
    return " | ".join(e["message"] for e in body.get("errors", []))


# --- introspection, suggestions, the vocabulary -------------------------------------------


def test_production_closes_the_schema() -> None:
    production = Settings(
        environment="production",
        database_url="postgresql://u@127.0.0.1/db",
        secret_key="s" * 32,  # type: ignore[arg-type]
    )
    assert production.graphql_limits().introspection is False
    assert production.graphql_limits().suggestions is False
    assert Settings().graphql_limits().introspection is True
    opened = Settings(
        environment="production",
        database_url="postgresql://u@127.0.0.1/db",
        secret_key="s" * 32,  # type: ignore[arg-type]
        graphql_introspection=True,
    )
    assert opened.graphql_limits().introspection is True


INTROSPECTION = [
    "{ __schema { queryType { name } } }",
    '{ __type(name: "ItemKind") { enumValues { name } } }',
    "query IntrospectionQuery { __schema { types { name fields { name } } } }",
]


@pytest.mark.parametrize("query", INTROSPECTION)
def test_introspection_answers_in_development(development: TestClient, query: str) -> None:
    body = ask(development, query)
    assert "errors" not in body, body
    assert body["data"]


@pytest.mark.parametrize("query", INTROSPECTION)
def test_introspection_is_refused_when_closed(closed: TestClient, query: str) -> None:
    body = ask(closed, query)
    assert body.get("data") is None, body
    assert "introspection" in messages(body).lower()
    assert ask(closed, "{ __typename }") == {"data": {"__typename": "Query"}}


PROBES = [
    "{ itemz { sku } }",  # a field
    "{ items(kindd: RAW_MATERIAL) { sku } }",  # an argument
    "{ items(kind: RAW_MATERIALS) { sku } }",  # an enum value
    "query($f: StockFiltr) { stockOnHand(filter: $f) { rows { sku } } }",  # a type
]


@pytest.mark.parametrize("query", PROBES)
def test_suggestions_help_in_development(development: TestClient, query: str) -> None:
    assert "Did you mean" in messages(ask(development, query))


@pytest.mark.parametrize("query", PROBES)
def test_no_suggestion_when_closed(closed: TestClient, query: str) -> None:
    found = messages(ask(closed, query))
    assert found  # still refused, with what is wrong
    assert "did you mean" not in found.lower()


def test_the_vocabulary_serves_option_lists_when_closed(closed: TestClient) -> None:
    body = ask(
        closed,
        "query($e: [String!]) { vocabulary(enums: $e) { name members } }",
        {"e": ["ItemKind", "StockStatus", "NoSuchEnum"]},
    )
    assert body["data"]["vocabulary"] == [
        {"name": "ItemKind", "members": [m.name for m in ItemKind]},
        {"name": "StockStatus", "members": [m.name for m in StockStatus]},
    ]


def test_the_vocabulary_lists_every_enum_of_the_schema(development: TestClient) -> None:
    names = {v["name"] for v in ask(development, "{ vocabulary { name } }")["data"]["vocabulary"]}
    served = ask(development, "{ __schema { types { name kind } } }")["data"]["__schema"]
    enums = {t["name"] for t in served["types"] if t["kind"] == "ENUM"}
    assert names == {n for n in enums if not n.startswith("__")}


# --- cost -------------------------------------------------------------------------------


def cost(query: str, variables: dict[str, Any] | None = None) -> int:
    document = parse(query)
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    return query_cost(build_schema()._schema, document, operation, variables)


def test_a_field_costs_one_and_a_page_multiplies_what_it_selects() -> None:
    assert cost("{ __typename }") == 0
    assert cost(get_introspection_query()) == INTROSPECTION_COST  # what GraphiQL asks
    assert cost('{ item(sku: "A") { sku kind } }') == 3
    assert cost("{ items(first: 50) { sku kind } }") == 1 + 50 * 2
    assert cost("{ items { sku } }") == 1 + 100 * 1  # the argument's default
    assert cost("query($n: Int!) { items(first: $n) { sku } }", {"n": 7}) == 1 + 7
    # A page object: the page size multiplies the rows, not its other fields.
    assert cost("{ stockLedger(first: 20) { rows { sku } pageInfo { hasNextPage } } }") == (
        1 + (1 + 20 * 1) + (1 + 1)
    )
    # A list without a page size is taken to hold ASSUMED_LIST_SIZE.
    assert cost("{ workOrders { number } }") == 1 + ASSUMED_LIST_SIZE
    fragment = "query { items(first: 3) { ...F } } fragment F on Item { sku kind }"
    assert cost(fragment) == 1 + 3 * 2
    assert cost("{ mrpRun { warnings } }") == FIELD_COSTS["Query.mrpRun"] + 1
    assert cost("{ mrpRun { plannedOrders { item } } }") == (
        FIELD_COSTS["Query.mrpRun"] + 1 + ASSUMED_LIST_SIZE
    )


def test_twenty_aliased_mrp_runs_are_refused_before_any_runs(development: TestClient) -> None:
    started = time.perf_counter()
    body = ask(development, TWENTY_MRP_RUNS)
    elapsed = time.perf_counter() - started
    assert body.get("data") is None, body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "QUERY_COST"
    assert error["extensions"]["cost"] > error["extensions"]["budget"]
    assert "MIMS_GRAPHQL_MAX_COST" in error["message"]
    assert elapsed < 1.0  # twenty plans take seconds; a refusal takes none of that
    # One run is within the budget.
    one = ask(development, "{ mrpRun { warnings } }")
    assert "errors" not in one, one


def test_a_variable_page_size_counts_as_given(ledger: Ledger) -> None:
    query = "query($n: Int!) { items(first: $n) { sku description kind } }"
    with serve(ledger, graphql_max_cost=500) as client:
        assert "errors" not in ask(client, query, {"n": 100})
        refused = ask(client, query, {"n": 1000})
        assert refused["errors"][0]["extensions"]["code"] == "QUERY_COST"


def test_only_the_operation_that_runs_is_counted(development: TestClient) -> None:
    answer = development.post(
        "/graphql",
        json={
            "query": f"query Cheap {{ __typename }} query Dear {TWENTY_MRP_RUNS}",
            "operationName": "Cheap",
        },
    )
    assert answer.json() == {"data": {"__typename": "Query"}}


# --- pages and time ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        f"{{ items(first: {MAX_PAGE + 1}) {{ sku }} }}",
        "{ items(first: 0) { sku } }",
        f"{{ stockLedger(first: {MAX_PAGE + 1}) {{ rows {{ position }} }} }}",
        f"{{ valuation(first: {MAX_PAGE + 1}) {{ totalValue }} }}",
        f"{{ reservations(first: {MAX_PAGE + 1}) {{ item }} }}",
        # Past the cap the page size error, not the cost, says what is wrong.
        (
            "{ stockLedger(first: 5000) { rows { position line recordedAt effectiveAt item"
            " location lot quantityDelta valueDelta eventType actor commandId } } }"
        ),
    ],
)
def test_page_sizes_are_capped(development: TestClient, query: str) -> None:
    body = ask(development, query)
    codes = {e.get("extensions", {}).get("code") for e in body["errors"]}
    assert codes == {"PAGE_SIZE"}, body


def test_the_largest_page_is_served(development: TestClient) -> None:
    body = ask(development, f"{{ items(first: {MAX_PAGE}) {{ sku }} }}")
    assert "errors" not in body, body


def test_a_query_past_the_time_limit_is_stopped(ledger: Ledger) -> None:
    with serve(ledger, graphql_timeout_seconds=0.001) as client:
        body = ask(client, "{ mrpRun { warnings } }")
        assert body["data"] is None, body
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "TIMEOUT"
        assert "MIMS_GRAPHQL_TIMEOUT_SECONDS" in error["message"]
    with serve(ledger, graphql_timeout_seconds=60) as client:
        assert "errors" not in ask(client, "{ mrpRun { warnings } }")


# --- what kind of error: the client's or the server's ----------------------------------


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ items(first: 0) { sku } }", "PAGE_SIZE"),  # a resolver's refusal
        ('{ traceForward(item: "¤", lot: "L") { elapsedMs } }', "BAD_CODE"),
        ("{ recallSimulation { elapsedMs } }", "BAD_START"),
        ('{ workOrder(number: "X", minPosition: 123456789) { number } }', "POSITION_BEYOND_HEAD"),
        ('{ items(first: "ten") { sku } }', None),  # the schema's validation
        ("{ " + " ".join(f"a{i}: mrpRun {{ warnings }}" for i in range(3)) + " }", "QUERY_COST"),
    ],
)
def test_a_refusal_is_classified_as_the_clients(
    development: TestClient, query: str, code: str | None
) -> None:
    """Found by fuzzing (tests/test_graphql_fuzz.py): a refusal raised in a resolver came
    with a path and a code of ours only, or none at all (a position past the log's head),
    so a client could not tell it from a failure of the server. Each now says BAD_REQUEST
    (Spring for GraphQL's ErrorType, which GraphQL tools read) beside its own code."""
    body = ask(development, query)
    (error, *_) = body["errors"]
    assert error["extensions"]["classification"] == "BAD_REQUEST", body
    if code is not None:
        assert error["extensions"]["code"] == code, body


def test_an_unexpected_error_is_classified_as_the_servers(ledger: Ledger) -> None:
    with serve(ledger) as client:
        client.app.state.read_models.close()  # type: ignore[attr-defined]
        body = ask(client, "{ items { sku } }")
    (error,) = body["errors"]
    assert error["extensions"]["classification"] == "INTERNAL_ERROR", body
