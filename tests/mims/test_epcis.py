"""EPCIS 2.0 exports: a whole plant (the demo, a ten-level genealogy and the rest of the
quality and order steps) exports as a document GS1's schema accepts, every ledger step
told exactly once; random plant flows and random stock histories do too; the genealogy
the TransformationEvents tell is the one `traceForward` walks; the route filters, checks
its permission, keeps to the caller's sites and answers bad parameters with problems;
`mims export epcis` writes a file that validates, without a server."""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid5

import orjson
import pytest
from eventsourcing.utils import get_topic
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ledger.master_data.commands import RegisterItem, RegisterLocation
from ledger.master_data.item import Item
from ledger.orders.commands import ReturnToSupplier
from ledger.private import is_private
from ledger.production.commands import (
    CloseWorkOrder,
    CreateWorkOrder,
    IssueToWorkOrder,
    ReceiveWorkOrderOutput,
    ReleaseWorkOrder,
    ReturnFromWorkOrder,
)
from ledger.quality.commands import (
    CharacteristicInput,
    DefineSpecification,
    MeasurementInput,
    RecordInspection,
    ReleaseHold,
)
from ledger.stock.commands import CountStock, IssueStock, MoveStock, ReceiveStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.cli import app as cli_app
from mims.demo import load_demo
from mims.epcis import (
    _fast_validator,
    covered_commands,
    export,
    quick_schema_errors,
    schema_errors,
    to_json,
)
from mims.server import create_app
from projections.engine.view import ReadModels
from projections.epcis import (
    COVERED,
    EVENT_ID_NAMESPACE,
    Filters,
    told_classes,
)
from tests.support.genealogy import OPS, TODAY, Shop, play, stored_events, ten_levels
from tests.support.history import build_history
from tests.support.identity import admin_headers, bearer, issue_key

D = Decimal
EXAMPLES = Path(__file__).parent / "epcis_examples"
PREFIX = "urn:mims:plant"
OTHER_GLN = "9506000000015"
# Events the builder reads but never tells: master data and order headers.
REMEMBERED = {"Item.Registered", "Location.Registered", "Stock.Opened", "PurchaseOrder.Created",
              "SalesOrder.Created", "WorkOrder.Created"}  # fmt: skip


def exported(ledger: Ledger, **filters: Any) -> dict[str, Any]:
    """The document as a partner reads it: serialised, then parsed."""
    parsed: dict[str, Any] = orjson.loads(to_json(export(ledger, Filters(**filters))))
    return parsed


def events_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = doc["epcisBody"]["eventList"]
    return events


def extras(shop: Shop) -> None:
    """The steps neither the demo nor the ten levels take: an inspection, a hold released,
    a count, a move, an issue to a cost center, a component returned from a work order;
    and a second site, with a GLN."""
    run = shop.run
    run(RegisterLocation(code="T", level="site", gln=OTHER_GLN))
    run(RegisterLocation(code="TW", level="warehouse", parent="T"))
    run(RegisterLocation(code="TA", level="zone", parent="TW"))
    shop.plant.receive("L0", "10", "2", location="TA", lot="RT", supplier="ACME")
    run(MoveStock(sku="L0", from_location="TA", to_location="A", lot="RT", quantity=D(4)))
    run(DefineSpecification(sku="L0", characteristics=[
        CharacteristicInput(name="hardness", unit="HB", lower=D(120), upper=D(180))]))  # fmt: skip
    run(RecordInspection(inspection_id="I-1", sku="L0", location="A", lot="R1", quantity=D(100),
                         results=[MeasurementInput(characteristic="hardness", value=D(150))]))  # fmt: skip
    run(RecordInspection(inspection_id="I-2", sku="L0", location="A", lot="R3", quantity=D(20),
                         results=[MeasurementInput(characteristic="hardness", value=D(95))]))  # fmt: skip
    run(ReleaseHold(hold_id="QH-1", signature=shop.sign()))
    run(CountStock(sku="L0", location="A", lot="R1", counted_quantity=shop.available("L0")["R1"]))
    run(MoveStock(sku="L0", from_location="A", to_location="B", lot="R1", quantity=D(5)))
    run(IssueStock(sku="L0", location="B", lot="R1", quantity=D(1), target_kind="cost_center",
                   target="MAINTENANCE"))  # fmt: skip
    run(CreateWorkOrder(number="WO-R", item="L1", quantity=D(1), due_date=TODAY,
                        output_location="A", supply_location="A"))  # fmt: skip
    run(ReleaseWorkOrder(number="WO-R"))
    run(IssueToWorkOrder(number="WO-R", component="L0", location="A", quantity=D(2), lot="R1"))
    run(ReturnFromWorkOrder(number="WO-R", component="L0", location="A", quantity=D(1), lot="R1"))
    run(ReceiveWorkOrderOutput(number="WO-R", quantity=D(1), lot="L1-R"))
    run(CloseWorkOrder(number="WO-R"))


@dataclass
class Plant:
    """The demo plant (with a return to a supplier), and in a store of its own (their
    location codes overlap) a shop that makes lots ten levels deep, served over HTTP."""

    demo: Ledger
    ledger: Ledger
    client: TestClient
    url: str


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plant]:
    folder = tmp_path_factory.mktemp("epcis")
    demo = Ledger(store_env(f"sqlite:///{folder}/demo.db"), WriterSettings(batch_wait=0))
    load_demo(demo, show_progress=False)
    demo.execute(ReturnToSupplier(number="PO-D001", line=1, location="RACK-A", quantity=D(5),
                                  lot="PO-D001-1", reason="wrong grade"))  # fmt: skip
    url = f"sqlite:///{folder}/events.db"
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    shop = Shop(ledger)
    ten_levels(shop)
    extras(shop)
    app = create_app(ledger=ledger, read_models=ReadModels(None))
    with TestClient(app, headers=admin_headers(ledger)) as client:
        assert app.state.runner.wait_for(ledger.max_position(), timeout=60)
        yield Plant(demo, ledger, client, url)
    ledger.close()
    demo.close()


# --- the schema ------------------------------------------------------------------------------


def test_gs1_examples_validate_and_a_broken_document_does_not() -> None:
    examples = sorted(EXAMPLES.glob("*.json*"))
    assert len(examples) == 9
    for path in examples:
        assert schema_errors(json.loads(path.read_text())) == [], path.name
    doc = json.loads((EXAMPLES / "Example_9.6.1-ObjectEvent.jsonld").read_text())
    broken = copy.deepcopy(doc)
    first = broken["epcisBody"]["eventList"][0]
    del first["eventTimeZoneOffset"]
    first["action"] = "SHIP"
    errors = schema_errors(broken)
    assert len(errors) >= 2, errors
    assert any("eventTimeZoneOffset" in e for e in errors)


def test_the_quick_validator_finds_what_jsonschema_finds() -> None:
    """`--validate` uses jsonschema_rs when it is installed: same verdicts as jsonschema."""
    pytest.importorskip("jsonschema_rs")
    for path in sorted(EXAMPLES.glob("*.json*")):
        assert quick_schema_errors(json.loads(path.read_text())) == [], path.name
    broken = json.loads((EXAMPLES / "Example_9.6.1-ObjectEvent.jsonld").read_text())
    del broken["epcisBody"]["eventList"][0]["eventTimeZoneOffset"]
    broken["epcisBody"]["eventList"][1]["action"] = "SHIP"
    assert len(quick_schema_errors(broken)) == len(schema_errors(broken)) >= 2


# --- a whole plant -----------------------------------------------------------------------------


def told_once(ledger: Ledger) -> tuple[list[dict[str, Any]], set[str]]:
    """The export, checked: valid, and every ledger event the builder tells appears under
    its own stable id, and nothing else (a stock movement an order event tells is not told
    again by the stock card); with the names of the ledger events told."""
    doc = exported(ledger)
    assert schema_errors(doc) == []
    events = events_of(doc)
    ids = [e["eventID"] for e in events]
    assert len(ids) == len(set(ids))
    covered = covered_commands(ledger)
    told = {cls for cls in told_classes() if cls.__qualname__ not in REMEMBERED}
    expected: dict[str, str] = {}
    for e in stored_events(ledger):
        assert not is_private(get_topic(type(e))) or type(e) not in told
        if type(e) in told and not (type(e) in COVERED and e.meta.command_id in covered):
            stable = uuid5(EVENT_ID_NAMESPACE, f"{e.originator_id}/{e.originator_version}")
            expected[f"urn:uuid:{stable}"] = type(e).__qualname__
    assert sorted(ids) == sorted(expected)
    return events, set(expected.values())


def test_a_whole_plant_exports_valid_with_every_step_told_once(plant: Plant) -> None:
    demo, demo_told = told_once(plant.demo)
    shop, shop_told = told_once(plant.ledger)
    assert len(demo) > 200
    # every kind of step a plant takes is in these two
    told = {cls.__qualname__ for cls in told_classes()} - REMEMBERED
    assert demo_told | shop_told == told
    events = demo + shop
    # stricter than GS1's tool: every URI and date-time is well-formed too
    strict = _fast_validator(formats=True)
    if strict is not None:
        for ledger in (plant.demo, plant.ledger):
            assert list(strict.iter_errors(exported(ledger))) == []
    kinds = {(e["type"], e.get("action"), e.get("bizStep"), e.get("disposition")) for e in events}
    assert kinds >= {
        ("ObjectEvent", "OBSERVE", "receiving", "in_progress"),  # a receipt
        ("ObjectEvent", "OBSERVE", "receiving", "non_sellable_other"),  # into quarantine
        ("ObjectEvent", "OBSERVE", "receiving", "returned"),  # from a customer
        ("ObjectEvent", "OBSERVE", "shipping", "in_transit"),  # a shipment
        ("ObjectEvent", "OBSERVE", "shipping", "returned"),  # to the supplier
        ("ObjectEvent", "OBSERVE", "storing", "active"),  # a move
        ("ObjectEvent", "OBSERVE", "holding", "non_sellable_other"),  # a hold
        ("ObjectEvent", "OBSERVE", "holding", "non_conformant"),  # rejected
        ("ObjectEvent", "OBSERVE", "inspecting", "active"),  # released
        ("ObjectEvent", "OBSERVE", "inspecting", "conformant"),
        ("ObjectEvent", "OBSERVE", "inspecting", "non_conformant"),
        ("ObjectEvent", "OBSERVE", "cycle_counting", "active"),
        ("ObjectEvent", "DELETE", "destroying", "destroyed"),  # scrap
        ("ObjectEvent", "DELETE", "stock_taking", None),  # an adjustment down
        ("ObjectEvent", "DELETE", None, "inactive"),  # to a cost center
        ("TransformationEvent", None, None, None),  # consumption
        ("TransformationEvent", None, "commissioning", "active"),  # output
        ("TransformationEvent", None, "repackaging", "active"),  # split, merge
    }, kinds


def test_goods_and_places_are_named_by_gs1_keys_where_they_have_them(plant: Plant) -> None:
    events = events_of(exported(plant.demo))
    classes = {
        q["epcClass"]
        for e in events
        for key in ("quantityList", "inputQuantityList", "outputQuantityList")
        for q in e.get(key, [])
    }
    epcs = {epc for e in events for epc in e.get("epcList", [])}
    places = {e["bizLocation"]["id"] for e in events}
    gtins = {e.sku: e.gtin for e in stored_events(plant.demo) if isinstance(e, Item.Registered)}
    raw = next(sku for sku, gtin in gtins.items() if sku.startswith("RM") and gtin)
    assert f"https://id.gs1.org/01/{gtins[raw]}/10/L{raw[-3:]}-01" in classes  # LGTIN
    assert any(c.startswith(f"{PREFIX}:item:RM-002:lot:") for c in classes)  # no GTIN
    assert any(epc.startswith("https://id.gs1.org/01/") and "/21/SN-" in epc for epc in epcs)
    assert "https://id.gs1.org/414/9506000000008/254/RECV" in places  # SGLN, site's GLN
    units = {q.get("uom") for e in events for q in e.get("quantityList", [])}
    assert {"KGM", "EA"} <= units
    shop = json.dumps(events_of(exported(plant.ledger)))
    assert f'"{PREFIX}:item:L0:lot:R1"' in shop  # no GTIN: the private URN
    assert f'"{PREFIX}:location:A"' in shop  # no GLN at its site
    assert f'"https://id.gs1.org/414/{OTHER_GLN}/254/TA"' in shop


def test_quantities_keep_every_decimal(plant: Plant) -> None:
    """Six decimals survive the JSON: numbers are written from the Decimal, never a float."""
    led = plant.ledger
    led.execute(RegisterItem(sku="FINE", description="fine", kind="raw_material",
                             unit_of_measure="kg", precision=6))  # fmt: skip
    led.execute(ReceiveStock(sku="FINE", location="A", quantity=D("123456789012.123456"),
                             unit_cost=D(1)))  # fmt: skip
    raw = to_json(export(led, Filters(item="FINE")))
    assert b'"quantity":123456789012.123456' in raw
    assert schema_errors(orjson.loads(raw)) == []


def test_every_store_exports_the_same_story(store_url: str) -> None:
    """In memory, SQLite and PostgreSQL: the same steps tell the same events (but their
    times), the whole export and a lot's, which searches the stored JSON for the lot."""
    ledger = Ledger(store_env(store_url), WriterSettings(batch_wait=0))
    try:
        shop = Shop(ledger)
        for sku in ("RAW", "PART"):
            shop.plant.item(sku, tracking="lot", precision=0, unit_of_measure="ea")
        shop.bom("PART", ("RAW", "2", "none"))
        shop.receive("RAW", "R1", 50, heat="H1", supplier="S1")
        shop.receive("RAW", "R2", 50, heat="H2", supplier="S1")
        shop.make("PART", 5, "P1", [("RAW", "R1", 6), ("RAW", "R2", 4)])
        shop.run(MoveStock(sku="PART", from_location="A", to_location="B", lot="P1",
                           quantity=D(2)))  # fmt: skip
        whole = exported(ledger)
        assert schema_errors(whole) == []
        lot = events_of(exported(ledger, item="RAW", lot="R2"))
    finally:
        ledger.close()

    def story(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(e["type"], e.get("bizStep"), json.dumps({k: v for k, v in e.items()
                 if k not in ("eventID", "eventTime", "recordTime")}, sort_keys=True))
                for e in events]  # fmt: skip

    assert [kind[:2] for kind in story(events_of(whole))] == [
        ("ObjectEvent", "receiving"),
        ("ObjectEvent", "receiving"),
        ("TransformationEvent", None),
        ("TransformationEvent", None),
        ("TransformationEvent", "commissioning"),
        ("ObjectEvent", "storing"),
    ]
    assert story(lot) == [s for s in story(events_of(whole)) if ":lot:R2" in s[2]]
    assert len(lot) == 3


# --- genealogy -------------------------------------------------------------------------------


def lot_of(epc_class: str, by_gtin: dict[str, str]) -> tuple[str, str] | None:
    """(item, lot) of an epcClass the export wrote, None for untracked stock."""
    if epc_class.startswith("https://id.gs1.org/01/"):
        parts = epc_class.removeprefix("https://id.gs1.org/01/").split("/")
        return (by_gtin[parts[0]], parts[2]) if len(parts) == 3 else None
    parts = epc_class.removeprefix(f"{PREFIX}:item:").split(":")
    return (parts[0], parts[2]) if len(parts) == 3 else None


def epcis_children(events: list[dict[str, Any]], by_gtin: dict[str, str]) -> dict[Any, set[Any]]:
    """Input lot -> output lots, as each TransformationEvent tells them."""
    children: dict[Any, set[Any]] = {}
    for e in events:
        if e["type"] != "TransformationEvent":
            continue
        ins = [lot_of(q["epcClass"], by_gtin) for q in e.get("inputQuantityList", [])]
        outs = [lot_of(q["epcClass"], by_gtin) for q in e.get("outputQuantityList", [])]
        for parent in filter(None, ins):
            children.setdefault(parent, set()).update(filter(None, outs))
    return children


def descendants(children: dict[Any, set[Any]], start: Any) -> set[Any]:
    seen: set[Any] = set()
    stack = [start]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen - {start}


def test_trace_forward_and_the_transformation_events_tell_the_same_genealogy(
    plant: Plant,
) -> None:
    by_gtin = {
        e.gtin: e.sku
        for e in stored_events(plant.ledger)
        if isinstance(e, Item.Registered) and e.gtin
    }
    children = epcis_children(events_of(exported(plant.ledger)), by_gtin)
    assert len(children) > 20
    for item, lot in sorted(children):
        answer = plant.client.post(
            "/graphql",
            json={
                "query": "query($i: String!, $l: String!) { traceForward(item: $i, lot: $l)"
                " { lots { item lot level } } }",
                "variables": {"i": item, "l": lot},
            },
        ).json()
        traced = {(t["item"], t["lot"]) for t in answer["data"]["traceForward"]["lots"]}
        assert traced - {(item, lot)} == descendants(children, (item, lot)), (item, lot)


# --- random histories ----------------------------------------------------------------------


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS, seed=st.integers(0, 10_000))
def test_random_flows_and_histories_export_valid(
    ops: list[tuple[str, int, int]], seed: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger(store_env(f"sqlite:///{folder}/flows.db"), WriterSettings(batch_wait=0))
        try:
            shop = Shop(ledger)
            for sku in ("RAW", "PART", "ASSY"):
                shop.plant.item(sku, tracking="lot", precision=0, unit_of_measure="ea")
            shop.bom("PART", ("RAW", "2", "completion"))
            shop.bom("ASSY", ("PART", "1", "none"), ("RAW", "1", "completion"))
            shop.receive("RAW", "R0", 50, heat="H0", supplier="S0")
            play(shop, ops)
            doc = exported(ledger)
            assert events_of(doc)
            assert schema_errors(doc) == []
        finally:
            ledger.close()
        ledger = Ledger(store_env(f"sqlite:///{folder}/history.db"), WriterSettings(batch_wait=0))
        try:
            build_history(ledger, seed=seed, commands=150)
            doc = exported(ledger)
            assert events_of(doc)
            assert schema_errors(doc) == []
        finally:
            ledger.close()


# --- the route -------------------------------------------------------------------------------


def test_the_route_answers_a_lots_whole_story(plant: Plant) -> None:
    answer = plant.client.get("/v1/epcis/events", params={"lot": "r1", "item": "L0"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/ld+json"
    assert int(answer.headers["X-Mims-Position"]) == plant.ledger.max_position()
    doc = answer.json()
    assert schema_errors(doc) == []
    events = events_of(doc)
    mine = f"{PREFIX}:item:L0:lot:R1"
    for e in events:
        named = [q["epcClass"] for k in ("quantityList", "inputQuantityList",
                                         "outputQuantityList") for q in e.get(k, [])]  # fmt: skip
        assert mine in named, e
    # all of it: the events of the whole export that name the lot
    whole = events_of(exported(plant.ledger))
    assert events == [e for e in whole if f'"{mine}"' in json.dumps(e)]
    # receipt, inspection, consumption into orders, count, move, cost center, output lineage
    assert {e["type"] for e in events} == {"ObjectEvent", "TransformationEvent"}
    assert len(events) >= 8


def test_the_route_filters_by_effective_time_and_site(plant: Plant) -> None:
    everything = events_of(plant.client.get("/v1/epcis/events").json())
    times = sorted(datetime.fromisoformat(e["eventTime"]) for e in everything)
    middle = times[len(times) // 2]
    later = events_of(
        plant.client.get("/v1/epcis/events", params={"from": middle.isoformat()}).json()
    )
    earlier = events_of(
        plant.client.get("/v1/epcis/events", params={"to": middle.isoformat()}).json()
    )
    assert later and earlier
    assert len(later) + len(earlier) == len(everything)
    assert all(datetime.fromisoformat(e["eventTime"]) >= middle for e in later)
    at_s = events_of(plant.client.get("/v1/epcis/events", params={"site": "S"}).json())
    at_t = events_of(plant.client.get("/v1/epcis/events", params={"site": "T"}).json())
    assert at_s and at_t
    # the move from T to S is both sites' event; the receipt at T only T's
    both = [e for e in at_t if e.get("bizStep") == "storing"]
    assert len(both) == 1
    assert both[0] in at_s
    assert len(at_s) + len(at_t) - 1 == len(everything)
    assert all(OTHER_GLN in json.dumps(e) for e in at_t)


def test_the_route_needs_the_export_permission_and_keeps_to_the_callers_sites(
    plant: Plant,
) -> None:
    client, ledger = plant.client, plant.ledger
    assert client.get("/v1/epcis/events", headers={"Authorization": ""}).status_code == 401
    keeper = bearer(issue_key(ledger, (("storekeeper", "S"),), name="keeper"))
    refused = client.get("/v1/epcis/events", headers=keeper)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    planner = bearer(issue_key(ledger, (("planner", "S"),), name="planner of S"))
    at_s = events_of(client.get("/v1/epcis/events", headers=planner).json())
    assert at_s
    assert at_s == events_of(client.get("/v1/epcis/events", params={"site": "S"}).json())
    # asking for another site's lot or the other site answers nothing, as if unknown
    other = client.get("/v1/epcis/events", params={"site": "T"}, headers=planner).json()
    assert [e.get("bizStep") for e in events_of(other)] == ["storing"]  # T -> S
    receipt_at_t = client.get("/v1/epcis/events", params={"lot": "RT"}, headers=planner).json()
    assert [e.get("bizStep") for e in events_of(receipt_at_t)] == ["storing"]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "0"}, "ISO 8601"),  # not a Unix time
        ({"from": "2026-01-02T00:00:00"}, "timezone"),
        ({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "after"),
        ({"lot": "NO SPACES"}, "lot"),
        ({"sku": "L0"}, "sku"),
    ],
)
def test_bad_parameters_are_problems(plant: Plant, params: dict[str, str], says: str) -> None:
    answer = plant.client.get("/v1/epcis/events", params=params)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert says in answer.text


# --- the CLI ---------------------------------------------------------------------------------


def test_the_cli_writes_a_valid_file_without_a_server(
    plant: Plant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIMS_DATABASE_URL", plant.url)
    monkeypatch.setenv("MIMS_PORT", "9")  # nothing listens there
    out = tmp_path / "r1.json"
    result = CliRunner().invoke(
        cli_app, ["export", "epcis", "--lot", "R1", "--item", "L0", "--output", str(out),
                  "--validate"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "0 schema errors" in result.output
    doc = json.loads(out.read_text())
    assert schema_errors(doc) == []
    via_http = plant.client.get("/v1/epcis/events", params={"lot": "R1", "item": "L0"}).json()
    assert events_of(doc) == events_of(via_http)
    since = datetime.fromisoformat(events_of(doc)[-1]["eventTime"]) + timedelta(seconds=1)
    result = CliRunner().invoke(
        cli_app, ["export", "epcis", "--from", since.strftime("%Y-%m-%dT%H:%M:%S"),
                  "--output", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert all(
        datetime.fromisoformat(e["eventTime"]) >= since.replace(microsecond=0)
        for e in events_of(json.loads(out.read_text()))
    )
    refused = CliRunner().invoke(
        cli_app, ["export", "epcis", "--from", "2026-01-02", "--to", "2026-01-01",
                  "--output", str(out)],
    )  # fmt: skip
    assert refused.exit_code != 0
