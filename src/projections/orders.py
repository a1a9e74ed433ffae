"""Order read models: purchase- and sales-order lines, shipments and allocations."""

from __future__ import annotations

from ledger.orders.aggregates import PurchaseOrder, SalesOrder
from projections.engine.projection import LATEST, MONEY, QTY, Projection, m, q, topic

orders = Projection(
    name="orders",
    tables=("purchase_order_lines", "sales_order_lines", "shipments", "allocations"),
    ddl=f"""
    CREATE TABLE IF NOT EXISTS purchase_order_lines (
        number VARCHAR, line INTEGER, stream UUID, supplier VARCHAR, sku VARCHAR,
        ordered {QTY}, received {QTY}, cancelled {QTY}, due_date DATE, unit_price {MONEY},
        status VARCHAR, PRIMARY KEY (number, line));
    CREATE TABLE IF NOT EXISTS sales_order_lines (
        number VARCHAR, line INTEGER, stream UUID, customer VARCHAR, sku VARCHAR,
        ordered {QTY}, shipped {QTY}, due_date DATE, unit_price {MONEY}, status VARCHAR,
        PRIMARY KEY (number, line));
    CREATE TABLE IF NOT EXISTS shipments (
        shipment VARCHAR, number VARCHAR, line INTEGER, customer VARCHAR, sku VARCHAR,
        lot VARCHAR, location VARCHAR, quantity {QTY}, value {MONEY}, position BIGINT,
        effective_at TIMESTAMPTZ);
    CREATE TABLE IF NOT EXISTS allocations (
        reservation_id VARCHAR PRIMARY KEY, number VARCHAR, line INTEGER, sku VARCHAR,
        location VARCHAR, lot VARCHAR, quantity {QTY});
    """,
)
PO = {n: f"'{topic(getattr(PurchaseOrder, n))}'" for n in (
    "Created", "Confirmed", "LineReceived", "LineReturned", "LineCancelled", "Closed")}  # fmt: skip
SO = {n: f"'{topic(getattr(SalesOrder, n))}'" for n in (
    "Created", "Allocated", "Shipped", "Returned")}  # fmt: skip
orders.on(
    PurchaseOrder.Created,
    sql=f"""
    INSERT INTO purchase_order_lines SELECT e.number, l.line, stream, e.supplier, l.sku,
        CAST(l.quantity AS {QTY}), 0, 0, CAST(l.due_date AS DATE), CAST(l.unit_price AS {MONEY}),
        'draft'
    FROM (SELECT stream, e, unnest(e.lines) AS l FROM events WHERE topic = {PO["Created"]})
    ON CONFLICT DO NOTHING
    """,
)
orders.on(
    PurchaseOrder.Confirmed,
    PurchaseOrder.Closed,
    sql=f"""
    UPDATE purchase_order_lines SET status = c.status
    FROM (SELECT stream, CASE topic WHEN {PO["Closed"]} THEN 'closed' ELSE 'confirmed' END
                 AS status FROM events
          WHERE topic IN ({PO["Confirmed"]}, {PO["Closed"]}) {LATEST}) c
    WHERE purchase_order_lines.stream = c.stream
    """,
)
orders.on(
    PurchaseOrder.LineReceived,
    PurchaseOrder.LineReturned,
    PurchaseOrder.LineCancelled,
    sql=f"""
    UPDATE purchase_order_lines SET received = purchase_order_lines.received + d.received,
        cancelled = purchase_order_lines.cancelled + d.cancelled
    FROM (SELECT stream, e.line,
                 sum(CASE topic WHEN {PO["LineReceived"]} THEN {q("quantity")}
                                WHEN {PO["LineReturned"]} THEN -{q("quantity")} ELSE 0 END)
                 AS received,
                 sum(CASE topic WHEN {PO["LineCancelled"]} THEN {q("quantity")} ELSE 0 END)
                 AS cancelled
          FROM events WHERE topic IN ({PO["LineReceived"]}, {PO["LineReturned"]},
                                      {PO["LineCancelled"]}) GROUP BY ALL) d
    WHERE purchase_order_lines.stream = d.stream AND purchase_order_lines.line = d.line
    """,
)
orders.on(
    SalesOrder.Created,
    sql=f"""
    INSERT INTO sales_order_lines SELECT e.number, l.line, stream, e.customer, l.sku,
        CAST(l.quantity AS {QTY}), 0, CAST(l.due_date AS DATE), CAST(l.unit_price AS {MONEY}),
        'open'
    FROM (SELECT stream, e, unnest(e.lines) AS l FROM events WHERE topic = {SO["Created"]})
    ON CONFLICT DO NOTHING
    """,
)
orders.on(
    SalesOrder.Allocated,
    sql=f"""
    INSERT INTO allocations SELECT a.reservation_id, s.number, a.line, s.sku, a.location, a.lot,
        CAST(a.quantity AS {QTY})
    FROM (SELECT stream, unnest(e.allocations) AS a FROM events WHERE topic = {SO["Allocated"]}) x
    JOIN (SELECT DISTINCT stream, number, line, sku FROM sales_order_lines) s
        ON s.stream = x.stream AND s.line = x.a.line
    ON CONFLICT DO NOTHING
    """,
)
orders.on(
    SalesOrder.Shipped,
    SalesOrder.Returned,
    sql=f"""
    UPDATE sales_order_lines SET shipped = sales_order_lines.shipped + d.qty
    FROM (SELECT stream, e.line, sum(CASE topic WHEN {SO["Returned"]} THEN -1 ELSE 1 END
                                     * {q("quantity")}) AS qty
          FROM events WHERE topic IN ({SO["Shipped"]}, {SO["Returned"]}) GROUP BY ALL) d
    WHERE sales_order_lines.stream = d.stream AND sales_order_lines.line = d.line;
    UPDATE allocations SET quantity = allocations.quantity - d.qty
    FROM (SELECT e.reservation_id AS rid, sum({q("quantity")}) AS qty FROM events
          WHERE topic = {SO["Shipped"]} AND e.reservation_id IS NOT NULL GROUP BY ALL) d
    WHERE allocations.reservation_id = d.rid;
    DELETE FROM allocations WHERE quantity <= 0;
    INSERT INTO shipments SELECT e.shipment, s.number, e.line, e.customer, e.sku, e.lot,
        e.location, CASE topic WHEN {SO["Returned"]} THEN -1 ELSE 1 END * {q("quantity")},
        CASE topic WHEN {SO["Returned"]} THEN -1 ELSE 1 END * {m("value")}, position, effective_at
    FROM events JOIN (SELECT DISTINCT stream, number FROM sales_order_lines) s USING (stream)
    WHERE topic IN ({SO["Shipped"]}, {SO["Returned"]})
    """,
)
