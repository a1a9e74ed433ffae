"""Stock read models: the stock ledger (every movement), stock on hand and valuation,
cost layers, lots, reservations and daily consumption.

The stock events are turned into movement rows once a page (``page_movements_sql``); the
projections in ``USES_MOVEMENTS`` read them from the view ``movements``.

Sign convention of the movement rows (``stock_ledger``): ``quantity_delta`` and
``value_delta`` are positive when stock comes into the (location, lot, status) bucket.
"""

from __future__ import annotations

from ledger.catalog import event_classes
from ledger.stock.card import Stock
from projections.engine.projection import MONEY, QTY, Projection, m, q, topic

# Every event of the stock card: the movement rows read their fields.
STOCK_TOPICS = frozenset(
    topic(cls) for cls in event_classes() if topic(cls).startswith(topic(Stock) + ".")
)

# --- movements: every stock event as rows of (bucket, quantity and value deltas) -------

STOCK_EVENTS = (
    Stock.Received,
    Stock.Issued,
    Stock.Moved,
    Stock.StatusChanged,
    Stock.Adjusted,
    Stock.Counted,
    Stock.Revalued,
    Stock.LotSplit,
    Stock.LotsMerged,
    Stock.Disposed,
    Stock.Scrapped,
)
_META = "actor, command_id, correlation_id, site, session, device"
T = {e.__name__: f"'{topic(e)}'" for e in STOCK_EVENTS}
_COMMON = "position, {line} AS line, version, recorded_at, effective_at, sku AS item"
REASONED = f"({T['StatusChanged']}, {T['LotSplit']}, {T['Disposed']})"
OUT_REFERENCE = (
    f"CASE WHEN topic IN {REASONED} THEN e.reason WHEN topic = {T['Adjusted']} THEN e.reason_code"
    f" WHEN topic = {T['Counted']} THEN e.count_reference ELSE e.reference END"
)
IN_REFERENCE = f"CASE WHEN topic IN {REASONED} THEN e.reason ELSE e.reference END"
COUNTERPARTY = (
    f"CASE topic WHEN {T['Received']} THEN e.supplier"
    f" WHEN {T['Issued']} THEN e.target_kind || ':' || e.target"
    f" WHEN {T['Disposed']} THEN e.disposition || ':' || e.target"
    f" WHEN {T['Scrapped']} THEN 'scrap:' || e.reason_code"
    f" WHEN {T['LotSplit']} THEN 'lot:' || e.to_lot END"
)
SIGNED = f"({T['Adjusted']}, {T['Counted']})"
OUTGOING = (
    f"({T['Issued']}, {T['Moved']}, {T['StatusChanged']}, {T['LotSplit']}, {T['Disposed']},"
    f" {T['Scrapped']})"
)
TAIL = "split_part(topic, ':', 2) AS event_type"
# Every stock event is one movement row out of (or into) its bucket; a move, a status
# change and a lot split are two rows, out of one bucket and into another; a merge is one
# row out of each lot merged and one into the new lot; a revaluation is one row per
# bucket it revalued, with value only. Four passes over the page, whatever the mix.
STOCK_PAGE = f"""
CREATE OR REPLACE TEMP VIEW stock_page AS
SELECT page.*, c.sku FROM {{source}} AS page JOIN stock_cards c USING (stream)
WHERE topic IN ({", ".join(T.values())})"""
OUT_OF_BUCKET = f"""
SELECT {_COMMON.format(line=1)},
    CASE topic WHEN {T["Moved"]} THEN e.from_location ELSE e.location END AS location,
    CASE topic WHEN {T["LotSplit"]} THEN e.from_lot ELSE e.lot END AS lot,
    CASE WHEN topic IN ({T["Issued"]}, {T["Scrapped"]}) THEN 'available'
         WHEN topic = {T["StatusChanged"]} THEN e.from_status ELSE e.status END AS status,
    CASE WHEN topic IN {SIGNED} THEN {q("quantity_delta")}
         WHEN topic IN {OUTGOING} THEN -{q("quantity")}
         ELSE {q("quantity")} END AS quantity_delta,
    CASE WHEN topic IN {SIGNED} THEN {m("value_delta")}
         WHEN topic IN {OUTGOING} THEN -{m("value")}
         ELSE {m("value")} END AS value_delta,
    {TAIL}, {OUT_REFERENCE} AS reference, {COUNTERPARTY} AS counterparty, {_META}
FROM stock_page WHERE topic NOT IN ({T["Revalued"]}, {T["LotsMerged"]})"""
INTO_BUCKET = f"""
SELECT {_COMMON.format(line=2)},
    CASE topic WHEN {T["Moved"]} THEN e.to_location ELSE e.location END,
    CASE topic WHEN {T["LotSplit"]} THEN e.to_lot ELSE e.lot END,
    CASE topic WHEN {T["StatusChanged"]} THEN e.to_status ELSE e.status END,
    {q("quantity")}, {m("value")}, {TAIL}, {IN_REFERENCE},
    CASE topic WHEN {T["LotSplit"]} THEN 'lot:' || e.from_lot END,
    actor, command_id, correlation_id,
    CASE topic WHEN {T["Moved"]} THEN coalesce(e.to_site, site) ELSE site END, session, device
FROM stock_page WHERE topic IN ({T["Moved"]}, {T["StatusChanged"]}, {T["LotSplit"]})"""
REVALUED = f"""
SELECT position, row_number() OVER (PARTITION BY position ORDER BY r.location, r.lot, r.status),
    version, recorded_at, effective_at, sku, r.location, r.lot, r.status,
    CAST(0 AS {QTY}), CAST(r.value_delta AS {MONEY}), 'Stock.Revalued', 'standard cost change',
    NULL, {_META}
FROM (SELECT *, unnest(e.lines) AS r FROM stock_page WHERE topic = {T["Revalued"]})"""
MERGED = f"""
SELECT position, n, version, recorded_at, effective_at, sku, e.location, p.lot, e.status,
    -CAST(p.quantity AS {QTY}), -CAST(p.value AS {MONEY}), {TAIL}, e.reason, 'lot:' || e.to_lot,
    {_META}
FROM (SELECT *, unnest(e.parts) AS p, generate_subscripts(e.parts, 1) AS n FROM stock_page
      WHERE topic = {T["LotsMerged"]})
UNION ALL
SELECT position, len(e.parts) + 1, version, recorded_at, effective_at, sku, e.location, e.to_lot,
    e.status, {q("quantity")}, {m("value")}, {TAIL}, e.reason, NULL, {_META}
FROM stock_page WHERE topic = {T["LotsMerged"]}"""
# A row's site is the site of the location it touches (a move between sites: the sender's
# on the row out, the receiver's on the row in), from the catalog: exact for every event,
# those recorded before a move named its destination's site and those whose command names
# no single site (a lot held everywhere, a revaluation) included.
ROW_SITE = "coalesce(l.site, nullif(mv.site, ''), '')"
TWO_ROWS = frozenset({topic(Stock.Moved), topic(Stock.StatusChanged), topic(Stock.LotSplit)})


def movement_passes(topics: frozenset[str] | None = None) -> str:
    """The SELECT of the movement rows of ``stock_page`` (every pass, or the ones the
    page's event types need)."""
    passes = [OUT_OF_BUCKET]
    if topics is None or topics & TWO_ROWS:
        passes.append(INTO_BUCKET)
    if topics is None or topic(Stock.Revalued) in topics:
        passes.append(REVALUED)
    if topics is None or topic(Stock.LotsMerged) in topics:
        passes.append(MERGED)
    return "\nUNION ALL".join(passes)


def stock_page_sql(source: str = "page") -> str:
    return STOCK_PAGE.replace("{source}", source)


def page_movements_sql(source: str = "page", topics: frozenset[str] | None = None) -> str:
    """Derive the movement rows of ``source`` (the staged page, or one event of it). Only
    the passes the page's event types need are planned: a query's planning is most of
    the cost of a small page."""
    return (
        stock_page_sql(source)
        + ";\nCREATE OR REPLACE TEMP TABLE page_movements AS"
        + f" SELECT mv.* REPLACE ({ROW_SITE} AS site) FROM ({movement_passes(topics)}) mv"
        + " LEFT JOIN locations l ON l.code = mv.location"
    )


stock_ledger = Projection(
    name="stock_ledger",
    tables=("stock_ledger",),
    ddl=f"""
    CREATE TABLE IF NOT EXISTS stock_ledger (
        position BIGINT, line INTEGER, version BIGINT, recorded_at TIMESTAMPTZ,
        effective_at TIMESTAMPTZ, item VARCHAR, location VARCHAR, lot VARCHAR, status VARCHAR,
        quantity_delta {QTY}, value_delta {MONEY}, event_type VARCHAR, reference VARCHAR,
        counterparty VARCHAR, actor VARCHAR, command_id VARCHAR, correlation_id VARCHAR,
        site VARCHAR, session VARCHAR, device VARCHAR);
    """,
)
stock_ledger.on(
    *STOCK_EVENTS, sql="INSERT INTO stock_ledger SELECT * FROM movements ORDER BY position, line"
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
    *STOCK_EVENTS,
    sql="""
    MERGE INTO stock_balances b
    USING (SELECT mv.item, location, lot, status, sum(quantity_delta) AS quantity,
               -- A moving-average bucket has no value of its own (see the view below).
               sum(CASE WHEN i.costing_method = 'moving_average' THEN 0 ELSE value_delta END)
               AS value
           FROM movements mv JOIN items i ON i.sku = mv.item
           GROUP BY mv.item, location, lot, status) d
    ON b.item = d.item AND b.location = d.location AND b.lot = d.lot AND b.status = d.status
    WHEN MATCHED AND b.quantity + d.quantity = 0 THEN DELETE
    WHEN MATCHED THEN UPDATE SET quantity = b.quantity + d.quantity, value = b.value + d.value
    WHEN NOT MATCHED AND d.quantity <> 0 THEN INSERT VALUES
        (d.item, d.location, d.lot, d.status, d.quantity, d.value);
    INSERT INTO item_valuation
        SELECT item, sum(quantity_delta), sum(value_delta) FROM movements GROUP BY ALL
    ON CONFLICT DO UPDATE SET quantity = item_valuation.quantity + excluded.quantity,
                              value = item_valuation.value + excluded.value;
    """,
)


def _layer_rows(what: type, location: str, status: str, sign: str, lot: str = "e.lot") -> str:
    return f"""
    SELECT c.sku AS item, {location} AS location, {lot} AS lot, {status} AS status,
        l.seq, {sign}CAST(l.quantity AS {QTY}) AS quantity,
        CAST(l.unit_cost AS {MONEY}) AS unit_cost
    FROM (SELECT *, unnest(e.layers) AS l FROM events WHERE topic = '{topic(what)}')
    JOIN stock_cards c USING (stream)"""


def _delta_layer_rows(what: type) -> str:
    return f"""
    SELECT c.sku, e.location, e.lot, e.status, l.seq,
        sign({q("quantity_delta")}) * CAST(l.quantity AS {QTY}), CAST(l.unit_cost AS {MONEY})
    FROM (SELECT *, unnest(e.layers) AS l FROM events WHERE topic = '{topic(what)}')
    JOIN stock_cards c USING (stream)"""


def _upsert_layers(rows: str) -> str:
    """Layer rows of one event type, folded by key, added to the FIFO items' layers."""
    return f"""
    INSERT INTO cost_layers
    SELECT l.item, l.location, l.lot, l.status, l.seq, sum(l.quantity), any_value(l.unit_cost)
    FROM ({rows}) AS l(item, location, lot, status, seq, quantity, unit_cost)
    JOIN items i ON i.sku = l.item AND i.costing_method = 'fifo'
    GROUP BY l.item, l.location, l.lot, l.status, l.seq
    ON CONFLICT DO UPDATE SET quantity = cost_layers.quantity + excluded.quantity"""


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
    sql=_upsert_layers(
        f"""SELECT c.sku, e.location, e.lot, e.status, e.layer_seq, {q("quantity")},
            {m("unit_cost")}
        FROM events JOIN stock_cards c USING (stream) WHERE topic = '{topic(Stock.Received)}'"""
    ),
)
cost_layers.on(
    Stock.Issued, sql=_upsert_layers(_layer_rows(Stock.Issued, "e.location", "'available'", "-"))
)
cost_layers.on(
    Stock.Moved,
    sql=_upsert_layers(
        _layer_rows(Stock.Moved, "e.from_location", "e.status", "-")
        + " UNION ALL "
        + _layer_rows(Stock.Moved, "e.to_location", "e.status", "")
    ),
)
cost_layers.on(
    Stock.StatusChanged,
    sql=_upsert_layers(
        _layer_rows(Stock.StatusChanged, "e.location", "e.from_status", "-")
        + " UNION ALL "
        + _layer_rows(Stock.StatusChanged, "e.location", "e.to_status", "")
    ),
)
cost_layers.on(Stock.Adjusted, sql=_upsert_layers(_delta_layer_rows(Stock.Adjusted)))
cost_layers.on(Stock.Counted, sql=_upsert_layers(_delta_layer_rows(Stock.Counted)))
cost_layers.on(
    Stock.LotSplit,
    sql=_upsert_layers(
        _layer_rows(Stock.LotSplit, "e.location", "e.status", "-", lot="e.from_lot")
        + " UNION ALL "
        + _layer_rows(Stock.LotSplit, "e.location", "e.status", "", lot="e.to_lot")
    ),
)
_MERGED_LAYERS = f"""
    SELECT c.sku, e.location, {{lot}}, e.status, l.seq, {{sign}}CAST(l.quantity AS {QTY}),
        CAST(l.unit_cost AS {MONEY})
    FROM (SELECT *, unnest(p.layers) AS l FROM (
              SELECT *, unnest(e.parts) AS p FROM events
              WHERE topic = '{topic(Stock.LotsMerged)}'))
    JOIN stock_cards c USING (stream)"""
cost_layers.on(
    Stock.LotsMerged,
    sql=_upsert_layers(
        _MERGED_LAYERS.format(lot="p.lot", sign="-")
        + " UNION ALL "
        + _MERGED_LAYERS.format(lot="e.to_lot", sign="")
    ),
)
cost_layers.on(
    Stock.Disposed,
    sql=_upsert_layers(_layer_rows(Stock.Disposed, "e.location", "e.status", "-")),
)
cost_layers.on(
    Stock.Scrapped,
    sql=_upsert_layers(_layer_rows(Stock.Scrapped, "e.location", "'available'", "-")),
)
cost_layers.finally_("DELETE FROM cost_layers WHERE quantity = 0")


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
    SELECT c.sku, e.lot, e.supplier_lot, e.supplier, CAST(e.expiry AS DATE),
        CAST(effective_at AS DATE), position
    FROM events JOIN stock_cards c USING (stream)
    WHERE topic = '{topic(Stock.Received)}' AND e.lot <> ''
    QUALIFY row_number() OVER (PARTITION BY c.sku, e.lot ORDER BY position) = 1
    ON CONFLICT DO NOTHING
    """,
)
_ONE = "CASE WHEN count(DISTINCT coalesce({0}, chr(0))) = 1 THEN any_value({0}) END"
# A lot made by a split or a merge keeps its sources' supplier lot (and supplier) when
# they share one, their earliest expiry and first receipt, as the stock card does.
lots.on(
    Stock.LotSplit,
    Stock.LotsMerged,
    sql=f"""
    INSERT INTO lots
    SELECT n.item, n.lot, {_ONE.format("l.supplier_lot")}, {_ONE.format("l.supplier")},
        min(l.expiry), coalesce(min(l.first_received), CAST(min(n.at) AS DATE)), min(n.position)
    FROM (SELECT c.sku AS item, e.to_lot AS lot, unnest(CASE topic
              WHEN '{topic(Stock.LotSplit)}' THEN [e.from_lot]
              ELSE list_transform(e.parts, lambda p: p.lot) END) AS source,
              effective_at AS at, position
          FROM events JOIN stock_cards c USING (stream)
          WHERE topic IN ('{topic(Stock.LotSplit)}', '{topic(Stock.LotsMerged)}')) n
    LEFT JOIN lots l ON l.item = n.item AND l.lot = n.source
    GROUP BY n.item, n.lot
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
    SELECT c.sku, e.reservation_id, {q("quantity")}, {q("quantity")}, e.location, e.lot,
        e.reference, effective_at, NULL, position
    FROM events JOIN stock_cards c USING (stream) WHERE topic = '{topic(Stock.Reserved)}'
    QUALIFY row_number() OVER (PARTITION BY c.sku, e.reservation_id ORDER BY position DESC) = 1
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
    FROM (SELECT c.sku AS item, e.reservation_id AS rid, sum({q("quantity")}) AS used,
                 max(effective_at) AS at, max(position) AS last
          FROM events JOIN stock_cards c USING (stream)
          WHERE topic IN ('{topic(Stock.ReservationReleased)}', '{topic(Stock.Issued)}')
            AND e.reservation_id IS NOT NULL
          GROUP BY ALL) d
    WHERE reservations.item = d.item AND reservations.reservation_id = d.rid
      AND reservations.position < d.last
    """,
)


# Issues and scrap per item and day, side by side: scrap is not demand, so planning reads
# the issues only (``frames.consumption``).
consumption_daily = Projection(
    name="consumption_daily",
    tables=("consumption_daily",),
    ddl=f"""
    CREATE TABLE IF NOT EXISTS consumption_daily (
        item VARCHAR, day DATE, quantity {QTY}, value {MONEY}, issues BIGINT,
        scrapped {QTY}, scrapped_value {MONEY}, scraps BIGINT, PRIMARY KEY (item, day));
    """,
)
_ISSUED, _SCRAPPED = "event_type = 'Stock.Issued'", "event_type = 'Stock.Scrapped'"
consumption_daily.on(
    Stock.Issued,
    Stock.Scrapped,
    sql=f"""
    INSERT INTO consumption_daily
    SELECT item, CAST(effective_at AS DATE),
        coalesce(-sum(quantity_delta) FILTER ({_ISSUED}), 0),
        coalesce(-sum(value_delta) FILTER ({_ISSUED}), 0), count(*) FILTER ({_ISSUED}),
        coalesce(-sum(quantity_delta) FILTER ({_SCRAPPED}), 0),
        coalesce(-sum(value_delta) FILTER ({_SCRAPPED}), 0), count(*) FILTER ({_SCRAPPED})
    FROM movements WHERE {_ISSUED} OR {_SCRAPPED} GROUP BY ALL
    ON CONFLICT DO UPDATE SET quantity = consumption_daily.quantity + excluded.quantity,
        value = consumption_daily.value + excluded.value,
        issues = consumption_daily.issues + excluded.issues,
        scrapped = consumption_daily.scrapped + excluded.scrapped,
        scrapped_value = consumption_daily.scrapped_value + excluded.scrapped_value,
        scraps = consumption_daily.scraps + excluded.scraps
    """,
)

STOCK_PROJECTIONS: tuple[Projection, ...] = (
    stock_ledger,
    stock_on_hand,
    cost_layers,
    lots,
    reservations,
    consumption_daily,
)
# Projections that read the page's movement rows (the runner derives them once a page).
USES_MOVEMENTS = frozenset({"stock_ledger", "stock_on_hand", "consumption_daily"})


def lot_status_of(balances: str = "stock_balances") -> str:
    """The body of view ``lot_status`` over ``balances`` (a table, or a subquery that
    keeps some of its rows: the read side narrows it to the places a caller may see)."""
    return f"""
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
        coalesce(sum(quantity) FILTER (status = 'available'), 0) AS available,
        coalesce(sum(quantity) FILTER (status = 'quarantine'), 0) AS quarantine,
        coalesce(sum(quantity) FILTER (status = 'held'), 0) AS held,
        coalesce(sum(quantity) FILTER (status = 'rejected'), 0) AS rejected
    FROM {balances} GROUP BY item, lot) s USING (item, lot)"""


def available_to_promise_of(
    balances: str = "stock_balances", reservations: str = "reservations"
) -> str:
    """The body of view ``available_to_promise`` over ``balances`` and ``reservations``."""
    return f"""
SELECT i.sku AS item,
    coalesce(a.available, 0) AS available,
    coalesce(a.expired, 0) AS expired,
    coalesce(r.reserved, 0) AS reserved,
    coalesce(a.available, 0) - coalesce(a.expired, 0) - coalesce(r.reserved, 0) AS free
FROM items i
LEFT JOIN (
    SELECT b.item, sum(b.quantity) AS available,
        sum(b.quantity) FILTER (l.expiry < current_date) AS expired
    FROM {balances} b LEFT JOIN lots l ON l.item = b.item AND l.lot = b.lot
    WHERE b.status = 'available' GROUP BY b.item) a ON a.item = i.sku
LEFT JOIN (SELECT item, sum(open_quantity) AS reserved FROM {reservations}
           WHERE open_quantity > 0 GROUP BY item) r ON r.item = i.sku"""


# Views over the tables: what dashboards and planners read. A moving-average item's
# bucket is valued at the item's average (its value is item-level by definition); FIFO and
# standard buckets carry their exact value.
STOCK_VIEWS = f"""
CREATE OR REPLACE VIEW stock_on_hand AS
SELECT b.item, b.location, b.lot, b.status, b.quantity,
    CASE WHEN i.costing_method = 'moving_average'
         THEN value_share(v.value, b.quantity, v.quantity)
         ELSE b.value END AS value
FROM stock_balances b JOIN items i ON i.sku = b.item JOIN item_valuation v ON v.item = b.item;

CREATE OR REPLACE VIEW valuation AS
SELECT v.item, i.costing_method, v.quantity, v.value,
    unit_value(v.value, v.quantity) AS unit_cost
FROM item_valuation v JOIN items i ON i.sku = v.item;

CREATE OR REPLACE VIEW lot_status AS{lot_status_of()};

CREATE OR REPLACE VIEW available_to_promise AS{available_to_promise_of()};
"""
