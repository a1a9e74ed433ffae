"""Read models of engineering, work orders, WIP and orders: MRP's inputs.

``open_supply`` (open purchase-order lines and work-order output still to come, as
scheduled receipts) and ``open_demand`` (open sales-order lines and released work orders'
components still to issue) are views over these tables, readable as polars frames by the
planning package (``projections.frames``).
"""

from __future__ import annotations

from ledger.engineering import BillOfMaterials, Routing, WorkCenter
from ledger.orders import PurchaseOrder, SalesOrder
from ledger.work_order import WorkOrder
from projections.read_models import MONEY, QTY, Projection, m, q, topic

LATEST = "QUALIFY row_number() OVER (PARTITION BY stream ORDER BY position DESC) = 1"

engineering = Projection(
    name="engineering",
    tables=("work_centers", "boms", "bom_lines", "routings", "routing_operations"),
    ddl=f"""
    CREATE TABLE IF NOT EXISTS work_centers (
        code VARCHAR PRIMARY KEY, name VARCHAR, capacity_hours_per_day {QTY},
        working_days INTEGER[], labour_rate {MONEY}, machine_rate {MONEY});
    CREATE TABLE IF NOT EXISTS boms (
        parent VARCHAR, version VARCHAR, effective_from DATE, effective_to DATE,
        output_quantity {QTY}, PRIMARY KEY (parent, version));
    CREATE TABLE IF NOT EXISTS bom_lines (
        parent VARCHAR, version VARCHAR, component VARCHAR, quantity {QTY},
        scrap_factor {QTY}, phantom BOOLEAN, by_product BOOLEAN, backflush VARCHAR,
        operation INTEGER, PRIMARY KEY (parent, version, component));
    CREATE TABLE IF NOT EXISTS routings (
        item VARCHAR, version VARCHAR, effective_from DATE, effective_to DATE,
        PRIMARY KEY (item, version));
    CREATE TABLE IF NOT EXISTS routing_operations (
        item VARCHAR, version VARCHAR, seq INTEGER, work_center VARCHAR, description VARCHAR,
        setup_hours {QTY}, run_hours_per_unit {QTY}, move_queue_hours {QTY},
        PRIMARY KEY (item, version, seq));
    """,
)
engineering.on(
    WorkCenter.Defined,
    sql=f"""
    INSERT INTO work_centers SELECT e.code, e.name, {q("capacity_hours_per_day")},
        e.working_days, {m("labour_rate")}, {m("machine_rate")}
    FROM events WHERE topic = '{topic(WorkCenter.Defined)}' ON CONFLICT DO NOTHING
    """,
)
engineering.on(
    BillOfMaterials.Defined,
    sql=f"""
    INSERT INTO boms SELECT e.parent, e.revision, CAST(e.effective_from AS DATE),
        CAST(e.effective_to AS DATE), {q("output_quantity")}
    FROM events WHERE topic = '{topic(BillOfMaterials.Defined)}' ON CONFLICT DO NOTHING;
    INSERT INTO bom_lines SELECT parent, revision, l.component, CAST(l.quantity AS {QTY}),
        CAST(l.scrap_factor AS {QTY}), l.phantom, l.by_product, l.backflush, l.operation
    FROM (SELECT e.parent, e.revision, unnest(e.lines) AS l FROM events
          WHERE topic = '{topic(BillOfMaterials.Defined)}') ON CONFLICT DO NOTHING
    """,
)
engineering.on(
    Routing.Defined,
    sql=f"""
    INSERT INTO routings SELECT e.item, e.revision, CAST(e.effective_from AS DATE),
        CAST(e.effective_to AS DATE)
    FROM events WHERE topic = '{topic(Routing.Defined)}' ON CONFLICT DO NOTHING;
    INSERT INTO routing_operations SELECT item, revision, o.seq, o.work_center, o.description,
        CAST(o.setup_hours AS {QTY}), CAST(o.run_hours_per_unit AS {QTY}),
        CAST(o.move_queue_hours AS {QTY})
    FROM (SELECT e.item, e.revision, unnest(e.operations) AS o FROM events
          WHERE topic = '{topic(Routing.Defined)}') ON CONFLICT DO NOTHING
    """,
)

work_orders = Projection(
    name="work_orders",
    tables=("work_orders", "wip_operations", "work_order_requirements", "work_order_lots"),
    ddl=f"""
    CREATE TABLE IF NOT EXISTS work_orders (
        number VARCHAR PRIMARY KEY, stream UUID UNIQUE, item VARCHAR, quantity {QTY},
        due_date DATE, status VARCHAR, output_location VARCHAR, supply_location VARCHAR,
        bom_version VARCHAR, routing_version VARCHAR, created_at TIMESTAMPTZ,
        released_at TIMESTAMPTZ, closed_at TIMESTAMPTZ, received {QTY}, received_value {MONEY},
        material_value {MONEY}, conversion_value {MONEY}, actual_cost {MONEY},
        standard_cost {MONEY}, material_price_variance {MONEY},
        material_usage_variance {MONEY}, efficiency_variance {MONEY},
        yield_variance {MONEY}, wip_written_off {MONEY});
    CREATE TABLE IF NOT EXISTS wip_operations (
        number VARCHAR, seq INTEGER, work_center VARCHAR, setup_hours {QTY},
        run_hours_per_unit {QTY}, good {QTY}, scrap {QTY}, rework {QTY},
        labour_hours {QTY}, machine_hours {QTY}, conversion_value {MONEY},
        material_value {MONEY}, PRIMARY KEY (number, seq));
    CREATE TABLE IF NOT EXISTS work_order_requirements (
        number VARCHAR, component VARCHAR, per_unit {QTY}, required {QTY},
        standard_cost {MONEY}, backflush VARCHAR, operation INTEGER, issued {QTY},
        issued_value {MONEY}, PRIMARY KEY (number, component));
    CREATE TABLE IF NOT EXISTS work_order_lots (
        number VARCHAR, position BIGINT, direction VARCHAR, item VARCHAR, lot VARCHAR,
        location VARCHAR, quantity {QTY}, value {MONEY}, effective_at TIMESTAMPTZ);
    """,
)
WO = {name: f"'{topic(getattr(WorkOrder, name))}'" for name in (
    "Created", "Released", "MaterialIssued", "MaterialReturned", "OperationReported",
    "OutputReceived", "Closed", "Cancelled",
)}  # fmt: skip
_WO_OF = "JOIN work_orders w ON w.stream = events.stream"
work_orders.on(
    WorkOrder.Created,
    sql=f"""
    INSERT INTO work_orders (number, stream, item, quantity, due_date, status, output_location,
        supply_location, created_at, received, received_value, material_value, conversion_value)
    SELECT e.number, stream, e.item, {q("quantity")}, CAST(e.due_date AS DATE), 'created',
        e.output_location, e.supply_location, effective_at, 0, 0, 0, 0
    FROM events WHERE topic = {WO["Created"]} ON CONFLICT DO NOTHING
    """,
)
work_orders.on(
    WorkOrder.Released,
    sql=f"""
    UPDATE work_orders SET status = 'released', released_at = r.at, bom_version = r.bom,
        routing_version = r.routing
    FROM (SELECT stream, effective_at AS at, e.bom_version AS bom, e.routing_version AS routing
          FROM events WHERE topic = {WO["Released"]}) r
    WHERE work_orders.stream = r.stream;
    INSERT INTO wip_operations SELECT w.number, o.seq, o.work_center,
        CAST(o.setup_hours AS {QTY}), CAST(o.run_hours_per_unit AS {QTY}), 0, 0, 0, 0, 0, 0, 0
    FROM (SELECT stream, unnest(e.operations) AS o FROM events WHERE topic = {WO["Released"]})
        AS events {_WO_OF} ON CONFLICT DO NOTHING;
    INSERT INTO work_order_requirements SELECT w.number, r.component,
        CAST(r.per_unit AS {QTY}), CAST(r.required AS {QTY}), CAST(r.standard_cost AS {MONEY}),
        r.backflush, r.operation, 0, 0
    FROM (SELECT stream, unnest(e.requirements) AS r FROM events
          WHERE topic = {WO["Released"]}) AS events {_WO_OF} ON CONFLICT DO NOTHING
    """,
)
work_orders.on(
    WorkOrder.MaterialIssued,
    WorkOrder.MaterialReturned,
    sql=f"""
    CREATE OR REPLACE TEMP TABLE wo_use AS
    SELECT w.number, events.position, e.component, e.lot, e.location, e.operation,
        CASE WHEN topic = {WO["MaterialReturned"]} THEN -1 ELSE 1 END * {q("quantity")} AS qty,
        CASE WHEN topic = {WO["MaterialReturned"]} THEN -1 ELSE 1 END * {m("value")} AS value,
        events.effective_at
    FROM events {_WO_OF} WHERE topic IN ({WO["MaterialIssued"]}, {WO["MaterialReturned"]});
    UPDATE work_order_requirements SET issued = work_order_requirements.issued + u.qty,
        issued_value = work_order_requirements.issued_value + u.value
    FROM (SELECT number, component, sum(qty) AS qty, sum(value) AS value FROM wo_use GROUP BY ALL) u
    WHERE work_order_requirements.number = u.number
      AND work_order_requirements.component = u.component;
    UPDATE work_orders SET material_value = work_orders.material_value + u.value
    FROM (SELECT number, sum(value) AS value FROM wo_use GROUP BY ALL) u
    WHERE work_orders.number = u.number;
    UPDATE wip_operations SET material_value = wip_operations.material_value + u.value
    FROM (SELECT u.number, coalesce(u.operation, first.seq) AS seq, sum(u.value) AS value
          FROM wo_use u JOIN (SELECT number, min(seq) AS seq FROM wip_operations GROUP BY number)
               first USING (number) GROUP BY ALL) u
    WHERE wip_operations.number = u.number AND wip_operations.seq = u.seq;
    INSERT INTO work_order_lots SELECT number, position,
        CASE WHEN qty < 0 THEN 'returned' ELSE 'consumed' END, component, lot, location,
        abs(qty), abs(value), effective_at
    FROM wo_use
    """,
)
work_orders.on(
    WorkOrder.OperationReported,
    sql=f"""
    UPDATE wip_operations SET good = wip_operations.good + r.good,
        scrap = wip_operations.scrap + r.scrap, rework = wip_operations.rework + r.rework,
        labour_hours = wip_operations.labour_hours + r.lh,
        machine_hours = wip_operations.machine_hours + r.mh,
        conversion_value = wip_operations.conversion_value + r.cv
    FROM (SELECT w.number, e.operation AS seq, sum({q("good")}) AS good,
                 sum({q("scrap")}) AS scrap, sum({q("rework")}) AS rework,
                 sum({q("labour_hours")}) AS lh, sum({q("machine_hours")}) AS mh,
                 sum({m("conversion_value")}) AS cv
          FROM events {_WO_OF} WHERE topic = {WO["OperationReported"]} GROUP BY ALL) r
    WHERE wip_operations.number = r.number AND wip_operations.seq = r.seq;
    UPDATE work_orders SET conversion_value = work_orders.conversion_value + r.cv
    FROM (SELECT w.number, sum({m("conversion_value")}) AS cv FROM events {_WO_OF}
          WHERE topic = {WO["OperationReported"]} GROUP BY ALL) r
    WHERE work_orders.number = r.number
    """,
)
work_orders.on(
    WorkOrder.OutputReceived,
    sql=f"""
    UPDATE work_orders SET received = work_orders.received + r.qty,
        received_value = work_orders.received_value + r.value
    FROM (SELECT w.number, sum({q("quantity")}) AS qty, sum({m("value")}) AS value
          FROM events {_WO_OF} WHERE topic = {WO["OutputReceived"]} GROUP BY ALL) r
    WHERE work_orders.number = r.number;
    INSERT INTO work_order_lots SELECT w.number, position, 'produced', e.item, e.lot, e.location,
        {q("quantity")}, {m("value")}, effective_at
    FROM events {_WO_OF} WHERE topic = {WO["OutputReceived"]}
    """,
)
work_orders.on(
    WorkOrder.Closed,
    WorkOrder.Cancelled,
    sql=f"""
    UPDATE work_orders SET status = c.status, closed_at = c.at, actual_cost = c.actual,
        standard_cost = c.standard, material_price_variance = c.mpv,
        material_usage_variance = c.muv, efficiency_variance = c.ev, yield_variance = c.yv,
        wip_written_off = c.written_off
    FROM (SELECT stream, CASE topic WHEN {WO["Closed"]} THEN 'closed' ELSE 'cancelled' END
                 AS status, effective_at AS at, {m("actual_cost")} AS actual,
                 {m("standard_cost")} AS standard, {m("material_price_variance")} AS mpv,
                 {m("material_usage_variance")} AS muv, {m("efficiency_variance")} AS ev,
                 {m("yield_variance")} AS yv, {m("wip_written_off")} AS written_off
          FROM events WHERE topic IN ({WO["Closed"]}, {WO["Cancelled"]}) {LATEST}) c
    WHERE work_orders.stream = c.stream
    """,
)

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

PRODUCTION_PROJECTIONS = (engineering, work_orders, orders)

PRODUCTION_VIEWS = f"""
CREATE OR REPLACE VIEW wip AS
SELECT o.number, o.seq, o.work_center,
    CASE WHEN lag(o.good) OVER w IS NULL THEN wo.quantity ELSE lag(o.good) OVER w END AS started,
    o.good, o.scrap, o.rework,
    CASE WHEN lag(o.good) OVER w IS NULL THEN wo.quantity ELSE lag(o.good) OVER w END
        - o.good - o.scrap AS remaining,
    o.labour_hours, o.machine_hours, o.conversion_value, o.material_value,
    CAST((o.conversion_value + o.material_value) * CASE WHEN wo.quantity > 0 THEN
        greatest(0, 1 - wo.received / wo.quantity) ELSE 0 END AS {MONEY}) AS wip_value
FROM wip_operations o JOIN work_orders wo USING (number)
WHERE wo.status = 'released'
WINDOW w AS (PARTITION BY o.number ORDER BY o.seq);

CREATE OR REPLACE VIEW wip_by_work_center AS
SELECT work_center, count(DISTINCT number) AS work_orders, sum(remaining) AS units_in_process,
    sum(wip_value) AS wip_value
FROM wip GROUP BY work_center;

CREATE OR REPLACE VIEW open_supply AS
SELECT 'purchase_order' AS kind, number AS reference, line, sku AS item, due_date,
    greatest(0, ordered - received - cancelled) AS quantity
FROM purchase_order_lines
WHERE status IN ('draft', 'confirmed') AND ordered - received - cancelled > 0
UNION ALL
SELECT 'work_order', number, 0, item, due_date,
    greatest(0, quantity - received - coalesce(s.scrap, 0))
FROM work_orders LEFT JOIN (SELECT number, sum(scrap) AS scrap FROM wip_operations
                            GROUP BY number) s USING (number)
WHERE status IN ('created', 'released') AND quantity - received - coalesce(s.scrap, 0) > 0;

CREATE OR REPLACE VIEW open_demand AS
SELECT 'sales_order' AS kind, number AS reference, line, sku AS item, due_date,
    greatest(0, ordered - shipped) AS quantity
FROM sales_order_lines WHERE ordered - shipped > 0
UNION ALL
SELECT 'work_order', r.number, 0, r.component, w.due_date, greatest(0, r.required - r.issued)
FROM work_order_requirements r JOIN work_orders w USING (number)
WHERE w.status = 'released' AND r.required > 0 AND r.required - r.issued > 0;
"""
