"""Read models of planning: planned orders and MRP runs, purchase lead times, and the
MRP inputs ``open_supply`` and ``open_demand``.

* ``planned_orders`` (tables ``planned_orders``, ``planned_order_pegging``,
  ``planning_runs``, ``planning_exceptions``): every proposal of every saved MRP run with
  its status (proposed, firmed into an order, superseded by a later run), what it is
  pegged to, and each run's exception messages.
* ``supply_lead_times`` (``purchase_orders_placed``, ``purchase_receipts``, view
  ``purchase_lead_times``): when each purchase order was placed and each of its lines
  received, so inventory policies can measure lead times from the plant's own history
  (calendar days from the order's business date to the receipt's).
* views ``open_supply`` (open purchase-order lines and work-order output still to come, as
  scheduled receipts) and ``open_demand`` (open sales-order lines and released work
  orders' components still to issue), over the orders' and production's tables, readable
  as polars frames (``projections.frames``).
"""

from __future__ import annotations

from ledger.orders.aggregates import PurchaseOrder
from ledger.planning.aggregates import PlannedOrder, PlanningBoard
from projections.engine.projection import LATEST, QTY, Projection, q, topic

planned_orders = Projection(
    name="planned_orders",
    tables=("planned_orders", "planned_order_pegging", "planning_runs", "planning_exceptions"),
    ddl=f"""
    CREATE TABLE IF NOT EXISTS planned_orders (
        number VARCHAR PRIMARY KEY, stream UUID UNIQUE, run_id VARCHAR, item VARCHAR,
        kind VARCHAR, quantity {QTY}, release_date DATE, due_date DATE, status VARCHAR,
        messages VARCHAR[], proposed_at TIMESTAMPTZ, proposed_by VARCHAR, order_kind VARCHAR,
        order_number VARCHAR, firmed_quantity {QTY}, firmed_due_date DATE,
        firmed_at TIMESTAMPTZ, firmed_by VARCHAR, superseded_by VARCHAR,
        superseded_at TIMESTAMPTZ);
    CREATE TABLE IF NOT EXISTS planned_order_pegging (
        number VARCHAR, seq INTEGER, kind VARCHAR, reference VARCHAR, quantity {QTY},
        needed_on DATE, PRIMARY KEY (number, seq));
    CREATE TABLE IF NOT EXISTS planning_runs (
        run_id VARCHAR PRIMARY KEY, proposed_at TIMESTAMPTZ, proposed_by VARCHAR,
        start_date DATE, bucket_days INTEGER, horizon INTEGER, planned_orders INTEGER,
        superseded INTEGER, position BIGINT);
    CREATE TABLE IF NOT EXISTS planning_exceptions (
        run_id VARCHAR, seq INTEGER, item VARCHAR, exception VARCHAR, reference VARCHAR,
        scheduled_date DATE, suggested_date DATE, quantity {QTY}, message VARCHAR,
        PRIMARY KEY (run_id, seq));
    """,
)
PROPOSED = topic(PlannedOrder.Proposed)
FIRMED = topic(PlannedOrder.Firmed)
SUPERSEDED = topic(PlannedOrder.Superseded)
RUN = topic(PlanningBoard.RunProposed)
planned_orders.on(
    PlannedOrder.Proposed,
    sql=f"""
    INSERT INTO planned_orders SELECT e.number, stream, e.run_id, e.item, e.kind,
        {q("quantity")}, CAST(e.release_date AS DATE), CAST(e.due_date AS DATE), 'proposed',
        e.messages, effective_at, actor, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM events WHERE topic = '{PROPOSED}' ON CONFLICT DO NOTHING;
    INSERT INTO planned_order_pegging SELECT number, seq, p.kind, p.reference,
        CAST(p.quantity AS {QTY}), CAST(p.needed_on AS DATE)
    FROM (SELECT e.number AS number, unnest(e.pegging) AS p,
                 generate_subscripts(e.pegging, 1) AS seq
          FROM events WHERE topic = '{PROPOSED}')
    ON CONFLICT DO NOTHING
    """,
)
planned_orders.on(
    PlannedOrder.Firmed,
    sql=f"""
    UPDATE planned_orders SET status = 'firmed', order_kind = f.order_kind,
        order_number = f.order_number, firmed_quantity = f.quantity,
        firmed_due_date = f.due_date, firmed_at = f.at, firmed_by = f.actor
    FROM (SELECT stream, e.order_kind, e.order_number, {q("quantity")} AS quantity,
                 CAST(e.due_date AS DATE) AS due_date, effective_at AS at, actor
          FROM events WHERE topic = '{FIRMED}' {LATEST}) f
    WHERE planned_orders.stream = f.stream
    """,
)
planned_orders.on(
    PlannedOrder.Superseded,
    sql=f"""
    UPDATE planned_orders SET status = 'superseded', superseded_by = s.by_run,
        superseded_at = s.at
    FROM (SELECT stream, e.by_run, effective_at AS at FROM events
          WHERE topic = '{SUPERSEDED}' {LATEST}) s
    WHERE planned_orders.stream = s.stream
    """,
)
planned_orders.on(
    PlanningBoard.RunProposed,
    sql=f"""
    INSERT INTO planning_runs SELECT e.run_id, effective_at, actor,
        CAST(e.start_date AS DATE), e.bucket_days, e.horizon, len(e.planned_orders),
        len(e.superseded), position
    FROM events WHERE topic = '{RUN}' ON CONFLICT DO NOTHING;
    INSERT INTO planning_exceptions SELECT run_id, seq, x.item, x.exception, x.reference,
        CAST(x.scheduled_date AS DATE), CAST(x.suggested_date AS DATE),
        CAST(x.quantity AS {QTY}), x.message
    FROM (SELECT e.run_id AS run_id, unnest(e.exceptions) AS x,
                 generate_subscripts(e.exceptions, 1) AS seq
          FROM events WHERE topic = '{RUN}')
    ON CONFLICT DO NOTHING
    """,
)

supply_lead_times = Projection(
    name="supply_lead_times",
    tables=("purchase_orders_placed", "purchase_receipts"),
    ddl=f"""
    CREATE TABLE IF NOT EXISTS purchase_orders_placed (
        number VARCHAR PRIMARY KEY, stream UUID UNIQUE, supplier VARCHAR,
        placed_at TIMESTAMPTZ);
    CREATE TABLE IF NOT EXISTS purchase_receipts (
        position BIGINT PRIMARY KEY, number VARCHAR, line INTEGER, sku VARCHAR,
        quantity {QTY}, received_at TIMESTAMPTZ);
    """,
)
supply_lead_times.on(
    PurchaseOrder.Created,
    sql=f"""
    INSERT INTO purchase_orders_placed SELECT e.number, stream, e.supplier, effective_at
    FROM events WHERE topic = '{topic(PurchaseOrder.Created)}' ON CONFLICT DO NOTHING
    """,
)
supply_lead_times.on(
    PurchaseOrder.LineReceived,
    sql=f"""
    INSERT INTO purchase_receipts SELECT position, o.number, e.line, e.sku, {q("quantity")},
        effective_at
    FROM events JOIN purchase_orders_placed o USING (stream)
    WHERE topic = '{topic(PurchaseOrder.LineReceived)}' ON CONFLICT DO NOTHING
    """,
)

PLANNING_PROJECTIONS: tuple[Projection, ...] = (planned_orders, supply_lead_times)

PLANNING_VIEWS = """
CREATE OR REPLACE VIEW purchase_lead_times AS
SELECT r.sku AS item, r.number, r.line, o.supplier, o.placed_at, r.received_at, r.quantity,
    date_diff('day', CAST(o.placed_at AS DATE), CAST(r.received_at AS DATE)) AS lead_time_days
FROM purchase_receipts r JOIN purchase_orders_placed o USING (number);

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
