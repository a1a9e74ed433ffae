"""Quality's root fields: forward and backward lot traces, the recall simulation, the
quality KPIs.

A trace, for a caller who may read only some places, stops at the border of what it may
see: a lot is shown when it has been at a place the caller may read (a row of the stock
ledger there), and when every lot on its path from the start is shown too; the others
are omitted, as are links to them. A lot never at such a place gives the answer an
unknown lot gives (nothing found). Of a lot shown, stock on hand and receipts are listed
at those places only, and consumption into another site's work orders is left out; its
mass balance stays the lot's own (a lot's flows have no place)."""

from __future__ import annotations

import asyncio
from typing import Any

import duckdb
import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from projections import quality_trace as g
from queries.access import Scope, in_scope
from queries.context import Context, described, selected
from queries.enums import SignedDecisionKind
from queries.pagination import MAX_PAGE
from queries.quality.types import (
    FirstPassYield,
    HeldByReason,
    LotKey,
    LotTrace,
    QualityKpis,
    RecallSimulation,
    SignedDecision,
    SignedRelease,
    SupplierQuality,
    TracedLot,
    recall_simulation_of,
    supplier_lots,
)

RATE = "DECIMAL(18,6)"
# A held bucket is attributed to the reason it was last put on hold with (there, else
# anywhere for that lot): each held quantity counts once, whatever holds are stacked on it.
HELD_BY_REASON = """
SELECT coalesce(here.reason, lot.reason, 'unknown') AS reason, count(DISTINCT b.item),
    count(DISTINCT (b.item, b.lot)) FILTER (b.lot <> ''), sum(b.quantity)
FROM stock_balances b
LEFT JOIN held_reasons here ON here.item = b.item AND here.lot = b.lot
    AND here.location = b.location
LEFT JOIN (SELECT item, lot, arg_max(reason, position) AS reason FROM held_reasons
           WHERE {here} GROUP BY ALL) lot ON lot.item = b.item AND lot.lot = b.lot
WHERE b.status = 'held' AND {b_here} GROUP BY 1 ORDER BY 4 DESC, 1
"""
FIRST_PASS_YIELD = f"""
SELECT {{key}}, sum(o.good), sum(o.scrap), sum(o.rework),
    CAST(sum(o.good) / nullif(sum(o.good) + sum(o.scrap) + sum(o.rework), 0) AS {RATE})
FROM wip_operations o JOIN work_orders w USING (number) WHERE {{here}}
GROUP BY 1 HAVING sum(o.good) + sum(o.scrap) + sum(o.rework) > 0 ORDER BY 1
"""
SUPPLIER_QUALITY = f"""
WITH i AS (
    SELECT coalesce(i.supplier, l.supplier) AS supplier, count(*) AS inspections,
        count(*) FILTER (NOT i.passed) AS failed, sum(i.quantity) AS inspected,
        coalesce(sum(i.quantity) FILTER (NOT i.passed), 0) AS rejected
    FROM inspections i LEFT JOIN lots l ON l.item = i.item AND l.lot = i.lot
    WHERE {{i_here}} GROUP BY 1),
r AS (
    SELECT counterparty AS supplier, sum(quantity_delta) AS received FROM stock_ledger
    WHERE event_type = 'Stock.Received' AND counterparty IS NOT NULL AND {{here}} GROUP BY 1)
SELECT supplier, coalesce(i.inspections, 0), coalesce(i.failed, 0), coalesce(i.inspected, 0),
    coalesce(i.rejected, 0), coalesce(r.received, 0),
    CAST(i.failed / nullif(i.inspections, 0) AS {RATE}),
    CAST(i.rejected / nullif(r.received, 0) AS {RATE})
FROM i FULL JOIN r USING (supplier) WHERE supplier IS NOT NULL ORDER BY supplier
"""


def _yields(rows: list[tuple[Any, ...]]) -> list[FirstPassYield]:
    return [
        FirstPassYield(key=k, good=good, scrap=scrap, rework=rework, first_pass_yield=fpy)
        for k, good, scrap, rework, fpy in rows
    ]


# The fields a client may select, and the detail each needs.
NEEDS = {
    "links": g.LINKS,
    "onHand": g.ON_HAND,
    "onHandQuantity": g.ON_HAND,
    "onHandByPlace": g.ON_HAND,
    "uses": g.USES,
    "receipts": g.RECEIPTS,
    "supplierLots": g.RECEIPTS,
    "shipments": g.SHIPMENTS,
    "shippedQuantity": g.SHIPMENTS,
    "balance": g.BALANCE,
    "unbalanced": g.BALANCE,
}


def _wanted(info: Info[Context, None]) -> frozenset[str]:
    """Only the details the query selects are read."""
    return frozenset(NEEDS[n] for n in selected(info) if n in NEEDS)


def _one_start(supplier_lot: str | None, lot: str | None) -> None:
    if supplier_lot is None and lot is None:
        msg = "give supplierLot, or lot (and item)"
        raise GraphQLError(msg, extensions={"code": "BAD_START"})


def _code(argument: str, value: str | None) -> str | None:
    """A code argument, normalised as the commands normalise codes (trimmed, NFKC, upper
    case); one no command would take is refused, naming the character."""
    if value is None:
        return None
    try:
        return g.normalise_code(value)
    except g.CodeRefused as e:
        raise GraphQLError(
            f"{argument}: {e}",
            extensions={"code": "BAD_CODE", "argument": argument, "codePoint": e.code_point},
        ) from None


@strawberry.type
class QualityQuery:
    @described(
        "Every lot made from this one, at any depth, and where each is now: on hand by"
        " location and status, consumed (into which work order and lot), shipped (to which"
        " customer and shipment), returned, scrapped"
    )
    async def trace_forward(
        self,
        info: Info[Context, None],
        item: str,
        lot: str,
        max_depth: int | None = None,
        min_position: int | None = None,
    ) -> LotTrace:
        await info.context.ready(min_position)
        return await _trace(
            info.context,
            item=_code("item", item) or "",
            lot=_code("lot", lot) or "",
            direction="forward",
            max_depth=max_depth,
            wanted=_wanted(info),
        )

    @described("Every lot, supplier lot and receipt that went into this one, at any depth")
    async def trace_backward(
        self,
        info: Info[Context, None],
        item: str,
        lot: str,
        max_depth: int | None = None,
        min_position: int | None = None,
    ) -> LotTrace:
        await info.context.ready(min_position)
        return await _trace(
            info.context,
            item=_code("item", item) or "",
            lot=_code("lot", lot) or "",
            direction="backward",
            max_depth=max_depth,
            wanted=_wanted(info),
        )

    @described(
        "A recall of a supplier lot (or of a lot): every affected lot, what of it is on"
        " hand where, what was shipped to whom, and each lot's mass balance. The supplier"
        " lot is found in every receipt of it, with or without a supplier; codes are"
        " compared as the commands normalise them (trimmed, NFKC, upper case)"
    )
    async def recall_simulation(
        self,
        info: Info[Context, None],
        supplier_lot: str | None = None,
        lot: str | None = None,
        item: str | None = None,
        min_position: int | None = None,
    ) -> RecallSimulation:
        _one_start(supplier_lot, lot)
        supplier_lot = _code("supplierLot", supplier_lot)
        item, lot = _code("item", item), _code("lot", lot)
        ctx = info.context
        await ctx.ready(min_position)
        wanted = _wanted(info)

        scope = ctx.scope("recallSimulation")

        def run() -> g.Trace:
            with ctx.reader() as con:
                found = g.recall(
                    con,
                    supplier_lot=supplier_lot,
                    item=item,
                    lot=lot,
                    details=wanted,
                    graph=ctx.models.lot_graph,
                )
                return found if scope is None else _within(con, found, scope)

        return recall_simulation_of(await asyncio.to_thread(run), supplier_lot)

    @described(
        "Quantities on hold by reason, first-pass yield by item and by work center, reject"
        " rates by supplier"
    )
    async def quality_kpis(
        self, info: Info[Context, None], min_position: int | None = None
    ) -> QualityKpis:
        ctx = info.context
        await ctx.ready(min_position)
        # Every figure over the places the caller may read: held stock and its reasons,
        # inspections and receipts there, the work orders of those sites.
        here, params = ctx.in_scope("qualityKpis", "location")
        b_here, _ = ctx.in_scope("qualityKpis", "b.location")
        i_here, _ = ctx.in_scope("qualityKpis", "i.location")
        w_here, _ = ctx.in_scope("qualityKpis", "w.output_location")
        held = await ctx.rows(HELD_BY_REASON.format(here=here, b_here=b_here), params * 2)
        by_item = await ctx.rows(FIRST_PASS_YIELD.format(key="w.item", here=w_here), params)
        by_center = await ctx.rows(
            FIRST_PASS_YIELD.format(key="o.work_center", here=w_here), params
        )
        suppliers = await ctx.rows(SUPPLIER_QUALITY.format(i_here=i_here, here=here), params * 2)
        return QualityKpis(
            on_hold_by_reason=[
                HeldByReason(reason=r, items=i, lots=n, quantity=q) for r, i, n, q in held
            ],
            first_pass_yield_by_item=_yields(by_item),
            first_pass_yield_by_work_center=_yields(by_center),
            reject_rate_by_supplier=[SupplierQuality.from_row(row) for row in suppliers],
        )

    @described(
        "Signed moves of stock to use (hold releases, status changes to available, uses as"
        " is), newest first, each with its electronic signature: signer and printed name,"
        " UTC time and time zone, meaning, reason (every signed decision: `signatures`)"
    )
    async def signed_releases(
        self,
        info: Info[Context, None],
        item: str | None = None,
        lot: str | None = None,
        hold_id: str | None = None,
        first: int = 100,
        min_position: int | None = None,
    ) -> list[SignedRelease]:
        rows = await _signed(
            info, "signedReleases", SignedRelease.COLUMNS, ["to_status = 'available'"],
            item=item, lot=lot, hold_id=hold_id, first=first, min_position=min_position,
        )  # fmt: skip
        return [SignedRelease.from_row(row) for row in rows]

    @described(
        "Signed quality decisions, newest first: hold releases, status changes to available,"
        " dispositions, recall holds, adjustments; each with its electronic signature"
        " (signer and printed name, UTC time and time zone, meaning, reason) and whether it"
        " is bound to its record"
    )
    async def signatures(
        self,
        info: Info[Context, None],
        kind: SignedDecisionKind | None = None,
        item: str | None = None,
        lot: str | None = None,
        first: int = 100,
        min_position: int | None = None,
    ) -> list[SignedDecision]:
        clauses = [] if kind is None else [f"kind = '{kind.value}'"]
        rows = await _signed(
            info, "signatures", SignedDecision.COLUMNS, clauses, item=item, lot=lot,
            hold_id=None, first=first, min_position=min_position,
        )  # fmt: skip
        return [SignedDecision.from_row(row) for row in rows]


async def _signed(
    info: Info[Context, None],
    field: str,
    columns: str,
    clauses: list[str],
    *,
    item: str | None,
    lot: str | None,
    hold_id: str | None,
    first: int,
    min_position: int | None,
) -> list[tuple[Any, ...]]:
    """Rows of the ``signatures`` read model, in the places the caller may read in
    ``field`` (a recall hold, which has no location, only for a reader of every site)."""
    ctx = info.context
    await ctx.ready(min_position)
    params: list[Any] = []
    for column, argument, value in (
        ("item", "item", item), ("lot", "lot", lot), ("hold_id", "holdId", hold_id),
    ):  # fmt: skip
        if value is not None:
            clauses = [*clauses, f"{column} = ?"]
            params.append(_code(argument, value))
    here, here_params = ctx.in_scope(field, "location")
    return await ctx.rows(
        f"SELECT {columns} FROM signatures"
        f" WHERE {' AND '.join([*clauses, here])} ORDER BY position DESC LIMIT ?",
        [*params, *here_params, max(0, min(first, MAX_PAGE))],
    )


async def _trace(
    ctx: Context,
    *,
    item: str,
    lot: str,
    direction: g.Direction,
    max_depth: int | None,
    wanted: frozenset[str],
) -> LotTrace:
    scope = ctx.scope("traceForward" if direction == "forward" else "traceBackward")

    def run() -> g.Trace:
        with ctx.reader() as con:
            starts = g.start_nodes(con, item=item, lot=lot)
            found = g.trace(
                con,
                starts,
                direction,
                max_depth=max_depth or g.NO_LIMIT,
                details=wanted,
                graph=ctx.models.lot_graph,
            )
            return found if scope is None else _within(con, found, scope)

    found = await asyncio.to_thread(run)
    return LotTrace(
        start=[LotKey(item=r.item, lot=r.lot) for r in found.start],
        lots=[TracedLot.of(t) for t in found.lots],
        supplier_lots=supplier_lots(found),
        elapsed_ms=found.elapsed_ms,
    )


def _within(con: duckdb.DuckDBPyConnection, found: g.Trace, scope: Scope) -> g.Trace:
    """``found`` as a caller who may read only ``scope`` sees it (the module's docstring)."""
    ledger_here, params = in_scope(scope, "l.location")
    code_here, _ = in_scope(scope, "code")
    order_here, _ = in_scope(scope, "output_location")
    items = [t.item for t in found.lots]
    lots = [t.lot for t in found.lots]
    seen = {
        g.LotRef(i, lot)
        for i, lot in con.execute(
            "SELECT DISTINCT l.item, l.lot FROM stock_ledger l JOIN (SELECT"
            " unnest(CAST(? AS VARCHAR[])) AS item, unnest(CAST(? AS VARCHAR[])) AS lot) t"
            f" ON l.item = t.item AND l.lot = t.lot WHERE {ledger_here}",
            [items, lots, *params],
        ).fetchall()
    }
    places = {
        code
        for (code,) in con.execute(
            f"SELECT code FROM locations WHERE {code_here}", params
        ).fetchall()
    }
    orders = {
        number
        for (number,) in con.execute(
            f"SELECT number FROM work_orders WHERE {order_here}",
            params,
        ).fetchall()
    }
    shown = [t for t in found.lots if all(r in seen for r in t.path)]
    for t in shown:
        t.links = [x for x in t.links if g.LotRef(x.item, x.lot) in seen]
        t.on_hand = [p for p in t.on_hand if p.location in places]
        t.receipts = [r for r in t.receipts if r.location in places]
        t.uses = [u for u in t.uses if u.party_kind != "work_order" or u.party in orders]
    return g.Trace(
        direction=found.direction,
        start=[r for r in found.start if r in seen],
        lots=shown,
        elapsed_ms=found.elapsed_ms,
    )
