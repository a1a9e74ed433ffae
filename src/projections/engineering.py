"""Engineering read models: work centers, bills of materials and routings, by version."""

from __future__ import annotations

from ledger.engineering.aggregates import BillOfMaterials, Routing, WorkCenter
from projections.engine.projection import MONEY, QTY, Projection, m, q, topic

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
