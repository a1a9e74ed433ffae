"""Dispositions, recall holds and adjustments through the real server: refused without a
signature (422 signature-required, nothing saved), refused with a wrong password (403,
counted on the account, the password nowhere in the answer), accepted with the right one,
and listed by GraphQL ``signatures`` with the three elements of the signature."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger.identity.accounts import Account, account_id
from ledger.stock.commands import ChangeStockStatus
from tests.support.http_plant import HttpPlant, served_plant
from tests.support.identity import bearer, login, register, signature, signature_json
from tests.support.plant import Plant

D = Decimal
WRONG = "Tr0ub4dor&3-not-mine"
SIGNER = "quinn"
DECISIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "ADJUSTMENT": (
        "/adjustments",
        {"sku": "RESIN", "location": "A", "lot": "R2", "quantity_delta": "-2",
         "reason_code": "DAMAGED", "note": "forklift"},
    ),
    "DISPOSITION": (
        "/dispositions",
        {"sku": "RESIN", "location": "A", "lot": "R1", "quantity": "4", "disposition": "scrap",
         "reason": "melt index out of range"},
    ),
    "RECALL_HOLD": (
        "/holds/lots",
        {"hold_id": "RC-1", "reason": "supplier recall notice",
         "lots": [{"sku": "RESIN", "lot": "R2"}]},
    ),
}  # fmt: skip
SIGNATURES = """query($kind: SignedDecisionKind) { signatures(kind: $kind) {
  kind item lot location quantity decided
  signature { signer printedName meaning reason signedAt timeZone bound } } }"""


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[HttpPlant]:
    with served_plant(tmp_path, "setup", HttpPlant) as shop:
        on_ledger = Plant(shop.ledger)
        on_ledger.item("RESIN", tracking="lot", precision=2)
        # Dispositions need a quality approver's grant (an administrator's does not sign).
        grants = (("administrator", "*"), ("quality_approver", "S"))
        register(shop.ledger, SIGNER, grants=grants)
        shop.client.headers.update(bearer(login(shop.client, SIGNER)))
        for lot in ("R1", "R2"):
            on_ledger.receive("RESIN", "20", "2", lot=lot, supplier="POLY")
        shop.ledger.execute(
            ChangeStockStatus(
                sku="RESIN", location="A", lot="R1", quantity=D(4), from_status="available",
                to_status="rejected", reason="melt index", signature=signature("melt index"),
            ),  # type: ignore[arg-type]
            actor=SIGNER,
        )  # fmt: skip
        yield shop


def failed_signatures(plant: HttpPlant) -> int:
    account = plant.ledger.find(Account, account_id(SIGNER))
    assert account is not None
    return account.failed_signatures


@pytest.mark.parametrize("kind", list(DECISIONS))
def test_a_signed_decision_over_http(plant: HttpPlant, kind: str) -> None:
    path, body = DECISIONS[kind]
    plant.refused(path, body, 422, "signature-required")

    before = plant.ledger.max_position()
    wrong = plant.client.post(
        f"/v1{path}", json={**body, "signature": signature_json(password=WRONG)}
    )
    assert wrong.status_code == 403, wrong.text
    assert wrong.json()["type"] == "/problems/signature-not-given"
    assert WRONG not in wrong.text
    assert failed_signatures(plant) == 1
    assert plant.ledger.max_position() == before + 1  # the refusal counted, nothing else

    plant.post(path, {**body, "signature": signature_json("decided", meaning="approved")})
    rows = plant.query(SIGNATURES, kind=kind)["signatures"]
    assert len(rows) == 1
    (row,) = rows
    assert row["kind"] == kind
    sig = row["signature"]
    assert (sig["signer"], sig["printedName"], sig["meaning"], sig["reason"]) == (
        SIGNER, "Quinn", "approved", "decided",
    )  # fmt: skip
    assert sig["signedAt"].endswith("+00:00") and sig["timeZone"] == "UTC"
    assert sig["bound"] is True
    # the decision, and the rejection the plant was set up with
    every = plant.query(SIGNATURES)["signatures"]
    assert [r for r in every if r["kind"] != "STATUS_CHANGE"] == rows
    assert [r["decided"] for r in every if r["kind"] == "STATUS_CHANGE"] == ["melt index"]
