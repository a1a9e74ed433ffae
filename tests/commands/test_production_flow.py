"""A plant's week over real HTTP: buy, receive, make a sub-assembly with scrap, make the
finished good from it, ship it; and the refusals along the way. Costs are checked against
the layers the events say were consumed, and the WIP, open supply and demand, BOM
explosion and where-used answers against what was posted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from projections import frames
from tests.support.http_plant import HttpPlant, served_plant

D = Decimal
TODAY = datetime.now(UTC).date()
SINCE = (TODAY - timedelta(days=30)).isoformat()
DUE = (TODAY + timedelta(days=7)).isoformat()


class Plant(HttpPlant):
    """The HTTP plant, with the work-order questions this test asks."""

    def work_order(self, number: str) -> dict[str, Any]:
        found: dict[str, Any] = self.query(
            """query($n: String!) { workOrder(number: $n) {
                number status bomVersion routingVersion quantity received
                materialValue conversionValue receivedValue wipValue actualCost standardCost
                materialPriceVariance materialUsageVariance efficiencyVariance yieldVariance
                operations { seq workCenter started good scrap remaining wipValue }
                requirements { component required issued issuedValue backflush }
                lots { direction item lot quantity value } } }""",
            n=number,
        )["workOrder"]
        return found

    def on_hand(self, sku: str) -> tuple[Decimal, Decimal]:
        found = self.query(
            "query($s: String) { stockOnHand(filter: {item: $s}) { totalQuantity totalValue } }",
            s=sku,
        )["stockOnHand"]
        return D(found["totalQuantity"]), D(found["totalValue"])

    def open_lines(self, which: str, sku: str) -> list[tuple[str, str, Decimal]]:
        rows = self.query(
            f"query($s: String) {{ {which}(item: $s) {{ kind reference quantity }} }}", s=sku
        )[which]
        return sorted((r["kind"], r["reference"], D(r["quantity"])) for r in rows)


@pytest.fixture
def plant(tmp_path: Path) -> Iterator[Plant]:
    with served_plant(tmp_path, "e2e", Plant) as shop:
        for body in [
            {"code": "P", "level": "site"},
            {"code": "W", "level": "warehouse", "parent": "P"},
            {"code": "RECV", "level": "zone", "kind": "receiving", "parent": "W"},
            {"code": "STORE", "level": "zone", "parent": "W"},
            {"code": "FG", "level": "zone", "parent": "W"},
        ]:
            shop.post("/locations", body)
        for sku, kind, uom, extra in [
            ("STEEL", "raw_material", "kg", {"precision": 2}),
            ("PAINT", "raw_material", "l", {"precision": 3, "costing_method": "moving_average"}),
            ("BOLT", "component", "ea", {"costing_method": "standard", "standard_cost": "0.10"}),
            ("FRAME", "subassembly", "ea", {"tracking": "lot"}),
            ("BIKE", "finished_good", "ea", {"tracking": "lot"}),
        ]:
            shop.post(
                "/items",
                {"sku": sku, "description": sku.title(), "kind": kind, "unit_of_measure": uom}
                | extra,
            )
        shop.post("/work-centers", {"code": "WELD", "labour_rate": "30", "machine_rate": "20"})
        shop.post("/work-centers", {"code": "PAINTSHOP", "labour_rate": "20", "machine_rate": "10"})
        shop.post("/work-centers", {"code": "ASSY", "labour_rate": "25"})
        yield shop


def bom(parent: str, *lines: dict[str, Any], version: str = "A") -> dict[str, Any]:
    return {"parent": parent, "version": version, "effective_from": SINCE, "lines": list(lines)}


def routing(item: str, *operations: dict[str, Any]) -> dict[str, Any]:
    return {"item": item, "version": "A", "effective_from": SINCE, "operations": list(operations)}


def test_buy_make_and_ship_with_costs_from_the_layers_consumed(plant: Plant) -> None:
    # Engineering: a frame is welded and painted; a bike is a frame and six bolts.
    plant.post(
        "/boms",
        bom(
            "FRAME",
            {"component": "STEEL", "quantity": "2", "scrap_factor": "0.05"},
            {"component": "PAINT", "quantity": "0.25", "backflush": "operation", "operation": 20},
        ),
    )
    plant.post(
        "/routings",
        routing(
            "FRAME",
            {"seq": 10, "work_center": "WELD", "setup_hours": "1", "run_hours_per_unit": "0.5"},
            {"seq": 20, "work_center": "PAINTSHOP", "run_hours_per_unit": "0.2"},
        ),
    )
    plant.post(
        "/boms",
        bom(
            "BIKE",
            {"component": "FRAME", "quantity": "1", "backflush": "completion"},
            {"component": "BOLT", "quantity": "6", "backflush": "completion"},
        ),
    )
    plant.post(
        "/routings",
        routing("BIKE", {"seq": 10, "work_center": "ASSY", "run_hours_per_unit": "0.25"}),
    )

    # Buy: two steel deliveries at different prices, paint, bolts.
    plant.post(
        "/purchase-orders",
        {
            "number": "PO-1",
            "supplier": "ACME STEEL",
            "lines": [
                {"line": 1, "sku": "STEEL", "quantity": "30", "due_date": DUE, "unit_price": "3"},
                {"line": 2, "sku": "PAINT", "quantity": "4", "due_date": DUE, "unit_price": "8"},
                {
                    "line": 3,
                    "sku": "BOLT",
                    "quantity": "100",
                    "due_date": DUE,
                    "unit_price": "0.12",
                },
            ],
        },
    )
    plant.post("/purchase-orders/confirm", {"number": "PO-1"})
    assert plant.open_lines("openSupply", "STEEL") == [("purchase_order", "PO-1", 30)]
    plant.post(
        "/purchase-orders/receive",
        {"number": "PO-1", "location": "RECV", "lines": [{"line": 1, "quantity": "12"}]},
    )
    assert plant.open_lines("openSupply", "STEEL") == [("purchase_order", "PO-1", 18)]
    # The second delivery costs more (a price change on the line is a new PO here).
    plant.post(
        "/purchase-orders/receive",
        {
            "number": "PO-1",
            "location": "RECV",
            "lines": [{"line": 2, "quantity": "4"}, {"line": 3, "quantity": "100"}],
        },
    )
    plant.post(
        "/purchase-orders",
        {
            "number": "PO-2",
            "supplier": "ACME STEEL",
            "lines": [
                {"line": 1, "sku": "STEEL", "quantity": "20", "due_date": DUE, "unit_price": "3.5"}
            ],
        },
    )
    plant.post("/purchase-orders/confirm", {"number": "PO-2"})
    plant.post(
        "/purchase-orders/receive",
        {"number": "PO-2", "location": "RECV", "lines": [{"line": 1, "quantity": "20"}]},
    )
    for sku, quantity in [("STEEL", "32"), ("PAINT", "4"), ("BOLT", "100")]:
        plant.post(
            "/moves",
            {"sku": sku, "from_location": "RECV", "to_location": "STORE", "quantity": quantity},
        )

    # Make ten frames: release reserves what the BOM needs, scrap allowance included.
    plant.post(
        "/work-orders",
        {
            "number": "WO-F1", "item": "FRAME", "quantity": "10", "due_date": DUE,
            "output_location": "STORE", "supply_location": "STORE",
        },
    )  # fmt: skip
    plant.post("/work-orders/release", {"number": "WO-F1"})
    frame = plant.work_order("WO-F1")
    assert (frame["status"], frame["bomVersion"], frame["routingVersion"]) == ("released", "A", "A")
    assert {r["component"]: D(r["required"]) for r in frame["requirements"]} == {
        "STEEL": 21,
        "PAINT": D("2.5"),
    }
    assert plant.open_lines("openDemand", "STEEL") == [("work_order", "WO-F1", 21)]
    assert plant.open_lines("openSupply", "FRAME") == [("work_order", "WO-F1", 10)]

    # Pick list: 21 kg of steel, 12 from the first delivery at 3 and 9 from the second at 3.5.
    plant.post(
        "/work-orders/issue",
        {"number": "WO-F1", "component": "STEEL", "location": "STORE", "quantity": "21"},
    )
    steel_value = 12 * D(3) + 9 * D("3.5")
    frame = plant.work_order("WO-F1")
    assert D(frame["materialValue"]) == steel_value
    assert D(frame["wipValue"]) == steel_value
    assert plant.open_lines("openDemand", "STEEL") == []

    plant.post(
        "/work-orders/report",
        {
            "number": "WO-F1",
            "operation": 10,
            "good": "10",
            "labour_hours": "6",
            "machine_hours": "6",
        },
    )
    welded = steel_value + 6 * D(30 + 20)
    frame = plant.work_order("WO-F1")
    assert D(frame["wipValue"]) == welded
    ops = {o["seq"]: o for o in frame["operations"]}
    assert (D(ops[10]["good"]), D(ops[10]["remaining"])) == (10, 0)
    assert (D(ops[20]["started"]), D(ops[20]["remaining"])) == (10, 10)
    wip = plant.query("{ wipByWorkCenter { workCenter workOrders wipValue } }")["wipByWorkCenter"]
    assert sum(D(w["wipValue"]) for w in wip) == welded

    # Painting: nine good, one scrapped; paint is backflushed for all ten started.
    plant.post(
        "/work-orders/report",
        {
            "number": "WO-F1", "operation": 20, "good": "9", "scrap": "1",
            "labour_hours": "2", "machine_hours": "2",
        },
    )  # fmt: skip
    plant.refused(
        "/work-orders/report",
        {"number": "WO-F1", "operation": 20, "good": "1"},
        409,
        "over-reported",
    )
    paint_value = D("2.5") * 8
    frame = plant.work_order("WO-F1")
    assert D(frame["materialValue"]) == steel_value + paint_value
    assert D(frame["conversionValue"]) == 6 * 50 + 2 * 30
    plant.post("/work-orders/receive", {"number": "WO-F1", "quantity": "9", "lot": "F-1"})
    frame = plant.work_order("WO-F1")
    frame_cost = steel_value + paint_value + 6 * 50 + 2 * 30  # the scrapped one included
    assert D(frame["receivedValue"]) == frame_cost
    assert D(frame["wipValue"]) == 0
    assert plant.on_hand("FRAME") == (9, frame_cost)
    plant.post("/work-orders/close", {"number": "WO-F1"})
    closed = plant.work_order("WO-F1")
    assert closed["status"] == "closed"
    variances = sum(
        D(closed[v])
        for v in [
            "materialPriceVariance", "materialUsageVariance", "efficiencyVariance", "yieldVariance",
        ]
    )  # fmt: skip
    assert D(closed["actualCost"]) == frame_cost
    assert D(closed["actualCost"]) - D(closed["standardCost"]) == variances
    # A FIFO item's standard is its average cost at release: 32 kg worth 106.
    assert D(closed["materialPriceVariance"]) == steel_value - 21 * D(106) / 32
    assert D(closed["yieldVariance"]) > 0  # one frame short spread the setup over nine

    # Make nine bikes in one command: backflush the frames and bolts, receive the bikes.
    plant.post(
        "/work-orders",
        {
            "number": "WO-B1", "item": "BIKE", "quantity": "9", "due_date": DUE,
            "output_location": "FG", "supply_location": "STORE",
        },
    )  # fmt: skip
    plant.post("/work-orders/release", {"number": "WO-B1"})
    assert plant.open_lines("openDemand", "FRAME") == [("work_order", "WO-B1", 9)]
    plant.post("/work-orders/complete", {"number": "WO-B1", "lot": "B-1"})
    bike = plant.work_order("WO-B1")
    bolts_value = 54 * D("0.10")  # standard cost
    conversion = 9 * D("0.25") * 25
    consumed = {(m["item"], m["lot"]): D(m["value"]) for m in bike["lots"] if m["direction"] == "consumed"}  # fmt: skip
    assert consumed == {("FRAME", "F-1"): frame_cost, ("BOLT", None): bolts_value}
    produced = [(m["item"], m["lot"], D(m["quantity"])) for m in bike["lots"] if m["direction"] == "produced"]  # fmt: skip
    assert produced == [("BIKE", "B-1", 9)]
    bike_cost = frame_cost + bolts_value + conversion
    assert D(bike["receivedValue"]) == bike_cost
    assert plant.on_hand("BIKE") == (9, bike_cost)
    assert plant.on_hand("FRAME") == (0, 0)
    plant.post("/work-orders/close", {"number": "WO-B1"})
    bike = plant.work_order("WO-B1")
    variances = sum(
        D(bike[v])
        for v in [
            "materialPriceVariance", "materialUsageVariance", "efficiencyVariance", "yieldVariance",
        ]
    )  # fmt: skip
    assert D(bike["actualCost"]) - D(bike["standardCost"]) == variances

    # Sell five: allocate, pick, ship; the shipment carries the bikes' cost.
    plant.post(
        "/sales-orders",
        {
            "number": "SO-1",
            "customer": "CYCLES INC",
            "lines": [{"line": 1, "sku": "BIKE", "quantity": "5", "due_date": DUE}],
        },
    )
    assert plant.open_lines("openDemand", "BIKE") == [("sales_order", "SO-1", 5)]
    plant.post("/sales-orders/allocate", {"number": "SO-1"})
    allocations = plant.query('{ allocations(number: "SO-1") { item lot quantity } }')
    assert allocations["allocations"] == [{"item": "BIKE", "lot": "B-1", "quantity": "5"}]
    plant.post("/sales-orders/pick", {"number": "SO-1", "line": 1, "quantity": "5"})
    plant.post(
        "/sales-orders/ship",
        {"number": "SO-1", "shipment": "SH-1", "lines": [{"line": 1, "quantity": "5"}]},
    )
    shipped = plant.query('{ shipments(number: "SO-1") { lot quantity value } }')["shipments"]
    [(lot, quantity, shipped_value)] = [
        (s["lot"], D(s["quantity"]), D(s["value"])) for s in shipped
    ]
    assert (lot, quantity) == ("B-1", 5)
    # The layer's unit cost is kept to 6 places; the value left on hand takes the remainder.
    assert abs(shipped_value - bike_cost * 5 / 9) <= 5 * D("0.000001")
    assert plant.open_lines("openDemand", "BIKE") == []
    assert plant.on_hand("BIKE") == (4, bike_cost - shipped_value)  # no value lost to rounding

    # Nothing left open but the rest of PO-1's steel.
    assert plant.query("{ openSupply { reference quantity } }")["openSupply"] == [
        {"reference": "PO-1", "quantity": "18"}
    ]


def test_refusals_are_problem_details_and_save_nothing(plant: Plant) -> None:
    plant.post("/boms", bom("FRAME", {"component": "STEEL", "quantity": "2"}))
    plant.post("/boms", bom("BIKE", {"component": "FRAME", "quantity": "1"}))
    cycle = plant.refused(
        "/boms", bom("STEEL", {"component": "BIKE", "quantity": "1"}), 422, "bom-cycle"
    )
    assert cycle["cycle"] == ["STEEL", "BIKE", "FRAME", "STEEL"]

    plant.post(
        "/work-orders",
        {
            "number": "WO-P", "item": "PAINT", "quantity": "5", "due_date": DUE,
            "output_location": "STORE", "supply_location": "STORE",
        },
    )  # fmt: skip
    plant.refused("/work-orders/release", {"number": "WO-P"}, 409, "no-effective-version")

    plant.post(
        "/work-orders",
        {
            "number": "WO-F", "item": "FRAME", "quantity": "5", "due_date": DUE,
            "output_location": "STORE", "supply_location": "STORE",
        },
    )  # fmt: skip
    plant.post("/routings", routing("FRAME", {"seq": 10, "work_center": "WELD"}))
    plant.refused(
        "/work-orders/report",
        {"number": "WO-F", "operation": 10, "good": "1"},
        409,
        "work-order-state",
    )  # not released yet
    plant.post("/work-orders/release", {"number": "WO-F"})
    plant.refused(
        "/work-orders/report",
        {"number": "WO-F", "operation": 10, "good": "6"},
        409,
        "over-reported",
    )
    plant.refused(
        "/work-orders/issue",
        {"number": "WO-F", "component": "BOLT", "location": "STORE", "quantity": "1"},
        422,
        "not-in-work-order",
    )
    plant.refused(
        "/work-orders/issue",
        {"number": "WO-F", "component": "STEEL", "location": "STORE", "quantity": "1"},
        409,
        "insufficient-stock",
    )
    plant.refused("/work-orders/release", {"number": "WO-NONE"}, 404, "unknown-work-order")

    plant.post(
        "/purchase-orders",
        {
            "number": "PO-9",
            "supplier": "ACME",
            "lines": [{"line": 1, "sku": "STEEL", "quantity": "10", "due_date": DUE}],
        },
    )
    plant.post("/purchase-orders/confirm", {"number": "PO-9"})
    receipt = {"number": "PO-9", "location": "RECV", "lines": [{"line": 1, "quantity": "10"}]}
    over = {"number": "PO-9", "location": "RECV", "lines": [{"line": 1, "quantity": "10.51"}]}
    plant.refused("/purchase-orders/receive", over, 409, "over-receipt")
    plant.post("/purchase-orders/close", {"number": "PO-9"})
    plant.refused("/purchase-orders/receive", receipt, 409, "order-state")
    plant.refused(
        "/purchase-orders/receive",
        {"number": "PO-9", "location": "RECV", "lines": [{"line": 1, "quantity": "-1"}]},
        422,
        "validation-error",
    )


def test_explosion_totals_a_shared_component_over_every_path(plant: Plant) -> None:
    """ERPNext once totalled 33 where 18 was right for a component shared by several
    parents. Here BOLT sits on four paths; each is counted once, scaled by its quantities."""
    for sku in ["SEAT", "FORK"]:
        plant.post(
            "/items",
            {"sku": sku, "description": sku, "kind": "subassembly", "unit_of_measure": "ea"},
        )
    plant.post("/boms", bom("SEAT", {"component": "BOLT", "quantity": "1"}))
    plant.post(
        "/boms",
        bom(
            "FRAME",
            {"component": "BOLT", "quantity": "3"},
            {"component": "SEAT", "quantity": "1"},
            {"component": "STEEL", "quantity": "2"},
        ),
    )
    plant.post(
        "/boms",
        bom(
            "FORK", {"component": "BOLT", "quantity": "4"}, {"component": "STEEL", "quantity": "1"}
        ),
    )
    plant.post(
        "/boms",
        bom(
            "BIKE",
            {"component": "FRAME", "quantity": "2"},
            {"component": "FORK", "quantity": "1"},
            {"component": "BOLT", "quantity": "2"},
        ),
    )
    found = plant.query(
        """{ bomExplosion(item: "BIKE", quantity: 1) { totals { component quantity }
             lines { level path quantity } } }"""
    )["bomExplosion"]
    totals = {t["component"]: D(t["quantity"]) for t in found["totals"]}
    # BOLT: 2 direct + 2 frames x (3 + 1 seat x 1) + 1 fork x 4 = 14
    assert totals == {"FRAME": 2, "FORK": 1, "BOLT": 14, "SEAT": 2, "STEEL": 5}
    assert max(line["level"] for line in found["lines"]) == 3
    used = plant.query('{ whereUsed(item: "BOLT") { level parent path } }')["whereUsed"]
    assert {(u["level"], u["parent"]) for u in used} == {
        (1, "SEAT"), (1, "FRAME"), (1, "FORK"), (1, "BIKE"),
        (2, "FRAME"), (2, "BIKE"), (3, "BIKE"),
    }  # fmt: skip


def test_planning_reads_the_same_open_supply_and_demand_as_frames(plant: Plant) -> None:
    plant.post(
        "/boms",
        bom("FRAME", {"component": "STEEL", "quantity": "2", "scrap_factor": "0.05"},
            {"component": "PAINT", "quantity": "1", "by_product": True}),
    )  # fmt: skip
    plant.post(
        "/purchase-orders",
        {
            "number": "PO-7",
            "supplier": "ACME",
            "lines": [{"line": 1, "sku": "STEEL", "quantity": "40", "due_date": DUE}],
        },
    )
    plant.post("/purchase-orders/confirm", {"number": "PO-7"})
    plant.post(
        "/purchase-orders/receive",
        {"number": "PO-7", "location": "STORE", "lines": [{"line": 1, "quantity": "25"}]},
    )
    plant.post(
        "/status-changes",
        {
            "sku": "STEEL", "location": "STORE", "quantity": "5", "from_status": "available",
            "to_status": "held", "reason": "supplier complaint",
        },
    )  # fmt: skip
    plant.post(
        "/work-orders",
        {
            "number": "WO-7", "item": "FRAME", "quantity": "4", "due_date": DUE,
            "output_location": "STORE", "supply_location": "STORE",
        },
    )  # fmt: skip
    plant.post("/work-orders/release", {"number": "WO-7"})
    plant.post(
        "/sales-orders",
        {
            "number": "SO-7",
            "customer": "X",
            "lines": [{"line": 1, "sku": "STEEL", "quantity": "3", "due_date": DUE}],
        },
    )
    plant.post("/sales-orders/allocate", {"number": "SO-7"})
    plant.query("{ projectionStatus { name } }")  # waits for the last write

    with plant.models.reader() as con:
        supply = frames.open_supply(con)
        demand = frames.open_demand(con)
        stock = frames.on_hand(con).filter(pl.col("item") == "STEEL")
        bill = frames.bom(con, TODAY)
        items = frames.items(con)
        allocated = frames.allocations(con)
    assert sorted(supply.select("reference", "item", "quantity").rows()) == [
        ("PO-7", "STEEL", 15.0), ("WO-7", "FRAME", 4.0),
    ]  # fmt: skip
    assert sorted(demand.select("kind", "reference", "item", "quantity").rows()) == [
        ("sales_order", "SO-7", "STEEL", 3.0), ("work_order", "WO-7", "STEEL", 8.4),
    ]  # fmt: skip
    gql = plant.query("{ openDemand { reference quantity } }")["openDemand"]
    assert sorted((d["reference"], float(d["quantity"])) for d in gql) == sorted(
        demand.select("reference", "quantity").rows()
    )
    # 25 received, 5 held: 20 usable, of which 8.4 for the work order and 3 for the order.
    assert stock.select("on_hand", "allocated").rows() == [(20.0, 11.4)]
    assert bill.select("parent", "component", "quantity_per").rows() == [("FRAME", "STEEL", 2.1)]
    assert set(items["item"]) == {"STEEL", "PAINT", "BOLT", "FRAME", "BIKE"}
    assert allocated.select("number", "item", "quantity").rows() == [("SO-7", "STEEL", 3.0)]
