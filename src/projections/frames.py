"""The read models as polars frames: what the planning package reads.

Each function takes a DuckDB connection to the read models (``ReadModels.reader()``) and
answers one frame, quantities as Float64 (the planning engine works in floats and rounds
to each item's precision itself). Column names follow the planning package's input
frames, so they pass through as they are.

* ``items``: master data and planning parameters, one row per item.
* ``on_hand``: per item, available stock not expired, and how much of it is already
  promised (``allocated``: reservations of released work orders and sales orders).
* ``open_supply`` / ``open_demand``: scheduled receipts (purchase-order lines, work-order
  output) and requirements (sales-order lines, released work orders' components) with
  due dates.
* ``bom``: the single-level bill in effect on a date, ``quantity_per`` per unit of the
  parent with the scrap allowance in; ``routing`` and ``work_centers`` for capacity.
* ``reservations`` (open, with what each is for), ``work_orders`` (open ones),
  ``consumption`` (issues per day) and ``purchase_lead_times`` (order to receipt): what
  the ledger-driven MRP and the inventory policies read besides.
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

# The version of each parent's BOM (or routing) in effect on a day: the latest
# effective_from on or before it, not yet ended.
EFFECTIVE_BOMS = """
    SELECT parent, version, output_quantity FROM boms
    WHERE effective_from <= ? AND (effective_to IS NULL OR effective_to >= ?)
    QUALIFY row_number() OVER (PARTITION BY parent ORDER BY effective_from DESC, version DESC) = 1
"""
EFFECTIVE_ROUTINGS = """
    SELECT item, version FROM routings
    WHERE effective_from <= ? AND (effective_to IS NULL OR effective_to >= ?)
    QUALIFY row_number() OVER (PARTITION BY item ORDER BY effective_from DESC, version DESC) = 1
"""


def _frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None
) -> pl.DataFrame:
    frame = pl.from_arrow(con.sql(sql, params=params or []).to_arrow_table())
    if not isinstance(frame, pl.DataFrame):  # a query always answers a table
        raise TypeError(type(frame))
    return frame


def items(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return _frame(
        con,
        """SELECT sku AS item, description, kind, unit_of_measure, precision, costing_method,
            CAST(coalesce(standard_cost, 0) AS DOUBLE) AS standard_cost,
            coalesce(lead_time_days, 0) AS lead_time_days,
            coalesce(lot_size_rule, 'lot_for_lot') AS lot_size_rule,
            CAST(coalesce(lot_size_quantity, 0) AS DOUBLE) AS lot_size_quantity,
            CAST(coalesce(minimum_lot, 0) AS DOUBLE) AS minimum_lot,
            CAST(coalesce(safety_stock, 0) AS DOUBLE) AS safety_stock,
            CAST(coalesce(reorder_point, 0) AS DOUBLE) AS reorder_point
        FROM items ORDER BY sku""",
    )


def on_hand(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Usable stock: available and unexpired. Held, quarantined, rejected and expired
    stock cannot meet a requirement until quality releases it."""
    return _frame(
        con,
        """SELECT item, CAST(available - expired AS DOUBLE) AS on_hand,
            CAST(least(reserved, available - expired) AS DOUBLE) AS allocated,
            CAST(expired AS DOUBLE) AS expired
        FROM available_to_promise ORDER BY item""",
    )


def unit_costs(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """What a unit of each item costs now: the standard for standard-cost items, the
    average on hand for the others (the last receipt's cost is not kept here)."""
    return _frame(
        con,
        """SELECT i.sku AS item, CAST(CASE WHEN i.costing_method = 'standard'
            THEN i.standard_cost ELSE v.unit_cost END AS DOUBLE) AS unit_cost
        FROM items i LEFT JOIN valuation v ON v.item = i.sku ORDER BY i.sku""",
    )


def open_supply(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return _frame(
        con,
        """SELECT kind, reference, line, item, due_date, CAST(quantity AS DOUBLE) AS quantity
        FROM open_supply ORDER BY due_date, item, reference, line""",
    )


def open_demand(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return _frame(
        con,
        """SELECT kind, reference, line, item, due_date, CAST(quantity AS DOUBLE) AS quantity
        FROM open_demand ORDER BY due_date, item, reference, line""",
    )


def allocations(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return _frame(
        con,
        """SELECT number, line, sku AS item, location, lot, CAST(quantity AS DOUBLE) AS quantity
        FROM allocations ORDER BY number, line, reservation_id""",
    )


def bom(con: duckdb.DuckDBPyConnection, on: date) -> pl.DataFrame:
    """Single level, one row per parent and component of the version in effect on
    ``on``. By-products are left out: they are produced, not required."""
    return _frame(
        con,
        f"""WITH eff AS ({EFFECTIVE_BOMS})
        SELECT b.parent, b.component, e.version,
            CAST(b.quantity / e.output_quantity * (1 + b.scrap_factor) AS DOUBLE) AS quantity_per,
            b.phantom
        FROM bom_lines b JOIN eff e USING (parent, version)
        WHERE NOT b.by_product ORDER BY b.parent, b.component""",
        [on, on],
    )


def routing(con: duckdb.DuckDBPyConnection, on: date) -> pl.DataFrame:
    return _frame(
        con,
        f"""WITH eff AS ({EFFECTIVE_ROUTINGS})
        SELECT o.item, o.seq, o.work_center, CAST(o.setup_hours AS DOUBLE) AS setup_hours,
            CAST(o.run_hours_per_unit AS DOUBLE) AS run_hours_per_unit,
            CAST(o.move_queue_hours AS DOUBLE) AS move_queue_hours
        FROM routing_operations o JOIN eff e USING (item, version) ORDER BY o.item, o.seq""",
        [on, on],
    )


def work_centers(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return _frame(
        con,
        """SELECT code AS work_center, CAST(capacity_hours_per_day AS DOUBLE)
            AS capacity_hours_per_day, len(working_days) AS working_days_per_week,
            CAST(labour_rate AS DOUBLE) AS labour_rate, CAST(machine_rate AS DOUBLE) AS machine_rate
        FROM work_centers ORDER BY code""",
    )


def reservations(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Open reservations and what each is for: ``sales_order`` (an allocation),
    ``work_order`` (a released order's components) or ``other`` (reserved by hand). MRP
    nets only ``other``: the first two stand for lines already in ``open_demand``."""
    return _frame(
        con,
        """SELECT r.item, r.reservation_id, r.reference,
            CAST(r.open_quantity AS DOUBLE) AS quantity,
            CASE WHEN a.reservation_id IS NOT NULL THEN 'sales_order'
                 WHEN w.number IS NOT NULL THEN 'work_order' ELSE 'other' END AS purpose
        FROM reservations r
        LEFT JOIN allocations a ON a.reservation_id = r.reservation_id
        LEFT JOIN work_orders w
            ON r.reservation_id = 'WO:' || w.number || ':' || r.item AND r.reference = w.number
        WHERE r.open_quantity > 0 ORDER BY r.item, r.reservation_id""",
    )


def work_orders(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Work orders not yet closed or cancelled: what they make, how many, by when."""
    return _frame(
        con,
        """SELECT number, item, status, due_date, CAST(quantity AS DOUBLE) AS quantity,
            CAST(received AS DOUBLE) AS received
        FROM work_orders WHERE status IN ('created', 'released') ORDER BY number""",
    )


def consumption(con: duckdb.DuckDBPyConnection, since: date, until: date) -> pl.DataFrame:
    """Quantity issued per item and day (``consumption_daily``), days ``since`` <= day <=
    ``until``; days without issues have no row (scrap is not demand: a day of scrap only
    is not one). ``first_day``: the item's first issue ever."""
    return _frame(
        con,
        """SELECT c.item, c.day, CAST(c.quantity AS DOUBLE) AS quantity, f.first_day
        FROM consumption_daily c
        JOIN (SELECT item, min(day) AS first_day FROM consumption_daily WHERE issues > 0
              GROUP BY item) f
            USING (item)
        WHERE c.day BETWEEN ? AND ? AND c.issues > 0 ORDER BY c.item, c.day""",
        [since, until],
    )


def purchase_lead_times(con: duckdb.DuckDBPyConnection, since: date) -> pl.DataFrame:
    """Each purchase-order receipt since ``since`` and its lead time in calendar days
    (order date to receipt date)."""
    return _frame(
        con,
        """SELECT item, number, line, supplier, CAST(received_at AS DATE) AS received_on,
            lead_time_days, CAST(quantity AS DOUBLE) AS quantity
        FROM purchase_lead_times WHERE CAST(received_at AS DATE) >= ?
        ORDER BY item, received_at, number, line""",
        [since],
    )
