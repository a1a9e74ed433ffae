"""`POST /v1/recalls/hold` over real HTTP: everything on hand made from a supplier lot is
held in one command, one hold per lot; what was shipped is not on hand to hold; bad
input and unknown lots are problem details that save nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.engineering.commands import BomLineInput, DefineBom
from ledger.orders.commands import (
    CreateSalesOrder,
    OrderLineInput,
    ShipmentLineInput,
    ShipSalesOrder,
)
from ledger.production.commands import CompleteWorkOrder, CreateWorkOrder, ReleaseWorkOrder
from ledger.store import store_env
from ledger.values import StockStatus
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from projections.engine.view import ReadModels
from tests.support.identity import log_in, signature_json
from tests.support.plant import Plant
from tests.support.servers import serving

D = Decimal
TODAY = datetime.now(UTC).date()


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[tuple[httpx.Client, Ledger]]:
    ledger = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    shop = Plant(ledger)
    run = ledger.execute
    shop.item("RESIN", tracking="lot")
    shop.item("CAP", kind="finished_good", unit_of_measure="ea", precision=0, tracking="lot")
    for lot, supplier_lot in (("R1", "BAD-7"), ("R2", "BAD-7"), ("R3", "GOOD-1")):
        shop.receive("RESIN", "10", "3", lot=lot, supplier="POLY", supplier_lot=supplier_lot)
    run(
        DefineBom(
            parent="CAP", version="A", effective_from=TODAY - timedelta(days=1),
            lines=[BomLineInput(component="RESIN", quantity=D(1), backflush="completion")],
        )
    )  # fmt: skip
    run(
        CreateWorkOrder(
            number="WO-1", item="CAP", quantity=D(8), due_date=TODAY, output_location="B",
            supply_location="A",
        )
    )  # fmt: skip
    run(ReleaseWorkOrder(number="WO-1"))
    run(CompleteWorkOrder(number="WO-1", lot="C1"))  # consumes R1 (first received)
    run(
        CreateSalesOrder(
            number="SO-1", customer="SHOP",
            lines=[OrderLineInput(line=1, sku="CAP", quantity=D(3), due_date=TODAY)],
        )
    )  # fmt: skip
    run(
        ShipSalesOrder(
            number="SO-1", shipment="SH-1", lines=[ShipmentLineInput(line=1, quantity=D(3))]
        )
    )
    with (
        serving(create_app(ledger=ledger, read_models=ReadModels(None))) as url,
        httpx.Client(base_url=url) as client,
    ):
        log_in(client, ledger, "quinn")
        yield client, ledger
    ledger.close()


def problem(answer: httpx.Response, status: int, type_: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert body["type"] == f"/problems/{type_}"
    return body


def test_a_supplier_lot_is_contained_in_one_step(plant: tuple[httpx.Client, Ledger]) -> None:
    client, ledger = plant
    answer = client.post(
        "/v1/recalls/hold",
        json={
            "hold_id": "RC-1",
            "supplier_lot": "BAD-7",
            "reason": "supplier notice",
            "signature": signature_json("contain supplier lot BAD-7"),
        },
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    # 8 of R1 went into C1 (5 of C1 still here, 3 shipped), 2 of R1 and all of R2 are on
    # hand; R3 is another supplier lot.
    assert body["holds"] == [
        {"hold_id": "RC-1-1", "item": "CAP", "lot": "C1"},
        {"hold_id": "RC-1-2", "item": "RESIN", "lot": "R1"},
        {"hold_id": "RC-1-3", "item": "RESIN", "lot": "R2"},
    ]
    assert D(body["data"]["held"]) == 5 + 10 + (10 - 8)
    resin = ledger.stock("RESIN")
    cap = ledger.stock("CAP")
    assert resin is not None and cap is not None
    assert resin.balances[("A", "R2", StockStatus.HELD)] == 10
    assert resin.balances[("A", "R3", StockStatus.AVAILABLE)] == 10
    assert cap.balances == {("B", "C1", StockStatus.HELD): 5}
    refused = problem(
        client.post(
            "/v1/issues",
            json={
                "sku": "RESIN", "location": "A", "lot": "R2", "quantity": "1",
                "target_kind": "work_order", "target": "WO-9",
            },
        ),
        409,
        "stock-not-available",
    )  # fmt: skip
    assert refused["holds"] == [{"hold_id": "RC-1-3", "reason": "supplier notice"}]


def test_refusals_save_nothing(plant: tuple[httpx.Client, Ledger]) -> None:
    client, ledger = plant
    before = ledger.max_position()
    problem(
        client.post(
            "/v1/recalls/hold",
            json={"hold_id": "RC-2", "supplier_lot": "NOPE", "reason": "x"},
        ),
        404,
        "unknown-lot",
    )
    problem(
        client.post(
            "/v1/recalls/hold",
            json={"hold_id": "RC-2", "supplier_lot": "BAD-7", "item": "CAP", "lot": "C1",
                  "reason": "x"},
        ),
        422,
        "validation-error",
    )  # fmt: skip
    problem(
        client.post("/v1/recalls/hold", json={"hold_id": "RC 2", "reason": "x"}),
        422,
        "validation-error",
    )
    problem(  # a recall hold is a signed quality decision
        client.post(
            "/v1/recalls/hold", json={"hold_id": "RC-3", "item": "CAP", "lot": "C1", "reason": "x"}
        ),
        422,
        "signature-required",
    )
    assert ledger.max_position() == before
    contain = {"hold_id": "RC-3", "item": "CAP", "lot": "C1", "reason": "x"}
    held = client.post("/v1/recalls/hold", json={**contain, "signature": signature_json()})
    assert held.status_code == 201, held.text
    assert [h["lot"] for h in held.json()["holds"]] == ["C1"]
    problem(
        client.post("/v1/recalls/hold", json={**contain, "signature": signature_json()}),
        409,
        "already-exists",
    )
