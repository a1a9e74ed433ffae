"""A recall finds every receipt of a supplier lot: spellings of it (case, spaces) are one
code, look-alikes (a non-breaking hyphen, a Cyrillic letter) are refused at the door, a
receipt without a supplier is indexed like any other, and the query's argument is
normalised as the commands normalise codes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.http_plant import HttpPlant, served_plant
from tests.support.identity import signature_json

RECALL = """query($s: String) { recallSimulation(supplierLot: $s) {
    supplierLot start { item lot } onHandQuantity } }"""


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[HttpPlant]:
    with served_plant(tmp_path, "receiving", HttpPlant) as shop:
        for body in [
            {"code": "P", "level": "site"},
            {"code": "W", "level": "warehouse", "parent": "P"},
            {"code": "A", "level": "zone", "parent": "W"},
        ]:
            shop.post("/locations", body)
        shop.post(
            "/items",
            {"sku": "RESIN", "description": "resin", "kind": "raw_material",
             "unit_of_measure": "kg", "tracking": "lot"},
        )  # fmt: skip
        yield shop


def receipt(lot: str, supplier_lot: str, **kw: Any) -> dict[str, Any]:
    return {"sku": "RESIN", "location": "A", "quantity": "10", "unit_cost": "3", "lot": lot,
            "supplier_lot": supplier_lot, "supplier": "POLYCO", **kw}  # fmt: skip


def test_every_receipt_of_a_supplier_lot_is_recalled(plant: HttpPlant) -> None:
    plant.post("/receipts", receipt("R1", "SUPY-991"))
    hyphen = plant.refused("/receipts", receipt("R2", "SUPY\u2011991"), 422, "validation-error")
    assert hyphen["field"] == "supplier_lot"
    assert "U+2011 NON-BREAKING HYPHEN" in hyphen["detail"]
    cyrillic = plant.refused("/receipts", receipt("R3", "\u0421UPY-991"), 422, "validation-error")
    assert "U+0421 CYRILLIC CAPITAL LETTER ES" in cyrillic["detail"]
    plant.post("/receipts", receipt("R4", "SUPY-991 "))
    plant.post("/receipts", receipt("R5", "supy-991"))
    no_supplier = receipt("R6", "SUPY-991")
    del no_supplier["supplier"]
    plant.post("/receipts", no_supplier)
    # A lot first received from another supplier lot, then with this one.
    plant.post("/receipts", receipt("r7", "OTHER-1"))
    plant.post("/receipts", receipt("R7 ", "\uff33\uff35\uff30\uff39-991"))  # full width

    for asked in ["SUPY-991", " supy-991", "\uff53\uff55\uff50\uff59-991"]:
        found = plant.query(RECALL, s=asked)["recallSimulation"]
        assert found["supplierLot"] == "SUPY-991"
        assert [s["lot"] for s in found["start"]] == ["R1", "R4", "R5", "R6", "R7"], asked
        assert found["onHandQuantity"] == "60"
    answer = plant.client.post(
        "/graphql", json={"query": RECALL, "variables": {"s": "\u0421UPY-991"}}
    ).json()
    (error,) = answer["errors"]
    assert error["extensions"]["code"] == "BAD_CODE"
    assert "U+0421" in error["message"]

    # The receipt without a supplier is listed by a backward trace, its supplier empty.
    back = plant.query(
        """{ traceBackward(item: "resin", lot: " r6") {
               supplierLots { supplier supplierLot lot quantity } } }"""
    )["traceBackward"]
    assert back["supplierLots"] == [
        {"supplier": "", "supplierLot": "SUPY-991", "lot": "R6", "quantity": "10"}
    ]

    # Containment holds every lot of it, named in any spelling.
    held = plant.post(
        "/recalls/hold",
        {
            "hold_id": "rc-1",
            "supplier_lot": "supy-991 ",
            "reason": "notice",
            "signature": signature_json("contain"),
        },
    )
    assert [(h["hold_id"], h["lot"]) for h in held["holds"]] == [
        ("RC-1-1", "R1"), ("RC-1-2", "R4"), ("RC-1-3", "R5"), ("RC-1-4", "R6"), ("RC-1-5", "R7"),
    ]  # fmt: skip
    card = plant.client.get("/v1/stock/RESIN").json()
    assert {b["lot"]: b["status"] for b in card["balances"]} == dict.fromkeys(
        ["R1", "R4", "R5", "R6", "R7"], "held"
    )


def test_lots_are_one_code_in_any_case(plant: HttpPlant) -> None:
    plant.post("/receipts", receipt("coil-1", "H-1"))
    plant.post(
        "/issues",
        {"sku": "resin", "location": " a", "lot": "COIL-1", "quantity": "4",
         "target_kind": "work_order", "target": "WO-1"},
    )  # fmt: skip
    card = plant.client.get("/v1/stock/RESIN").json()
    assert [(b["lot"], b["quantity"]) for b in card["balances"]] == [("COIL-1", "6")]
