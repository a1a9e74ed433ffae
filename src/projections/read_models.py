"""The read models: one projection per model, one SQL handler per event type.

Each handler reads the page's events of its type from the temp view ``events`` (position,
stream, version, topic, state JSON, recorded_at, effective_at and the metadata columns)
and writes set-based: rows of a page are grouped by key before an upsert (DuckDB keeps
only one of two rows with the same key in one ``INSERT ... ON CONFLICT``), never one
statement per event. Handlers are registered explicitly, per event class, in order.

Sign convention of the movement rows (``stock_ledger``): ``quantity_delta`` and
``value_delta`` are positive when stock comes into the (location, lot, status) bucket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
from eventsourcing.utils import get_topic

from ledger.item import Item
from ledger.location import Location
from ledger.stock import Stock

QTY = "DECIMAL(38,6)"
MONEY = "DECIMAL(38,16)"


def topic(event_class: type) -> str:
    return get_topic(event_class)


def _q(path: str) -> str:
    return f"CAST(state->>'{path}' AS {QTY})"


def _m(path: str) -> str:
    return f"CAST(state->>'{path}' AS {MONEY})"


Handler = Callable[[duckdb.DuckDBPyConnection], None]


@dataclass
class Projection:
    """A read model: its tables, and the SQL each event type runs against them."""

    name: str
    tables: tuple[str, ...]
    ddl: str
    depends_on: tuple[str, ...] = ("catalog",)
    handlers: list[tuple[frozenset[str], str]] = field(default_factory=list)
    after: list[str] = field(default_factory=list)

    def on(self, *event_classes: type, sql: str) -> None:
        """Register ``sql`` for these event types (run when the page holds any of them)."""
        self.handlers.append((frozenset(topic(e) for e in event_classes), sql))

    def finally_(self, sql: str) -> None:
        """SQL run after the handlers of every page (clean-ups, derived columns)."""
        self.after.append(sql)

    def apply(self, con: duckdb.DuckDBPyConnection, topics: frozenset[str]) -> None:
        for wanted, sql in self.handlers:
            if wanted & topics:
                con.execute(sql)
        if any(wanted & topics for wanted, _ in self.handlers):
            for sql in self.after:
                con.execute(sql)


# --- catalog: items, locations and which stock card is which item ------------------------

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
_PLANNING = ", ".join(
    [
        "CAST(state->'$.planning'->>'$.lead_time_days' AS INTEGER)",
        "state->'$.planning'->>'$.lot_size_rule'",
        f"CAST(state->'$.planning'->>'$.lot_size_quantity' AS {QTY})",
        f"CAST(state->'$.planning'->>'$.minimum_lot' AS {QTY})",
        f"CAST(state->'$.planning'->>'$.safety_stock' AS {QTY})",
        f"CAST(state->'$.planning'->>'$.reorder_point' AS {QTY})",
    ]
)
catalog.on(
    Item.Registered,
    sql=f"""
    INSERT INTO items SELECT state->>'$.sku', stream, state->>'$.description',
        state->>'$.kind', state->>'$.unit_of_measure', CAST(state->>'$.precision' AS INTEGER),
        state->>'$.tracking', state->>'$.costing_method', {_m("$.standard_cost")},
        CAST(state->>'$.shelf_life_days' AS INTEGER),
        CAST(state->>'$.inspection_required' AS BOOLEAN), {_PLANNING}, effective_at, position
    FROM events WHERE topic = '{topic(Item.Registered)}'
    ON CONFLICT DO NOTHING
    """,
)
catalog.on(
    Item.PlanningParametersChanged,
    sql=f"""
    UPDATE items SET lead_time_days = c.lt, lot_size_rule = c.rule, lot_size_quantity = c.lsq,
        minimum_lot = c.ml, safety_stock = c.ss, reorder_point = c.rop
    FROM (SELECT stream, {_PLANNING} FROM events
          WHERE topic = '{topic(Item.PlanningParametersChanged)}'
          QUALIFY row_number() OVER (PARTITION BY stream ORDER BY position DESC) = 1)
         AS c(stream, lt, rule, lsq, ml, ss, rop)
    WHERE items.stream = c.stream
    """,
)
catalog.on(
    Item.StandardCostChanged,
    sql=f"""
    UPDATE items SET standard_cost = c.cost
    FROM (SELECT stream, {_m("$.standard_cost")} AS cost FROM events
          WHERE topic = '{topic(Item.StandardCostChanged)}'
          QUALIFY row_number() OVER (PARTITION BY stream ORDER BY position DESC) = 1) c
    WHERE items.stream = c.stream
    """,
)
catalog.on(
    Location.Registered,
    sql=f"""
    INSERT INTO locations SELECT state->>'$.code', stream, state->>'$.name', state->>'$.level',
        state->>'$.kind', state->>'$.parent', state->>'$.site', NULL, false, '', position
    FROM events WHERE topic = '{topic(Location.Registered)}'
    ON CONFLICT DO NOTHING
    """,
)
catalog.on(
    Location.Blocked,
    Location.Unblocked,
    sql=f"""
    UPDATE locations SET blocked = c.blocked, blocked_reason = c.reason
    FROM (SELECT stream, topic = '{topic(Location.Blocked)}' AS blocked,
                 CASE WHEN topic = '{topic(Location.Blocked)}' THEN state->>'$.reason' ELSE '' END
                 AS reason
          FROM events WHERE topic IN ('{topic(Location.Blocked)}', '{topic(Location.Unblocked)}')
          QUALIFY row_number() OVER (PARTITION BY stream ORDER BY position DESC) = 1) c
    WHERE locations.stream = c.stream
    """,
)
catalog.on(
    Stock.Opened,
    sql=f"""
    INSERT INTO stock_cards SELECT stream, state->>'$.sku' FROM events
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


# --- movements: every stock event as rows of (bucket, quantity and value deltas) -------

_STOCK_EVENTS = (
    Stock.Received,
    Stock.Issued,
    Stock.Moved,
    Stock.StatusChanged,
    Stock.Adjusted,
    Stock.Counted,
    Stock.Revalued,
)
_REVALUATION_LINES = (
    '[{"location":"VARCHAR","lot":"VARCHAR","status":"VARCHAR",'
    '"quantity":"VARCHAR","value_delta":"VARCHAR"}]'
)
_META = "actor, command_id, correlation_id, site"


def _moves(
    what: type, *, line: int, location: str, status: str, qty: str, value: str, extra: str
) -> str:
    return f"""
    SELECT position, {line} AS line, version, recorded_at, effective_at, c.sku AS item,
        {location} AS location, state->>'$.lot' AS lot, {status} AS status,
        {qty} AS quantity_delta, {value} AS value_delta, '{what.__qualname__}' AS event_type,
        {extra}, {_META}
    FROM events JOIN stock_cards c USING (stream) WHERE topic = '{topic(what)}'"""


_REF = "state->>'$.reference' AS reference"
LOCATION, STATUS = "state->>'$.location'", "state->>'$.status'"
FROM_STATUS, TO_STATUS = "state->>'$.from_status'", "state->>'$.to_status'"
QUANTITY, VALUE = _q("$.quantity"), _m("$.value")
QUANTITY_DELTA, VALUE_DELTA = _q("$.quantity_delta"), _m("$.value_delta")
NO_PARTY = "NULL AS counterparty"
MOVEMENTS_SQL = f"""
CREATE OR REPLACE TEMP TABLE movements AS
{
    _moves(
        Stock.Received,
        line=1,
        location=LOCATION,
        status=STATUS,
        qty=QUANTITY,
        value=VALUE,
        extra=f"{_REF}, state->>'$.supplier' AS counterparty",
    )
}
UNION ALL
{
    _moves(
        Stock.Issued,
        line=1,
        location=LOCATION,
        status="'available'",
        qty="-" + QUANTITY,
        value="-" + VALUE,
        extra=f"{_REF}, state->>'$.target_kind' || ':' || (state->>'$.target') AS counterparty",
    )
}
UNION ALL
{
    _moves(
        Stock.Moved,
        line=1,
        location="state->>'$.from_location'",
        status=STATUS,
        qty="-" + QUANTITY,
        value="-" + VALUE,
        extra=f"{_REF}, {NO_PARTY}",
    )
}
UNION ALL
{
    _moves(
        Stock.Moved,
        line=2,
        location="state->>'$.to_location'",
        status=STATUS,
        qty=QUANTITY,
        value=VALUE,
        extra=f"{_REF}, {NO_PARTY}",
    )
}
UNION ALL
{
    _moves(
        Stock.StatusChanged,
        line=1,
        location=LOCATION,
        status=FROM_STATUS,
        qty="-" + QUANTITY,
        value="-" + VALUE,
        extra=f"state->>'$.reason' AS reference, {NO_PARTY}",
    )
}
UNION ALL
{
    _moves(
        Stock.StatusChanged,
        line=2,
        location=LOCATION,
        status=TO_STATUS,
        qty=QUANTITY,
        value=VALUE,
        extra=f"state->>'$.reason' AS reference, {NO_PARTY}",
    )
}
UNION ALL
{
    _moves(
        Stock.Adjusted,
        line=1,
        location=LOCATION,
        status=STATUS,
        qty=QUANTITY_DELTA,
        value=VALUE_DELTA,
        extra=f"state->>'$.reason_code' AS reference, {NO_PARTY}",
    )
}
UNION ALL
{
    _moves(
        Stock.Counted,
        line=1,
        location=LOCATION,
        status=STATUS,
        qty=QUANTITY_DELTA,
        value=VALUE_DELTA,
        extra=f"state->>'$.count_reference' AS reference, {NO_PARTY}",
    )
}
UNION ALL
SELECT position, row_number() OVER (PARTITION BY position ORDER BY r.location, r.lot, r.status)
        AS line, version, recorded_at, effective_at, item, r.location, r.lot, r.status,
    CAST(0 AS {QTY}), CAST(r.value_delta AS {MONEY}), 'Stock.Revalued', 'standard cost change',
    NULL, {_META}
FROM (SELECT events.*, c.sku AS item, unnest(from_json(state->'$.lines', '{_REVALUATION_LINES}'))
      AS r FROM events JOIN stock_cards c USING (stream)
      WHERE topic = '{topic(Stock.Revalued)}')
"""


def movements(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(MOVEMENTS_SQL)


stock_ledger = Projection(
    name="stock_ledger",
    tables=("stock_ledger",),
    ddl=f"""
    CREATE TABLE IF NOT EXISTS stock_ledger (
        position BIGINT, line INTEGER, version BIGINT, recorded_at TIMESTAMPTZ,
        effective_at TIMESTAMPTZ, item VARCHAR, location VARCHAR, lot VARCHAR, status VARCHAR,
        quantity_delta {QTY}, value_delta {MONEY}, event_type VARCHAR, reference VARCHAR,
        counterparty VARCHAR, actor VARCHAR, command_id VARCHAR, correlation_id VARCHAR,
        site VARCHAR);
    """,
)
stock_ledger.on(
    *_STOCK_EVENTS,
    sql=MOVEMENTS_SQL
    + "; INSERT INTO stock_ledger SELECT * FROM movements ORDER BY position, line",
)


stock_on_hand = Projection(
    name="stock_on_hand",
    tables=("stock_balances", "item_valuation"),
    ddl=f"""
    CREATE TABLE IF NOT EXISTS stock_balances (
        item VARCHAR, location VARCHAR, lot VARCHAR, status VARCHAR, quantity {QTY},
        value {MONEY}, PRIMARY KEY (item, location, lot, status));
    CREATE TABLE IF NOT EXISTS item_valuation (
        item VARCHAR PRIMARY KEY, quantity {QTY}, value {MONEY});
    """,
)
stock_on_hand.on(
    *_STOCK_EVENTS,
    sql=MOVEMENTS_SQL
    + """;
    INSERT INTO stock_balances
        SELECT m.item, location, lot, status, sum(quantity_delta),
            -- A moving-average bucket has no value of its own (see the stock_on_hand view).
            sum(CASE WHEN i.costing_method = 'moving_average' THEN 0 ELSE value_delta END)
        FROM movements m JOIN items i ON i.sku = m.item GROUP BY m.item, location, lot, status
    ON CONFLICT DO UPDATE SET quantity = stock_balances.quantity + excluded.quantity,
                              value = stock_balances.value + excluded.value;
    DELETE FROM stock_balances WHERE quantity = 0;
    INSERT INTO item_valuation
        SELECT item, sum(quantity_delta), sum(value_delta) FROM movements GROUP BY ALL
    ON CONFLICT DO UPDATE SET quantity = item_valuation.quantity + excluded.quantity,
                              value = item_valuation.value + excluded.value;
    """,
)


def _layer_rows(what: type, location: str, status: str, sign: str, array: str = "$.layers") -> str:
    return f"""
    SELECT c.sku AS item, {location} AS location, state->>'$.lot' AS lot, {status} AS status,
        l.seq, {sign}CAST(l.quantity AS {QTY}) AS quantity,
        CAST(l.unit_cost AS {MONEY}) AS unit_cost
    FROM (SELECT *, unnest(from_json(state->'{array}',
            '[{{"seq":"BIGINT","quantity":"VARCHAR","unit_cost":"VARCHAR"}}]')) AS l
          FROM events WHERE topic = '{topic(what)}') e
    JOIN stock_cards c USING (stream)"""


def _delta_layer_rows(what: type) -> str:
    return f"""
    SELECT c.sku, state->>'$.location', state->>'$.lot', state->>'$.status', l.seq,
        sign(CAST(state->>'$.quantity_delta' AS {QTY})) * CAST(l.quantity AS {QTY}),
        CAST(l.unit_cost AS {MONEY})
    FROM (SELECT *, unnest(from_json(state->'$.layers',
            '[{{"seq":"BIGINT","quantity":"VARCHAR","unit_cost":"VARCHAR"}}]')) AS l
          FROM events WHERE topic = '{topic(what)}') e
    JOIN stock_cards c USING (stream)"""


cost_layers = Projection(
    name="cost_layers",
    tables=("cost_layers",),
    ddl=f"""
    CREATE TABLE IF NOT EXISTS cost_layers (
        item VARCHAR, location VARCHAR, lot VARCHAR, status VARCHAR, seq BIGINT,
        quantity {QTY}, unit_cost {MONEY}, PRIMARY KEY (item, location, lot, status, seq));
    """,
)
cost_layers.on(
    Stock.Received,
    Stock.Issued,
    Stock.Moved,
    Stock.StatusChanged,
    Stock.Adjusted,
    Stock.Counted,
    sql=f"""
    INSERT INTO cost_layers
    SELECT l.item, l.location, l.lot, l.status, l.seq, sum(l.quantity), any_value(l.unit_cost)
    FROM (
        SELECT c.sku AS item, state->>'$.location' AS location, state->>'$.lot' AS lot,
            state->>'$.status' AS status, CAST(state->>'$.layer_seq' AS BIGINT) AS seq,
            {_q("$.quantity")} AS quantity, {_m("$.unit_cost")} AS unit_cost
        FROM events JOIN stock_cards c USING (stream) WHERE topic = '{topic(Stock.Received)}'
        UNION ALL {_layer_rows(Stock.Issued, LOCATION, "'available'", "-")}
        UNION ALL {_layer_rows(Stock.Moved, "state->>'$.from_location'", STATUS, "-")}
        UNION ALL {_layer_rows(Stock.Moved, "state->>'$.to_location'", STATUS, "")}
        UNION ALL {_layer_rows(Stock.StatusChanged, LOCATION, FROM_STATUS, "-")}
        UNION ALL {_layer_rows(Stock.StatusChanged, LOCATION, TO_STATUS, "")}
        UNION ALL {_delta_layer_rows(Stock.Adjusted)}
        UNION ALL {_delta_layer_rows(Stock.Counted)}
    ) l JOIN items i ON i.sku = l.item AND i.costing_method = 'fifo'
    GROUP BY l.item, l.location, l.lot, l.status, l.seq
    ON CONFLICT DO UPDATE SET quantity = cost_layers.quantity + excluded.quantity;
    DELETE FROM cost_layers WHERE quantity = 0;
    """,
)


lots = Projection(
    name="lots",
    tables=("lots",),
    ddl="""
    CREATE TABLE IF NOT EXISTS lots (
        item VARCHAR, lot VARCHAR, supplier_lot VARCHAR, supplier VARCHAR, expiry DATE,
        first_received DATE, position BIGINT, PRIMARY KEY (item, lot));
    """,
)
lots.on(
    Stock.Received,
    sql=f"""
    INSERT INTO lots
    SELECT c.sku, state->>'$.lot', state->>'$.supplier_lot', state->>'$.supplier',
        CAST(state->>'$.expiry' AS DATE), CAST(effective_at AS DATE), position
    FROM events JOIN stock_cards c USING (stream)
    WHERE topic = '{topic(Stock.Received)}' AND state->>'$.lot' <> ''
    QUALIFY row_number() OVER (PARTITION BY c.sku, state->>'$.lot' ORDER BY position) = 1
    ON CONFLICT DO NOTHING
    """,
)


reservations = Projection(
    name="reservations",
    tables=("reservations",),
    ddl=f"""
    CREATE TABLE IF NOT EXISTS reservations (
        item VARCHAR, reservation_id VARCHAR, quantity {QTY}, open_quantity {QTY},
        location VARCHAR, lot VARCHAR, reference VARCHAR, reserved_at TIMESTAMPTZ,
        closed_at TIMESTAMPTZ, position BIGINT, PRIMARY KEY (item, reservation_id));
    """,
)
reservations.on(
    Stock.Reserved,
    sql=f"""
    INSERT INTO reservations
    SELECT c.sku, state->>'$.reservation_id', {_q("$.quantity")}, {_q("$.quantity")},
        state->>'$.location', state->>'$.lot', state->>'$.reference', effective_at, NULL,
        position
    FROM events JOIN stock_cards c USING (stream) WHERE topic = '{topic(Stock.Reserved)}'
    QUALIFY row_number() OVER (PARTITION BY c.sku, state->>'$.reservation_id'
                               ORDER BY position DESC) = 1
    ON CONFLICT DO UPDATE SET quantity = excluded.quantity, open_quantity = excluded.quantity,
        location = excluded.location, lot = excluded.lot, reference = excluded.reference,
        reserved_at = excluded.reserved_at, closed_at = NULL, position = excluded.position
    """,
)
reservations.on(
    Stock.ReservationReleased,
    Stock.Issued,
    sql=f"""
    UPDATE reservations
    SET open_quantity = greatest(0, open_quantity - d.used),
        closed_at = CASE WHEN open_quantity - d.used <= 0 THEN d.at ELSE NULL END
    FROM (SELECT c.sku AS item, state->>'$.reservation_id' AS rid, sum({_q("$.quantity")}) AS used,
                 max(effective_at) AS at, max(position) AS last
          FROM events JOIN stock_cards c USING (stream)
          WHERE topic IN ('{topic(Stock.ReservationReleased)}', '{topic(Stock.Issued)}')
            AND state->>'$.reservation_id' IS NOT NULL
          GROUP BY ALL) d
    WHERE reservations.item = d.item AND reservations.reservation_id = d.rid
      AND reservations.position < d.last
    """,
)


consumption_daily = Projection(
    name="consumption_daily",
    tables=("consumption_daily",),
    ddl=f"""
    CREATE TABLE IF NOT EXISTS consumption_daily (
        item VARCHAR, day DATE, quantity {QTY}, value {MONEY}, issues BIGINT,
        PRIMARY KEY (item, day));
    """,
)
consumption_daily.on(
    Stock.Issued,
    sql=f"""
    INSERT INTO consumption_daily
    SELECT c.sku, CAST(effective_at AS DATE), sum({_q("$.quantity")}), sum({_m("$.value")}),
        count(*)
    FROM events JOIN stock_cards c USING (stream) WHERE topic = '{topic(Stock.Issued)}'
    GROUP BY ALL
    ON CONFLICT DO UPDATE SET quantity = consumption_daily.quantity + excluded.quantity,
        value = consumption_daily.value + excluded.value,
        issues = consumption_daily.issues + excluded.issues
    """,
)

PROJECTIONS: tuple[Projection, ...] = (
    catalog,
    stock_ledger,
    stock_on_hand,
    cost_layers,
    lots,
    reservations,
    consumption_daily,
)
BY_NAME = {p.name: p for p in PROJECTIONS}

# Views over the tables: what dashboards and planners read. A moving-average item's
# bucket is valued at the item's average (its value is item-level by definition); FIFO and
# standard buckets carry their exact value.
VIEWS = f"""
CREATE OR REPLACE VIEW stock_on_hand AS
SELECT b.item, b.location, b.lot, b.status, b.quantity,
    CASE WHEN i.costing_method = 'moving_average'
         THEN CAST(round(b.quantity * v.value / nullif(v.quantity, 0), 6) AS {MONEY})
         ELSE b.value END AS value
FROM stock_balances b JOIN items i ON i.sku = b.item JOIN item_valuation v ON v.item = b.item;

CREATE OR REPLACE VIEW valuation AS
SELECT v.item, i.costing_method, v.quantity, v.value,
    CASE WHEN v.quantity <> 0 THEN CAST(v.value / v.quantity AS {MONEY}) END AS unit_cost
FROM item_valuation v JOIN items i ON i.sku = v.item;

CREATE OR REPLACE VIEW lot_status AS
SELECT l.*, coalesce(s.on_hand, 0) AS on_hand, coalesce(s.available, 0) AS available,
    coalesce(s.quarantine, 0) AS quarantine, coalesce(s.held, 0) AS held,
    coalesce(s.rejected, 0) AS rejected,
    CASE WHEN coalesce(s.on_hand, 0) = 0 THEN 'depleted'
         WHEN s.available = s.on_hand THEN 'available'
         WHEN s.available = 0 AND s.held = s.on_hand THEN 'held'
         WHEN s.available = 0 AND s.quarantine = s.on_hand THEN 'quarantine'
         WHEN s.available = 0 AND s.rejected = s.on_hand THEN 'rejected'
         ELSE 'mixed' END AS status
FROM lots l LEFT JOIN (
    SELECT item, lot, sum(quantity) AS on_hand,
        sum(quantity) FILTER (status = 'available') AS available,
        sum(quantity) FILTER (status = 'quarantine') AS quarantine,
        sum(quantity) FILTER (status = 'held') AS held,
        sum(quantity) FILTER (status = 'rejected') AS rejected
    FROM stock_balances GROUP BY item, lot) s USING (item, lot);

CREATE OR REPLACE VIEW available_to_promise AS
SELECT i.sku AS item,
    coalesce(a.available, 0) AS available,
    coalesce(a.expired, 0) AS expired,
    coalesce(r.reserved, 0) AS reserved,
    coalesce(a.available, 0) - coalesce(a.expired, 0) - coalesce(r.reserved, 0) AS free
FROM items i
LEFT JOIN (
    SELECT b.item, sum(b.quantity) AS available,
        sum(b.quantity) FILTER (l.expiry < current_date) AS expired
    FROM stock_balances b LEFT JOIN lots l ON l.item = b.item AND l.lot = b.lot
    WHERE b.status = 'available' GROUP BY b.item) a ON a.item = i.sku
LEFT JOIN (SELECT item, sum(open_quantity) AS reserved FROM reservations
           WHERE open_quantity > 0 GROUP BY item) r ON r.item = i.sku;
"""
