"""`mims audit signatures`: every signature in the log against the record it signs; a
signature copied onto another release, or onto another kind of decision, is named by its
position and the command exits 1."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from ledger.quality.commands import DisposeStock, HoldLots, LotInput, PlaceHold, ReleaseHold
from ledger.stock.commands import AdjustStock, ChangeStockStatus
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.cli import app
from tests.support.identity import register, signature
from tests.support.plant import Plant

cli = CliRunner()
D = Decimal


def test_a_copied_signature_is_named_and_fails_the_audit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    monkeypatch.setenv("MIMS_DATABASE_URL", url)
    monkeypatch.setenv("MIMS_READ_MODEL_PATH", str(tmp_path / "read.duckdb"))
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    plant = Plant(ledger)
    plant.item("STEEL", tracking="lot")
    register(ledger, "qa")
    for n in (1, 2):
        plant.receive("STEEL", "10", lot=f"L{n}")
        ledger.execute(PlaceHold(hold_id=f"H-{n}", sku="STEEL", lot=f"L{n}", reason="suspect"))
        ledger.execute(ReleaseHold(hold_id=f"H-{n}", signature=signature()), actor="qa")
    ledger.close()

    result = cli.invoke(app, ["audit", "signatures"])
    assert result.exit_code == 0, result.output
    assert "signatures: checked 4, wrong 0, unbound 0" in result.output

    db = sqlite3.connect(tmp_path / "events.db")
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
        db.execute(f"DROP TRIGGER {name}")
    released = db.execute(
        "SELECT rowid, state FROM stored_events WHERE topic LIKE '%Hold.Released' ORDER BY rowid"
    ).fetchall()
    (_, first), (second_at, second) = released
    tampered = orjson.loads(second)
    tampered["signature"] = orjson.loads(first)["signature"]
    db.execute(
        "UPDATE stored_events SET state = ? WHERE rowid = ?", (orjson.dumps(tampered), second_at)
    )
    db.commit()
    db.close()

    result = cli.invoke(app, ["audit", "signatures"])
    assert result.exit_code == 1, result.output
    assert f"wrong signature at position {second_at}" in result.output
    assert "signatures: checked 4, wrong 1" in result.output


def test_a_signature_copied_across_kinds_fails_the_audit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An adjustment's signature pasted onto a disposition: `mims audit signatures` names
    the disposition and exits 1."""
    url = f"sqlite:///{tmp_path}/events.db"
    monkeypatch.setenv("MIMS_DATABASE_URL", url)
    monkeypatch.setenv("MIMS_READ_MODEL_PATH", str(tmp_path / "read.duckdb"))
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    plant = Plant(ledger)
    plant.item("STEEL", tracking="lot")
    register(ledger, "qa")
    plant.receive("STEEL", "10", lot="L1")
    ledger.execute(
        ChangeStockStatus(
            sku="STEEL", location="A", lot="L1", quantity=D(3), from_status="available",
            to_status="rejected", reason="dented", signature=signature("dented"),
        ),  # type: ignore[arg-type]
        actor="qa",
    )  # fmt: skip
    ledger.execute(
        AdjustStock(
            sku="STEEL", location="A", lot="L1", quantity_delta=D(-1), reason_code="LOST",
            signature=signature("lost in handling"),
        ),
        actor="qa",
    )  # fmt: skip
    ledger.execute(
        DisposeStock(
            sku="STEEL", location="A", lot="L1", quantity=D(3), disposition="scrap",
            reason="dented", signature=signature("beyond repair"),
        ),  # type: ignore[arg-type]
        actor="qa",
    )  # fmt: skip
    ledger.execute(
        HoldLots(
            hold_id="RC-1", reason="recall", lots=[LotInput(sku="STEEL", lot="L1")],
            signature=signature("contain"),
        ),
        actor="qa",
    )  # fmt: skip
    ledger.close()

    result = cli.invoke(app, ["audit", "signatures"])
    assert result.exit_code == 0, result.output
    assert "signatures: checked 4, wrong 0, unbound 0" in result.output

    db = sqlite3.connect(tmp_path / "events.db")
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
        db.execute(f"DROP TRIGGER {name}")
    ((adjusted,),) = db.execute(
        "SELECT state FROM stored_events WHERE topic LIKE '%Stock.Adjusted'"
    ).fetchall()
    ((disposed_at, disposed),) = db.execute(
        "SELECT rowid, state FROM stored_events WHERE topic LIKE '%Stock.Disposed'"
    ).fetchall()
    tampered = orjson.loads(disposed)
    tampered["signature"] = orjson.loads(adjusted)["signature"]
    db.execute(
        "UPDATE stored_events SET state = ? WHERE rowid = ?", (orjson.dumps(tampered), disposed_at)
    )
    db.commit()
    db.close()

    result = cli.invoke(app, ["audit", "signatures"])
    assert result.exit_code == 1, result.output
    assert f"wrong signature at position {disposed_at}" in result.output
    assert "does not verify on disposition" in result.output
    assert "signatures: checked 4, wrong 1" in result.output
