"""Exports of the read models: every format read back (CSV with the csv module, XLSX with
openpyxl, Parquet with pyarrow and DuckDB) holds the rows GraphQL answers for the same
model and instant; every model of the catalogue exports; bad input gets a problem."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.stock.commands import ReceiveStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from projections.engine.view import ReadModels
from queries.exports.catalogue import MODELS
from tests.support.graphql import GraphQL
from tests.support.history import ITEMS, LOCATIONS, build_history
from tests.support.identity import admin_headers
from tests.support.plant import Plant

D = Decimal
STOCK = """query($f: StockFilter, $asOf: DateTime, $knownAt: DateTime) {
  stockOnHand(filter: $f, asOf: $asOf, knownAt: $knownAt) {
    rows { item location lot status quantity value } } }"""
LEDGER = """query($after: String, $asOf: DateTime) {
  stockLedger(first: 1000, after: $after, asOf: $asOf) {
    rows { position line item location lot status quantityDelta valueDelta eventType }
    pageInfo { endCursor hasNextPage } } }"""
VALUATION = """query($asOf: DateTime) { valuation(asOf: $asOf, first: 1000) {
    items { item quantity value } } }"""


class Api(GraphQL):
    def __init__(self, client: TestClient, between: datetime) -> None:
        super().__init__(client)
        self.between = between

    def export(self, model: str, **params: str) -> bytes:
        answer = self.client.get(f"/v1/exports/{model}", params=params)
        assert answer.status_code == 200, answer.text
        assert int(answer.headers["x-mims-position"]) > 0
        disposition = answer.headers["content-disposition"]
        assert disposition.startswith(f'attachment; filename="{model}-')
        assert disposition.endswith(f'.{params.get("format", "csv")}"')
        return answer.content


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    folder = tempfile.TemporaryDirectory()
    ledger = Ledger(store_env(f"sqlite:///{folder.name}/events.db"), WriterSettings(batch_wait=0))
    build_history(ledger, seed=17, commands=160)
    between = datetime.now(UTC)
    for n in range(3):  # late paperwork: recorded now, effective two days back
        ledger.execute(
            ReceiveStock(
                sku="AVG", location="B", quantity=D(7 + n), unit_cost=D("3.3333333"),
                effective_at=between - timedelta(days=2, minutes=n),
            )
        )  # fmt: skip
    app = create_app(ledger=ledger, read_models=ReadModels(None))
    with TestClient(app, headers=admin_headers(ledger)) as client:
        assert app.state.runner.wait_for(ledger.max_position(), timeout=30)
        yield Api(client, between)
    ledger.close()
    folder.cleanup()


Row = tuple[Any, ...]


def csv_rows(content: bytes) -> list[dict[str, str]]:
    text = content.decode("utf-8")
    assert "\r\n" in text  # RFC 4180 line ends
    return list(csv.DictReader(io.StringIO(text, newline="")))


def xlsx_rows(content: bytes) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def parquet_rows(content: bytes) -> list[dict[str, Any]]:
    table = pq.read_table(pa.BufferReader(content))
    return table.to_pylist()


def decimal(value: Any) -> Decimal:
    """A figure read back: CSV text and Parquet decimals exactly, an XLSX double by its
    shortest text (Excel holds 15 significant digits)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def stock_key(r: dict[str, Any]) -> Row:
    return (r["item"], r["location"], r["lot"] or None, r["status"].lower(),
            decimal(r["quantity"]), decimal(r["value"]))  # fmt: skip


READERS = {"csv": csv_rows, "xlsx": xlsx_rows, "parquet": parquet_rows}


@pytest.mark.parametrize("fmt", list(READERS))
@pytest.mark.parametrize("when", ["now", "as_of", "known_at"])
def test_stock_on_hand_round_trips_as_graphql_answers(api: Api, fmt: str, when: str) -> None:
    instants: dict[str, str] = {}
    if when == "as_of":
        instants["asOf"] = (api.between - timedelta(days=2, hours=6)).isoformat()
    elif when == "known_at":
        instants["knownAt"] = api.between.isoformat()
    expected = [stock_key(r) for r in api.query(STOCK, instants)["stockOnHand"]["rows"]]
    found = [
        stock_key(r) for r in READERS[fmt](api.export("stock_on_hand", format=fmt, **instants))
    ]
    assert expected, "the history leaves stock"
    assert found == expected
    if fmt == "parquet":  # decimals stay decimals, not doubles
        table = pq.read_table(pa.BufferReader(api.export("stock_on_hand", format="parquet")))
        assert pa.types.is_decimal(table.schema.field("quantity").type)


def graphql_ledger(api: Api, **variables: Any) -> list[Row]:
    found: list[Row] = []
    after = None
    while True:
        page = api.query(LEDGER, {**variables, "after": after})["stockLedger"]
        found += [
            (r["position"], r["line"], r["item"], r["location"], D(r["quantityDelta"]),
             D(r["valueDelta"]), r["eventType"])
            for r in page["rows"]
        ]  # fmt: skip
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def ledger_key(r: dict[str, Any]) -> Row:
    return (int(r["position"]), int(r["line"]), r["item"], r["location"],
            decimal(r["quantity_delta"]), decimal(r["value_delta"]), r["event_type"])  # fmt: skip


@pytest.mark.parametrize("fmt", list(READERS))
def test_the_stock_ledger_round_trips(api: Api, fmt: str) -> None:
    as_of = (api.between - timedelta(hours=1)).isoformat()
    expected = graphql_ledger(api, asOf=as_of)
    found = [
        ledger_key(r) for r in READERS[fmt](api.export("stock_ledger", format=fmt, asOf=as_of))
    ]
    assert len(expected) > 50
    assert found == expected


def test_parquet_reads_in_duckdb_with_the_totals_graphql_gives(api: Api, tmp_path: Path) -> None:
    file = tmp_path / "valuation.parquet"
    as_of = (api.between - timedelta(days=2, hours=6)).isoformat()
    file.write_bytes(api.export("valuation", format="parquet", asOf=as_of))
    found = duckdb.sql(f"SELECT item, quantity, value FROM '{file}' ORDER BY item").fetchall()
    expected = sorted(
        (i["item"], D(i["quantity"]), D(i["value"]))
        for i in api.query(VALUATION, {"asOf": as_of})["valuation"]["items"]
    )
    assert found == expected
    (kind,) = duckdb.sql(f"SELECT typeof(value) FROM '{file}' LIMIT 1").fetchall()[0]
    assert str(kind).startswith("DECIMAL")


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_exports(api: Api, name: str) -> None:
    table = pq.read_table(pa.BufferReader(api.export(name, format="parquet")))
    assert table.num_columns > 0
    # and the same rows as CSV
    assert len(csv_rows(api.export(name, format="csv"))) == table.num_rows


@given(
    item=st.none() | st.sampled_from(list(ITEMS)),
    location=st.none() | st.sampled_from(["S", "W", *LOCATIONS]),
    status=st.none() | st.sampled_from(["available", "quarantine", "held", "rejected"]),
    hours_back=st.none() | st.integers(0, 24 * 7),
)
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_random_filters_give_the_rows_graphql_gives(
    api: Api, item: str | None, location: str | None, status: str | None, hours_back: int | None
) -> None:
    given_ = {k: v for k, v in (("item", item), ("location", location), ("status", status)) if v}
    instants = {}
    if hours_back is not None:
        instants["asOf"] = (api.between - timedelta(hours=hours_back)).isoformat()
    graphql_filter = {**given_, **({"status": status.upper()} if status else {})}
    expected = [
        stock_key(r)
        for r in api.query(STOCK, {"f": graphql_filter, **instants})["stockOnHand"]["rows"]
    ]
    found = [stock_key(r) for r in csv_rows(api.export("stock_on_hand", **given_, **instants))]
    assert found == expected


def problem_of(api: Api, path: str, code: int, type_: str, **params: str) -> dict[str, Any]:
    answer = api.client.get(path, params=params)
    assert answer.status_code == code, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert body["type"] == f"/problems/{type_}", body
    return body


def test_bad_input_is_a_problem(api: Api) -> None:
    unknown = problem_of(api, "/v1/exports/stock_in_space", 404, "unknown-export-model")
    assert "stock_on_hand" in unknown["models"] and "stock_ledger" in unknown["detail"]
    bad = problem_of(api, "/v1/exports/stock_on_hand", 422, "bad-export-format", format="pdf")
    assert bad["field"] == "format"
    bad = problem_of(api, "/v1/exports/stock_on_hand", 422, "bad-export-filter", colour="red")
    assert bad["field"] == "colour" and "item" in bad["detail"]
    bad = problem_of(api, "/v1/exports/stock_on_hand", 422, "bad-export-filter", status="lost")
    assert "available" in bad["detail"]
    bad = problem_of(api, "/v1/exports/stock_ledger", 422, "bad-export-filter", asOf="yesterday")
    assert bad["field"] == "asOf"
    no_time = problem_of(
        api, "/v1/exports/items", 422, "export-as-of-unsupported", asOf="2026-01-01T00:00:00Z"
    )
    assert "items" in no_time["detail"]
    assert (
        api.client.get("/v1/exports/stock_on_hand", headers={"Authorization": ""}).status_code
        == 401
    )


def test_decimals_leave_exactly_where_a_double_would_round(tmp_path: Path) -> None:
    """A value of 18 significant digits (beyond a double's 15-17) comes back digit for
    digit from CSV and Parquet; XLSX holds Excel's double, to 15 digits."""
    ledger = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    try:
        Plant(ledger).item("EXACT")
        ledger.execute(
            ReceiveStock(
                sku="EXACT", location="A", quantity=D("123456789012.123"),
                unit_cost=D("1.2345678901"),
            )
        )  # fmt: skip
        app = create_app(ledger=ledger, read_models=ReadModels(None))
        with TestClient(app, headers=admin_headers(ledger)) as client:
            assert app.state.runner.wait_for(ledger.max_position(), timeout=30)
            api = Api(client, datetime.now(UTC))
            (expected,) = api.query(STOCK)["stockOnHand"]["rows"]
            value = D(expected["value"])  # the view's, to 6 places
            (moved,) = api.query(LEDGER)["stockLedger"]["rows"]
            delta = D(moved["valueDelta"])  # the receipt's own, to 16
            for figure in (value, delta):
                assert D(repr(float(figure))) != figure  # a double would round it
            for fmt in ("csv", "parquet"):
                (row,) = READERS[fmt](api.export("stock_on_hand", format=fmt))
                assert D(row["value"]) == value, fmt
                (line,) = READERS[fmt](api.export("stock_ledger", format=fmt))
                assert D(line["value_delta"]) == delta, fmt
            (cell,) = xlsx_rows(api.export("stock_on_hand", format="xlsx"))
            assert f"{D(repr(cell['value'])):.15g}" == f"{value:.15g}"
    finally:
        ledger.close()
