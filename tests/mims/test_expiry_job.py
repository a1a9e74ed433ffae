"""The expiry job: `mims quality expire` (locally and through a running server) and its
scheduled run inside `mims serve`."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from ledger.stock.commands import ReceiveStock
from ledger.store import store_env
from ledger.values import StockStatus
from ledger.writer import Ledger, WriterSettings
from mims.cli import app
from mims.server import create_app
from mims.settings import Settings
from tests.support.plant import Plant
from tests.support.servers import ServerProcess, serving

TODAY = datetime.now(UTC).date()


def stock_a_lot_past_expiry(url: str) -> None:
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    plant = Plant(ledger)
    plant.item("MILK", tracking="lot")
    plant.item("SUGAR", tracking="lot")
    for sku, lot, days in (("MILK", "M-OLD", -1), ("MILK", "M-NEW", 30), ("SUGAR", "S-1", 90)):
        ledger.execute(
            ReceiveStock(
                sku=sku, location="A", quantity=Decimal(10), unit_cost=Decimal(1), lot=lot,
                expiry=TODAY + timedelta(days=days),
                effective_at=datetime.now(UTC) - timedelta(days=3),
            )
        )  # fmt: skip
    ledger.close()


def milk(url: str) -> dict[tuple[str, str, StockStatus], Decimal]:
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    try:
        stock = ledger.stock("MILK")
        assert stock is not None
        return dict(stock.balances)
    finally:
        ledger.close()


EXPIRED = {("A", "M-OLD", StockStatus.HELD): 10, ("A", "M-NEW", StockStatus.AVAILABLE): 10}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "MIMS_DATABASE_URL": f"sqlite:///{tmp_path}/events.db",
        "MIMS_READ_MODEL_PATH": str(tmp_path / "read.duckdb"),
        "MIMS_PORT": "9",  # nothing listens there: the command works locally
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    stock_a_lot_past_expiry(values["MIMS_DATABASE_URL"])
    return values


def test_mims_quality_expire_holds_expired_lots_locally(env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["quality", "expire"])
    assert result.exit_code == 0, result.output
    assert "MILK" in result.output
    assert "SUGAR" not in result.output
    assert milk(env["MIMS_DATABASE_URL"]) == EXPIRED
    again = CliRunner().invoke(app, ["quality", "expire"])
    assert "no available stock past its expiry" in again.output


def test_mims_quality_expire_asks_the_running_server(env: dict[str, str]) -> None:
    with ServerProcess(env["MIMS_DATABASE_URL"], MIMS_EXPIRY_INTERVAL_MINUTES="0") as server:
        result = CliRunner().invoke(app, ["quality", "expire", "--url", server.url])
        assert result.exit_code == 0, result.output + server.log()
    assert milk(env["MIMS_DATABASE_URL"]) == EXPIRED


def test_the_server_runs_the_expiry_job_on_its_own(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    stock_a_lot_past_expiry(url)
    settings = Settings(
        database_url=url,
        read_model_path=tmp_path / "read.duckdb",
        expiry_interval_minutes=0.01,  # first run after 0.6 s
    )
    with serving(create_app(settings)):
        deadline = time.monotonic() + 30
        while milk(url) != EXPIRED and time.monotonic() < deadline:
            time.sleep(0.2)
    assert milk(url) == EXPIRED
    assert "system:expiry" in actors(url)  # the job acts as SYSTEM("expiry")


def actors(url: str) -> set[str]:
    """Every actor the store records."""
    ledger = Ledger(store_env(url))
    try:
        found = ledger.app.recorder.select_notifications(1, 100_000)
        return {orjson.loads(n.state)["meta"]["actor"] for n in found if b'"meta"' in n.state}
    finally:
        ledger.close()
