"""`POST /v1/scraps`: available stock written off in one step, at the cost the item's
method gives, and seen as scrap by every read model that folds stock; what an issue
may not take, a scrap may not take either, and a refusal saves nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger.stock.commands import ScrapStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.audit import verify
from projections.engine.runner import ProjectionRunner
from projections.engine.view import ReadModels
from tests.support.http_plant import HttpPlant, served_plant
from tests.support.plant import Plant

D = Decimal
TODAY = datetime.now(UTC).date()


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[HttpPlant]:
    with served_plant(tmp_path, "scrapper", HttpPlant) as shop:
        for body in [
            {"code": "P", "level": "site"},
            {"code": "W", "level": "warehouse", "parent": "P"},
            {"code": "A", "level": "zone", "parent": "W"},
            {"code": "B", "level": "zone", "parent": "W"},
        ]:
            shop.post("/locations", body)
        item = {"kind": "raw_material", "unit_of_measure": "kg", "precision": 0}
        shop.post("/items", {**item, "sku": "STEEL", "description": "coil", "tracking": "lot"})
        shop.post(
            "/items",
            {**item, "sku": "OIL", "description": "oil", "costing_method": "moving_average"},
        )
        shop.post(
            "/items",
            {**item, "sku": "BOLT", "description": "bolt", "costing_method": "standard",
             "standard_cost": "5"},
        )  # fmt: skip
        yield shop


def receive(plant: HttpPlant, sku: str, qty: str, cost: str, **kw: Any) -> None:
    plant.post("/receipts", {"sku": sku, "location": "A", "quantity": qty, "unit_cost": cost, **kw})


def scrap(plant: HttpPlant, sku: str, qty: str, **kw: Any) -> dict[str, Any]:
    body = {"sku": sku, "location": "A", "quantity": qty, "reason_code": "DAMAGED", **kw}
    return plant.post("/scraps", body)


def test_a_scrap_writes_stock_off_at_its_cost_and_every_read_model_shows_it(
    plant: HttpPlant,
) -> None:
    receive(plant, "STEEL", "10", "2", lot="L1", supplier_lot="H-1", supplier="ACME")
    receive(plant, "STEEL", "10", "3", lot="L1")  # a second FIFO layer of the lot
    receive(plant, "OIL", "10", "2")
    receive(plant, "OIL", "10", "4")  # average 3
    receive(plant, "BOLT", "10", "7")  # at standard 5
    plant.post(
        "/issues",
        {"sku": "STEEL", "location": "A", "lot": "L1", "quantity": "1",
         "target_kind": "work_order", "target": "WO-1"},
    )  # fmt: skip

    done = scrap(plant, "STEEL", "14", lot="L1", note="forklift", reference="NCR-7")
    assert [e["type"] for e in done["events"]] == ["Stock.Scrapped"]
    assert D(done["data"]["value"]) == 9 * 2 + 5 * 3  # the oldest layer first, like an issue
    assert D(scrap(plant, "OIL", "5")["data"]["value"]) == 15
    assert D(scrap(plant, "BOLT", "2")["data"]["value"]) == 10

    card = plant.client.get("/v1/stock/STEEL").json()
    assert (D(card["on_hand"]), D(card["value"])) == (D(5), D(15))
    assert [(D(x["quantity"]), D(x["unit_cost"])) for x in card["layers"]] == [(D(5), D(3))]

    data = plant.query(
        """{ stockLedger(filter: {item: "STEEL"}, eventType: "Stock.Scrapped") {
               rows { location lot status quantityDelta valueDelta eventType reference
                      counterparty site } }
             stockOnHand(filter: {item: "STEEL"}) { totalQuantity totalValue }
             valuation { items { item quantity value } }
             consumption(item: "STEEL") { quantity value issues scrapped scrappedValue scraps }
             traceForward(item: "STEEL", lot: "L1") { lots { lot
               uses { kind partyKind party quantity }
               balance { received consumed scrapped onHand difference } } } }"""
    )
    assert data["stockLedger"]["rows"] == [
        {
            "location": "A", "lot": "L1", "status": "AVAILABLE", "quantityDelta": "-14",
            "valueDelta": "-33", "eventType": "Stock.Scrapped", "reference": "NCR-7",
            "counterparty": "scrap:DAMAGED", "site": "P",
        }
    ]  # fmt: skip
    on_hand = data["stockOnHand"]
    assert (D(on_hand["totalQuantity"]), D(on_hand["totalValue"])) == (D(5), D(15))
    values = {r["item"]: (D(r["quantity"]), D(r["value"])) for r in data["valuation"]["items"]}
    assert values == {"STEEL": (D(5), D(15)), "OIL": (D(15), D(45)), "BOLT": (D(8), D(40))}
    ((day,),) = [data["consumption"]]
    assert {k: D(v) for k, v in day.items()} == {
        "quantity": D(1), "value": D(2), "issues": D(1),  # the issue, and apart from it
        "scrapped": D(14), "scrappedValue": D(33), "scraps": D(1),  # the scrap
    }  # fmt: skip
    ((lot,),) = [data["traceForward"]["lots"]]
    assert {"kind": "scrapped", "partyKind": "scrap", "party": "A", "quantity": "14"} in lot["uses"]
    assert {k: D(v) for k, v in lot["balance"].items()} == {
        "received": D(20), "consumed": D(1), "scrapped": D(14), "onHand": D(5),
        "difference": D(0),
    }  # fmt: skip


def test_refusals_are_precise_and_save_nothing(plant: HttpPlant) -> None:
    receive(plant, "STEEL", "10", "2", lot="L1")
    receive(plant, "STEEL", "10", "2", lot="L2")
    receive(plant, "BOLT", "10", "5")

    def refused(status: int, type_: str, **body: Any) -> dict[str, Any]:
        full = {"sku": "STEEL", "location": "A", "quantity": "1", "reason_code": "DAMAGED"}
        return plant.refused("/scraps", {**full, **body}, status, type_)

    short = refused(409, "insufficient-stock", lot="L1", quantity="11")
    assert (short["requested"], short["on_hand"]) == ("11", "10")
    plant.post("/holds", {"hold_id": "QH-1", "sku": "STEEL", "lot": "L2", "reason": "suspect"})
    held = refused(409, "stock-not-available", lot="L2")
    assert held["holds"] == [{"hold_id": "QH-1", "reason": "suspect"}]
    without = {"sku": "STEEL", "location": "A", "lot": "L1", "quantity": "1"}
    missing = plant.refused("/scraps", without, 422, "validation-error")
    assert missing["field"] == "reason_code"
    free_text = refused(422, "validation-error", lot="L1", reason_code="fell off the truck")
    assert free_text["field"] == "reason_code"
    unknown = refused(404, "unknown-lot", lot="L9")
    assert unknown["lot"] == "L9"
    refused(422, "lot-rule-violated")  # a lot-tracked item names its lot
    refused(422, "precision-exceeded", lot="L1", quantity="1.5")
    plant.post("/reservations", {"sku": "BOLT", "quantity": "8"})
    promised = refused(409, "insufficient-stock", sku="BOLT", quantity="3")
    assert (promised["free"], promised["reserved"]) == ("2", "8")
    plant.post("/locations/block", {"code": "W", "reason": "stocktake"})
    blocked = refused(409, "location-blocked", lot="L1")
    assert blocked["blocked_by"] == "W"
    plant.post("/locations/unblock", {"code": "W"})
    # Expired stock is held by the expiry job, then dispositioned: never scrapped as usable.
    three_days_ago = datetime.now(UTC) - timedelta(days=3)
    receive(plant, "STEEL", "5", "2", lot="L3", expiry=(TODAY - timedelta(days=1)).isoformat(),
            effective_at=three_days_ago.isoformat())  # fmt: skip
    expired = refused(409, "lot-expired", lot="L3")
    assert expired["expiry"] == (TODAY - timedelta(days=1)).isoformat()


def test_the_audit_folds_scraps_like_the_read_models(tmp_path: Path) -> None:
    ledger = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    try:
        plant = Plant(ledger)
        for method in ("fifo", "moving_average"):
            sku = method.upper().replace("_", "-")
            plant.item(sku, costing_method=method)
            plant.receive(sku, "10", "2")
            plant.receive(sku, "5", "3.3")
            ledger.execute(ScrapStock(sku=sku, location="A", quantity=D(7), reason_code="DAMAGED"))
        models = ReadModels(None)
        runner = ProjectionRunner(ledger.app.recorder, models)  # not started: verify catches up
        assert verify(ledger, models, runner) == []
        with models.reader() as con:
            value = dict(con.execute("SELECT item, value FROM item_valuation").fetchall())
        fifo, average = ledger.stock("FIFO"), ledger.stock("MOVING-AVERAGE")
        assert fifo is not None
        assert average is not None
        assert value == {"FIFO": fifo.value, "MOVING-AVERAGE": average.value}
        assert fifo.value == 3 * 2 + D("16.5")  # the oldest 7 of 10 at 2 went
        models.close()
    finally:
        ledger.close()
