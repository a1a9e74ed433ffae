"""The sample sheets imported through `mims import`, then read back: GraphQL's stock on
hand holds exactly the opening balances' quantities and values; and, for random good
rows with random corruptions, exactly the corrupted rows are reported."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.cli import app as cli
from mims.imports.importer import kind_named, validate
from mims.server import create_app
from projections.engine.view import ReadModels
from tests.support.graphql import GraphQL
from tests.support.identity import admin_headers
from tests.support.plant import Plant

SAMPLES = Path(__file__).parents[2] / "docs" / "samples"
STOCK = "{ stockOnHand { rows { item location lot quantity value } } }"


def test_the_samples_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    monkeypatch.setenv("MIMS_DATABASE_URL", url)
    runner = CliRunner()
    for kind, name in (
        ("items", "items.csv"),
        ("locations", "locations.csv"),
        ("opening-balances", "opening_balances.xlsx"),
    ):
        done = runner.invoke(cli, ["import", kind, str(SAMPLES / name), "--json"])
        assert done.exit_code == 0, done.output
        result = json.loads(done.output[done.output.index("{") :])
        assert result["errors"] == []
        assert result["posted"] == result["rows"] > 0
    # Again: nothing posted twice.
    again = runner.invoke(
        cli, ["import", "opening-balances", str(SAMPLES / "opening_balances.xlsx")]
    )
    assert again.exit_code == 0, again.output
    assert "0 posted, 4 already posted" in again.output
    sheet = pl.read_excel(SAMPLES / "opening_balances.xlsx", read_options={"dtypes": "string"})
    expected = {
        (r["sku"], r["location"], r["lot"]): (
            Decimal(r["quantity"]),
            Decimal(r["quantity"]) * Decimal(r["unit_cost"]),
        )
        for r in sheet.iter_rows(named=True)
    }
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    try:
        app = create_app(ledger=ledger, read_models=ReadModels(None))
        with TestClient(app, headers=admin_headers(ledger)) as client:
            assert app.state.runner.wait_for(ledger.max_position(), timeout=30)
            rows = GraphQL(client).query(STOCK)["stockOnHand"]["rows"]
    finally:
        ledger.close()
    found = {
        (r["item"], r["location"], r["lot"]): (Decimal(r["quantity"]), Decimal(r["value"]))
        for r in rows
    }
    assert found == expected


def test_the_cli_writes_the_error_copy_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIMS_DATABASE_URL", f"sqlite:///{tmp_path}/events.db")
    sheet = tmp_path / "items.csv"
    sheet.write_text("sku,description,kind,unit_of_measure\nA,Steel,raw_material,kg\nB,x,rock,kg\n")
    out = tmp_path / "errors.csv"
    done = CliRunner().invoke(cli, ["import", "items", str(sheet), "--errors-out", str(out)])
    assert done.exit_code == 1
    assert "row 3 kind [enum]" in done.output
    assert out.read_text().splitlines()[2].startswith('B,x,rock,kg,"kind: Input should be')


# --- random rows, random corruptions ------------------------------------------------

CORRUPTIONS = {
    "unknown sku": ("sku", "NOPE-1"),
    "comma decimal": ("quantity", "1,5"),
    "not a number": ("unit_cost", "twelve"),
    "negative": ("quantity", "-3"),
    "too precise": ("quantity", "1.0001"),
    "unknown location": ("location", "MOON"),
    "empty sku": ("sku", None),
}


@pytest.fixture(scope="module")
def plant() -> Iterator[Plant]:
    folder = tempfile.TemporaryDirectory()
    ledger = Ledger(store_env(f"sqlite:///{folder.name}/events.db"), WriterSettings(batch_wait=0))
    plant = Plant(ledger)
    for n in range(5):
        plant.item(f"P{n}", precision=3, tracking="lot")
    yield plant
    ledger.close()
    folder.cleanup()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 4),
            st.sampled_from(["A", "B", "A1"]),
            st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10_000), places=3),
            st.decimals(min_value=Decimal(0), max_value=Decimal(500), places=2),
            st.sampled_from([None, *CORRUPTIONS]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_exactly_the_corrupted_rows_are_reported(plant: Plant, rows: list[tuple]) -> None:  # type: ignore[type-arg]
    lines, corrupted = [], set()
    for i, (n, location, quantity, cost, corruption) in enumerate(rows):
        cells = {"sku": f"P{n}", "location": location, "quantity": f"{quantity:f}",
                 "unit_cost": f"{cost:f}", "lot": f"L{i}"}  # fmt: skip
        if corruption is not None:
            column, value = CORRUPTIONS[corruption]
            cells[column] = value
            corrupted.add(i + 2)
        lines.append(",".join(f'"{v}"' if v else "" for v in cells.values()))
    sheet = ("sku,location,quantity,unit_cost,lot\n" + "\n".join(lines) + "\n").encode()
    kind = kind_named("opening-balances")
    validated = validate(plant.ledger, kind, "ob.csv", sheet)
    assert validated.bad_rows == corrupted, validated.problems[:3]
    assert set(validated.commands) == {i + 2 for i in range(len(rows))} - corrupted
