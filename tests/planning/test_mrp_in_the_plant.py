"""The MRP inside the product, end to end over real HTTP: a plant with a three-level bill
(a shared component, a phantom kit), stock with a held lot, open purchase, sales and
work orders. The run's planned orders are computed by hand below, saved as events, read
back in GraphQL with their pegging and exceptions, firmed into a purchase order and a
work order, and superseded by a second run; firming twice is refused and saves nothing.

The plant (weekly buckets, period 1 starts today T, period p on T + 7(p - 1)):

    BIKE  = FRAME + 4 BOLT + KIT (phantom)      lead  7 d (1 period), lot for lot
    KIT   = 2 WHEEL + 4 BOLT                    a phantom: driven through, never planned
    FRAME = 2 kg TUBE (+5% scrap: 2.1) + 2 BOLT lead 14 d (2 periods)
    BOLT  (shared: BIKE, KIT, FRAME)            lead  7 d, fixed order quantity 100
    WHEEL (lots W1 10 available, W2 20 held)    lead  7 d
    TUBE  (kg, 2 decimals)                      lead 10 d (2 periods)

So a BIKE takes FRAME 1, BOLT 8, WHEEL 2. Stock: BIKE 5 (allocated to SO-1: still
counted), FRAME 3, BOLT 50 (10 reserved by hand: 40 usable), TUBE 20 kg, WHEEL 10 (the
held lot does not count). Orders: SO-1 BIKE 10 due T+8 (period 2), SO-2 BIKE 12 due T+22
(period 4); PO-1 TUBE 30 due T+10 (period 2); WO-R FRAME 2 released, due T+7 (period 2:
its components TUBE 4.2 and BOLT 4 are required at its start, period 0, i.e. past due in
period 1); WO-C BIKE 3 created, due T+14 (period 3: its components FRAME 3, BOLT 24,
WHEEL 6 are required in period 2).

By hand, level by level:

    BIKE   on hand 5; gross p2 10, p4 12; WO-C 3 in p3
           p2: 5 - 10 -> plan 5 (release p1); p4: 3 - 12 -> plan 9 (release p3)
           WO-C is needed in p2, not p3: reschedule in
    FRAME  on hand 3; gross p1 5 (BIKE's p1 release), p2 3 (WO-C), p3 9; WO-R 2 in p2
           p1: 3 - 5 -> plan 2 (release p-1: past due); p2: 2 - 3 -> plan 1 (release p0:
           past due); p3: plan 9 (release p1). WO-R is needed in p1: reschedule in
    WHEEL  on hand 10; gross p1 10, p2 6 (WO-C), p3 18 -> plan 6 in p2, 18 in p3
    TUBE   on hand 20; gross p1 4.2 (WO-R) + 2.1 x (2 + 1 + 9) = 29.4; PO-1 30 in p2
           p1: plan 9.4 (release p-1: past due); PO-1 is needed in p1: reschedule in
    BOLT   on hand 40; gross p1 4 (WO-R) + 8 x 5 + 2 x 12 = 68, p2 24 (WO-C), p3 72
           p1: 40 - 68 -> 100 (release p0: past due), balance 72; p2: 48;
           p3: 48 - 72 -> 100 (release p2), balance 76

Planned orders, numbered by release period, low-level code, item:

    #1 FRAME 2 (p-1 -> p1)   #2 TUBE 9.4 (p-1 -> p1)   #3 FRAME 1 (p0 -> p2)
    #4 BOLT 100 (p0 -> p1)   #5 BIKE 5 (p1 -> p2)      #6 FRAME 9 (p1 -> p3)
    #7 WHEEL 6 (p1 -> p2)    #8 WHEEL 18 (p2 -> p3)    #9 BOLT 100 (p2 -> p3)
    #10 BIKE 9 (p3 -> p4)

Pegging (supply first in, first out: on hand, then receipts by arrival):

    #5 BIKE: SO-1/1 5 (on hand took the other 5)     #10 BIKE: SO-2/1 9 (WO-C took 3)
    #1 FRAME: #5 2   #3 FRAME: WO-C 1 (WO-R took 2)  #6 FRAME: #10 9
    #2 TUBE: #6 9.4 (on hand: WO-R 4.2, #1 4.2, #3 2.1 and 9.5 of #6's 18.9)
    #4 BOLT: #5 10, #6 18, WO-C 24, #10 48  (on hand: WO-R 4, #1 4, #3 2, 30 of #5's 40)
    #9 BOLT: #10 24, stock 76
    #7 WHEEL: WO-C 6                                 #8 WHEEL: #10 18
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from planning.ledger_inputs import MrpSettings, plan_from_read_models
from tests.support.http_plant import HttpPlant, served_plant

D = Decimal
T = datetime.now(UTC).date()


def day(offset: int) -> str:
    return (T + timedelta(days=offset)).isoformat()


def week(period: int) -> str:
    """The first day of a weekly period (period 1 starts today)."""
    return day(7 * (period - 1))


Plant = HttpPlant


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[Plant]:
    with served_plant(tmp_path, "planner", Plant) as shop:
        build(shop)
        yield shop


def build(plant: Plant) -> None:
    for body in [
        {"code": "P", "level": "site"},
        {"code": "W", "level": "warehouse", "parent": "P"},
        {"code": "STORE", "level": "zone", "parent": "W"},
        {"code": "LINE", "level": "zone", "kind": "wip", "parent": "W"},
    ]:
        plant.post("/locations", body)

    def planning(days: int, **extra: Any) -> dict[str, Any]:
        return {"lead_time_days": days, **extra}

    for sku, kind, uom, extra in [
        ("BIKE", "finished_good", "ea", {"planning": planning(7)}),
        ("KIT", "subassembly", "ea", {}),
        ("FRAME", "subassembly", "ea", {"planning": planning(14)}),
        ("BOLT", "component", "ea", {"planning": planning(
            7, lot_size_rule="fixed_order_quantity", lot_size_quantity="100")}),
        ("WHEEL", "component", "ea", {"tracking": "lot", "planning": planning(7)}),
        ("TUBE", "raw_material", "kg", {"precision": 2, "planning": planning(10)}),
    ]:  # fmt: skip
        plant.post(
            "/items",
            {"sku": sku, "description": sku.title(), "kind": kind, "unit_of_measure": uom} | extra,
        )
    since = day(-30)
    for parent, lines in [
        ("KIT", [{"component": "WHEEL", "quantity": "2"}, {"component": "BOLT", "quantity": "4"}]),
        ("FRAME", [{"component": "TUBE", "quantity": "2", "scrap_factor": "0.05"},
                   {"component": "BOLT", "quantity": "2"}]),
        ("BIKE", [{"component": "FRAME", "quantity": "1"}, {"component": "BOLT", "quantity": "4"},
                  {"component": "KIT", "quantity": "1", "phantom": True}]),
    ]:  # fmt: skip
        plant.post(
            "/boms", {"parent": parent, "version": "A", "effective_from": since, "lines": lines}
        )
    for sku, quantity, lot in [
        ("BIKE", "5", None), ("FRAME", "3", None), ("BOLT", "50", None), ("TUBE", "20", None),
        ("WHEEL", "10", "W1"), ("WHEEL", "20", "W2"),
    ]:  # fmt: skip
        plant.post(
            "/receipts",
            {"sku": sku, "location": "STORE", "quantity": quantity, "unit_cost": "2"}
            | ({"lot": lot} if lot else {}),
        )
    plant.post("/holds", {"hold_id": "QH-1", "sku": "WHEEL", "lot": "W2", "reason": "rim crack"})
    plant.post("/reservations", {"sku": "BOLT", "quantity": "10", "reference": "maintenance"})
    plant.post(
        "/purchase-orders",
        {"number": "PO-1", "supplier": "TUBECO",
         "lines": [{"line": 1, "sku": "TUBE", "quantity": "30", "due_date": day(10)}]},
    )  # fmt: skip
    plant.post("/purchase-orders/confirm", {"number": "PO-1"})
    for number, quantity, due in [("SO-1", "10", day(8)), ("SO-2", "12", day(22))]:
        plant.post(
            "/sales-orders",
            {"number": number, "customer": "SHOP",
             "lines": [{"line": 1, "sku": "BIKE", "quantity": quantity, "due_date": due}]},
        )  # fmt: skip
    plant.post("/sales-orders/allocate", {"number": "SO-1"})
    for number, item, quantity, due in [("WO-R", "FRAME", "2", 7), ("WO-C", "BIKE", "3", 14)]:
        plant.post(
            "/work-orders",
            {"number": number, "item": item, "quantity": quantity, "due_date": day(due),
             "output_location": "STORE", "supply_location": "LINE"},
        )  # fmt: skip
    plant.post("/work-orders/release", {"number": "WO-R"})


# (number, item, kind, quantity, release period, receipt period)
EXPECTED_ORDERS = [
    (1, "FRAME", "production", "2", -1, 1),
    (2, "TUBE", "purchase", "9.4", -1, 1),
    (3, "FRAME", "production", "1", 0, 2),
    (4, "BOLT", "purchase", "100", 0, 1),
    (5, "BIKE", "production", "5", 1, 2),
    (6, "FRAME", "production", "9", 1, 3),
    (7, "WHEEL", "purchase", "6", 1, 2),
    (8, "WHEEL", "purchase", "18", 2, 3),
    (9, "BOLT", "purchase", "100", 2, 3),
    (10, "BIKE", "production", "9", 3, 4),
]
# number -> [(kind, reference, quantity, needed on)]; #n is planned order n of the run
EXPECTED_PEGGING: dict[int, list[tuple[str, str, str, str | None]]] = {
    1: [("planned_order", "#5", "2", week(1))],
    2: [("planned_order", "#6", "9.4", week(1))],
    3: [("work_order", "WO-C", "1", week(2))],
    4: [
        ("planned_order", "#5", "10", week(1)),
        ("planned_order", "#6", "18", week(1)),
        ("work_order", "WO-C", "24", week(2)),
        ("planned_order", "#10", "48", week(3)),
    ],
    5: [("sales_order", "SO-1/1", "5", day(8))],
    6: [("planned_order", "#10", "9", week(3))],
    7: [("work_order", "WO-C", "6", week(2))],
    8: [("planned_order", "#10", "18", week(3))],
    9: [("planned_order", "#10", "24", week(3)), ("stock", "", "76", None)],
    10: [("sales_order", "SO-2/1", "9", day(22))],
}
# (exception, reference, item, scheduled, suggested)
EXPECTED_RESCHEDULES = [
    ("reschedule_in", "WO-C", "BIKE", day(14), week(2)),
    ("reschedule_in", "WO-R", "FRAME", day(7), week(1)),
    ("reschedule_in", "PO-1/1", "TUBE", day(10), week(1)),
]


def number(run_id: str, n: int) -> str:
    return f"{run_id}-{n:04d}"


def resolve(run_id: str, reference: str) -> str:
    return number(run_id, int(reference[1:])) if reference.startswith("#") else reference


def expected_orders(run_id: str) -> list[tuple[str, str, str, D, str, str, bool]]:
    return [
        (number(run_id, n), item, kind, D(q), week(release), week(receipt), release < 1)
        for n, item, kind, q, release, receipt in EXPECTED_ORDERS
    ]


def expected_pegging(run_id: str) -> dict[str, list[tuple[str, str, D, str | None]]]:
    return {
        number(run_id, n): [(k, resolve(run_id, r), D(q), on) for k, r, q, on in pegs]
        for n, pegs in EXPECTED_PEGGING.items()
    }


ORDER_FIELDS = "number item kind quantity releaseDate dueDate"
PEG_FIELDS = "pegging { kind reference quantity neededOn }"
EXCEPTION_FIELDS = "exception reference item scheduledDate suggestedDate quantity message"


def orders_of(rows: list[dict[str, Any]], *, past_due: bool | None = None) -> list[Any]:
    return [
        (r["number"], r["item"], r["kind"], D(r["quantity"]), r["releaseDate"], r["dueDate"])
        + ((r["pastDue"],) if past_due else ())
        for r in rows
    ]


def pegging_of(rows: list[dict[str, Any]]) -> dict[str, list[tuple[str, str, D, str | None]]]:
    return {
        r["number"]: [
            (p["kind"], p["reference"], D(p["quantity"]), p["neededOn"]) for p in r["pegging"]
        ]
        for r in rows
    }


def test_the_preview_plans_by_hand_and_saves_nothing(plant: Plant) -> None:
    before = plant.ledger.max_position()
    run = plant.query(
        f"""{{ mrpRun(bucketDays: 7, horizon: 6) {{
            startDate bucketDays horizon warnings
            plannedOrders {{ {ORDER_FIELDS} pastDue lowLevelCode releasePeriod receiptPeriod
                             messages {PEG_FIELDS} }}
            exceptions {{ {EXCEPTION_FIELDS} }}
            records(item: "BOLT") {{ period startDate grossRequirements scheduledReceipts
                                     projectedAvailable plannedOrderReceipts }} }} }}"""
    )["mrpRun"]
    assert plant.ledger.max_position() == before  # a preview saves nothing
    assert (run["startDate"], run["bucketDays"], run["horizon"]) == (T.isoformat(), 7, 6)
    assert run["warnings"] == []
    assert orders_of(run["plannedOrders"], past_due=True) == expected_orders("PREVIEW")
    assert pegging_of(run["plannedOrders"]) == expected_pegging("PREVIEW")
    # The phantom kit is driven through, never planned; the held lot never counts.
    assert "KIT" not in {o["item"] for o in run["plannedOrders"]}
    late = {o["number"]: o["messages"] for o in run["plannedOrders"] if o["pastDue"]}
    assert sorted(late) == [number("PREVIEW", n) for n in (1, 2, 3, 4)]
    assert all("now or expedite" in m[0] for m in late.values())
    by_kind = {(x["exception"], x["reference"]): x for x in run["exceptions"]}
    assert sorted(by_kind) == sorted(
        [("past_due_release", number("PREVIEW", n)) for n in (1, 2, 3, 4)]
        + [(e, r) for e, r, *_ in EXPECTED_RESCHEDULES]
    )
    for exception, reference, item, scheduled, suggested in EXPECTED_RESCHEDULES:
        found = by_kind[(exception, reference)]
        assert (found["item"], found["scheduledDate"], found["suggestedDate"]) == (
            item, scheduled, suggested,
        )  # fmt: skip
        assert f"reschedule {reference}" in found["message"]
    assert all(r["startDate"] == week(r["period"]) for r in run["records"])
    assert [
        (r["period"], D(r["grossRequirements"]), D(r["projectedAvailable"]),
         D(r["plannedOrderReceipts"]))
        for r in run["records"]
    ] == [
        (1, 68, 72, 100), (2, 24, 48, 0), (3, 72, 76, 100), (4, 0, 76, 0), (5, 0, 76, 0),
        (6, 0, 76, 0),
    ]  # fmt: skip


def test_the_preview_refuses_buckets_it_cannot_plan(plant: Plant) -> None:
    answer = plant.client.post("/graphql", json={"query": "{ mrpRun(bucketDays: 0) { horizon } }"})
    assert answer.status_code == 200
    errors = answer.json()["errors"]
    assert [e["message"] for e in errors] == ["bucketDays must be 1..366"]


def save_run(plant: Plant, run_id: str) -> dict[str, Any]:
    """Plan on the read models (as `mims plan mrp --from-ledger` does) and post the run
    through the command API."""
    assert plant.models is not None
    with plant.models.reader() as con:
        run = plan_from_read_models(con, MrpSettings(start=T, horizon=6), run_id)
    return plant.post("/planned-orders", run.command().model_dump(mode="json"))


def planned_orders(plant: Plant, status: str | None = "PROPOSED") -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = plant.query(
        f"""query($s: PlannedOrderStatus) {{ plannedOrders(status: $s) {{
            {ORDER_FIELDS} runId status orderKind orderNumber firmedQuantity firmedDueDate
            supersededBy messages {PEG_FIELDS} exceptions {{ {EXCEPTION_FIELDS} }} }} }}""",
        s=status,
    )["plannedOrders"]
    return found


def test_saved_firmed_superseded_and_refused(plant: Plant) -> None:
    answer = plant.client.post(
        "/admin/planning/mrp", json={"horizon": 6, "run_id": "MRP-A"}
    )  # the server plans on its own read models and saves the run
    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert summary["saved"]["proposed"] == "10"
    assert summary["saved"]["superseded"] == "0"
    plant.position = summary["saved"]["position"]

    rows = planned_orders(plant)
    assert sorted(orders_of(rows)) == sorted(o[:-1] for o in expected_orders("MRP-A"))
    assert pegging_of(rows) == expected_pegging("MRP-A")
    assert {r["status"] for r in rows} == {"PROPOSED"}
    late = {r["number"]: r["exceptions"] for r in rows if r["exceptions"]}
    assert sorted(late) == [number("MRP-A", n) for n in (1, 2, 3, 4)]
    assert all(x[0]["exception"] == "past_due_release" for x in late.values())
    runs = plant.query(
        "{ planningRuns { runId plannedOrders superseded startDate bucketDays horizon"
        "  exceptions { exception reference } } }"
    )["planningRuns"]
    assert [(r["runId"], r["plannedOrders"], r["superseded"]) for r in runs] == [("MRP-A", 10, 0)]
    assert sorted(
        (x["exception"], x["reference"]) for x in runs[0]["exceptions"]
        if x["exception"] != "past_due_release"
    ) == sorted((e, r) for e, r, *_ in EXPECTED_RESCHEDULES)  # fmt: skip

    # Firm the wheels (#7) into a confirmed purchase order, the bikes (#5) into a work
    # order of 6 instead of 5, a week later than planned.
    wheels, bikes = number("MRP-A", 7), number("MRP-A", 5)
    plant.post(
        "/planned-orders/firm",
        {"number": wheels, "order_number": "PO-P1", "supplier": "RIMS", "unit_price": "4.5",
         "confirm": True},
    )  # fmt: skip
    plant.post(
        "/planned-orders/firm",
        {"number": bikes, "order_number": "WO-P1", "quantity": "6", "due_date": day(7),
         "output_location": "STORE", "supply_location": "LINE"},
    )  # fmt: skip
    firmed = {r["number"]: r for r in planned_orders(plant, "FIRMED")}
    assert {n: (r["orderKind"], r["orderNumber"]) for n, r in firmed.items()} == {
        wheels: ("purchase_order", "PO-P1"),
        bikes: ("work_order", "WO-P1"),
    }
    assert (D(firmed[bikes]["firmedQuantity"]), firmed[bikes]["firmedDueDate"]) == (6, day(7))
    supply = plant.query("{ openSupply { kind reference item quantity dueDate } }")["openSupply"]
    assert ("purchase_order", "PO-P1", "WHEEL", D(6), week(2)) in [
        (s["kind"], s["reference"], s["item"], D(s["quantity"]), s["dueDate"]) for s in supply
    ]
    assert ("work_order", "WO-P1", "BIKE", D(6), day(7)) in [
        (s["kind"], s["reference"], s["item"], D(s["quantity"]), s["dueDate"]) for s in supply
    ]
    order = plant.query('{ workOrder(number: "WO-P1") { item quantity status } }')["workOrder"]
    assert order == {"item": "BIKE", "quantity": "6", "status": "created"}

    # Firming twice, an unknown proposal, a purchase without its supplier: refused,
    # nothing saved.
    problem = plant.refused(
        "/planned-orders/firm",
        {"number": wheels, "order_number": "PO-P2", "supplier": "RIMS"},
        409,
        "planned-order-firmed",
    )
    assert problem["order_number"] == "PO-P1"
    plant.refused(
        "/planned-orders/firm",
        {"number": "MRP-Z-0001", "order_number": "PO-P2", "supplier": "RIMS"},
        404,
        "unknown-planned-order",
    )
    problem = plant.refused(
        "/planned-orders/firm",
        {"number": number("MRP-A", 8), "order_number": "PO-P2"},
        422,
        "firming-incomplete",
    )
    assert problem["field"] == "supplier"
    plant.refused(
        "/planned-orders/firm",
        {"number": number("MRP-A", 6), "order_number": "WO-R", "output_location": "STORE",
         "supply_location": "LINE"},
        409,
        "already-exists",
    )  # fmt: skip
    plant.refused(
        "/planned-orders",
        save_body(plant, "MRP-A"),
        409,
        "already-exists",
    )

    # A second run sees the firmed orders as supply and supersedes the unfirmed rest.
    second = save_run(plant, "MRP-B")
    assert second["data"] == {"run_id": "MRP-B", "proposed": second["data"]["proposed"],
                              "superseded": "8"}  # fmt: skip
    superseded = planned_orders(plant, "SUPERSEDED")
    assert len(superseded) == 8
    assert {r["supersededBy"] for r in superseded} == {"MRP-B"}
    assert {r["number"] for r in planned_orders(plant, "FIRMED")} == {wheels, bikes}
    current = planned_orders(plant)
    assert {r["runId"] for r in current} == {"MRP-B"}
    # BIKE: 5 on hand + WO-P1 6 (p2) + WO-C 3 (p3) against 10 (p2) and 12 (p4): 8 in p4.
    assert [(r["quantity"], r["releaseDate"], r["dueDate"]) for r in current
            if r["item"] == "BIKE"] == [("8", week(3), week(4))]  # fmt: skip
    # WO-P1 is a created order now: its 12 wheels are required at its start (p1); on
    # hand covers 10, a planned order the other 2.
    wheel_pegs = [p for r in current if r["item"] == "WHEEL" for p in r["pegging"]]
    assert {"kind": "work_order", "reference": "WO-P1", "quantity": "2", "neededOn": week(1)} in (
        wheel_pegs
    )
    plant.refused(
        "/planned-orders/firm",
        {"number": number("MRP-A", 8), "order_number": "PO-P3", "supplier": "RIMS"},
        409,
        "planned-order-superseded",
    )


def save_body(plant: Plant, run_id: str) -> dict[str, Any]:
    with plant.models.reader() as con:
        run = plan_from_read_models(con, MrpSettings(start=T, horizon=6), run_id)
    body: dict[str, Any] = run.command().model_dump(mode="json")
    return body


def test_the_adapter_counts_only_usable_unreserved_stock(plant: Plant) -> None:
    """The inputs as read: held and reserved-for-orders stock as documented."""
    from planning.ledger_inputs import read_inputs

    plant.query("{ items { sku } }")  # read models caught up
    with plant.models.reader() as con:
        inputs = read_inputs(con, MrpSettings(start=T, horizon=6))
    stock = {
        r["item"]: (r["on_hand"], r["allocated"], r["kind"], r["lead_time"])
        for r in inputs.items.iter_rows(named=True)
    }
    assert stock == {
        "BIKE": (5.0, 0.0, "production", 1),  # allocated to SO-1: its demand is the line
        "BOLT": (50.0, 10.0, "purchase", 1),  # reserved by hand: netted
        "FRAME": (3.0, 0.0, "production", 2),
        "KIT": (0.0, 0.0, "production", 0),
        "TUBE": (20.0, 0.0, "purchase", 2),  # WO-R's reservation: its demand is open
        "WHEEL": (10.0, 0.0, "purchase", 1),  # lot W2 is held
    }
    assert sorted(inputs.bom.iter_rows()) == [
        ("BIKE", "BOLT", 8.0), ("BIKE", "FRAME", 1.0), ("BIKE", "WHEEL", 2.0),
        ("FRAME", "BOLT", 2.0), ("FRAME", "TUBE", 2.1),
        ("KIT", "BOLT", 4.0), ("KIT", "WHEEL", 2.0),
    ]  # fmt: skip
    assert sorted(inputs.demand.select("item", "period", "quantity", "source").iter_rows()) == [
        ("BIKE", 2, 10.0, "sales_order:SO-1/1"),
        ("BIKE", 4, 12.0, "sales_order:SO-2/1"),
        ("BOLT", 0, 4.0, "work_order:WO-R"),
        ("BOLT", 2, 24.0, "work_order:WO-C"),
        ("FRAME", 2, 3.0, "work_order:WO-C"),
        ("TUBE", 0, 4.2, "work_order:WO-R"),
        ("WHEEL", 2, 6.0, "work_order:WO-C"),
    ]
    assert sorted(inputs.receipts.select("item", "period", "quantity", "order").iter_rows()) == [
        ("BIKE", 3, 3.0, "work_order:WO-C"),
        ("FRAME", 2, 2.0, "work_order:WO-R"),
        ("TUBE", 2, 30.0, "purchase_order:PO-1/1"),
    ]
