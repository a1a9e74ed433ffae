"""`mims export model`: without a server it catches the read models' file up and exports
from it; with one it downloads `GET /v1/exports/...`; both hold the rows GraphQL answers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.cli import app
from tests.support.history import build_history
from tests.support.servers import ServerProcess

cli = CliRunner()
STOCK = """{ stockOnHand(asOf: "2100-01-01T00:00:00Z") {
    rows { item location lot status quantity value } } }"""


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
    build_history(ledger, seed=5, commands=100)
    ledger.close()
    return env


def run(*args: str) -> tuple[int, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.output


def rows(file: Path) -> list[tuple[Any, ...]]:
    return [
        (r["item"], r["location"], r["lot"] or None, r["status"], r["quantity"], r["value"])
        for r in pq.read_table(file).to_pylist()
    ]


def test_the_cli_exports_locally_and_through_a_server(
    plant: dict[str, str], tmp_path: Path
) -> None:
    here = tmp_path / "local.parquet"
    code, out = run(
        "export", "model", "stock_on_hand", "--format", "parquet", "--as-of",
        "2100-01-01T00:00:00+00:00", "-o", str(here),
    )  # fmt: skip
    assert code == 0, out
    assert "position" in out
    local = rows(here)
    assert local
    code, out = run("export", "model", "stock_on_hand", "--filter", "colour=red", "-o", "x.csv")
    assert code == 1
    assert "colour" in out
    with ServerProcess(
        plant["MIMS_DATABASE_URL"], MIMS_READ_MODEL_PATH=plant["MIMS_READ_MODEL_PATH"]
    ) as server:
        there = tmp_path / "served.parquet"
        code, out = run(
            "export", "model", "stock_on_hand", "--format", "parquet", "--as-of",
            "2100-01-01T00:00:00+00:00", "-o", str(there), "--url", server.url,
        )  # fmt: skip
        assert code == 0, out
        answer = httpx.post(f"{server.url}/graphql", json={"query": STOCK}, headers=server.headers)
        graphql = [
            (r["item"], r["location"], r["lot"], r["status"].lower(),
             Decimal(r["quantity"]), Decimal(r["value"]))
            for r in answer.json()["data"]["stockOnHand"]["rows"]
        ]  # fmt: skip
        code, out = run(
            "export", "model", "stock_in_space", "-o", str(tmp_path / "x"), "--url", server.url
        )
        assert code == 1
        assert "404" in out
    assert rows(there) == local == graphql


def test_the_cli_makes_a_lake_then_adds_nothing_when_nothing_is_new(
    plant: dict[str, str], tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    code, out = run("export", "lake", "--into", str(lake), "--settle-days", "0")
    assert code == 0, out
    assert "movements added" in out
    assert "daily snapshots added" in out
    assert (lake / "_mims_lake.json").exists()
    files = sorted(lake.rglob("*.parquet"))
    assert files
    code, out = run("export", "lake", "--into", str(lake), "--settle-days", "0")
    assert code == 0, out
    assert "no new movements" in out
    assert sorted(lake.rglob("*.parquet")) == files
