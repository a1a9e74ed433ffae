"""Two sites: every stock-ledger row carries the site of the location it touches (a move
between sites: the sender's on the row out, the receiver's on the row in), the move's
event names both sites, and a move stored before it named the receiver's site reads the
same way."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from eventsourcing.persistence import JSONTranscoder, StoredEvent
from eventsourcing.utils import get_topic

from ledger.commands import Command
from ledger.ids import stock_id
from ledger.mapper import LedgerMapper
from ledger.master_data.commands import RegisterItem, RegisterLocation
from ledger.stock.card import Stock
from ledger.stock.commands import ReceiveStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from projections.engine.runner import ProjectionRunner
from projections.engine.view import ReadModels
from tests.support.http_plant import HttpPlant, served_plant
from tests.support.identity import bearer, login, register, signature_json

D = Decimal
SITE_OF = {"BIN-N1": "NORTH", "BIN-N2": "NORTH", "BIN-S1": "SOUTH"}
LEDGER = """query($f: StockFilter) { stockLedger(filter: $f, first: 1000) {
    rows { eventType location status quantityDelta site } } }"""


def two_sites() -> list[Command]:
    found: list[Command] = []
    for site, bins in (("NORTH", ["BIN-N1", "BIN-N2"]), ("SOUTH", ["BIN-S1"])):
        found += [
            RegisterLocation(code=site, level="site"),
            RegisterLocation(code=f"WH-{site}", level="warehouse", parent=site),
            RegisterLocation(code=f"Z-{site}", level="zone", parent=f"WH-{site}"),
        ]
        found += [RegisterLocation(code=b, level="bin", parent=f"Z-{site}") for b in bins]
    found.append(
        RegisterItem(
            sku="BOLT", description="bolt", kind="component", unit_of_measure="ea",
            tracking="lot",
        )
    )  # fmt: skip
    return found


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[HttpPlant]:
    with served_plant(tmp_path, "sites", HttpPlant) as shop:
        for command in two_sites():
            shop.post(
                "/items" if isinstance(command, RegisterItem) else "/locations",
                command.model_dump(mode="json", exclude_none=True),
            )
        yield shop


def rows(plant: HttpPlant, **filter_: Any) -> list[tuple[str, str, str, Decimal, str]]:
    found = plant.query(LEDGER, f=filter_)["stockLedger"]["rows"]
    return [
        (r["eventType"], r["location"], r["status"], D(r["quantityDelta"]), r["site"])
        for r in found
    ]


def test_each_ledger_row_has_the_site_of_its_location(plant: HttpPlant) -> None:
    lot = {"sku": "BOLT", "lot": "L1"}
    plant.post("/receipts", {**lot, "location": "BIN-N1", "quantity": "100", "unit_cost": "2"})
    plant.post(
        "/moves", {**lot, "from_location": "BIN-N1", "to_location": "BIN-S1", "quantity": "40"}
    )
    plant.post(
        "/moves", {**lot, "from_location": "BIN-N1", "to_location": "BIN-N2", "quantity": "10"}
    )
    plant.post(
        "/issues",
        {**lot, "location": "BIN-S1", "quantity": "5", "target_kind": "work_order",
         "target": "WO-1"},
    )  # fmt: skip
    plant.post(
        "/adjustments",
        {
            **lot,
            "location": "BIN-N1",
            "quantity_delta": "-1",
            "reason_code": "DAMAGED",
            "signature": signature_json("damaged"),
        },
    )
    plant.post("/counts", {**lot, "location": "BIN-S1", "counted_quantity": "34"})
    # A hold of the lot wherever it is: one command, stock at both sites.
    plant.post("/holds", {"hold_id": "QH-1", "sku": "BOLT", "lot": "L1", "reason": "check"})

    everything = rows(plant, item="BOLT")
    assert [(t, loc, q, site) for t, loc, _, q, site in everything[:3]] == [
        ("Stock.Received", "BIN-N1", D(100), "NORTH"),
        ("Stock.Moved", "BIN-N1", D(-40), "NORTH"),  # the row out: the sender's site
        ("Stock.Moved", "BIN-S1", D(40), "SOUTH"),  # the row in: the receiver's site
    ]
    assert {(t, loc, site) for t, loc, _, _, site in everything} >= {
        ("Stock.Issued", "BIN-S1", "SOUTH"),
        ("Stock.Adjusted", "BIN-N1", "NORTH"),
        ("Stock.Counted", "BIN-S1", "SOUTH"),
        ("Stock.StatusChanged", "BIN-S1", "SOUTH"),
        ("Stock.StatusChanged", "BIN-N1", "NORTH"),
    }
    assert all(site == SITE_OF[loc] for _, loc, _, _, site in everything), everything

    # Filtering by a site gives its rows, and only those.
    south = rows(plant, item="BOLT", location="SOUTH")
    assert south == [r for r in everything if r[1] == "BIN-S1"]
    assert rows(plant, item="BOLT", location="NORTH") == [
        r for r in everything if r[1] in ("BIN-N1", "BIN-N2")
    ]
    on_hand = plant.query(
        '{ stockOnHand(filter: {location: "SOUTH"}) { totalQuantity rows { location } } }'
    )["stockOnHand"]
    assert (D(on_hand["totalQuantity"]), {r["location"] for r in on_hand["rows"]}) == (
        D(34),
        {"BIN-S1"},
    )

    # The move's event names both sites.
    card = plant.ledger.stock("BOLT")
    assert card is not None
    moved = [
        e
        for e in plant.ledger.app.repository.event_store.get(stock_id("BOLT"))
        if isinstance(e, Stock.Moved)
    ]
    assert [(e.meta.site, e.to_site) for e in moved] == [("NORTH", "SOUTH"), ("NORTH", "NORTH")]


def test_a_move_stored_before_it_named_the_receivers_site_reads_with_both(
    tmp_path: Path,
) -> None:
    """Version 1 of Stock.Moved kept only the sender's site: the upcaster says None for
    ``to_site``, and the read models give each row the site of its location."""
    url = f"sqlite:///{tmp_path}/events.db"
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    try:
        for command in two_sites():
            ledger.execute(command)
        ledger.execute(
            ReceiveStock(sku="BOLT", location="BIN-N1", quantity=D(10), unit_cost=D(2), lot="L1")
        )
        card = ledger.stock("BOLT")
        assert card is not None
        version_1 = {
            "timestamp": "2026-01-05T10:00:00+00:00",
            "meta": {"actor": "a", "command_id": "old-move", "correlation_id": "old-move",
                     "site": "NORTH", "effective_at": "2026-01-05T10:00:00+00:00"},
            "from_location": "BIN-N1", "to_location": "BIN-S1", "lot": "L1",
            "status": "available", "quantity": "4", "value": "8",
            "layers": [{"seq": 1, "quantity": "4", "unit_cost": "2"}], "reference": "",
        }  # fmt: skip
        stored = StoredEvent(
            originator_id=stock_id("BOLT"),
            originator_version=card.version + 1,
            topic=get_topic(Stock.Moved),
            state=orjson.dumps(version_1),
        )
        ledger.app.recorder.insert_events([stored])
    finally:
        ledger.close()

    mapper = LedgerMapper(transcoder=JSONTranscoder())
    event = mapper.to_domain_event(stored)
    assert isinstance(event, Stock.Moved)
    assert (event.meta.site, event.to_site, event.quantity) == ("NORTH", None, D(4))
    assert orjson.loads(mapper.to_stored_event(event).state)["class_version"] == 2

    again = Ledger(store_env(url), WriterSettings(batch_wait=0))  # folds the old event
    try:
        card = again.stock("BOLT")
        assert card is not None
        assert card.balances == {("BIN-N1", "L1", "available"): D(6),
                                 ("BIN-S1", "L1", "available"): D(4)}  # fmt: skip
        models = ReadModels(None)
        ProjectionRunner(again.app.recorder, models).catch_up()
        with models.reader() as con:
            found = con.execute(
                "SELECT location, quantity_delta, site FROM stock_ledger"
                " WHERE event_type = 'Stock.Moved' ORDER BY line"
            ).fetchall()
        models.close()
        assert found == [("BIN-N1", D(-4), "NORTH"), ("BIN-S1", D(4), "SOUTH")]
    finally:
        again.close()


def test_a_reader_of_one_site_sees_its_rows_only(plant: HttpPlant) -> None:
    lot = {"sku": "BOLT", "lot": "L1"}
    plant.post("/receipts", {**lot, "location": "BIN-N1", "quantity": "100", "unit_cost": "2"})
    plant.post("/receipts", {**lot, "location": "BIN-S1", "quantity": "7", "unit_cost": "2"})
    register(plant.ledger, "south-keeper", grants=(("storekeeper", "SOUTH"),))
    register(plant.ledger, "auditor", grants=(("auditor", "*"),))
    query = {"query": '{ stockOnHand(filter: {item: "BOLT"}) { rows { location } } }'}
    ledger_query = {"query": LEDGER, "variables": {"f": {"item": "BOLT"}}}
    seen = {}
    for user in ("south-keeper", "auditor"):
        headers = {**bearer(login(plant.client, user)), "X-Min-Position": str(plant.position)}
        on_hand = plant.client.post("/graphql", json=query, headers=headers).json()
        seen[user] = {r["location"] for r in on_hand["data"]["stockOnHand"]["rows"]}
        if user == "auditor":  # a storekeeper may not read the ledger at all
            rows_ = plant.client.post("/graphql", json=ledger_query, headers=headers).json()
            assert {r["site"] for r in rows_["data"]["stockLedger"]["rows"]} == {"NORTH", "SOUTH"}
    assert seen == {"south-keeper": {"BIN-S1"}, "auditor": {"BIN-N1", "BIN-S1"}}
