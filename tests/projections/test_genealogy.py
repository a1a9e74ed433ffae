"""Lot genealogy and the recall simulation against the ledger itself: traces equal a naive
graph walk over the stored events, and every lot's mass balance, term by term, equals a
fold of the events (order events for what was produced, consumed and shipped, the stock
card's for the rest) and closes at zero, under random plant flows."""

from __future__ import annotations

import tempfile
import time
from collections import Counter, deque
from collections.abc import Iterator
from decimal import Decimal
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.orders.aggregates import SalesOrder
from ledger.production.commands import (
    CreateWorkOrder,
    IssueToWorkOrder,
    ReceiveWorkOrderOutput,
    ReleaseWorkOrder,
)
from ledger.production.work_order import WorkOrder
from ledger.stock.card import Stock
from ledger.store import store_env
from ledger.values import IssueTarget
from ledger.writer import Ledger, WriterSettings
from projections import quality_trace as g
from projections.engine.runner import ProjectionRunner
from projections.engine.view import ReadModels
from projections.quality import FLOWS
from tests.support.genealogy import LEVELS, OPS, TODAY, Shop, play, stored_events, ten_levels

D = Decimal
Lot = tuple[str, str]


# --- the oracle: the ledger's events, folded in plain Python ------------------------------


def genealogy_of(events: list[Any]) -> dict[Lot, set[Lot]]:
    """Parent lot -> child lots: output lots from what their order had consumed, new lots
    from the lots split or merged into them."""
    sku = {e.originator_id: e.sku for e in events if isinstance(e, Stock.Opened)}
    children: dict[Lot, set[Lot]] = {}
    for e in events:
        pairs: list[tuple[Lot, Lot]] = []
        if isinstance(e, WorkOrder.OutputReceived) and e.lot:
            pairs = [((u.component, u.lot), (e.item, e.lot)) for u in e.consumed_lots if u.lot]
        elif isinstance(e, Stock.LotSplit):
            s = sku[e.originator_id]
            pairs = [((s, e.from_lot), (s, e.to_lot))]
        elif isinstance(e, Stock.LotsMerged):
            s = sku[e.originator_id]
            pairs = [((s, p.lot), (s, e.to_lot)) for p in e.parts]
        for parent, child in pairs:
            children.setdefault(parent, set()).add(child)
    return children


def walk(edges: dict[Lot, set[Lot]], starts: list[Lot]) -> dict[Lot, int]:
    """Breadth first: every lot reachable, at its shortest distance."""
    level = dict.fromkeys(starts, 0)
    queue = deque(starts)
    while queue:
        at = queue.popleft()
        for nxt in sorted(edges.get(at, ())):
            if nxt not in level:
                level[nxt] = level[at] + 1
                queue.append(nxt)
    return level


def reversed_edges(edges: dict[Lot, set[Lot]]) -> dict[Lot, set[Lot]]:
    parents: dict[Lot, set[Lot]] = {}
    for parent, children in edges.items():
        for child in children:
            parents.setdefault(child, set()).add(parent)
    return parents


def flows_of(events: list[Any]) -> dict[Lot, Counter[str]]:
    """Each lot's flows from the events that say them first hand: receipts from
    suppliers, the work orders' issues, returns and outputs, the sales orders' shipments
    and returns, the stock card's splits, merges, dispositions, adjustments and counts."""
    sku = {e.originator_id: e.sku for e in events if isinstance(e, Stock.Opened)}
    flows: dict[Lot, Counter[str]] = {}

    def add(item: str, lot: str, term: str, quantity: Decimal) -> None:
        if lot:
            flows.setdefault((item, lot), Counter())[term] += quantity

    for e in events:
        s = sku.get(e.originator_id, "")
        if isinstance(e, Stock.Received) and e.supplier is not None:
            add(s, e.lot, "received", e.quantity)
        elif isinstance(e, Stock.Issued) and e.target_kind is IssueTarget.SUPPLIER:
            add(s, e.lot, "returned", e.quantity)
        elif isinstance(e, Stock.Issued) and e.target_kind is IssueTarget.COST_CENTER:
            add(s, e.lot, "consumed", e.quantity)
        elif isinstance(e, Stock.Adjusted | Stock.Counted):
            add(s, e.lot, "adjusted", -e.quantity_delta)
        elif isinstance(e, Stock.LotSplit):
            add(s, e.from_lot, "split_out", e.quantity)
            add(s, e.to_lot, "split_in", e.quantity)
        elif isinstance(e, Stock.LotsMerged):
            for p in e.parts:
                add(s, p.lot, "merged_out", p.quantity)
                add(s, e.to_lot, "merged_in", p.quantity)
        elif isinstance(e, Stock.Scrapped):
            add(s, e.lot, "scrapped", e.quantity)
        elif isinstance(e, Stock.Disposed) and e.disposition != "rework":
            add(s, e.lot, "scrapped" if e.disposition == "scrap" else "returned", e.quantity)
        elif isinstance(e, WorkOrder.MaterialIssued):
            if e.quantity > 0:  # a rework order's material is its disposed lot
                add(e.component, e.lot, "consumed", e.quantity)
            else:  # a by-product
                add(e.component, e.lot, "produced", -e.quantity)
        elif isinstance(e, WorkOrder.MaterialReturned):
            add(e.component, e.lot, "consumed", -e.quantity)
        elif isinstance(e, WorkOrder.OutputReceived):
            add(e.item, e.lot, "produced", e.quantity)
        elif isinstance(e, SalesOrder.Shipped):
            add(e.sku, e.lot, "shipped", e.quantity)
        elif isinstance(e, SalesOrder.Returned):
            add(e.sku, e.lot, "shipped", -e.quantity)
    return flows


def on_hand_of(ledger: Ledger, items: list[str]) -> Counter[Lot]:
    """What the stock cards (the aggregates) hold of each lot."""
    found: Counter[Lot] = Counter()
    for sku in items:
        stock = ledger.stock(sku)
        assert stock is not None
        for (_, lot, _), quantity in stock.balances.items():
            if lot:
                found[sku, lot] += quantity
    return found


def read_models_of(ledger: Ledger, page_size: int = 1_000) -> ReadModels:
    models = ReadModels(None)
    ProjectionRunner(ledger.app.recorder, models, page_size=page_size).catch_up()
    return models


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    with tempfile.TemporaryDirectory() as folder:
        led = Ledger(store_env(f"sqlite:///{folder}/events.db"), WriterSettings(batch_wait=0))
        yield led
        led.close()


def test_ten_levels_with_diamonds_splits_and_merges_trace_like_a_walk_over_the_ledger(
    ledger: Ledger,
) -> None:
    shop = Shop(ledger)
    ten_levels(shop)
    events = stored_events(ledger)
    children = genealogy_of(events)
    parents = reversed_edges(children)
    models = read_models_of(ledger, page_size=37)  # saves cut across pages
    with models.reader() as con:
        for start in [("L0", "R1"), ("L0", "R3"), ("L4", "L4-S"), ("L5", "L5-M")]:
            found = g.trace(con, g.start_nodes(con, item=start[0], lot=start[1]), "forward")
            assert {(t.item, t.lot): t.level for t in found.lots} == walk(children, [start])
            for t in found.lots:  # each path runs along the ledger's edges
                path = [tuple(r) for r in t.path]
                assert path[0] == start
                assert len(path) == t.level + 1
                assert all(b in children[a] for a, b in pairwise(path))
        top = ("L9", "L9-A")
        back = g.trace(con, g.start_nodes(con, item=top[0], lot=top[1]), "backward")
        assert {(t.item, t.lot): t.level for t in back.lots} == walk(parents, [top])
        # Nine work orders down, and the merges of levels 2, 5 and 8 (the next level
        # consumed only the merged lot); the splits' halves were consumed side by side.
        assert max(t.level for t in back.lots) == LEVELS - 1 + 3
        raw = {(t.item, t.lot) for t in back.lots if t.item == "L0"}
        assert raw == {("L0", "R1"), ("L0", "R2"), ("L0", "R3")}
        heats = {r.supplier_lot for t in back.lots for r in t.receipts}
        assert heats == {"H-1", "H-2"}

        # A recall of heat H-1 starts from both of its lots and reaches what R1 and R2
        # reach; what is left on hand of it is exactly what must be held.
        recall = g.recall(con, supplier_lot="H-1")
        assert set(recall.start) == {("L0", "R1"), ("L0", "R2")}
        expected = walk(children, [("L0", "R1"), ("L0", "R2")])
        assert {(t.item, t.lot) for t in recall.lots} == set(expected)
        on_hand = on_hand_of(ledger, [f"L{k}" for k in range(LEVELS)])
        assert g.affected_lots(con, supplier_lot="H-1") == sorted(
            lot for lot in expected if on_hand[lot] > 0
        )
        for t in recall.lots:
            assert t.balance.difference == 0, (t.item, t.lot, t.balance)
            assert t.quantity_on_hand == on_hand[t.item, t.lot]
        shipped = {
            (t.item, t.lot, s.customer, s.shipment): s.quantity
            for t in recall.lots
            for s in t.shipments
        }
        so_events = [e for e in events if isinstance(e, SalesOrder.Shipped)]
        assert {(e.sku, e.lot, e.customer, e.shipment) for e in so_events} <= set(shipped)
        assert ("L9", "L9-A", "RETAILER", None) in shipped  # the customer's return
    models.close()


def test_the_running_runner_reads_the_graph_once_caught_up(ledger: Ledger) -> None:
    """A server's first trace does not pay for reading the whole genealogy."""
    ten_levels(Shop(ledger))
    models = ReadModels(None)
    runner = ProjectionRunner(ledger.app.recorder, models, poll_interval=0.05, serves_traces=True)
    runner.start()
    try:
        assert runner.wait_for(ledger.app.recorder.max_notification_id() or 0, 30)
        with models.reader() as con:
            ((lots,),) = con.execute("SELECT count(*) FROM lot_nodes").fetchall()
        deadline = time.monotonic() + 10
        while models.lot_graph.lots < lots and time.monotonic() < deadline:
            time.sleep(0.01)
        assert models.lot_graph.lots == lots > 0
    finally:
        runner.stop()
        models.close()


def test_the_graph_in_memory_follows_the_read_model_page_by_page(ledger: Ledger) -> None:
    """The read models' graph reads only the edges past the last it read, and reads a
    table whose edges end before that (another database, a rebuild) again whole."""
    shop = Shop(ledger)
    ten_levels(shop)
    head = ledger.app.recorder.max_notification_id() or 0
    models = ReadModels(None)
    runner = ProjectionRunner(ledger.app.recorder, models, page_size=23)
    starts = [("L0", "R1"), ("L0", "R3"), ("L9", "L9-A")]

    def levels(con: Any, graph: g.LotGraph | None) -> list[dict[Lot, Any]]:
        return [
            {
                (t.item, t.lot): (t.level, t.links)  # links with their quantities
                for t in g.trace(
                    con, g.start_nodes(con, item=i, lot=lot), direction, graph=graph
                ).lots
            }
            for i, lot in starts
            for direction in ("forward", "backward")
        ]

    seen = []
    with models.reader() as con:
        for upto in range(head // 4, head + 1, head // 4):
            runner.catch_up(upto=upto)
            kept = levels(con, models.lot_graph)  # caught up from the last walk
            assert kept == levels(con, None)  # every edge read afresh
            seen.append(kept)
        assert seen[0] != seen[-1]  # edges did arrive between the walks
        # An order receives its output lot twice, consuming more between: the edge
        # from the component lot to the output lot changes its quantity.
        lot = "R1"  # a raw lot, most of it still on hand
        shop.run(CreateWorkOrder(number="WO-G", item="L1", quantity=D(4), due_date=TODAY,
                                   output_location="A", supply_location="A"))  # fmt: skip
        shop.run(ReleaseWorkOrder(number="WO-G"))
        for _ in range(2):
            shop.run(IssueToWorkOrder(number="WO-G", component="L0", location="A",
                                        quantity=D(1), lot=lot))  # fmt: skip
            shop.run(ReceiveWorkOrderOutput(number="WO-G", quantity=D(2), lot="L1-G"))
            runner.catch_up()
            kept = levels(con, models.lot_graph)
            assert kept == levels(con, None)
        made = g.trace(
            con, g.start_nodes(con, item="L0", lot=lot), "forward", graph=models.lot_graph
        )
        assert g.Link("L1", "L1-G", "consumed", "WO-G", D(2)) in made.lots[0].links
    earlier = ReadModels(None)
    ProjectionRunner(ledger.app.recorder, earlier, page_size=23).catch_up(upto=head // 2)
    with earlier.reader() as con:  # the same graph on a table that ends earlier
        assert levels(con, models.lot_graph) == levels(con, None)
    earlier.close()
    models.close()


def test_every_lot_balances_term_by_term_against_the_events(ledger: Ledger) -> None:
    assert g.Balance._fields == (*FLOWS, "on_hand")  # a trace fills a balance by position
    shop = Shop(ledger)
    ten_levels(shop)
    assert_balances(ledger, [f"L{k}" for k in range(LEVELS)], page_size=5)


def test_splits_merges_and_dispositions_move_stock_and_cost_layers_like_the_stock_card(
    ledger: Ledger,
) -> None:
    shop = Shop(ledger)
    ten_levels(shop)
    items = [f"L{k}" for k in range(LEVELS)]
    models = read_models_of(ledger, page_size=11)
    with models.reader() as con:
        stock = con.execute(
            "SELECT item, location, lot, status, quantity, value FROM stock_on_hand"
        ).fetchall()
        layers = con.execute(
            "SELECT item, location, lot, status, seq, quantity, unit_cost FROM cost_layers"
        ).fetchall()
        lots = {
            row[:2]: row[2:]
            for row in con.execute("SELECT item, lot, supplier_lot, supplier FROM lots").fetchall()
        }
        ledger_rows = con.execute(
            "SELECT event_type, count(*) FROM stock_ledger GROUP BY ALL"
        ).fetchall()
    models.close()
    cards = {sku: ledger.stock(sku) for sku in items}
    expected_stock = {
        (sku, *bucket): (quantity, sum((x.value for x in card.layers[bucket]), D(0)))
        for sku, card in cards.items()
        if card is not None
        for bucket, quantity in card.balances.items()
    }
    assert {(i, loc, lot, st): (q, v) for i, loc, lot, st, q, v in stock} == expected_stock
    expected_layers = {
        (sku, *bucket, x.seq): (x.quantity, x.unit_cost)
        for sku, card in cards.items()
        if card is not None
        for bucket, found in card.layers.items()
        for x in found
    }
    assert {tuple(r[:5]): (r[5], r[6]) for r in layers} == expected_layers
    for sku, card in cards.items():  # split and merged lots inherit what their sources share
        assert card is not None
        for lot, info in card.lots.items():
            assert lots[sku, lot][0] == info.supplier_lot, (sku, lot)
    assert lots["L0", "R1"] == ("H-1", "ACME")
    moved = dict(ledger_rows)
    assert moved["Stock.LotSplit"] == 2 * 3  # out of one lot, into the other, 3 splits
    assert moved["Stock.LotsMerged"] == 3 * 3  # two lots out, the merged one in, 3 merges
    assert moved["Stock.Disposed"] == 2
    assert moved["Stock.Scrapped"] == 1


def assert_balances(ledger: Ledger, items: list[str], page_size: int) -> None:
    events = stored_events(ledger)
    expected = flows_of(events)
    on_hand = on_hand_of(ledger, items)
    models = read_models_of(ledger, page_size=page_size)
    with models.reader() as con:
        rows = con.execute(
            f"SELECT item, lot, {', '.join(FLOWS)}, on_hand, difference FROM lot_balance"
        ).fetchall()
    models.close()
    seen = set()
    for item, lot, *terms, held, difference in rows:
        seen.add((item, lot))
        oracle = expected.get((item, lot), Counter())
        assert dict(zip(FLOWS, terms, strict=True)) == {f: oracle[f] for f in FLOWS}, (item, lot)
        assert held == on_hand[item, lot], (item, lot)
        inflow = sum(oracle[f] for f in ("received", "produced", "split_in", "merged_in"))
        outflow = sum(oracle[f] for f in FLOWS) - inflow
        assert inflow == outflow + on_hand[item, lot], (item, lot, oracle)
        assert difference == 0, (item, lot)
    assert seen == set(expected) | {lot for lot, q in on_hand.items() if q}


@pytest.mark.slow
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(ops=OPS, page_size=st.integers(1, 60))
def test_random_flows_keep_every_lot_balanced(
    ops: list[tuple[str, int, int]], page_size: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger(store_env(f"sqlite:///{folder}/events.db"), WriterSettings(batch_wait=0))
        try:
            shop = Shop(ledger)
            shop.plant.item("RAW", tracking="lot", precision=0, unit_of_measure="ea")
            shop.plant.item("PART", tracking="lot", precision=0, unit_of_measure="ea")
            shop.plant.item("ASSY", tracking="lot", precision=0, unit_of_measure="ea")
            shop.bom("PART", ("RAW", "2", "completion"))
            shop.bom("ASSY", ("PART", "1", "none"), ("RAW", "1", "completion"))
            shop.receive("RAW", "R0", 50, heat="H0", supplier="S0")
            play(shop, ops)
            assert_balances(ledger, ["RAW", "PART", "ASSY"], page_size=page_size)
            # And every forward trace is the walk over the events.
            events = stored_events(ledger)
            children = genealogy_of(events)
            models = read_models_of(ledger, page_size=page_size)
            with models.reader() as con:
                for heat in ("H0", "H1", "H2", "H3"):
                    starts = [
                        (e_sku, e.lot)
                        for e, e_sku in (
                            (e, "RAW") for e in events if isinstance(e, Stock.Received)
                        )
                        if e.supplier_lot == heat
                    ]
                    found = g.recall(con, supplier_lot=heat)
                    assert {(t.item, t.lot): t.level for t in found.lots} == walk(
                        children, sorted(set(starts))
                    )
            models.close()
        finally:
            ledger.close()
