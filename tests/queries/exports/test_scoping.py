"""Exports are scoped as GraphQL is: a reader granted NORTH exports no row of SOUTH from
any model (SOUTH's codes all contain "SOUTH"), an administrator's export shows both, a
plant-wide model is refused to a one-site reader, and a role without the model's read
permission is refused."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from ledger.commands import Command
from ledger.master_data.commands import RegisterItem, RegisterLocation
from ledger.quality.commands import PlaceHold
from ledger.stock.commands import IssueStock, ReceiveStock, ReserveStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.permissions import GRAPHQL_PERMISSIONS
from mims.server import create_app
from projections.engine.view import ReadModels
from queries.exports.catalogue import MODELS
from tests.support.identity import admin_key, bearer, issue_key

D = Decimal


def plant() -> list[Command]:
    found: list[Command] = [
        RegisterItem(
            sku="BOLT", description="bolt", kind="component", unit_of_measure="ea",
            tracking="lot",
        )
    ]  # fmt: skip
    for site in ("NORTH", "SOUTH"):
        found += [
            RegisterLocation(code=site, level="site"),
            RegisterLocation(code=f"WH-{site}", level="warehouse", parent=site),
            RegisterLocation(code=f"Z-{site}", level="zone", parent=f"WH-{site}"),
        ]
        found += [
            ReceiveStock(
                sku="BOLT", location=f"Z-{site}", quantity=D(100), unit_cost=D(2),
                lot=f"L-{site}", supplier="ACME",
            ),
            IssueStock(
                sku="BOLT", location=f"Z-{site}", quantity=D(5), lot=f"L-{site}",
                target_kind="work_order", target="WO-1",
            ),
            ReserveStock(
                sku="BOLT", location=f"Z-{site}", lot=f"L-{site}", quantity=D(3),
                reference=f"R-{site}",
            ),
        ]  # fmt: skip
    return found


class Plant:
    def __init__(self, client: TestClient, ledger: Ledger) -> None:
        self.client = client
        self.ledger = ledger

    def export(self, model: str, key: str, **params: str) -> tuple[int, str]:
        answer = self.client.get(f"/v1/exports/{model}", params=params, headers=bearer(key))
        return answer.status_code, answer.text


@pytest.fixture(scope="module")
def shop() -> Iterator[Plant]:
    folder = tempfile.TemporaryDirectory()
    ledger = Ledger(store_env(f"sqlite:///{folder.name}/events.db"), WriterSettings(batch_wait=0))
    for command in plant():
        ledger.execute(command)
    ledger.execute(
        PlaceHold(
            hold_id="QH-SOUTH",
            sku="BOLT",
            lot="L-SOUTH",
            location="Z-SOUTH",
            quantity=D(10),
            reason="SOUTH defect",
        )
    )
    app = create_app(ledger=ledger, read_models=ReadModels(None))
    with TestClient(app) as client:
        assert app.state.runner.wait_for(ledger.max_position(), timeout=30)
        yield Plant(client, ledger)
    ledger.close()
    folder.cleanup()


SITE_BOUND_WITH_SOUTH = ["stock_on_hand", "stock_ledger", "lots", "reservations", "locations"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_north_reader_exports_nothing_of_south(shop: Plant, fmt: str) -> None:
    north = issue_key(shop.ledger, (("planner", "NORTH"),), name="north planner")
    admin = admin_key(shop.ledger)
    for name, found in MODELS.items():
        code, text = shop.export(name, north, format="csv")
        if found.plant_wide:
            assert code == 403, (name, text)
            assert "whole plant" in text
            continue
        assert code == 200, (name, text)
        assert "SOUTH" not in text, name
        if name in SITE_BOUND_WITH_SOUTH:
            assert "NORTH" in text, name  # the reader's own rows are there
            code, everything = shop.export(name, admin, format="csv")
            assert code == 200
            assert "SOUTH" in everything, name  # the data exercises the model
    # Parquet too, and with a filter naming SOUTH's place: nothing, as an unknown place.
    code, text = shop.export("stock_on_hand", north, format="csv", location="Z-SOUTH")
    assert code == 200
    assert text.strip().count("\n") == 0  # the header alone
    code, _ = shop.export("stock_ledger", north, format=fmt)
    assert code == 200


def test_the_valuation_of_a_north_reader_is_north_s(shop: Plant) -> None:
    north = issue_key(shop.ledger, (("auditor", "NORTH"),), name="north auditor")
    _, text = shop.export("valuation", north)
    lines = text.strip().splitlines()
    assert lines[0] == "item,costing_method,quantity,value,unit_cost"
    assert lines[1].startswith("BOLT,fifo,95.000000,190.")  # 100 in, 5 out, at NORTH only


def test_a_role_without_the_read_permission_is_refused(shop: Plant) -> None:
    operator = issue_key(shop.ledger, (("operator", "NORTH"),), name="north operator")
    code, text = shop.export("stock_ledger", operator)  # read.ledger: not an operator's
    assert code == 403, text
    assert GRAPHQL_PERMISSIONS["stockLedger"] in text
    code, _ = shop.export("stock_on_hand", operator)  # read.stock: an operator's
    assert code == 200
