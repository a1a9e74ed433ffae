"""Site scoping of every GraphQL root field, generated from the schema: on a plant with
data at two sites, NORTH and SOUTH, a reader granted NORTH (a planner: every read
permission) asks every root field of the schema's Query type with every combination of
arguments naming SOUTH's places, lots and orders, and its answers must hold nothing of
SOUTH. Prints "graphql scoping: fields checked N, leaks 0".

SOUTH's data is marked twice: every code of it contains "SOUTH", and every quantity of it
is 100,000 or more (NORTH's are below 1,000), so a sum or a rate that took SOUTH in shows
a large figure. A field is one of three kinds, and a new field of the schema with no
decision fails the test:

* site-free (`SITE_FREE`, with the reason): master data and the server's own state;
* plant-wide (`PLANT_WIDE`): computed over every site, refused (``FORBIDDEN``) to a
  reader who may not read every site;
* site-bound: every other field. An every-site administrator's answers must show SOUTH
  (so the data exercises the field), the NORTH reader's never.

Beside it: an id of SOUTH answers a NORTH reader exactly as an unknown id does, a trace
from NORTH into SOUTH stops at the border, and a location-prefix grant narrows the rows
to its locations.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from graphql import (
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
)
from graphql.pyutils import Undefined

from ledger.commands import Command
from ledger.engineering.commands import DefineRouting, DefineWorkCenter, OperationInput
from ledger.identity.commands import GrantInput, IssueApiKey
from ledger.master_data.commands import RegisterItem, RegisterLocation
from ledger.orders.commands import (
    AllocateSalesOrder,
    CreateSalesOrder,
    OrderLineInput,
    PickSalesOrder,
    ShipmentLineInput,
    ShipSalesOrder,
)
from ledger.production.commands import (
    CreateWorkOrder,
    IssueToWorkOrder,
    ReceiveWorkOrderOutput,
    ReleaseWorkOrder,
    ReportOperation,
)
from ledger.quality.commands import (
    CharacteristicInput,
    DefineSpecification,
    MeasurementInput,
    PlaceHold,
    RecordInspection,
    ReleaseHold,
)
from ledger.stock.commands import (
    AdjustStock,
    IssueStock,
    MoveStock,
    ReceiveStock,
    ReserveStock,
    Signed,
)
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.server import create_app
from projections.engine.view import ReadModels
from queries.schema import build_schema
from tests.support.identity import admin_key, bearer, issue_key, register, signature
from tests.support.plant import bom

D = Decimal
TODAY = datetime.now(UTC).date()
SINCE = TODAY - timedelta(days=30)
MARK = "SOUTH"  # in every code of the foreign site's data
LARGE = 100_000  # every quantity of the foreign site's data is at least this
SIGNER = "quality-approver"  # signs the plant's quality decisions

# Fields that return no site-bound data, and why.
SITE_FREE = {
    "item": "master data: the plant's catalogue of items, shared by every site",
    "items": "master data: the plant's catalogue of items, shared by every site",
    "bomExplosion": "engineering master data: BOMs are the plant's, not a site's",
    "whereUsed": "engineering master data: BOMs are the plant's, not a site's",
    "vocabulary": "the schema's enumerations",
    "projectionStatus": "the server's own read models: positions and lag, no rows",
}
# Fields computed over every site: answered only to a reader of every site. Webhooks carry
# the events of every site a subscription names (or of all): administrators of every site.
PLANT_WIDE = {
    "mrpRun",
    "plannedOrders",
    "planningRuns",
    "webhookSubscriptions",
    "webhookDeliveries",
}

# The values each argument takes (None: left out, when the argument is optional).
ARGUMENTS: dict[str, list[Any]] = {
    "item": ["RAW", "FG", "PART"],
    "lot": ["LOT-SOUTH-R", "LOT-NORTH-X", "LOT-SOUTH-F"],
    "sku": ["RAW"],
    "code": ["BIN-S1", "SOUTH", "BIN-N1"],
    "number": ["WO-SOUTH", "SO-2"],
    "supplierLot": ["HEAT-SOUTH", "HEAT-NORTH"],
    "filter": [{"location": "SOUTH"}, {"lot": "LOT-SOUTH-R"}, {"item": "RAW"}],
}
# Answer fields that repeat the request's own argument: not data of the plant.
ECHOES = {"recallSimulation": "supplierLot"}
# What a client may cause whoever asks (a recall with no start, a code no command takes).
CLIENT_ERRORS = {"BAD_START", "BAD_CODE"}
DEPTH = 3


def plant_commands() -> list[Command]:
    """NORTH and SOUTH, each with a bin; raw material received at both, a NORTH lot moved
    into SOUTH and consumed there; a released work order at each site; holds, an
    inspection, a reservation; a sales order allocated and shipped from SOUTH."""
    found: list[Command] = []
    for site, b in (("NORTH", "BIN-N1"), ("SOUTH", "BIN-S1")):
        found += [
            RegisterLocation(code=site, level="site"),  # type: ignore[arg-type]
            RegisterLocation(code=f"WH-{site}", level="warehouse", parent=site),  # type: ignore[arg-type]
            RegisterLocation(code=f"Z-{site}", level="zone", parent=f"WH-{site}"),  # type: ignore[arg-type]
            RegisterLocation(code=b, level="bin", parent=f"Z-{site}"),  # type: ignore[arg-type]
        ]
    for sku, kind in (("RAW", "raw_material"), ("FG", "finished_good"), ("PART", "finished_good")):
        found.append(
            RegisterItem(
                sku=sku, description=sku.lower(), kind=kind, unit_of_measure="ea",  # type: ignore[arg-type]
                precision=0, tracking="lot",  # type: ignore[arg-type]
            )
        )  # fmt: skip
    found += [
        bom("FG", ("RAW", "1")),
        DefineWorkCenter(code="WC-1"),
        DefineRouting(
            item="FG", version="A", effective_from=SINCE,
            operations=[OperationInput(seq=10, work_center="WC-1", run_hours_per_unit=D("0.01"))],
        ),
        DefineSpecification(sku="RAW", characteristics=[CharacteristicInput(name="hardness", upper=D(90))]),
    ]  # fmt: skip

    def receive(sku: str, at: str, lot: str, quantity: int, heat: str, supplier: str) -> Command:
        return ReceiveStock(
            sku=sku, location=at, quantity=D(quantity), unit_cost=D(2), lot=lot,
            supplier=supplier, supplier_lot=heat,
        )  # fmt: skip

    def work_order(number: str, at: str, quantity: int) -> list[Command]:
        return [
            CreateWorkOrder(
                number=number, item="FG", quantity=D(quantity), due_date=TODAY,
                output_location=at, supply_location=at,
            ),
            ReleaseWorkOrder(number=number),
        ]  # fmt: skip

    found += [
        receive("RAW", "BIN-N1", "LOT-NORTH-R", 500, "HEAT-NORTH", "SUPPLIER-NORTH"),
        receive("RAW", "BIN-N1", "LOT-NORTH-X", 50, "HEAT-NORTH", "SUPPLIER-NORTH"),
        receive("RAW", "BIN-S1", "LOT-SOUTH-R", 800_000, "HEAT-SOUTH", "SUPPLIER-SOUTH"),
        receive("PART", "BIN-S1", "LOT-SOUTH-P", 800_000, "HEAT-SOUTH-P", "SUPPLIER-SOUTH"),
        MoveStock(sku="RAW", from_location="BIN-N1", to_location="BIN-S1", quantity=D(20),
                  lot="LOT-NORTH-X"),
        *work_order("WO-NORTH", "BIN-N1", 10),
        IssueToWorkOrder(number="WO-NORTH", component="RAW", location="BIN-N1", quantity=D(10),
                         lot="LOT-NORTH-R"),
        ReportOperation(number="WO-NORTH", operation=10, good=D(8), scrap=D(2)),
        ReceiveWorkOrderOutput(number="WO-NORTH", quantity=D(5), lot="LOT-NORTH-F"),
        *work_order("WO-SOUTH", "BIN-S1", 700_000),
        IssueToWorkOrder(number="WO-SOUTH", component="RAW", location="BIN-S1",
                         quantity=D(600_000), lot="LOT-SOUTH-R"),
        IssueToWorkOrder(number="WO-SOUTH", component="RAW", location="BIN-S1", quantity=D(20),
                         lot="LOT-NORTH-X"),
        ReportOperation(number="WO-SOUTH", operation=10, good=D(600_000), scrap=D(100_000)),
        ReceiveWorkOrderOutput(number="WO-SOUTH", quantity=D(300_000), lot="LOT-SOUTH-F"),
        IssueStock(sku="RAW", location="BIN-N1", quantity=D(3), lot="LOT-NORTH-R",
                   target_kind="cost_center", target="CC-NORTH"),
        IssueStock(sku="RAW", location="BIN-S1", quantity=D(100_000), lot="LOT-SOUTH-R",
                   target_kind="cost_center", target="CC-SOUTH"),
        PlaceHold(hold_id="HOLD-NORTH", sku="RAW", lot="LOT-NORTH-R", location="BIN-N1",
                  quantity=D(7), reason="check north"),
        PlaceHold(hold_id="HOLD-SOUTH", sku="RAW", lot="LOT-SOUTH-R", location="BIN-S1",
                  quantity=D(100_000), reason="CHECK SOUTH"),
        RecordInspection(inspection_id="INSP-SOUTH", sku="RAW", location="BIN-S1",
                         lot="LOT-SOUTH-R", quantity=D(100_000),
                         results=[MeasurementInput(characteristic="hardness", value=D(95))]),
        ReserveStock(sku="PART", quantity=D(100_000), location="BIN-S1", lot="LOT-SOUTH-P",
                     reservation_id="RES-SOUTH"),
        CreateSalesOrder(number="SO-1", customer="CUSTOMER-SOUTH",
                         lines=[OrderLineInput(line=1, sku="PART", quantity=D(400_005),
                                               due_date=TODAY)]),
        CreateSalesOrder(number="SO-2", customer="CUSTOMER-SOUTH",
                         lines=[OrderLineInput(line=1, sku="PART", quantity=D(900),
                                               due_date=TODAY)]),
        AllocateSalesOrder(number="SO-1"),
        PickSalesOrder(number="SO-1", line=1, quantity=D(400_000)),
        ShipSalesOrder(number="SO-1", shipment="SHIP-SOUTH",
                       lines=[ShipmentLineInput(line=1, quantity=D(400_000))]),
        AllocateSalesOrder(number="SO-2"),
        # Signed quality decisions at each site (`signatures`, `signedReleases`).
        AdjustStock(sku="RAW", location="BIN-S1", lot="LOT-SOUTH-R", quantity_delta=D(200_000),
                    reason_code="FOUND-SOUTH", signature=signature("SOUTH RECOUNT")),
        PlaceHold(hold_id="HOLD-SOUTH-2", sku="RAW", lot="LOT-SOUTH-R", location="BIN-S1",
                  quantity=D(100_000), reason="CHECK SOUTH AGAIN"),
        ReleaseHold(hold_id="HOLD-SOUTH-2", signature=signature("SOUTH CLEARED")),
    ]  # fmt: skip
    return found


class Reader:
    def __init__(self, client: TestClient, headers: dict[str, str], position: int) -> None:
        self.client = client
        self.headers = {**headers, "X-Min-Position": str(position)}

    def ask(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self.headers
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Reader]]:
    folder: Path = tmp_path_factory.mktemp("scoping")
    ledger = Ledger(store_env(f"sqlite:///{folder}/events.db"), WriterSettings(batch_wait=0))
    register(ledger, SIGNER)
    for command in plant_commands():
        signs = isinstance(command, Signed) and command.given_signature() is not None
        ledger.execute(command, actor=SIGNER if signs else "system")
    north = issue_key(ledger, (("planner", "NORTH"),), name="north planner")
    by_prefix = ledger.execute(
        IssueApiKey(
            name="north bin reader",
            grants=(GrantInput(role="planner", site="NORTH", location_prefix="BIN-N1"),),  # type: ignore[arg-type]
        ),
        actor="test-setup",
    ).data["key"]
    both = issue_key(ledger, (("planner", "NORTH"), ("planner", "SOUTH")), name="both")
    admin = admin_key(ledger)
    app = create_app(ledger=ledger, read_models=ReadModels(None))
    try:
        with TestClient(app) as client:
            position = ledger.max_position()
            yield {
                "admin": Reader(client, bearer(admin), position),
                "north": Reader(client, bearer(north), position),
                "north-bin": Reader(client, bearer(by_prefix), position),
                "both": Reader(client, bearer(both), position),
            }
    finally:
        ledger.close()


def selection(schema: GraphQLSchema, type_: Any, depth: int) -> str:
    """Every field of ``type_`` that needs no argument, objects to ``depth`` levels."""
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    assert isinstance(named, GraphQLObjectType)
    parts = []
    for name, field in named.fields.items():
        if any(
            isinstance(a.type, GraphQLNonNull) and a.default_value is Undefined
            for a in field.args.values()
        ):
            continue
        inner = get_named_type(field.type)
        if is_leaf_type(inner):
            parts.append(name)
        elif depth > 1:
            parts.append(f"{name} {selection(schema, field.type, depth - 1)}")
    return "{ " + " ".join(parts) + " }"


def type_text(t: Any) -> str:
    if isinstance(t, GraphQLNonNull):
        return f"{type_text(t.of_type)}!"
    if isinstance(t, GraphQLList):
        return f"[{type_text(t.of_type)}]"
    return str(t.name)


def calls(name: str, field: GraphQLField) -> Iterator[tuple[str, dict[str, Any]]]:
    """The query of root field ``name`` and each combination of its arguments' values."""
    choices: dict[str, list[Any]] = {}
    for arg, definition in field.args.items():
        required = isinstance(definition.type, GraphQLNonNull) and (
            definition.default_value is Undefined
        )
        if arg in ARGUMENTS:
            choices[arg] = ARGUMENTS[arg] + ([] if required else [None])
        else:
            assert not required, f"{name}({arg}): add values for it to ARGUMENTS"
    schema = build_schema()._schema
    for values in itertools.product(*choices.values()):
        given = {a: v for a, v in zip(choices, values, strict=True) if v is not None}
        declared = ", ".join(f"${a}: {type_text(field.args[a].type)}" for a in given)
        passed = ", ".join(f"{a}: ${a}" for a in given)
        query = (
            f"query{f'({declared})' if declared else ''} {{ {name}"
            f"{f'({passed})' if passed else ''} {selection(schema, field.type, DEPTH)} }}"
        )
        yield query, given


NUMBER = re.compile(r"(?<![\w-])-?\d+(?:\.\d+)?(?![\w-])")


def leaks(answer: dict[str, Any]) -> list[str]:
    """What of SOUTH an answer shows: its codes, or its quantities (or sums of them)."""
    data = answer.get("data") or {}
    for field, echo in ECHOES.items():
        if isinstance(data.get(field), dict):
            data = {**data, field: {k: v for k, v in data[field].items() if k != echo}}
    text = json.dumps(data)
    found = [m.group(0) for m in re.finditer(rf"[\w-]*{MARK}[\w-]*", text)]
    found += [n for n in NUMBER.findall(text) if abs(D(n)) >= LARGE]
    return found


def codes(answer: dict[str, Any]) -> set[str]:
    return {e.get("extensions", {}).get("code", e["message"]) for e in answer.get("errors", [])}


def test_every_root_field_keeps_to_the_readers_sites(
    served: dict[str, Reader], capsys: pytest.CaptureFixture[str]
) -> None:
    schema = build_schema()._schema
    assert schema.query_type is not None
    fields = schema.query_type.fields
    undecided = sorted(set(fields) - set(SITE_FREE) - PLANT_WIDE)
    assert set(SITE_FREE) | PLANT_WIDE <= set(fields), "a listed field is gone from the schema"
    checked, wrong, unseen = 0, [], []
    for name, field in fields.items():
        admin_saw = False
        for query, variables in calls(name, field):
            checked += 1
            everything = served["admin"].ask(query, variables)
            north = served["north"].ask(query, variables)
            if codes(everything) - CLIENT_ERRORS:
                wrong.append(f"{name} {variables}: administrator's errors {everything['errors']}")
            admin_saw = admin_saw or bool(leaks(everything))
            if name in PLANT_WIDE:
                if codes(north) != {"FORBIDDEN"} or north.get("data") is not None:
                    wrong.append(f"{name} {variables}: a plant-wide field answered {north}")
                continue
            if codes(north) - CLIENT_ERRORS:
                wrong.append(f"{name} {variables}: errors {north['errors']}")
            if name not in SITE_FREE and (seen := leaks(north)):
                wrong.append(f"{name} {variables}: leaks {sorted(set(seen))[:5]}")
        if name in undecided and not admin_saw:
            unseen.append(name)
    with capsys.disabled():
        print(f"\ngraphql scoping: fields checked {len(fields)}, leaks {len(wrong)}")
    assert wrong == [], "\n".join(wrong[:30])
    # Each site-bound field showed SOUTH to the administrator: the data exercises it.
    assert unseen == [], f"site-bound fields whose answers never showed {MARK}: {unseen}"
    assert checked > 100


UNKNOWN = {
    "lot": ('{ lot(item: "RAW", lot: $x) { item lot onHand } }', "LOT-SOUTH-R"),
    "location": ("{ location(code: $x) { code site children { code } } }", "BIN-S1"),
    "workOrder": ("{ workOrder(number: $x) { number status } }", "WO-SOUTH"),
    "traceForward": (
        '{ traceForward(item: "RAW", lot: $x) { start { lot } lots { lot } } }',
        "LOT-SOUTH-R",
    ),
    "traceBackward": (
        '{ traceBackward(item: "FG", lot: $x) { start { lot } lots { lot } } }',
        "LOT-SOUTH-F",
    ),
    "recallSimulation": (
        "{ recallSimulation(supplierLot: $x) { start { lot } lots { lot } onHandQuantity } }",
        "HEAT-SOUTH",
    ),
}


@pytest.mark.parametrize("field", sorted(UNKNOWN))
def test_a_foreign_id_answers_as_an_unknown_one(served: dict[str, Reader], field: str) -> None:
    text, foreign = UNKNOWN[field]
    query = "query($x: String!) " + text
    north, admin = served["north"], served["admin"]
    assert leaks(admin.ask(query, {"x": foreign})), "the foreign id must exist"
    assert north.ask(query, {"x": foreign}) == north.ask(query, {"x": "NO-SUCH-ID"})


def test_a_trace_from_north_into_south_stops_at_the_border(served: dict[str, Reader]) -> None:
    query = """{ traceForward(item: "RAW", lot: "LOT-NORTH-X") {
        lots { lot links { lot } onHand { location quantity } uses { partyKind party } } } }"""
    everything = served["admin"].ask(query)["data"]["traceForward"]["lots"]
    assert {t["lot"] for t in everything} == {"LOT-NORTH-X", "LOT-SOUTH-F"}
    north = served["north"].ask(query)["data"]["traceForward"]["lots"]
    assert [t["lot"] for t in north] == ["LOT-NORTH-X"]
    assert north[0]["links"] == []  # the link into SOUTH's work order's lot is left out
    assert {p["location"] for p in north[0]["onHand"]} == {"BIN-N1"}
    assert all("SOUTH" not in u["party"] for u in north[0]["uses"])


def test_a_location_prefix_grant_reads_its_locations_only(served: dict[str, Reader]) -> None:
    query = """{ stockOnHand { rows { location } totalQuantity }
        lot(item: "RAW", lot: "LOT-NORTH-R") { onHand } location(code: "NORTH") { code } }"""
    found = served["north-bin"].ask(query)["data"]
    assert {r["location"] for r in found["stockOnHand"]["rows"]} == {"BIN-N1"}
    assert D(found["lot"]["onHand"]) == D(500 - 10 - 3)
    assert found["location"] is None  # the site itself is above the prefix
    north = served["north"].ask(query)["data"]
    assert north["location"] == {"code": "NORTH"}


def test_plant_wide_planning_needs_every_site(served: dict[str, Reader]) -> None:
    query = "{ mrpRun(horizon: 2) { plannedOrders { item } } planningRuns { runId } }"
    assert "errors" not in served["both"].ask(query)  # a grant at each site: the plant
    for reader in ("north", "north-bin"):
        refused = served[reader].ask(query)
        assert refused["data"] is None
        assert {e["extensions"]["code"] for e in refused["errors"]} == {"FORBIDDEN"}
        assert all("SOUTH" not in e["message"] for e in refused["errors"])


def test_the_write_sides_reads_keep_to_the_readers_sites(served: dict[str, Reader]) -> None:
    """GET /v1/locations/{code}: another site's location is not found, as an unknown one;
    GET /v1/stock/{sku}, the ledger's whole card of an item, needs every site."""
    north, admin = served["north"], served["admin"]

    def get(reader: Reader, path: str) -> tuple[int, str]:
        answer = reader.client.get(path, headers=reader.headers)
        return answer.status_code, answer.json().get("type", "")

    assert get(admin, "/v1/locations/BIN-S1")[0] == 200
    assert get(north, "/v1/locations/BIN-N1")[0] == 200
    assert (
        get(north, "/v1/locations/BIN-S1")
        == get(north, "/v1/locations/NO-SUCH")
        == (
            404,
            "/problems/unknown-location",
        )
    )
    assert get(served["north-bin"], "/v1/locations/Z-NORTH")[0] == 404  # above its prefix
    assert get(admin, "/v1/stock/RAW")[0] == 200
    assert get(north, "/v1/stock/RAW")[0] == 403
    assert get(served["both"], "/v1/stock/RAW")[0] == 403  # each site, not every site
