"""`mims projections status|rebuild`, `mims replay`, `mims audit verify`, with and without
a running server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import httpx
import pytest
from typer.testing import CliRunner

from ledger.stock.commands import ReceiveStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.cli import app
from tests.support.history import build_history
from tests.support.raw_events import store_raw_receipt
from tests.support.servers import ServerProcess

cli = CliRunner()


@pytest.fixture
def plant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    url = f"sqlite:///{tmp_path}/events.db"
    env = {
        "MIMS_DATABASE_URL": url,
        "MIMS_READ_MODEL_PATH": str(tmp_path / "read.duckdb"),
        "MIMS_PORT": "9",  # nothing listens there: the commands work locally
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    build_history(ledger, seed=9, commands=120)
    ledger.close()
    return env


def run(*args: str) -> tuple[int, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.output


def test_audit_finds_nothing_then_a_planted_difference_then_a_rebuild_repairs_it(
    plant: dict[str, str],
) -> None:
    code, out = run("audit", "verify")
    assert code == 0, out
    assert "agree" in out
    with duckdb.connect(plant["MIMS_READ_MODEL_PATH"]) as con:
        changed = con.execute(
            "UPDATE stock_balances SET quantity = quantity + 1"
            " WHERE item = 'FIFO-LOT' AND location = 'A' AND lot = 'L1'"
        ).fetchone()
    assert changed == (1,), "the history should leave FIFO-LOT lot L1 in A"
    code, out = run("audit", "verify")
    assert code == 1, out
    assert "FIFO-LOT A lot L1 available: quantity" in out
    code, out = run("projections", "rebuild", "stock_on_hand")
    assert code == 0, out
    assert "rebuilt stock_on_hand" in out
    assert run("audit", "verify")[0] == 0
    code, out = run("projections", "status", "--local")
    assert code == 0
    assert "stock_on_hand" in out
    assert "running" in out


def test_replay_writes_an_auditors_file(plant: dict[str, str], tmp_path: Path) -> None:
    into = tmp_path / "as-of.duckdb"
    moment = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    code, out = run("replay", "--as-of", moment, "--into", str(into))
    assert code == 0, out
    with duckdb.connect(str(into), read_only=True) as con:
        meta = dict(con.execute("SELECT key, value FROM read_model_meta").fetchall())
        assert meta["replay_as_of"].startswith(moment[:16])
        late = con.execute(
            "SELECT count(*) FROM stock_ledger WHERE effective_at > ?",
            [datetime.fromisoformat(moment)],
        ).fetchone()
        assert late == (0,)
    code, out = run("replay", "--as-of", moment, "--into", str(into))
    assert code != 0
    assert "exists" in out
    code, out = run("replay", "--as-of", "last tuesday", "--into", str(tmp_path / "x.duckdb"))
    assert code != 0
    assert "ISO 8601" in out


def test_with_a_running_server_the_cli_asks_it(plant: dict[str, str]) -> None:
    with ServerProcess(
        plant["MIMS_DATABASE_URL"], MIMS_READ_MODEL_PATH=plant["MIMS_READ_MODEL_PATH"]
    ) as server:
        code, out = run("projections", "rebuild", "--all", "--url", server.url)
        assert code == 0, out
        assert "rebuilt catalog" in out
        code, out = run("audit", "verify", "--url", server.url)
        assert code == 0, out
        code, out = run("projections", "status", "--url", server.url)
        assert code == 0, out
        assert "consumption_daily" in out


def plant_an_event_beyond_the_ranges(url: str) -> tuple[int, int]:
    """The issue's receipt (1e12 at 1e11, worth 1e23), as a version before the ranges
    accepted it; then a later, ordinary receipt. Returns both positions."""
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    try:
        stock = ledger.stock("FIFO-PLAIN")
        assert stock is not None
        poisoned = store_raw_receipt(
            ledger, "FIFO-PLAIN", datetime.now(UTC).isoformat(),
            quantity="1000000000000", unit_cost="100000000000",
            value="100000000000000000000000", layer_seq=stock.next_seq,
        )  # fmt: skip
        ledger.execute(
            ReceiveStock(sku="AVG", location="B", quantity=Decimal(3), unit_cost=Decimal(2))
        )
        return poisoned, ledger.max_position()
    finally:
        ledger.close()


def test_a_projection_stopped_by_an_event_is_named_by_rebuild_and_audit(
    plant: dict[str, str],
) -> None:
    poisoned, head = plant_an_event_beyond_the_ranges(plant["MIMS_DATABASE_URL"])
    stopped = f"stock_ledger stopped at position {poisoned - 1}: the event at position {poisoned}"
    # The rebuild finishes, builds the others to the head, and names what stopped.
    code, out = run("projections", "rebuild", "--all")
    assert code == 1, out
    assert f"rebuilt catalog to position {head}" in out
    assert stopped in " ".join(out.split())
    code, out = run("audit", "verify")
    assert code == 1, out
    assert stopped in " ".join(out.split())
    code, out = run("projections", "status")
    assert "failed" in out
    with ServerProcess(
        plant["MIMS_DATABASE_URL"], MIMS_READ_MODEL_PATH=plant["MIMS_READ_MODEL_PATH"]
    ) as server:
        projections = {
            p["name"]: p
            for p in httpx.get(
                f"{server.url}/admin/projections", headers=server.system_headers
            ).json()["projections"]
        }
        assert projections["stock_ledger"]["status"] == "failed"
        assert projections["stock_ledger"]["failed_position"] == poisoned
        # The other read models see the later receipt.
        assert projections["reservations"]["position"] == head
        assert projections["catalog"]["position"] == head
        code, out = run("projections", "rebuild", "--all", "--url", server.url)
        assert code == 1, out
        assert stopped in " ".join(out.split())
        code, out = run("audit", "verify", "--url", server.url)
        assert code == 1, out
        assert stopped in " ".join(out.split())
        answer = httpx.post(
            f"{server.url}/graphql",
            json={"query": "{ projectionStatus { name status failedPosition } }"},
            headers=server.system_headers,
        ).json()
        status = {p["name"]: p for p in answer["data"]["projectionStatus"]}
        assert status["stock_on_hand"] == {
            "name": "stock_on_hand", "status": "failed", "failedPosition": poisoned
        }  # fmt: skip
