"""Every disposition, a recall containment hold and an adjustment (the correction of a
recorded balance) are signed quality decisions (issue 15): refused without a signature,
refused and counted with a wrong password, accepted with the right one; each signature
is bound to its record, so one copied onto another kind of decision, or a record changed
after it was signed, fails re-verification; the ``signatures`` read model lists them."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from ledger.commands import Command
from ledger.errors import LedgerError
from ledger.identity.accounts import Account, account_id
from ledger.identity.signatures import SignatureNotGiven
from ledger.quality.aggregates import Recall, SignatureRequired, recall_id
from ledger.quality.commands import DisposeStock, HoldLots, LotInput, PlaceHold
from ledger.quality.signing import signed_events, verify_signatures
from ledger.stock.card import Stock
from ledger.stock.commands import AdjustStock, ChangeStockStatus, CountStock, SignatureInput
from ledger.store import store_env
from ledger.values import Signature, StockStatus
from ledger.writer import Ledger, WriterSettings
from projections.engine.runner import ProjectionRunner
from projections.engine.view import ReadModels
from tests.support.identity import register, signature
from tests.support.plant import Plant

D = Decimal
WRONG = "not my password"
QA = "quinn"


def dispose(sig: SignatureInput | None) -> DisposeStock:
    return DisposeStock(
        sku="RESIN", location="A", lot="R1", quantity=D(4), disposition="return_to_supplier",
        reason="melt index out of range", signature=sig,
    )  # type: ignore[arg-type]  # fmt: skip


def recall(sig: SignatureInput | None) -> HoldLots:
    return HoldLots(
        hold_id="RC-1", reason="supplier recall notice", signature=sig,
        lots=[LotInput(sku="RESIN", lot="R2"), LotInput(sku="RESIN", lot="R1")],
    )  # fmt: skip


def adjust(sig: SignatureInput | None) -> AdjustStock:
    return AdjustStock(
        sku="RESIN", location="A", lot="R2", quantity_delta=D(-2), reason_code="DAMAGED",
        note="forklift", signature=sig,
    )  # fmt: skip


DECISIONS: dict[str, Callable[[SignatureInput | None], Command]] = {
    "adjustment": adjust,
    "disposition": dispose,
    "recall_hold": recall,  # last: it holds what the others move
}


def make_plant(path: Path) -> Plant:
    ledger = Ledger(store_env(f"sqlite:///{path}"), WriterSettings(batch_wait=0))
    plant = Plant(ledger)
    plant.item("RESIN", tracking="lot", precision=2)
    for lot in ("R1", "R2"):
        plant.receive("RESIN", "20", "2", lot=lot, supplier="POLY", supplier_lot=f"S-{lot}")
    register(ledger, QA)
    ledger.execute(
        ChangeStockStatus(
            sku="RESIN", location="A", lot="R1", quantity=D(4), from_status="available",
            to_status="rejected", reason="melt index", signature=signature("melt index"),
        ),  # type: ignore[arg-type]
        actor=QA,
    )  # fmt: skip
    return plant


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[Plant]:
    made = make_plant(tmp_path / "events.db")
    yield made
    made.ledger.close()


def audit(ledger: Ledger) -> Any:
    def load(stream: Any, version: int | None) -> Any:
        return ledger.app.repository.get(stream, version=version)

    return verify_signatures(signed_events(ledger.app), load)


def signed_event(plant: Plant, kind: str) -> Any:
    """The event holding the decision's signature."""
    if kind == "recall_hold":
        return next(iter(plant.ledger.app.events.get(recall_id("RC-1"))))
    wanted = Stock.Disposed if kind == "disposition" else Stock.Adjusted
    found = [e for e in plant.ledger.app.events.get(plant.card("RESIN").id) if type(e) is wanted]
    return found[-1]


@pytest.mark.parametrize("kind", list(DECISIONS))
def test_a_decision_is_refused_unsigned_and_counted_with_a_wrong_password(
    plant: Plant, kind: str
) -> None:
    make = DECISIONS[kind]
    already = audit(plant.ledger).checked  # the plant's signed rejection
    position = plant.ledger.max_position()
    with pytest.raises(SignatureRequired) as unsigned:
        plant.ledger.execute(make(None), actor=QA)
    assert unsigned.value.type == "signature-required"
    assert plant.ledger.max_position() == position  # nothing saved
    with pytest.raises(SignatureNotGiven) as wrong:
        plant.ledger.execute(make(signature(password=WRONG)), actor=QA)
    assert wrong.value.facts["attempts"] == 1
    added = plant.ledger.app.recorder.select_notifications(position + 1, 100)
    assert [n.topic for n in added] == ["ledger.identity.accounts:Account.SignatureRefused"]
    account = plant.ledger.find(Account, account_id(QA))
    assert account is not None and account.failed_signatures == 1

    plant.ledger.execute(make(signature("decided", meaning="approved")), actor=QA)
    given = signed_event(plant, kind).signature
    assert isinstance(given, Signature)
    assert (given.signer, given.printed_name, given.meaning, given.reason) == (
        QA, "Quinn", "approved", "decided",
    )  # fmt: skip
    assert given.record_hash  # bound to the record it signs
    found = audit(plant.ledger)
    assert (found.checked - already, found.wrong, found.unbound) == (1, 0, 0)
    print(f"{kind}: signatures checked {found.checked}, wrong {found.wrong}")


def test_every_disposition_is_signed(plant: Plant) -> None:
    """Scrap and rework too, not only use as is."""
    plant.ledger.execute(
        ChangeStockStatus(
            sku="RESIN", location="A", lot="R2", quantity=D(6), from_status="available",
            to_status="rejected", reason="colour", signature=signature("colour"),
        ),  # type: ignore[arg-type]
        actor=QA,
    )  # fmt: skip
    for disposition, extra in (
        ("scrap", {}), ("rework", {"work_order": "RW-1", "output_location": "A"}),
    ):  # fmt: skip
        body: dict[str, Any] = {
            "sku": "RESIN", "location": "A", "lot": "R2", "quantity": D(3),
            "disposition": disposition, "reason": "colour", **extra,
        }  # fmt: skip
        with pytest.raises(SignatureRequired):
            plant.ledger.execute(DisposeStock(**body), actor=QA)
        plant.ledger.execute(DisposeStock(**body, signature=signature()), actor=QA)
    assert audit(plant.ledger).checked == 4  # two rejections, two dispositions


def test_rejecting_is_signed_but_a_failed_inspection_rejects_by_itself(plant: Plant) -> None:
    """A person's rejection of stock is a quality decision (Part 11: signed); a failed
    inspection's rejection follows from the measurements it records."""
    reject = ChangeStockStatus(
        sku="RESIN", location="A", lot="R2", quantity=D(1), from_status="available",
        to_status="rejected", reason="colour",
    )  # type: ignore[arg-type]  # fmt: skip
    with pytest.raises(SignatureRequired, match="rejecting"):
        plant.ledger.execute(reject, actor=QA)
    plant.ledger.execute(reject.model_copy(update={"signature": signature("colour")}), actor=QA)
    assert plant.card("RESIN").quantity_in(("A", "R2", StockStatus.REJECTED)) == D(1)


def test_placing_a_hold_and_counting_stay_unsigned(plant: Plant) -> None:
    """Placing a hold only protects; a count records what was found."""
    plant.ledger.execute(PlaceHold(hold_id="H-1", sku="RESIN", lot="R2", reason="check"))
    plant.ledger.execute(
        CountStock(sku="RESIN", location="A", lot="R1", counted_quantity=D(16), status="available")  # type: ignore[arg-type]
    )
    assert audit(plant.ledger).checked == 1  # only the plant's signed rejection


def _tamper(
    path: Path, change: Callable[[list[tuple[int, str, bytes]]], list[tuple[int, bytes]]]
) -> None:
    """As a superuser would: past the triggers, straight into the stored rows."""
    db = sqlite3.connect(path)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
        db.execute(f"DROP TRIGGER {name}")
    rows = db.execute("SELECT rowid, topic, state FROM stored_events ORDER BY rowid").fetchall()
    for position, state in change(rows):
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (state, position))
    db.commit()
    db.close()


def _decide_all(plant: Plant) -> None:
    for make in DECISIONS.values():
        plant.ledger.execute(make(signature()), actor=QA)


def _one(rows: list[tuple[int, str, bytes]], topic: str) -> tuple[int, dict[str, Any]]:
    (found,) = [(p, orjson.loads(s)) for p, t, s in rows if t.endswith(topic)]
    return found


def test_a_signature_copied_across_kinds_fails(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    plant = make_plant(path)
    _decide_all(plant)
    assert (audit(plant.ledger).checked, audit(plant.ledger).wrong) == (4, 0)  # and a rejection
    plant.ledger.close()

    def copy(rows: list[tuple[int, str, bytes]]) -> list[tuple[int, bytes]]:
        _, adjusted = _one(rows, "Stock.Adjusted")
        disposed_at, disposed = _one(rows, "Stock.Disposed")
        disposed["signature"] = adjusted["signature"]  # the correction's onto the disposition
        return [(disposed_at, orjson.dumps(disposed))]

    _tamper(path, copy)
    ledger = Ledger(store_env(f"sqlite:///{path}"), WriterSettings(batch_wait=0))
    try:
        found = audit(ledger)
        assert found.wrong == 1
        assert "disposition" in found.failures[0][1]
    finally:
        ledger.close()


def test_a_recall_changed_after_signing_fails(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    plant = make_plant(path)
    _decide_all(plant)
    plant.ledger.close()

    def change(rows: list[tuple[int, str, bytes]]) -> list[tuple[int, bytes]]:
        at, held = _one(rows, "Recall.Held")
        held["reason"] = "routine"  # the signer held the lots for a recall notice
        return [(at, orjson.dumps(held))]

    _tamper(path, change)
    ledger = Ledger(store_env(f"sqlite:///{path}"), WriterSettings(batch_wait=0))
    try:
        found = audit(ledger)
        assert found.wrong == 1
        assert "recall-hold RC-1" in found.failures[0][1]
    finally:
        ledger.close()


def test_a_recall_hold_id_is_used_once(plant: Plant) -> None:
    plant.ledger.execute(recall(signature()), actor=QA)
    with pytest.raises(LedgerError) as again:
        plant.ledger.execute(recall(signature()), actor=QA)
    assert again.value.type == "already-exists"
    recalled = plant.ledger.find(Recall, recall_id("RC-1"))
    assert recalled is not None
    assert [(x.sku, x.lot) for x in recalled.recalled] == [("RESIN", "R1"), ("RESIN", "R2")]


def test_the_signatures_read_model_has_one_row_per_decision(plant: Plant) -> None:
    _decide_all(plant)
    models = ReadModels(None)
    try:
        ProjectionRunner(plant.ledger.app.recorder, models, page_size=7).catch_up()
        with models.reader() as con:
            rows = con.execute(
                "SELECT kind, record_id, item, lot, location, quantity, signer, printed_name,"
                " meaning, reason, time_zone, record_hash IS NOT NULL FROM signatures"
                " ORDER BY position"
            ).fetchall()
    finally:
        models.close()
    card = str(plant.card("RESIN").id)
    assert rows == [
        ("status_change", card, "RESIN", "R1", "A", D(4), QA, "Quinn", "approved",
         "melt index", "UTC", True),
        ("adjustment", card, "RESIN", "R2", "A", D(-2), QA, "Quinn", "approved", "cleared",
         "UTC", True),
        ("disposition", card, "RESIN", "R1", "A", D(4), QA, "Quinn", "approved", "cleared",
         "UTC", True),
        ("recall_hold", "RC-1", None, None, None, None, QA, "Quinn", "approved", "cleared",
         "UTC", True),
    ]  # fmt: skip
