"""Signed quality decisions (21 CFR Part 11): the signer re-enters their password or a
TOTP code; a wrong one is refused and counted, the fifth locks the account; only a
person signs, as themselves; separation of duties; each signature is bound to the
record it signs, so a copied signature or a changed record fails re-verification."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pyotp
import pytest
import structlog
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from pydantic import ValidationError

from ledger.identity.accounts import SIGNATURE_ATTEMPTS, Account, account_id
from ledger.identity.commands import EnrollTotp
from ledger.identity.principals import Principal, PrincipalKind
from ledger.identity.roles import Grant, Role
from ledger.identity.signatures import SeparationOfDuties, SignatureNotGiven, verify
from ledger.quality.aggregates import Hold, hold_id
from ledger.quality.commands import (
    CharacteristicInput,
    DefineSpecification,
    MeasurementInput,
    PlaceHold,
    RecordInspection,
    ReleaseHold,
)
from ledger.quality.signing import hold_record, signed_events, verify_signatures
from ledger.stock.card import Stock
from ledger.stock.commands import ChangeStockStatus
from ledger.store import store_env
from ledger.values import Signature, StockStatus
from ledger.writer import Ledger, WriterSettings
from projections.engine.runner import ProjectionRunner
from projections.engine.view import ReadModels
from tests.support.identity import PASSWORD, register, signature
from tests.support.plant import Plant

D = Decimal
WRONG = "not my password"


def load(ledger: Ledger) -> Any:
    def get(stream: Any, version: int | None) -> Any:
        return ledger.app.repository.get(stream, version=version)

    return get


def audit(ledger: Ledger) -> Any:
    return verify_signatures(signed_events(ledger.app), load(ledger))


def make_plant(path: Path, *, separation: bool = False) -> Plant:
    ledger = Ledger(
        store_env(f"sqlite:///{path}"),
        WriterSettings(batch_wait=0, separation_of_duties=separation),
    )
    plant = Plant(ledger)
    plant.item("STEEL", tracking="lot", precision=2)
    for lot in ("L1", "L2"):
        plant.receive("STEEL", "20", "2", lot=lot)
    for person in ("alice", "bob"):
        register(ledger, person)
    for key, lot in (("H-1", "L1"), ("H-2", "L2")):
        ledger.execute(
            PlaceHold(hold_id=key, sku="STEEL", lot=lot, reason="complaint"), actor="alice"
        )
    return plant


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[Plant]:
    made = make_plant(tmp_path / "events.db")
    yield made
    made.ledger.close()


def release(
    plant: Plant,
    key: str,
    *,
    by: str = "bob",
    password: str = PASSWORD,
    command_id: str | None = None,
    principal: Principal | None = None,
) -> Any:
    command = ReleaseHold(
        hold_id=key,
        signature=signature("retest passed", password=password),
        command_id=command_id,
    )
    return plant.ledger.execute(command, actor=by, principal=principal)


def account(plant: Plant, user: str) -> Account:
    found = plant.ledger.find(Account, account_id(user))
    assert found is not None
    return found


def test_the_right_password_signs_with_the_three_elements_bound_to_the_hold(plant: Plant) -> None:
    before = plant.ledger.find(Hold, hold_id("H-1"))
    assert before is not None
    assert release(plant, "H-1").data["released"] == "20"
    events = list(plant.ledger.app.events.get(hold_id("H-1")))
    given = events[-1].signature
    assert isinstance(given, Signature)
    assert (given.signer, given.printed_name, given.meaning) == ("bob", "Bob", "approved")
    assert (given.reason, given.time_zone) == ("retest passed", "UTC")
    assert given.signed_at.utcoffset() is not None
    assert given.signed_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert verify(given, hold_record(before))  # the hold as it stood when signed
    found = audit(plant.ledger)
    assert (found.checked, found.wrong) == (2, 0)  # Hold.Released and its status move
    print(f"signatures: checked {found.checked}, wrong {found.wrong}")


def test_a_wrong_password_is_refused_and_only_counted(plant: Plant) -> None:
    position = plant.ledger.max_position()
    card = plant.card("STEEL").version
    with pytest.raises(SignatureNotGiven) as refused:
        release(plant, "H-1", password=WRONG, command_id="release-h1")
    assert refused.value.facts["attempts"] == 1
    assert plant.card("STEEL").version == card
    hold = plant.ledger.find(Hold, hold_id("H-1"))
    assert hold is not None and hold.active
    added = plant.ledger.app.recorder.select_notifications(position + 1, 100)
    assert [n.topic for n in added] == ["ledger.identity.accounts:Account.SignatureRefused"]
    # No refusal receipt: the same command, signed right, goes through.
    assert release(plant, "H-1", command_id="release-h1").data["released"] == "20"


def test_the_fifth_wrong_password_locks_the_account_and_raises_an_alert(plant: Plant) -> None:
    with structlog.testing.capture_logs() as logs:
        for attempt in range(1, SIGNATURE_ATTEMPTS + 1):
            with pytest.raises(SignatureNotGiven) as refused:
                release(plant, "H-1", password=WRONG)
            assert refused.value.facts["attempts"] == attempt
    assert account(plant, "bob").locked
    alerts = [entry for entry in logs if entry.get("alert") == "security"]
    assert [(a["log_level"], a["user"]) for a in alerts] == [("warning", "bob")]
    assert all(WRONG not in str(entry) for entry in logs)
    with pytest.raises(SignatureNotGiven, match="locked"):  # the right one no longer signs
        release(plant, "H-1")
    hold = plant.ledger.find(Hold, hold_id("H-1"))
    assert hold is not None and hold.active


def test_a_totp_code_signs_too(plant: Plant) -> None:
    plant.ledger.execute(EnrollTotp(user_id="bob"))
    secret = account(plant, "bob").totp_secret
    assert secret is not None
    assert release(plant, "H-1", password=pyotp.TOTP(secret).now()).data["released"] == "20"
    with pytest.raises(SignatureNotGiven):
        release(plant, "H-2", password="000000" if pyotp.TOTP(secret).now() != "000000" else "1")


def test_only_a_person_signs_and_only_as_themselves(plant: Plant) -> None:
    key = Principal(
        kind=PrincipalKind.KEY,
        id="3f9a0c1d2b4e5f60",
        printed_name="ERP",
        grants=(Grant(role=Role.QUALITY_APPROVER, site="S"),),
        on_behalf_of="bob",
    )
    with pytest.raises(SignatureNotGiven, match="not a person"):
        release(plant, "H-1", principal=key)
    approver = Principal(
        kind=PrincipalKind.PERSON,
        id="alice",
        printed_name="Alice",
        grants=(Grant(role=Role.QUALITY_APPROVER, site="S"),),
    )
    with pytest.raises(ValidationError, match="signer"):  # no signer field to name bob with
        ReleaseHold.model_validate(
            {
                "hold_id": "H-1",
                "signature": {
                    "meaning": "approved", "reason": "x", "password": PASSWORD, "signer": "bob",
                },
            }
        )  # fmt: skip
    # Whoever sends it signs as themselves, with their own password, or not at all.
    with pytest.raises(SignatureNotGiven):
        plant.ledger.execute(
            ReleaseHold(hold_id="H-1", signature=signature(password=WRONG)),
            principal=approver,
        )
    assert account(plant, "bob").failed_signatures == 0
    assert account(plant, "alice").failed_signatures == 1


def test_separation_of_duties(tmp_path: Path) -> None:
    plant = make_plant(tmp_path / "events.db", separation=True)
    try:
        with pytest.raises(SeparationOfDuties):  # alice placed the hold
            release(plant, "H-1", by="alice")
        assert release(plant, "H-1", by="bob").data["released"] == "20"
        # Who recorded the inspection does not sign the lot's release from quarantine.
        plant.item("RESIN", tracking="lot", inspection_required=True)
        plant.ledger.execute(
            DefineSpecification(
                sku="RESIN", characteristics=[CharacteristicInput(name="melt", upper=D(12))]
            )
        )
        plant.receive("RESIN", "5", "4", lot="R1", location="RECV")
        plant.ledger.execute(
            RecordInspection(
                inspection_id="I-1", sku="RESIN", location="RECV", lot="R1", quantity=D(5),
                results=[MeasurementInput(characteristic="melt", value=D(10))],
            ),
            actor="bob",
        )  # fmt: skip
        to_use = ChangeStockStatus(
            sku="RESIN", location="RECV", lot="R1", quantity=D(5), from_status="quarantine",
            to_status="available", reason="inspection I-1 passed", signature=signature(),
        )  # type: ignore[arg-type]  # fmt: skip
        with pytest.raises(SeparationOfDuties):
            plant.ledger.execute(to_use, actor="bob")
        plant.ledger.execute(to_use, actor="alice")
        assert plant.card("RESIN").balances[("RECV", "R1", StockStatus.AVAILABLE)] == 5
    finally:
        plant.ledger.close()


def _tamper(path: Path, change: Any) -> None:
    """As a superuser would: past the triggers, straight into the stored rows."""
    db = sqlite3.connect(path)
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
        db.execute(f"DROP TRIGGER {name}")
    rows = db.execute("SELECT rowid, topic, state FROM stored_events ORDER BY rowid").fetchall()
    for position, state in change(rows):
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (state, position))
    db.commit()
    db.close()


def _released(rows: list[tuple[int, str, bytes]]) -> list[tuple[int, dict[str, Any]]]:
    return [(p, orjson.loads(s)) for p, t, s in rows if t.endswith("Hold.Released")]


def test_a_signature_copied_to_another_record_fails(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    plant = make_plant(path)
    release(plant, "H-1")
    release(plant, "H-2")
    assert audit(plant.ledger).wrong == 0
    plant.ledger.close()

    def copy(rows: list[tuple[int, str, bytes]]) -> list[tuple[int, bytes]]:
        (_, first), (second_at, second) = _released(rows)
        second["signature"] = first["signature"]  # H-1's signature onto H-2's release
        return [(second_at, orjson.dumps(second))]

    _tamper(path, copy)
    ledger = Ledger(store_env(f"sqlite:///{path}"), WriterSettings(batch_wait=0))
    try:
        found = audit(ledger)
        assert found.wrong == 1
        assert "hold H-2" in found.failures[0][1]
    finally:
        ledger.close()


def test_a_record_changed_after_signing_fails(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    plant = make_plant(path)
    release(plant, "H-1")
    plant.ledger.close()

    def change(rows: list[tuple[int, str, bytes]]) -> list[tuple[int, bytes]]:
        placed = [(p, orjson.loads(s)) for p, t, s in rows if t.endswith("Hold.Placed")]
        at, fields = placed[0]
        fields["reason"] = "routine"  # the hold the signer approved said "complaint"
        return [(at, orjson.dumps(fields))]

    _tamper(path, change)
    ledger = Ledger(store_env(f"sqlite:///{path}"), WriterSettings(batch_wait=0))
    try:
        assert audit(ledger).wrong == 2  # the release and the status move it signed
    finally:
        ledger.close()


def test_a_signature_stored_in_the_old_shape_still_loads_and_projects(tmp_path: Path) -> None:
    """Before signatures were bound, a release's signature held signer, meaning, reason and
    signed_at only: such events still load, project (the user id standing in for the
    printed name) and count as unbound, not as wrong."""
    plant = make_plant(tmp_path / "events.db")
    ledger = plant.ledger
    try:
        card = plant.card("STEEL")
        at = "2026-01-05T10:00:00+00:00"
        old = {
            "timestamp": at,
            "meta": {"actor": "old-qa", "command_id": "old", "correlation_id": "old",
                     "site": "S", "effective_at": at},
            "location": "A", "lot": "L1", "quantity": "20", "from_status": "held",
            "to_status": "available", "value": "40", "layers": [], "reason": "released",
            "hold_id": None, "class_version": 2,
            "signature": {"signer": "old-qa", "meaning": "approved", "reason": "legacy",
                          "signed_at": at},
        }  # fmt: skip
        ledger.app.recorder.insert_events(
            [
                StoredEvent(
                    originator_id=card.id,
                    originator_version=card.version + 1,
                    topic=get_topic(Stock.StatusChanged),
                    state=orjson.dumps(old),
                )
            ]
        )
        loaded = ledger.app.repository.get(card.id)
        assert loaded.version == card.version + 1
        found = audit(ledger)
        assert (found.checked, found.wrong, found.unbound) == (0, 0, 1)
        models = ReadModels(None)
        runner = ProjectionRunner(ledger.app.recorder, models)
        runner.catch_up()
        assert [(s.name, s.error) for s in runner.statuses() if s.status != "running"] == []
        with models.reader() as con:
            rows = con.execute(
                "SELECT signer, printed_name, meaning, reason, time_zone, record_hash"
                " FROM signatures"
            ).fetchall()
        assert rows == [("old-qa", "old-qa", "approved", "legacy", "UTC", None)]
        models.close()
    finally:
        ledger.close()
