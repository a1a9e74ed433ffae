"""Lot genealogy: which lot was made from which, and where every quantity of a lot went.

A node is an (item, lot) with a small integer id, so the trace walks integer edges. Edges:

* consumed → output: a work order's output lot is linked to every lot the order had
  consumed (net of returns) when the output was received (``consumed_lots`` of
  ``WorkOrder.OutputReceived``). Conservative, as a recall must be: an output lot made
  before a component lot was issued is not linked to it, every one after is. A tracked
  by-product is linked the same way to what its order had consumed before it. A rework
  order consumes the lot disposed to it, so its output is linked to that lot.
* split and merged: a lot split off another, or merged from others, at one place.

Flows per lot, for its mass balance, come from the stock card (the only place every
quantity passes): ``received`` is every ``Stock.Received`` of the lot less the receipts
that are not arrivals from outside, which the order events say (an output receipt is
``produced``, a return from a work order lowers ``consumed``, a return from a customer
lowers ``shipped``). Because each term is a sum, a save split across two pages only
moves a quantity between terms for the time between them. ``consumed`` also counts
issues to cost centers and rework dispositions, ``returned`` returns to suppliers (issues
and dispositions), ``scrapped`` scrap dispositions and one-step scraps (``ScrapStock``),
``adjusted`` what adjustments and counts took off the books (negative when they found
stock).

Untracked stock (lot "") is not a node: it has no identity to trace.

The ``quality`` read model keeps why stock was last put on hold (per bucket) and every
inspection, for the quality KPIs.
"""

from __future__ import annotations

from datetime import date

import duckdb

from ledger.orders.aggregates import SalesOrder
from ledger.production.work_order import WorkOrder
from ledger.quality.aggregates import Inspection, Recall
from ledger.stock.card import Stock
from ledger.stock.holds import use_as_is_reason
from ledger.values import SignedDecisionKind as K
from projections.engine.projection import QTY, Projection, q, topic


def _in(*classes: type) -> str:
    return "(" + ", ".join(f"'{topic(c)}'" for c in classes) + ")"


RECEIVED, ISSUED = f"'{topic(Stock.Received)}'", f"'{topic(Stock.Issued)}'"
ADJUSTED, COUNTED = f"'{topic(Stock.Adjusted)}'", f"'{topic(Stock.Counted)}'"
SPLIT, MERGED = f"'{topic(Stock.LotSplit)}'", f"'{topic(Stock.LotsMerged)}'"
DISPOSED, SCRAPPED = f"'{topic(Stock.Disposed)}'", f"'{topic(Stock.Scrapped)}'"
OUTPUT = f"'{topic(WorkOrder.OutputReceived)}'"
WO_ISSUED, WO_RETURNED = (
    f"'{topic(WorkOrder.MaterialIssued)}'",
    f"'{topic(WorkOrder.MaterialReturned)}'",
)
SO_SHIPPED, SO_RETURNED = f"'{topic(SalesOrder.Shipped)}'", f"'{topic(SalesOrder.Returned)}'"
FLOWS = (
    "received",
    "produced",
    "consumed",
    "shipped",
    "returned",
    "scrapped",
    "adjusted",
    "split_in",
    "split_out",
    "merged_in",
    "merged_out",
)
# The flow events (their stock-card half and their order half).
FLOW_EVENTS = (
    Stock.Received,
    Stock.Issued,
    Stock.Adjusted,
    Stock.Counted,
    Stock.LotSplit,
    Stock.LotsMerged,
    Stock.Disposed,
    Stock.Scrapped,
    WorkOrder.OutputReceived,
    WorkOrder.MaterialIssued,
    WorkOrder.MaterialReturned,
    SalesOrder.Returned,
)

lot_genealogy = Projection(
    name="lot_genealogy",
    tables=(
        "lot_nodes",
        "lot_edges",
        "lot_flows",
        "lot_flow_parties",
        "lot_receipts",
        "lot_shipments",
        "genealogy_orders",
        "genealogy_work_order_lots",
        "genealogy_internal_commands",
    ),
    ddl=f"""
    CREATE TABLE IF NOT EXISTS lot_nodes (
        id BIGINT PRIMARY KEY, item VARCHAR NOT NULL, lot VARCHAR NOT NULL,
        first_position BIGINT, UNIQUE (item, lot));
    CREATE TABLE IF NOT EXISTS lot_edges (
        parent BIGINT, child BIGINT, kind VARCHAR, via VARCHAR, quantity {QTY},
        position BIGINT, PRIMARY KEY (parent, child, kind, via));
    CREATE TABLE IF NOT EXISTS lot_flows (
        node BIGINT PRIMARY KEY, {", ".join(f"{f} {QTY}" for f in FLOWS)});
    CREATE TABLE IF NOT EXISTS lot_flow_parties (
        node BIGINT, kind VARCHAR, party_kind VARCHAR, party VARCHAR, quantity {QTY},
        PRIMARY KEY (node, kind, party_kind, party));
    CREATE TABLE IF NOT EXISTS lot_receipts (
        node BIGINT, position BIGINT, supplier VARCHAR, supplier_lot VARCHAR,
        reference VARCHAR, location VARCHAR, status VARCHAR, quantity {QTY},
        effective_at TIMESTAMPTZ, command_id VARCHAR, supplier_lot_key VARCHAR);
    CREATE TABLE IF NOT EXISTS lot_shipments (
        node BIGINT, customer VARCHAR, sales_order VARCHAR, shipment VARCHAR,
        quantity {QTY}, PRIMARY KEY (node, customer, sales_order, shipment));
    CREATE TABLE IF NOT EXISTS genealogy_orders (
        stream UUID PRIMARY KEY, kind VARCHAR, number VARCHAR, party VARCHAR);
    CREATE TABLE IF NOT EXISTS genealogy_work_order_lots (
        number VARCHAR, position BIGINT, component VARCHAR, lot VARCHAR, quantity {QTY});
    CREATE TABLE IF NOT EXISTS genealogy_internal_commands (command_id VARCHAR PRIMARY KEY);
    """,
)

# Work-order and sales-order numbers by stream: their later events name only the stream.
lot_genealogy.on(
    WorkOrder.Created,
    SalesOrder.Created,
    sql=f"""
    INSERT INTO genealogy_orders
    SELECT stream, CASE topic WHEN '{topic(WorkOrder.Created)}' THEN 'work_order'
                              ELSE 'sales_order' END,
        e.number, coalesce(e.customer, e.item)
    FROM events WHERE topic IN {_in(WorkOrder.Created, SalesOrder.Created)}
    ON CONFLICT DO NOTHING
    """,
)

_SUMS = ", ".join(f"coalesce(sum(quantity) FILTER (kind = '{f}'), 0)" for f in FLOWS)
_ADD = ", ".join(f"{f} = lot_flows.{f} + excluded.{f}" for f in FLOWS)
# One row per (item, lot, flow, counterparty) quantity of the page; a receipt that is not
# an arrival from outside is taken back out of "received" (party "") by its order event.
# A part per event type: a page gets only the parts of the event types it holds.
LOT_PAGE_PARTS: tuple[tuple[tuple[type, ...], str], ...] = (
    (
        (Stock.Received,),
        f"""
    SELECT c.sku, e.lot, 'received', 'supplier', coalesce(e.supplier, ''), {q("quantity")},
        position
    FROM events JOIN stock_cards c USING (stream) WHERE topic = {RECEIVED}""",
    ),
    (
        (Stock.Issued,),
        f"""
    SELECT c.sku, e.lot,
        CASE e.target_kind WHEN 'customer' THEN 'shipped' WHEN 'supplier' THEN 'returned'
             ELSE 'consumed' END,
        e.target_kind, e.target, {q("quantity")}, position
    FROM events JOIN stock_cards c USING (stream) WHERE topic = {ISSUED}""",
    ),
    (
        (Stock.Adjusted, Stock.Counted),
        f"""
    SELECT c.sku, e.lot, 'adjusted',
        CASE topic WHEN {ADJUSTED} THEN 'adjustment' ELSE 'count' END,
        CASE topic WHEN {ADJUSTED} THEN e.reason_code ELSE e.count_reference END,
        -{q("quantity_delta")}, position
    FROM events JOIN stock_cards c USING (stream) WHERE topic IN ({ADJUSTED}, {COUNTED})""",
    ),
    # a rework disposition is consumed by its rework order, which outputs the lot again
    (
        (Stock.Disposed,),
        f"""
    SELECT c.sku, e.lot,
        CASE e.disposition WHEN 'scrap' THEN 'scrapped' WHEN 'return_to_supplier' THEN 'returned'
             ELSE 'consumed' END,
        CASE e.disposition WHEN 'scrap' THEN 'scrap' WHEN 'return_to_supplier' THEN 'supplier'
             ELSE 'work_order' END,
        CASE e.disposition WHEN 'scrap' THEN e.location ELSE e.target END,
        {q("quantity")}, position
    FROM events JOIN stock_cards c USING (stream) WHERE topic = {DISPOSED}""",
    ),
    (
        (Stock.Scrapped,),
        f"""
    SELECT c.sku, e.lot, 'scrapped', 'scrap', e.location, {q("quantity")}, position
    FROM events JOIN stock_cards c USING (stream) WHERE topic = {SCRAPPED}""",
    ),
    (
        (Stock.LotSplit,),
        f"""
    SELECT c.sku, unnest([e.from_lot, e.to_lot]), unnest(['split_out', 'split_in']), 'lot',
        unnest([e.to_lot, e.from_lot]), {q("quantity")}, position
    FROM events JOIN stock_cards c USING (stream) WHERE topic = {SPLIT}""",
    ),
    (
        (Stock.LotsMerged,),
        f"""
    SELECT sku, unnest([p.lot, e.to_lot]), unnest(['merged_out', 'merged_in']), 'lot',
        unnest([e.to_lot, p.lot]), CAST(p.quantity AS {QTY}), position
    FROM (SELECT *, unnest(e.parts) AS p FROM events JOIN stock_cards c USING (stream)
          WHERE topic = {MERGED})""",
    ),
    (
        (WorkOrder.OutputReceived,),
        f"""
    SELECT e.item, e.lot, unnest(['produced', 'received']), unnest(['work_order', 'supplier']),
        unnest([o.number, '']), unnest([{q("quantity")}, -{q("quantity")}]), position
    FROM events JOIN genealogy_orders o USING (stream) WHERE topic = {OUTPUT}""",
    ),
    # a by-product is "issued" negatively to its order: it was produced there
    (
        (WorkOrder.MaterialIssued,),
        f"""
    SELECT e.component, e.lot, unnest(['produced', 'received']),
        unnest(['work_order', 'supplier']), unnest([o.number, '']),
        unnest([-{q("quantity")}, {q("quantity")}]), position
    FROM events JOIN genealogy_orders o USING (stream)
    WHERE topic = {WO_ISSUED} AND {q("quantity")} < 0""",
    ),
    (
        (WorkOrder.MaterialReturned,),
        f"""
    SELECT e.component, e.lot, unnest(['consumed', 'received']),
        unnest(['work_order', 'supplier']), unnest([o.number, '']),
        unnest([-{q("quantity")}, -{q("quantity")}]), position
    FROM events JOIN genealogy_orders o USING (stream) WHERE topic = {WO_RETURNED}""",
    ),
    (
        (SalesOrder.Returned,),
        f"""
    SELECT e.sku, e.lot, unnest(['shipped', 'received']), unnest(['customer', 'supplier']),
        unnest([o.party, '']), unnest([-{q("quantity")}, -{q("quantity")}]), position
    FROM events JOIN genealogy_orders o USING (stream) WHERE topic = {SO_RETURNED}""",
    ),
)


def _holds(topics: frozenset[str], classes: tuple[type, ...]) -> bool:
    return any(topic(c) in topics for c in classes)


def lot_page(topics: frozenset[str]) -> str:
    parts = " UNION ALL ".join(sql for classes, sql in LOT_PAGE_PARTS if _holds(topics, classes))
    # Every lot the page names gets its node id (ids in log order of first mention),
    # the components an output names included.
    consumed = f"""
          UNION ALL
          SELECT x.component, x.lot, position FROM (
              SELECT position, unnest(e.consumed_lots) AS x FROM events WHERE topic = {OUTPUT})
    """
    return f"""
    CREATE OR REPLACE TEMP TABLE lot_page AS
    SELECT * FROM ({parts}) AS p(item, lot, kind, party_kind, party, quantity, position)
    WHERE lot <> '';
    INSERT INTO lot_nodes
    SELECT (SELECT coalesce(max(id), 0) FROM lot_nodes)
            + row_number() OVER (ORDER BY first, item, lot), item, lot, first
    FROM (SELECT item, lot, min(position) AS first FROM (
              SELECT item, lot, position FROM lot_page
              {consumed if _holds(topics, (WorkOrder.OutputReceived,)) else ""})
          WHERE lot <> '' GROUP BY item, lot) m
    WHERE NOT EXISTS (SELECT 1 FROM lot_nodes n WHERE n.item = m.item AND n.lot = m.lot);
    INSERT INTO lot_flows
    SELECT n.id, {_SUMS} FROM lot_page p JOIN lot_nodes n USING (item, lot) GROUP BY n.id
    ON CONFLICT DO UPDATE SET {_ADD};
    INSERT INTO lot_flow_parties
    SELECT n.id, kind, party_kind, coalesce(party, ''), sum(quantity)
    FROM lot_page p JOIN lot_nodes n USING (item, lot) GROUP BY ALL
    ON CONFLICT DO UPDATE SET quantity = lot_flow_parties.quantity + excluded.quantity
    """


lot_genealogy.on(*FLOW_EVENTS, sql=lot_page)
# Every receipt of a lot, with or without a supplier: a recall of a supplier lot starts
# from all of them. The receipts that are not arrivals from outside (an output, a return
# from a work order or a customer) are told by their command's order event, which may come
# in a later page: the traces list the others. The supplier lot's key is it trimmed and in
# upper case, as the commands now take it, so receipts recorded before are found too.
lot_genealogy.on(
    Stock.Received,
    sql=f"""
    INSERT INTO lot_receipts
    SELECT n.id, position, e.supplier, e.supplier_lot, e.reference, e.location, e.status,
        {q("quantity")}, effective_at, command_id, upper(trim(e.supplier_lot))
    FROM events JOIN stock_cards c USING (stream)
    JOIN lot_nodes n ON n.item = c.sku AND n.lot = e.lot
    WHERE topic = {RECEIVED}
    """,
)
lot_genealogy.on(
    WorkOrder.OutputReceived,
    WorkOrder.MaterialIssued,
    WorkOrder.MaterialReturned,
    SalesOrder.Returned,
    sql=f"""
    INSERT INTO genealogy_internal_commands
    SELECT DISTINCT command_id FROM events
    WHERE topic IN ({OUTPUT}, {WO_RETURNED}, {SO_RETURNED})
       OR (topic = {WO_ISSUED} AND {q("quantity")} < 0)
    ON CONFLICT DO NOTHING
    """,
)
# What each order has consumed, event by event: a by-product's parents.
lot_genealogy.on(
    WorkOrder.MaterialIssued,
    WorkOrder.MaterialReturned,
    sql=f"""
    INSERT INTO genealogy_work_order_lots
    SELECT o.number, position, e.component, e.lot,
        CASE topic WHEN {WO_RETURNED} THEN -{q("quantity")} ELSE {q("quantity")} END
    FROM events JOIN genealogy_orders o USING (stream)
    WHERE topic IN ({WO_ISSUED}, {WO_RETURNED}) AND e.lot <> '' AND {q("quantity")} > 0
    """,
)
_EDGE_UPSERT = (
    "ON CONFLICT DO UPDATE SET quantity = excluded.quantity, position = excluded.position"
)
lot_genealogy.on(
    WorkOrder.OutputReceived,
    sql=f"""
    INSERT INTO lot_edges
    SELECT p.id, ch.id, 'consumed', o.number, CAST(x.x.quantity AS {QTY}), x.position
    FROM (SELECT stream, position, e.item, e.lot, unnest(e.consumed_lots) AS x FROM events
          WHERE topic = {OUTPUT} AND e.lot <> '') x
    JOIN genealogy_orders o USING (stream)
    JOIN lot_nodes p ON p.item = x.x.component AND p.lot = x.x.lot
    JOIN lot_nodes ch ON ch.item = x.item AND ch.lot = x.lot
    QUALIFY row_number() OVER (PARTITION BY p.id, ch.id, o.number ORDER BY x.position DESC) = 1
    {_EDGE_UPSERT}
    """,
)
lot_genealogy.on(
    WorkOrder.MaterialIssued,
    sql=f"""
    INSERT INTO lot_edges
    SELECT p.id, ch.id, 'consumed', b.number, sum(h.quantity), max(b.position)
    FROM (SELECT o.number, position, e.component, e.lot FROM events
          JOIN genealogy_orders o USING (stream)
          WHERE topic = {WO_ISSUED} AND {q("quantity")} < 0 AND e.lot <> '') b
    JOIN genealogy_work_order_lots h ON h.number = b.number AND h.position < b.position
    JOIN lot_nodes p ON p.item = h.component AND p.lot = h.lot
    JOIN lot_nodes ch ON ch.item = b.component AND ch.lot = b.lot
    GROUP BY p.id, ch.id, b.number, b.position HAVING sum(h.quantity) > 0
    QUALIFY row_number() OVER (PARTITION BY p.id, ch.id, b.number ORDER BY b.position DESC) = 1
    {_EDGE_UPSERT}
    """,
)
# A split or a merge moves a quantity from lot to lot: edges add up.
lot_genealogy.on(
    Stock.LotSplit,
    Stock.LotsMerged,
    sql=f"""
    INSERT INTO lot_edges
    SELECT p.id, ch.id, x.kind, '', sum(x.quantity), max(x.position)
    FROM (SELECT c.sku AS item, e.from_lot AS parent, e.to_lot AS child, 'split' AS kind,
                 {q("quantity")} AS quantity, position
          FROM events JOIN stock_cards c USING (stream) WHERE topic = {SPLIT}
          UNION ALL
          SELECT sku, p.lot, e.to_lot, 'merged', CAST(p.quantity AS {QTY}), position
          FROM (SELECT *, unnest(e.parts) AS p FROM events JOIN stock_cards c USING (stream)
                WHERE topic = {MERGED})) x
    JOIN lot_nodes p ON p.item = x.item AND p.lot = x.parent
    JOIN lot_nodes ch ON ch.item = x.item AND ch.lot = x.child
    GROUP BY p.id, ch.id, x.kind
    ON CONFLICT DO UPDATE SET quantity = lot_edges.quantity + excluded.quantity,
        position = excluded.position
    """,
)
lot_genealogy.on(
    SalesOrder.Shipped,
    SalesOrder.Returned,
    sql=f"""
    INSERT INTO lot_shipments
    SELECT n.id, o.party, o.number,
        CASE topic WHEN {SO_SHIPPED} THEN e.shipment ELSE '' END,
        sum(CASE topic WHEN {SO_SHIPPED} THEN 1 ELSE -1 END * {q("quantity")})
    FROM events JOIN genealogy_orders o USING (stream)
    JOIN lot_nodes n ON n.item = e.sku AND n.lot = e.lot
    WHERE topic IN ({SO_SHIPPED}, {SO_RETURNED}) GROUP BY ALL
    ON CONFLICT DO UPDATE SET quantity = lot_shipments.quantity + excluded.quantity
    """,
)

# The mass balance of every lot: what came in equals what went out plus what is on hand.
QUALITY_VIEWS = f"""
CREATE OR REPLACE VIEW lot_balance AS
SELECT n.id AS node, n.item, n.lot, {", ".join(f"coalesce(f.{x}, 0) AS {x}" for x in FLOWS)},
    coalesce(h.on_hand, 0) AS on_hand,
    coalesce(f.received, 0) + coalesce(f.produced, 0) + coalesce(f.split_in, 0)
        + coalesce(f.merged_in, 0)
    - coalesce(f.consumed, 0) - coalesce(f.shipped, 0) - coalesce(f.returned, 0)
        - coalesce(f.scrapped, 0) - coalesce(f.adjusted, 0) - coalesce(f.split_out, 0)
        - coalesce(f.merged_out, 0) - coalesce(h.on_hand, 0) AS difference
FROM lot_nodes n LEFT JOIN lot_flows f ON f.node = n.id
LEFT JOIN (SELECT item, lot, sum(quantity) AS on_hand FROM stock_balances GROUP BY ALL) h
    ON h.item = n.item AND h.lot = n.lot;
"""


# --- quality: why stock is held, inspections --------------------------------------------

quality = Projection(
    name="quality",
    tables=("held_reasons", "inspections", "signatures"),
    ddl=f"""
    CREATE TABLE IF NOT EXISTS held_reasons (
        item VARCHAR, lot VARCHAR, location VARCHAR, reason VARCHAR, hold_id VARCHAR,
        position BIGINT, PRIMARY KEY (item, lot, location));
    CREATE TABLE IF NOT EXISTS inspections (
        inspection_id VARCHAR PRIMARY KEY, item VARCHAR, lot VARCHAR, location VARCHAR,
        supplier VARCHAR, reference VARCHAR, passed BOOLEAN, failed_characteristics INTEGER,
        quantity {QTY}, inspector VARCHAR, recorded_at TIMESTAMPTZ, position BIGINT);
    CREATE TABLE IF NOT EXISTS signatures (
        position BIGINT PRIMARY KEY, kind VARCHAR, record_id VARCHAR, item VARCHAR,
        location VARCHAR, lot VARCHAR, hold_id VARCHAR, from_status VARCHAR,
        to_status VARCHAR, quantity {QTY}, move_reason VARCHAR, signer VARCHAR,
        printed_name VARCHAR, meaning VARCHAR, reason VARCHAR, signed_at TIMESTAMPTZ,
        time_zone VARCHAR, record_hash VARCHAR, recorded_at TIMESTAMPTZ);
    """,
)
# The reason stock was last put on hold, per bucket.
quality.on(
    Stock.StatusChanged,
    sql=f"""
    INSERT INTO held_reasons
    SELECT c.sku, e.lot, e.location, e.reason, e.hold_id, position
    FROM events JOIN stock_cards c USING (stream)
    WHERE topic = '{topic(Stock.StatusChanged)}' AND e.to_status = 'held'
    QUALIFY row_number() OVER (PARTITION BY c.sku, e.lot, e.location ORDER BY position DESC) = 1
    ON CONFLICT DO UPDATE SET reason = excluded.reason, hold_id = excluded.hold_id,
        position = excluded.position
    """,
)

quality.on(
    Inspection.Recorded,
    sql=f"""
    INSERT INTO inspections
    SELECT e.inspection_id, e.sku, e.lot, e.location, e.supplier, e.reference, e.passed,
        len(list_filter(e.results, lambda r: NOT r.passed)), {q("quantity")}, e.inspector,
        effective_at, position
    FROM events WHERE topic = '{topic(Inspection.Recorded)}'
    ON CONFLICT DO NOTHING
    """,
)

# Every signed quality decision, one row each (21 CFR 11.50: who, user id and printed
# name; when, UTC and the signer's time zone; what it means; why), by kind: a hold's
# release, a status change to available, a disposition (a use as is is a move to
# available), a recall containment hold, an adjustment. Events signed before signatures
# were bound to their record have no printed name: the user id stands in.
# What a use as is records as its move's reason begins with (`use_as_is_reason`).
USE_AS_IS = use_as_is_reason("", "").removesuffix(": ")
_SIGNATURE = """e.signature.signer,
        coalesce(nullif(e.signature.printed_name, ''), e.signature.signer),
        e.signature.meaning, e.signature.reason, CAST(e.signature.signed_at AS TIMESTAMPTZ),
        coalesce(e.signature.time_zone, 'UTC'), nullif(e.signature.record_hash, ''),
        recorded_at"""


def _signed_on_stock_card(
    event: type,
    *,
    kind: str,
    hold_id: str,
    from_status: str,
    to_status: str,
    quantity: str,
    why: str,
) -> str:
    """The signature row of a signed stock-card event (release, status change, disposition,
    adjustment): the columns that differ by event are SQL expressions over ``e``."""
    return f"""
    INSERT INTO signatures
    SELECT position, {kind}, CAST(stream AS VARCHAR), c.sku, e.location, e.lot, {hold_id},
        {from_status}, {to_status}, {quantity}, {why}, {_SIGNATURE}
    FROM events JOIN stock_cards c USING (stream)
    WHERE topic = '{topic(event)}' AND e.signature IS NOT NULL
    ON CONFLICT DO NOTHING
    """


quality.on(
    Stock.StatusChanged,
    sql=_signed_on_stock_card(
        Stock.StatusChanged,
        kind=f"""CASE WHEN e.hold_id IS NOT NULL THEN '{K.RELEASE}'
             WHEN starts_with(e.reason, '{USE_AS_IS}') THEN '{K.DISPOSITION}'
             ELSE '{K.STATUS_CHANGE}' END""",
        hold_id="e.hold_id",
        from_status="e.from_status",
        to_status="e.to_status",
        quantity=q("quantity"),
        why="e.reason",
    ),
)
quality.on(
    Stock.Disposed,
    sql=_signed_on_stock_card(
        Stock.Disposed,
        kind=f"'{K.DISPOSITION}'",
        hold_id="NULL",
        from_status="e.status",
        to_status="NULL",
        quantity=q("quantity"),
        why="e.disposition || ' ' || e.target || ': ' || e.reason",
    ),
)
quality.on(
    Stock.Adjusted,
    sql=_signed_on_stock_card(
        Stock.Adjusted,
        kind=f"'{K.ADJUSTMENT}'",
        hold_id="NULL",
        from_status="e.status",
        to_status="NULL",
        quantity=q("quantity_delta"),
        why="e.reason_code || CASE WHEN e.note = '' THEN '' ELSE ': ' || e.note END",
    ),
)
# A recall hold reaches lots anywhere: it has no location (only a reader of the whole
# plant sees it), and names its item and lot when it holds a single lot.
quality.on(
    Recall.Held,
    sql=f"""
    INSERT INTO signatures
    SELECT position, '{K.RECALL_HOLD}', e.hold_id,
        CASE WHEN len(e.recalled) = 1 THEN e.recalled[1].sku END,
        NULL, CASE WHEN len(e.recalled) = 1 THEN e.recalled[1].lot END, e.hold_id, NULL,
        'held', NULL, e.reason, {_SIGNATURE}
    FROM events
    WHERE topic = '{topic(Recall.Held)}'
    ON CONFLICT DO NOTHING
    """,
)

QUALITY_PROJECTIONS: tuple[Projection, ...] = (lot_genealogy, quality)


def items_with_expired_stock(con: duckdb.DuckDBPyConnection, today: date) -> list[str]:
    """Items with available stock in a lot whose expiry is before ``today`` (the expiry
    job's list; the ledger decides again on its own state)."""
    rows = con.execute(
        """SELECT DISTINCT b.item FROM stock_balances b
           JOIN lots l ON l.item = b.item AND l.lot = b.lot
           WHERE b.status = 'available' AND b.quantity > 0 AND l.expiry < ?
           ORDER BY b.item""",
        [today],
    ).fetchall()
    return [sku for (sku,) in rows]
