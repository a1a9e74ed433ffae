"""Every route has a body limit and reads its input as strictly as the commands do, over
real HTTP: the command lane, GraphQL, the admin and planning endpoints. A refusal is an
RFC 9457 problem (or a GraphQL error) and writes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from ledger.orders.commands import CreateSalesOrder, OrderLineInput
from ledger.writer import Ledger, WriterSettings
from mims import admin
from mims.server import create_app
from mims.settings import Settings
from tests.support.identity import admin_headers
from tests.support.plant import Plant
from tests.support.servers import serving

# The tests' HTTP client: an administrator's credentials, set by the `server` fixture.
http = httpx.Client(timeout=5)
LIMIT = 64 * 1024
PADDING = "x" * (LIMIT + 1)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Ledger]]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/events.db",
        read_model_path=tmp_path / "read.duckdb",
        max_body_bytes=LIMIT,
        expiry_interval_minutes=0,
    )
    ledger = Ledger(settings.store_env(), WriterSettings(batch_wait=0))
    plant = Plant(ledger)
    plant.item("BOLT", unit_of_measure="ea", precision=0, kind="component")
    due = (datetime.now(UTC) + timedelta(days=20)).date()
    line = OrderLineInput(line=1, sku="BOLT", quantity=Decimal(500), due_date=due)
    ledger.execute(CreateSalesOrder(number="SO-1", customer="ACME", lines=[line]))
    http.headers.update(admin_headers(ledger))
    with serving(create_app(settings, ledger)) as url:
        yield url, ledger
    ledger.close()


def is_problem(answer: httpx.Response, status: int, slug: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["type"].endswith(f"/{slug}"), answer.json()


def test_the_default_body_limit_is_one_mebibyte() -> None:
    assert Settings().max_body_bytes == 1 << 20


@pytest.mark.parametrize(
    "path", ["/graphql", "/admin/planning/mrp", "/admin/projections/rebuild", "/v1/receipts"]
)
def test_a_body_past_the_limit_is_413_on_every_route(server: tuple[str, Ledger], path: str) -> None:
    url, ledger = server
    before = ledger.max_position()
    body = {"query": "{ __typename }", "padding": PADDING}
    is_problem(http.post(f"{url}{path}", json=body), 413, "payload-too-large")

    # Without a Content-Length (chunked): counted as it arrives.
    def chunks() -> Iterator[bytes]:
        yield b'{"padding": "'
        for _ in range(LIMIT // 1024 + 1):
            yield b"x" * 1024
        yield b'"}'

    answer = http.post(
        f"{url}{path}", content=chunks(), headers={"content-type": "application/json"}
    )
    is_problem(answer, 413, "payload-too-large")
    assert "64 KiB" in answer.json()["detail"] or str(LIMIT) in answer.json()["detail"]
    assert ledger.max_position() == before


def test_the_413_problem_type_explains_itself(server: tuple[str, Ledger]) -> None:
    url, _ = server
    answer = http.get(f"{url}/problems/payload-too-large")
    assert answer.status_code == 200, answer.text
    assert "MIMS_MAX_BODY_BYTES" in answer.text


def test_a_body_within_the_limit_is_served(server: tuple[str, Ledger]) -> None:
    url, _ = server
    answer = http.post(f"{url}/graphql", json={"query": "{ __typename }"})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"ordering_cost": 1e309}', "ordering_cost"),
        (b'{"ordering_cost": " 5 "}', "ordering_cost"),
        (b'{"holding_rate": "NaN"}', "holding_rate"),
        (b'{"bucket_days": " 7 "}', "bucket_days"),
        (b'{"run_id": "mrp 1"}', "run_id"),
        (b'{"horizon": 12, "padding": "x"}', "padding"),
    ],
)
def test_planning_input_is_read_as_strictly_as_a_command(
    server: tuple[str, Ledger], body: bytes, field: str
) -> None:
    url, ledger = server
    before = ledger.max_position()
    answer = http.post(
        f"{url}/admin/planning/mrp", content=body, headers={"content-type": "application/json"}
    )
    is_problem(answer, 422, "validation-error")
    assert field in answer.text
    assert ledger.max_position() == before  # no planned order was written


def test_a_valid_mrp_request_still_plans_and_saves(server: tuple[str, Ledger]) -> None:
    url, ledger = server
    before = ledger.max_position()
    answer = http.post(
        f"{url}/admin/planning/mrp", json={"ordering_cost": "50", "run_id": "mrp-1"}, timeout=60
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["run_id"] == "MRP-1"
    assert ledger.max_position() > before


def test_a_quantity_with_spaces_is_refused_by_the_commands(server: tuple[str, Ledger]) -> None:
    url, ledger = server
    before = ledger.max_position()
    answer = http.post(
        f"{url}/v1/receipts",
        json={"sku": "BOLT", "location": "A", "quantity": " 5 ", "unit_cost": "1"},
    )
    is_problem(answer, 422, "validation-error")
    assert "quantity" in answer.text
    assert ledger.max_position() == before


@pytest.mark.parametrize("cost", ['"1e309"', '" 5 "', '"NaN"', '"Infinity"', "true"])
def test_graphql_decimal_arguments_are_finite_and_trimmed(
    server: tuple[str, Ledger], cost: str
) -> None:
    url, _ = server
    query = f"{{ mrpRun(orderingCost: {cost}) {{ plannedOrders {{ item }} }} }}"
    answer = http.post(f"{url}/graphql", json={"query": query}, timeout=60)
    assert answer.json().get("errors"), answer.text
    assert answer.json().get("data") is None, answer.text


def test_job_records_are_bounded_in_size_and_number(server: tuple[str, Ledger]) -> None:
    url, _ = server
    admin.JOBS.clear()
    # A job that fails with a huge error keeps only its beginning.
    huge = admin.Job(id="huge", kind="rebuild")
    admin.keep(huge)
    admin.failed(huge, RuntimeError("e" * 20_000_000))
    state = http.get(f"{url}/admin/jobs/huge").json()
    assert state["state"] == "failed"
    assert len(state["error"]) < admin.MAX_ERROR + 100
    # A failed rebuild through the API is kept, then dropped once enough others finish.
    job = http.post(f"{url}/admin/projections/rebuild", json={"names": ["nothing"]}).json()["job"]
    deadline = datetime.now(UTC) + timedelta(seconds=30)
    while http.get(f"{url}/admin/jobs/{job}").json()["state"] == "running":
        assert datetime.now(UTC) < deadline
    assert "no projection named nothing" in http.get(f"{url}/admin/jobs/{job}").json()["error"]
    for n in range(admin.MAX_JOBS + 10):
        admin.keep(admin.Job(id=f"done-{n}", kind="rebuild", state="done"))
    assert len(admin.JOBS) == admin.MAX_JOBS
    assert "huge" not in admin.JOBS
    assert f"done-{admin.MAX_JOBS + 9}" in admin.JOBS
    assert http.get(f"{url}/admin/jobs/{job}").status_code == 404
    admin.JOBS.clear()
