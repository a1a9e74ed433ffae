"""Master data read models: items, locations, and which stock card is which item.

The ``catalog`` projection comes first in every page: the other features join on it.
"""

from __future__ import annotations

from ledger.master_data.item import Item
from ledger.master_data.location import Location
from ledger.stock.card import Stock
from projections.engine.projection import LATEST, MONEY, QTY, Projection, m, topic

catalog = Projection(
    name="catalog",
    depends_on=(),
    tables=("items", "locations", "stock_cards"),
    ddl=f"""
    CREATE TABLE IF NOT EXISTS items (
        sku VARCHAR PRIMARY KEY, stream UUID UNIQUE, description VARCHAR, kind VARCHAR,
        unit_of_measure VARCHAR, precision INTEGER, tracking VARCHAR, costing_method VARCHAR,
        standard_cost {MONEY}, shelf_life_days INTEGER, inspection_required BOOLEAN,
        lead_time_days INTEGER, lot_size_rule VARCHAR, lot_size_quantity {QTY},
        minimum_lot {QTY}, safety_stock {QTY}, reorder_point {QTY},
        registered_at TIMESTAMPTZ, position BIGINT);
    CREATE TABLE IF NOT EXISTS locations (
        code VARCHAR PRIMARY KEY, stream UUID UNIQUE, name VARCHAR, level VARCHAR,
        kind VARCHAR, parent VARCHAR, site VARCHAR, path VARCHAR, blocked BOOLEAN,
        blocked_reason VARCHAR, position BIGINT);
    CREATE TABLE IF NOT EXISTS stock_cards (stream UUID PRIMARY KEY, sku VARCHAR);
    """,
)
PLANNING = (
    f"e.planning.lead_time_days, e.planning.lot_size_rule,"
    f" CAST(e.planning.lot_size_quantity AS {QTY}), CAST(e.planning.minimum_lot AS {QTY}),"
    f" CAST(e.planning.safety_stock AS {QTY}), CAST(e.planning.reorder_point AS {QTY})"
)
catalog.on(
    Item.Registered,
    sql=f"""
    INSERT INTO items SELECT e.sku, stream, e.description, e.kind, e.unit_of_measure,
        e.precision, e.tracking, e.costing_method, {m("standard_cost")}, e.shelf_life_days,
        e.inspection_required, {PLANNING}, effective_at, position
    FROM events WHERE topic = '{topic(Item.Registered)}'
    ON CONFLICT DO NOTHING
    """,
)
catalog.on(
    Item.PlanningParametersChanged,
    sql=f"""
    UPDATE items SET lead_time_days = c.lt, lot_size_rule = c.rule, lot_size_quantity = c.lsq,
        minimum_lot = c.ml, safety_stock = c.ss, reorder_point = c.rop
    FROM (SELECT stream, {PLANNING} FROM events
          WHERE topic = '{topic(Item.PlanningParametersChanged)}' {LATEST})
         AS c(stream, lt, rule, lsq, ml, ss, rop)
    WHERE items.stream = c.stream
    """,
)
catalog.on(
    Item.StandardCostChanged,
    sql=f"""
    UPDATE items SET standard_cost = c.cost
    FROM (SELECT stream, {m("standard_cost")} AS cost FROM events
          WHERE topic = '{topic(Item.StandardCostChanged)}' {LATEST}) c
    WHERE items.stream = c.stream
    """,
)
catalog.on(
    Location.Registered,
    sql=f"""
    INSERT INTO locations SELECT e.code, stream, e.name, e.level, e.kind, e.parent, e.site,
        NULL, false, '', position
    FROM events WHERE topic = '{topic(Location.Registered)}'
    ON CONFLICT DO NOTHING
    """,
)
BLOCKED, UNBLOCKED = topic(Location.Blocked), topic(Location.Unblocked)
catalog.on(
    Location.Blocked,
    Location.Unblocked,
    sql=f"""
    UPDATE locations SET blocked = c.blocked, blocked_reason = c.reason
    FROM (SELECT stream, topic = '{BLOCKED}' AS blocked,
                 CASE WHEN topic = '{BLOCKED}' THEN e.reason ELSE '' END AS reason
          FROM events WHERE topic IN ('{BLOCKED}', '{UNBLOCKED}') {LATEST}) c
    WHERE locations.stream = c.stream
    """,
)
catalog.on(
    Stock.Opened,
    sql=f"""
    INSERT INTO stock_cards SELECT stream, e.sku FROM events
    WHERE topic = '{topic(Stock.Opened)}' ON CONFLICT DO NOTHING
    """,
)
# A location's path (PLANT1/WH-MAIN/RACK-A/A-01) answers "everything under RACK-A".
catalog.finally_(
    """
    UPDATE locations SET path = t.path FROM (
        WITH RECURSIVE t(code, path) AS (
            SELECT code, code FROM locations WHERE parent IS NULL
            UNION ALL
            SELECT l.code, t.path || '/' || l.code FROM locations l JOIN t ON l.parent = t.code)
        SELECT code, path FROM t) t
    WHERE locations.code = t.code AND locations.path IS NULL
    """
)
