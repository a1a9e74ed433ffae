"""Traceability and quality over GraphQL: the traces and the recall answer what the
genealogy functions answer, read only the details a query selects, refuse a recall with
no start; the quality KPIs count holds by reason, first-pass yield and supplier rejects."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.engineering.commands import DefineRouting, DefineWorkCenter, OperationInput
from ledger.production.commands import (
    CreateWorkOrder,
    IssueToWorkOrder,
    ReceiveWorkOrderOutput,
    ReleaseWorkOrder,
    ReportOperation,
)
from ledger.quality.commands import (
    CharacteristicInput,
    DefineSpecification,
    MeasurementInput,
    PlaceHold,
    RecordInspection,
)
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from projections import quality_trace as g
from projections.engine.view import ReadModels
from tests.support.genealogy import LEVELS, SINCE, TODAY, Shop, ten_levels
from tests.support.graphql import GraphQL
from tests.support.identity import admin_headers

D = Decimal


class Api(GraphQL):
    def __init__(self, client: TestClient, ledger: Ledger, models: ReadModels) -> None:
        super().__init__(client)
        self.ledger = ledger
        self.models = models

    def query(self, text: str, variables: dict[str, Any] | None = None, **headers: str) -> Any:
        """Waits for the read models to show every command posted so far."""
        headers.setdefault("X-Min-Position", str(self.ledger.max_position()))
        return super().query(text, variables, **headers)


def quality_week(shop: Shop) -> None:
    """An inspected supplier, a rejected delivery, a welding line with scrap and rework,
    holds for two reasons."""
    run = shop.run
    shop.plant.item("STEEL", tracking="lot", precision=0, unit_of_measure="kg")
    shop.plant.item("FRAME", tracking="lot", precision=0, unit_of_measure="ea", kind="subassembly")
    run(DefineSpecification(sku="STEEL", characteristics=[
        CharacteristicInput(name="hardness", unit="HB", lower=D(120), upper=D(180))]))  # fmt: skip
    shop.receive("STEEL", "S1", 100, heat="H-9", supplier="ACME")
    shop.receive("STEEL", "S2", 100, heat="H-10", supplier="ACME")
    shop.receive("STEEL", "S3", 50, heat="X-1", supplier="RUSTY")
    run(RecordInspection(inspection_id="I-1", sku="STEEL", location="A", lot="S1",
                           quantity=D(100), results=[MeasurementInput(
                               characteristic="hardness", value=D(150))]))  # fmt: skip
    run(RecordInspection(inspection_id="I-2", sku="STEEL", location="A", lot="S3",
                           quantity=D(20), results=[MeasurementInput(
                               characteristic="hardness", value=D(95))]))  # fmt: skip
    run(DefineWorkCenter(code="WELD", labour_rate=D(30)))
    shop.bom("FRAME", ("STEEL", "2", "none"))
    run(DefineRouting(item="FRAME", version="A", effective_from=SINCE, operations=[
        OperationInput(seq=10, work_center="WELD", run_hours_per_unit=D("0.5"))]))  # fmt: skip
    run(CreateWorkOrder(number="WO-F", item="FRAME", quantity=D(10), due_date=TODAY,
                          output_location="A", supply_location="A"))  # fmt: skip
    run(ReleaseWorkOrder(number="WO-F"))
    run(IssueToWorkOrder(number="WO-F", component="STEEL", location="A", quantity=D(20),
                           lot="S1"))  # fmt: skip
    run(ReportOperation(number="WO-F", operation=10, good=D(8), scrap=D(1), rework=D(1)))
    run(ReceiveWorkOrderOutput(number="WO-F", quantity=D(8), lot="F1"))
    run(PlaceHold(hold_id="QH-10", sku="FRAME", lot="F1", reason="weld seam check"))
    run(PlaceHold(hold_id="QH-11", sku="STEEL", lot="S2", location="A", quantity=D(30),
                    reason="supplier complaint"))  # fmt: skip


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    folder: Path = tmp_path_factory.mktemp("trace")
    ledger = Ledger(store_env(f"sqlite:///{folder}/events.db"), WriterSettings(batch_wait=0))
    shop = Shop(ledger)
    ten_levels(shop)
    quality_week(shop)
    models = ReadModels(None)
    app = create_app(ledger=ledger, read_models=models)
    with TestClient(app, headers=admin_headers(ledger)) as client:
        assert app.state.runner.wait_for(ledger.max_position(), timeout=30)
        yield Api(client, ledger, models)
    ledger.close()


TRACED = """lots { item lot level path { item lot } onHandQuantity
    onHand { location status quantity } links { item lot kind via quantity }
    uses { kind partyKind party quantity } receipts { supplier supplierLot quantity }
    shipments { customer salesOrder shipment quantity }
    balance { received produced consumed shipped scrapped adjusted splitIn splitOut
              mergedIn mergedOut onHand difference } }"""


def as_function_says(lots: list[g.TracedLot]) -> dict[tuple[str, str], Any]:
    return {(t.item, t.lot): (t.level, [list(r) for r in t.path], t.quantity_on_hand) for t in lots}


def as_graphql_says(lots: list[dict[str, Any]]) -> dict[tuple[str, str], Any]:
    return {
        (t["item"], t["lot"]): (
            t["level"],
            [[r["item"], r["lot"]] for r in t["path"]],
            D(t["onHandQuantity"]),
        )
        for t in lots
    }


def test_traces_answer_what_the_genealogy_says(api: Api) -> None:
    data = api.query(
        f"""query {{ f: traceForward(item: "L0", lot: "R1") {{ start {{ item lot }} elapsedMs
            {TRACED} }}
            b: traceBackward(item: "L9", lot: "L9-A") {{ {TRACED}
            supplierLots {{ supplier supplierLot item lot quantity }} }} }}"""
    )
    with api.models.reader() as con:
        every = g.EVERYTHING
        forward = g.trace(con, g.start_nodes(con, item="L0", lot="R1"), "forward", details=every)
        backward = g.trace(
            con, g.start_nodes(con, item="L9", lot="L9-A"), "backward", details=every
        )
    assert data["f"]["start"] == [{"item": "L0", "lot": "R1"}]
    assert data["f"]["elapsedMs"] > 0
    assert as_graphql_says(data["f"]["lots"]) == as_function_says(forward.lots)
    assert as_graphql_says(data["b"]["lots"]) == as_function_says(backward.lots)
    r1 = next(t for t in data["f"]["lots"] if t["lot"] == "R1")
    assert {(u["kind"], u["party"]) for u in r1["uses"]} == {("consumed", "WO-1")}
    assert {x["lot"] for x in r1["links"]} == {"L1-A"}
    assert r1["receipts"] == [{"supplier": "ACME", "supplierLot": "H-1", "quantity": "1000"}]
    assert r1["balance"]["received"] == "1000"
    assert r1["balance"]["consumed"] == "25"
    assert r1["balance"]["difference"] == "0"
    top = next(t for t in data["f"]["lots"] if t["lot"] == "L9-A")
    assert top["level"] == LEVELS - 1 + 3
    assert {"customer": "RETAILER", "salesOrder": "SO-1", "shipment": "SH-1", "quantity": "10"} in (
        top["shipments"]
    )
    supplier_lots = {(s["supplier"], s["supplierLot"], s["lot"]) for s in data["b"]["supplierLots"]}
    assert supplier_lots == {
        ("ACME", "H-1", "R1"),
        ("ACME", "H-1", "R2"),
        ("BOLTS INC", "H-2", "R3"),
    }


def test_the_recall_of_a_supplier_lot(api: Api) -> None:
    data = api.query(
        """query($s: String) { recallSimulation(supplierLot: $s) {
            supplierLot start { item lot } elapsedMs unbalanced { item lot }
            lots { item lot level balance { difference } }
            onHand { item lot location status quantity }
            onHandByPlace { location status lots quantity }
            shipments { item lot customer salesOrder shipment quantity } } }""",
        {"s": "H-1"},
    )["recallSimulation"]
    with api.models.reader() as con:
        recall = g.recall(con, supplier_lot="H-1")
        affected = g.affected_lots(con, supplier_lot="H-1")
    assert {(s["item"], s["lot"]) for s in data["start"]} == {("L0", "R1"), ("L0", "R2")}
    assert {(t["item"], t["lot"]) for t in data["lots"]} == {(t.item, t.lot) for t in recall.lots}
    assert data["unbalanced"] == []
    assert all(t["balance"]["difference"] == "0" for t in data["lots"])
    on_hand = {(r["item"], r["lot"]) for r in data["onHand"] if D(r["quantity"]) > 0}
    assert sorted(on_hand) == affected
    statuses = {(p["location"], p["status"]) for p in data["onHandByPlace"]}
    assert ("A", "held") in statuses  # the hold on L9-B
    assert sum(D(p["quantity"]) for p in data["onHandByPlace"]) == sum(
        D(r["quantity"]) for r in data["onHand"]
    )
    shipped = {(s["customer"], s["shipment"]): D(s["quantity"]) for s in data["shipments"]}
    assert shipped == {("RETAILER", "SH-1"): D(10), ("RETAILER", None): D(-2)}


def test_a_recall_needs_a_start_and_an_unknown_lot_finds_nothing(api: Api) -> None:
    errors = api.errors("{ recallSimulation { elapsedMs } }")
    assert "supplierLot" in errors[0]["message"]
    empty = api.query('{ recallSimulation(supplierLot: "NO-SUCH") { start { lot } lots { lot } } }')
    assert empty["recallSimulation"] == {"start": [], "lots": []}
    none = api.query('{ traceForward(item: "L0", lot: "NOPE") { lots { lot } } }')
    assert none["traceForward"]["lots"] == []


def test_a_trace_reads_only_what_is_selected(api: Api) -> None:
    lean = api.query('{ traceForward(item: "L0", lot: "R3") { lots { item lot level } } }')
    assert lean["traceForward"]["lots"]
    shallow = api.query(
        '{ traceForward(item: "L0", lot: "R3", maxDepth: 2) { lots { lot level links { lot } } } }'
    )
    levels = {t["level"] for t in shallow["traceForward"]["lots"]}
    assert levels == {0, 1, 2}
    # The lots at the depth limit still say what they were made into.
    assert all(t["links"] for t in shallow["traceForward"]["lots"] if t["level"] == 2)


def test_quality_kpis(api: Api) -> None:
    kpis = api.query(
        """{ qualityKpis {
            onHoldByReason { reason items lots quantity }
            firstPassYieldByItem { key good scrap rework firstPassYield }
            firstPassYieldByWorkCenter { key firstPassYield }
            rejectRateBySupplier { supplier inspections failed inspectedQuantity
                rejectedQuantity receivedQuantity inspectionRejectRate quantityRejectRate } } }"""
    )["qualityKpis"]
    held = {r["reason"]: (r["items"], r["lots"], D(r["quantity"])) for r in kpis["onHoldByReason"]}
    assert held["weld seam check"] == (1, 1, D(8))
    assert held["supplier complaint"] == (1, 1, D(30))
    assert held["customer complaint"] == (1, 1, D(30))  # L9-B, from the ten levels
    stock = api.query("{ stockOnHand(filter: {status: HELD}) { totalQuantity } }")
    assert sum(q for _, _, q in held.values()) == D(stock["stockOnHand"]["totalQuantity"])
    assert kpis["firstPassYieldByItem"] == [
        {"key": "FRAME", "good": "8", "scrap": "1", "rework": "1", "firstPassYield": "0.8"}
    ]
    assert kpis["firstPassYieldByWorkCenter"] == [{"key": "WELD", "firstPassYield": "0.8"}]
    suppliers = {s["supplier"]: s for s in kpis["rejectRateBySupplier"]}
    assert suppliers["RUSTY"] == {
        "supplier": "RUSTY", "inspections": 1, "failed": 1, "inspectedQuantity": "20",
        "rejectedQuantity": "20", "receivedQuantity": "50", "inspectionRejectRate": "1",
        "quantityRejectRate": "0.4",
    }  # fmt: skip
    assert suppliers["ACME"]["inspections"] == 1
    assert suppliers["ACME"]["failed"] == 0
    assert suppliers["ACME"]["quantityRejectRate"] == "0"
    assert suppliers["BOLTS INC"]["inspections"] == 0
    assert suppliers["BOLTS INC"]["inspectionRejectRate"] is None
