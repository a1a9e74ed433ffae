"""Stock's root fields: balances and the stock ledger, time travel (asOf / knownAt), lots,
valuation, reservations, available to promise, consumption.

``asOf`` answers come from the stock ledger by business (effective) time; ``knownAt``
also drops what was recorded after that instant, so "what did the system believe on
date X" is ``knownAt: X`` (asOf defaults to knownAt). Most fields take ``minPosition``:
the log position a command answered with; the query waits (bounded) until the
projections have reached it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from projections.stock import available_to_promise_of, lot_status_of
from queries.access import Scope, in_scope
from queries.context import Context, described, selected
from queries.enums import CostingMethod
from queries.pagination import PageInfo, cursor, page_size, uncursor
from queries.stock.types import (
    AvailableToPromise,
    ConsumptionDay,
    ItemValue,
    LedgerPage,
    LedgerRow,
    Lot,
    MethodValue,
    Reservation,
    StockFilter,
    StockOnHand,
    StockRow,
    Valuation,
)

ZERO = Decimal(0)
UNIT_COST_PLACES = Decimal("0.000001")
STOCK_COLUMNS = "item, location, lot, status, quantity, value"
# Nearly unique texts cost most of a filtered scan of the ledger (17 ms of an item's 50
# rows out of 1.2M, 4 ms without them): read only when the query asks for them.
# GraphQL field: (column, what stands in for it when the query does not select it).
LEDGER_TEXTS = {
    "reference": ("reference", "NULL"),
    "commandId": ("command_id", "''"),
    "correlationId": ("correlation_id", "''"),
    "session": ("session", "NULL"),
    "device": ("device", "NULL"),
}


def _ledger_columns(fields: set[str]) -> str:
    skipped = [
        f"{empty} AS {column}"
        for name, (column, empty) in LEDGER_TEXTS.items()
        if name not in fields
    ]
    return f"* REPLACE ({', '.join(skipped)})" if skipped else "*"


SUBTREE = (
    "location IN (SELECT code FROM locations WHERE path = (SELECT path FROM locations"
    " WHERE code = ?) OR starts_with(path, (SELECT path FROM locations WHERE code = ?) || '/'))"
)


def stock_where(f: StockFilter | None) -> tuple[str, list[Any]]:
    if f is None:
        return "TRUE", []
    clauses: list[str] = []
    params: list[Any] = []
    if f.item is not None:
        clauses.append("item = ?")
        params.append(f.item)
    if f.items is not None:
        clauses.append("list_contains(?, item)")
        params.append(f.items)
    if f.item_kind is not None:
        clauses.append("item IN (SELECT sku FROM items WHERE kind = ?)")
        params.append(f.item_kind.value)
    if f.location is not None:
        clauses.append(SUBTREE)
        params += [f.location, f.location]
    if f.lot is not None:
        clauses.append("lot = ?")
        params.append(f.lot)
    if f.status is not None:
        clauses.append("status = ?")
        params.append(f.status.value)
    return " AND ".join(clauses) or "TRUE", params


_ISSUED, _SCRAPPED = "event_type = 'Stock.Issued'", "event_type = 'Stock.Scrapped'"
# consumption_daily's rows, summed from the ledger rows ``where`` keeps.
CONSUMPTION_OF = f"""
SELECT item, CAST(effective_at AS DATE) AS day,
    coalesce(-sum(quantity_delta) FILTER ({_ISSUED}), 0) AS quantity,
    coalesce(-sum(value_delta) FILTER ({_ISSUED}), 0) AS value,
    count(*) FILTER ({_ISSUED}) AS issues,
    coalesce(-sum(quantity_delta) FILTER ({_SCRAPPED}), 0) AS scrapped,
    coalesce(-sum(value_delta) FILTER ({_SCRAPPED}), 0) AS scrapped_value,
    count(*) FILTER ({_SCRAPPED}) AS scraps
FROM stock_ledger WHERE ({_ISSUED} OR {_SCRAPPED}) AND {{where}} GROUP BY ALL"""


def window_of(as_of: datetime | None, known_at: datetime | None) -> tuple[str, list[Any]]:
    clauses = ["effective_at <= ?"]
    params: list[Any] = [as_of or known_at]
    if known_at is not None:
        clauses.append("recorded_at <= ?")
        params.append(known_at)
    return " AND ".join(clauses), params


def as_of_stock(window: str) -> str:
    """Balances from the ledger at an instant; a moving-average item's buckets are valued
    at that instant's average, like the live view."""
    return f"""
    WITH l AS (SELECT * FROM stock_ledger WHERE {window}),
    b AS (SELECT item, location, lot, status, sum(quantity_delta) AS quantity,
                 sum(value_delta) AS value FROM l GROUP BY ALL HAVING sum(quantity_delta) <> 0),
    v AS (SELECT item, sum(quantity_delta) AS q, sum(value_delta) AS val FROM l GROUP BY item)
    SELECT b.item, b.location, b.lot, b.status, b.quantity,
        CASE WHEN i.costing_method = 'moving_average'
             THEN value_share(v.val, b.quantity, v.q)
             ELSE b.value END AS value
    FROM b JOIN items i ON i.sku = b.item JOIN v ON v.item = b.item"""


def stock_on_hand_query(
    f: StockFilter | None,
    as_of: datetime | None,
    known_at: datetime | None,
    scoped: tuple[str, list[Any]],
) -> tuple[str, list[Any]]:
    """Stock on hand (now, or asOf / knownAt from the ledger) of the buckets ``f`` and the
    caller's scope (a condition on ``location`` and its parameters) keep, in bucket order:
    the SQL of ``stockOnHand`` and of its export."""
    where, params = stock_where(f)
    where, params = f"{where} AND {scoped[0]}", params + scoped[1]
    if as_of is None and known_at is None:
        sql = f"SELECT {STOCK_COLUMNS} FROM stock_on_hand WHERE {where}"
    else:
        window, window_params = window_of(as_of, known_at)
        sql = f"SELECT * FROM ({as_of_stock(window)}) WHERE {where}"
        params = window_params + params
    return sql + " ORDER BY item, location, lot, status", params


def stock_ledger_where(
    f: StockFilter | None,
    as_of: datetime | None,
    known_at: datetime | None,
    event_type: str | None,
    scoped: tuple[str, list[Any]],
) -> tuple[str, list[Any]]:
    """The condition on ``stock_ledger`` of ``stockLedger`` and of its export."""
    where, params = stock_where(f)
    where, params = f"{where} AND {scoped[0]}", params + scoped[1]
    if as_of is not None or known_at is not None:
        window, window_params = window_of(as_of, known_at)
        where += f" AND {window}"
        params += window_params
    if event_type is not None:
        where += " AND event_type = ?"
        params.append(event_type)
    return where, params


def valuation_source(
    as_of: datetime | None, known_at: datetime | None, scope: Scope | None
) -> tuple[str, list[Any]]:
    """Quantity and value per item, now or asOf / knownAt, of the places ``scope`` covers:
    what ``valuation`` and its export sum."""
    here, here_params = in_scope(scope, "location")
    if as_of is None and known_at is None and scope is None:
        return "SELECT item, quantity, value FROM item_valuation", []
    if as_of is None and known_at is None:
        # The value of the places the caller may read: their buckets, as the live view
        # values them (a moving-average bucket at its item's average).
        return (
            (
                "SELECT item, sum(quantity) AS quantity, sum(value) AS value"
                f" FROM stock_on_hand WHERE {here} GROUP BY item"
            ),
            here_params,
        )
    window, params = window_of(as_of, known_at)
    return (
        (
            "SELECT item, sum(quantity_delta) AS quantity, sum(value_delta) AS value"
            f" FROM stock_ledger WHERE {window} AND {here} GROUP BY item"
        ),
        params + here_params,
    )


@strawberry.type
class StockQuery:
    @described("Stock on hand now, or asOf / knownAt a past instant.")
    async def stock_on_hand(
        self,
        info: Info[Context, None],
        filter: StockFilter | None = None,  # noqa: A002 - the GraphQL argument's name
        as_of: datetime | None = None,
        known_at: datetime | None = None,
        min_position: int | None = None,
    ) -> StockOnHand:
        ctx = info.context
        await ctx.ready(min_position)
        sql, params = stock_on_hand_query(
            filter, as_of, known_at, ctx.in_scope("stockOnHand", "location")
        )
        rows = [StockRow.from_row(r) for r in await ctx.rows(sql, params)]
        position = ctx.runner.position if ctx.runner is not None else 0
        return StockOnHand(
            rows=rows,
            total_quantity=sum((r.quantity for r in rows), ZERO),
            total_value=sum((r.value for r in rows), ZERO),
            as_of=as_of or known_at,
            known_at=known_at,
            position=position,
        )

    @described("The stock ledger: one row per movement, in log order.")
    async def stock_ledger(
        self,
        info: Info[Context, None],
        filter: StockFilter | None = None,  # noqa: A002
        as_of: datetime | None = None,
        known_at: datetime | None = None,
        event_type: str | None = None,
        first: int = 100,
        after: str | None = None,
        min_position: int | None = None,
    ) -> LedgerPage:
        ctx = info.context
        size = page_size(first)
        await ctx.ready(min_position)
        where, params = stock_ledger_where(
            filter, as_of, known_at, event_type, ctx.in_scope("stockLedger", "location")
        )
        if after is not None:
            where += " AND (position, line) > (?, ?)"
            params += list(uncursor(after))
        columns = _ledger_columns(selected(info))
        rows = await ctx.rows(
            f"SELECT {columns} FROM stock_ledger WHERE {where}"
            f" ORDER BY position, line LIMIT {size + 1}",
            params,
        )
        page = [LedgerRow.from_row(r) for r in rows[:size]]
        end = cursor(page[-1].position, page[-1].line) if page else None
        return LedgerPage(
            rows=page, page_info=PageInfo(end_cursor=end, has_next_page=len(rows) > size)
        )

    @described(
        "A lot and its stock: of the places the caller may read (a lot never there is not found)."
    )
    async def lot(self, info: Info[Context, None], item: str, lot: str) -> Lot | None:
        ctx = info.context
        if ctx.scope("lot") is None:
            rows = await ctx.rows(
                f"SELECT {Lot.COLUMNS} FROM lot_status WHERE item = ? AND lot = ?", [item, lot]
            )
        else:
            here, here_params = ctx.in_scope("lot", "location")
            view = lot_status_of(f"(SELECT * FROM stock_balances WHERE {here})")
            rows = await ctx.rows(
                f"SELECT {Lot.COLUMNS} FROM ({view})"
                " WHERE item = ? AND lot = ? AND EXISTS (SELECT 1 FROM stock_ledger"
                f" WHERE item = ? AND lot = ? AND {here})",
                [*here_params, item, lot, item, lot, *here_params],
            )
        return Lot.from_row(rows[0]) if rows else None

    @described("Inventory value by costing method, now or asOf.")
    async def valuation(
        self,
        info: Info[Context, None],
        costing_method: CostingMethod | None = None,
        as_of: datetime | None = None,
        known_at: datetime | None = None,
        first: int = 100,
        min_position: int | None = None,
    ) -> Valuation:
        ctx = info.context
        size = page_size(first)
        await ctx.ready(min_position)
        source, params = valuation_source(as_of, known_at, ctx.scope("valuation"))
        method = costing_method.value if costing_method else None
        # Sums by method and the page of items from DuckDB (the whole list would leave it,
        # 5,000 items: 20 ms, only to be added up here), from one valuation of the items
        # (an asOf one sums the ledger: once, not once per answer).
        rows = await ctx.rows(
            f"""WITH v AS MATERIALIZED (
                SELECT v.item, i.costing_method AS method, v.quantity, v.value
                FROM ({source}) v JOIN items i ON i.sku = v.item
                WHERE (? IS NULL OR i.costing_method = ?) AND (v.quantity <> 0 OR v.value <> 0))
            SELECT 'method' AS kind, NULL AS item, method, count(*) AS items,
                sum(quantity) AS quantity, sum(value) AS value FROM v GROUP BY method
            UNION ALL
            SELECT * FROM (SELECT 'item', item, method, NULL, quantity, value FROM v
                           ORDER BY value DESC, item LIMIT {size})
            ORDER BY kind, value DESC, item""",
            [*params, method, method],
        )
        methods = sorted((m, n, q, v) for kind, _, m, n, q, v in rows if kind == "method")
        items = [(i, m, q, v) for kind, i, m, _, q, v in rows if kind == "item"]
        return Valuation(
            total_value=sum((v for *_, v in methods), ZERO),
            by_costing_method=[
                MethodValue(costing_method=CostingMethod(m), items=n, quantity=q, value=v)
                for m, n, q, v in methods
            ],
            items=[
                ItemValue(
                    item=i,
                    costing_method=CostingMethod(m),
                    quantity=q,
                    value=v,
                    # to 6 places like the valuation view (a quotient never ends otherwise)
                    unit_cost=(v / q).quantize(UNIT_COST_PLACES, ROUND_HALF_UP) if q else None,
                )
                for i, m, q, v in items
            ],
            as_of=as_of or known_at,
            known_at=known_at,
        )

    @described("Reservations, open ones by default.")
    async def reservations(
        self,
        info: Info[Context, None],
        item: str | None = None,
        open_only: bool = True,
        first: int = 100,
        min_position: int | None = None,
    ) -> list[Reservation]:
        size = page_size(first)
        ctx = info.context
        await ctx.ready(min_position)
        here, here_params = ctx.in_scope("reservations", "location")
        rows = await ctx.rows(
            f"SELECT {Reservation.COLUMNS} FROM reservations WHERE (? IS NULL OR item = ?)"
            f" AND (NOT ? OR open_quantity > 0) AND {here}"
            f" ORDER BY reserved_at, reservation_id LIMIT {size}",
            [item, item, open_only, *here_params],
        )
        return [Reservation.from_row(r) for r in rows]

    @strawberry.field
    async def available_to_promise(
        self, info: Info[Context, None], item: str, min_position: int | None = None
    ) -> AvailableToPromise | None:
        ctx = info.context
        await ctx.ready(min_position)
        if ctx.scope("availableToPromise") is None:
            rows = await ctx.rows(
                "SELECT item, available, expired, reserved, free FROM available_to_promise"
                " WHERE item = ?",
                [item],
            )
        else:
            # Of the places the caller may read: their available stock, less what is
            # reserved there.
            here, here_params = ctx.in_scope("availableToPromise", "location")
            view = available_to_promise_of(
                f"(SELECT * FROM stock_balances WHERE {here})",
                f"(SELECT * FROM reservations WHERE {here})",
            )
            rows = await ctx.rows(
                f"SELECT item, available, expired, reserved, free FROM ({view}) WHERE item = ?",
                [*here_params, *here_params, item],
            )
        if not rows:
            return None
        item_, available, expired, reserved, free = rows[0]
        return AvailableToPromise(
            item=item_, available=available, expired=expired, reserved=reserved, free=free
        )

    @described("Daily consumption of an item: issues (for forecasting) and scrap, apart.")
    async def consumption(
        self,
        info: Info[Context, None],
        item: str,
        since: date | None = None,
        until: date | None = None,
    ) -> list[ConsumptionDay]:
        ctx = info.context
        source = "consumption_daily"
        params: list[Any] = []
        if ctx.scope("consumption") is not None:
            # The daily table is plant-wide: the places the caller may read are summed
            # from the ledger, as the projection sums them.
            here, params = ctx.in_scope("consumption", "location")
            source = f"({CONSUMPTION_OF.format(where=here)})"
        rows = await ctx.rows(
            "SELECT item, day, quantity, value, issues, scrapped, scrapped_value, scraps"
            f" FROM {source} WHERE item = ?"
            " AND (? IS NULL OR day >= ?) AND (? IS NULL OR day <= ?) ORDER BY day",
            [*params, item, since, since, until, until],
        )
        return [
            ConsumptionDay(
                item=i, day=d, quantity=q, value=v, issues=n, scrapped=sq, scrapped_value=sv,
                scraps=sn,
            )
            for i, d, q, v, n, sq, sv, sn in rows
        ]  # fmt: skip
