"""Production read models: work orders, their operations (WIP), requirements and lots.

The ``wip`` views value what is still on the floor per operation and per work center.
"""

from __future__ import annotations

from ledger.production.work_order import WorkOrder
from projections.engine.projection import LATEST, MONEY, QTY, Projection, m, q, topic

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

PRODUCTION_PROJECTIONS: tuple[Projection, ...] = (work_orders,)

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
"""
