"""GraphQL over the read models: filters, pagination, limits, read-your-writes, and time
travel that agrees with `mims replay`."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.stock.commands import ChangeStockStatus, ReceiveStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from projections.engine.operations import replay_into
from projections.engine.view import ReadModels
from tests.support.graphql import GraphQL
from tests.support.history import build_history
from tests.support.identity import admin_headers


class Api(GraphQL):
    def __init__(
        self, client: TestClient, ledger: Ledger, times: list[datetime], between: datetime
    ) -> None:
        super().__init__(client)
        self.ledger = ledger
        self.times = times
        self.between = between  # recorded after the history, before the late, backdated posts


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    folder = tempfile.TemporaryDirectory()
    ledger = Ledger(store_env(f"sqlite:///{folder.name}/events.db"), WriterSettings(batch_wait=0))
    times = build_history(ledger, seed=21, commands=220)
    between = datetime.now(UTC)
    # Late paperwork: receipts recorded now, effective three days back.
    for n in range(3):
        ledger.execute(
            ReceiveStock(
                sku="FIFO-PLAIN",
                location="B",
                quantity=Decimal(100 + n),
                unit_cost=Decimal(2),
                effective_at=between - timedelta(days=3, minutes=n),
            )
        )
    app = create_app(ledger=ledger, read_models=ReadModels(None))
    with TestClient(app, headers=admin_headers(ledger)) as client:
        runner = app.state.runner
        assert runner.wait_for(ledger.max_position(), timeout=30)
        yield Api(client, ledger, times, between)
    ledger.close()
    folder.cleanup()


def rows_of(data: dict[str, Any]) -> list[tuple[str, str, str | None, str, Decimal, Decimal]]:
    return [
        (
            r["item"],
            r["location"],
            r["lot"],
            r["status"],
            Decimal(r["quantity"]),
            Decimal(r["value"]),
        )
        for r in data["rows"]
    ]


STOCK = """query($f: StockFilter, $asOf: DateTime, $knownAt: DateTime) {
  stockOnHand(filter: $f, asOf: $asOf, knownAt: $knownAt) {
    totalQuantity totalValue rows { item location lot status quantity value } } }"""


def test_stock_on_hand_matches_the_stock_cards(api: Api) -> None:
    data = api.query(STOCK)["stockOnHand"]
    for sku in ("FIFO-LOT", "AVG", "STD", "SER"):
        stock = api.ledger.stock(sku)
        assert stock is not None
        mine = {(r[1], r[2] or "", r[3].lower()): r[4] for r in rows_of(data) if r[0] == sku}
        assert mine == dict(stock.balances)
        value = sum((r[5] for r in rows_of(data) if r[0] == sku), Decimal(0))
        assert abs(value - stock.value) < Decimal("0.0001")  # moving average rounds per bucket
    # No binary noise: every value is a figure of the ledger's six places.
    assert all(r[5] == round(r[5], 6) for r in rows_of(data)), rows_of(data)


def test_filters_narrow_the_stock(api: Api) -> None:
    everything = rows_of(api.query(STOCK)["stockOnHand"])
    under_a = rows_of(api.query(STOCK, {"f": {"location": "A"}})["stockOnHand"])
    assert under_a == [r for r in everything if r[1] in ("A", "A1")]
    assert {r[1] for r in under_a} <= {"A", "A1"}
    held = rows_of(api.query(STOCK, {"f": {"status": "HELD"}})["stockOnHand"])
    assert held == [r for r in everything if r[3] == "HELD"]
    components = rows_of(api.query(STOCK, {"f": {"itemKind": "COMPONENT"}})["stockOnHand"])
    assert {r[0] for r in components} <= {"QA-ITEM"}
    lot = rows_of(api.query(STOCK, {"f": {"item": "FIFO-LOT", "lot": "L1"}})["stockOnHand"])
    assert lot == [r for r in everything if r[0] == "FIFO-LOT" and r[2] == "L1"]
    some = rows_of(api.query(STOCK, {"f": {"items": ["AVG", "STD"]}})["stockOnHand"])
    assert some == [r for r in everything if r[0] in ("AVG", "STD")]


def test_the_ledger_pages_with_a_cursor(api: Api) -> None:
    query = """query($after: String) { stockLedger(first: 7, after: $after) {
        rows { position line eventType } pageInfo { endCursor hasNextPage } } }"""
    seen: list[tuple[int, int]] = []
    after = None
    while True:
        page = api.query(query, {"after": after})["stockLedger"]
        seen += [(r["position"], r["line"]) for r in page["rows"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    everything = api.query("{ stockLedger(first: 1000) { rows { position line } } }")
    assert seen == [(r["position"], r["line"]) for r in everything["stockLedger"]["rows"]]
    assert seen == sorted(seen)
    assert len(seen) > 50


def test_master_data_lots_reservations_and_status(api: Api) -> None:
    data = api.query(
        """{ item(sku: "STD") { costingMethod standardCost planning { leadTimeDays } }
            location(code: "W") { path children { code path children { code } } }
            lot(item: "FIFO-LOT", lot: "L1") { supplierLot expiry status onHand }
            reservations(openOnly: false) { item reservationId quantity openQuantity }
            availableToPromise(item: "FIFO-PLAIN") { available reserved free }
            valuation { totalValue byCostingMethod { costingMethod items value } }
            projectionStatus { name lag status } }"""
    )
    assert data["item"]["costingMethod"] == "STANDARD"
    assert {c["code"] for c in data["location"]["children"]} == {
        "A",
        "B",
        "QA",
        "RECV",
        "SCRAP",
        "CUST",
    }
    assert next(c for c in data["location"]["children"] if c["code"] == "A")["children"] == [
        {"code": "A1"}
    ]
    lot = api.ledger.stock("FIFO-LOT")
    assert lot is not None
    by_status: dict[str, Decimal] = {}
    for (_, lot_, status), q in lot.balances.items():
        if lot_ == "L1" and q != 0:
            by_status[status] = by_status.get(status, Decimal(0)) + q
    expected = (
        "depleted" if not by_status
        else str(next(iter(by_status))) if len(by_status) == 1
        else "mixed"
    )  # fmt: skip
    assert data["lot"]["status"] == expected
    assert Decimal(data["lot"]["onHand"]) == sum(by_status.values(), Decimal(0))
    stock = api.ledger.stock("FIFO-PLAIN")
    assert stock is not None
    assert Decimal(data["availableToPromise"]["reserved"]) == stock.reserved
    total = sum(Decimal(m["value"]) for m in data["valuation"]["byCostingMethod"])
    assert total == Decimal(data["valuation"]["totalValue"])
    assert all(p["lag"] == 0 and p["status"] == "running" for p in data["projectionStatus"])


def test_limits_refuse_with_a_clear_error(api: Api) -> None:
    too_big = api.errors("{ stockLedger(first: 5000) { rows { position } } }")
    assert "first must be between 1 and 1000" in too_big[0]["message"]
    deep = '{ location(code: "S") { ' + "children { " * 9 + "code" + " }" * 9 + " } }"
    assert "maximum operation depth" in api.errors(deep)[0]["message"]
    aliases = "{ " + " ".join(f'a{n}: item(sku: "STD") {{ sku }}' for n in range(25)) + " }"
    assert "alias" in api.errors(aliases)[0]["message"].lower()
    assert (
        "not a cursor"
        in api.errors('{ stockLedger(after: "zzz") { rows { line } } }')[0]["message"]
    )


def test_read_your_writes(api: Api) -> None:
    answer = api.client.post(
        "/v1/receipts",
        json={"sku": "FIFO-PLAIN", "location": "B", "quantity": "1000", "unit_cost": "1"},
    ).json()
    position = str(answer["position"])
    by_header = api.query(
        STOCK, {"f": {"item": "FIFO-PLAIN", "location": "B"}}, **{"X-Min-Position": position}
    )
    assert Decimal(by_header["stockOnHand"]["totalQuantity"]) >= 1000
    by_argument = api.query(
        """query($p: Int) { stockOnHand(filter: {item: "FIFO-PLAIN"}, minPosition: $p) { position } }""",
        {"p": answer["position"]},
    )
    assert by_argument["stockOnHand"]["position"] >= answer["position"]


def test_as_of_the_beginning_is_empty_and_as_of_now_is_everything(api: Api) -> None:
    before = api.query(STOCK, {"asOf": (min(api.times) - timedelta(days=1)).isoformat()})
    assert before["stockOnHand"]["rows"] == []
    now = datetime.now(UTC) + timedelta(minutes=1)
    assert rows_of(api.query(STOCK, {"asOf": now.isoformat()})["stockOnHand"]) == rows_of(
        api.query(STOCK)["stockOnHand"]
    )


def test_known_at_drops_what_was_recorded_later(api: Api) -> None:
    """What did the system believe at the moment ``between`` about its stock then, and what
    do we know now about that same moment (the late receipts were backdated before it)?"""
    moment = api.between.isoformat()
    believed = api.query(STOCK, {"f": {"item": "FIFO-PLAIN"}, "asOf": moment, "knownAt": moment})
    actual = api.query(STOCK, {"f": {"item": "FIFO-PLAIN"}, "asOf": moment})
    late = Decimal(100 + 101 + 102)
    assert (
        Decimal(actual["stockOnHand"]["totalQuantity"])
        - Decimal(believed["stockOnHand"]["totalQuantity"])
        == late
    )


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(fraction=st.floats(min_value=0, max_value=1), known=st.booleans())
def test_as_of_equals_a_replay_to_the_same_instant(api: Api, fraction: float, known: bool) -> None:
    first, last = min(api.times), max(api.times)
    instant = first + (last - first) * fraction
    known_at = api.between if known else None
    graphql = rows_of(
        api.query(
            STOCK,
            {"asOf": instant.isoformat(), "knownAt": known_at.isoformat() if known_at else None},
        )["stockOnHand"]
    )
    with tempfile.TemporaryDirectory() as folder:
        into = Path(folder) / "audit.duckdb"
        replay_into(api.ledger.app.recorder, into, as_of=instant, known_at=known_at)
        replayed = ReadModels(into)
        with replayed.reader() as con:
            rows = con.execute(
                "SELECT item, location, lot, status, quantity, value FROM stock_on_hand"
                " ORDER BY item, location, lot, status"
            ).fetchall()
        replayed.close()
    assert graphql == [(i, loc, lot or None, st.upper(), q, v) for i, loc, lot, st, q, v in rows]


def test_a_lot_wholly_in_quarantine_says_so(api: Api) -> None:
    api.ledger.execute(
        ReceiveStock(
            sku="FIFO-LOT", location="QA", quantity=Decimal(4), unit_cost=Decimal(1), lot="Q-ONLY"
        )
    )
    done = api.ledger.execute(
        ChangeStockStatus(
            sku="FIFO-LOT", location="QA", quantity=Decimal(4), lot="Q-ONLY",
            from_status="available", to_status="quarantine", reason="to inspect",
        )  # type: ignore[arg-type]
    )  # fmt: skip
    found = api.query(
        '{ lot(item: "FIFO-LOT", lot: "Q-ONLY") { status onHand quarantine } }',
        None,
        **{"X-Min-Position": str(done.position)},
    )["lot"]
    assert found == {"status": "quarantine", "onHand": "4", "quarantine": "4"}
