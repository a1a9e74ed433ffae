"""GraphQL of traceability and quality: forward and backward lot traces, the recall
simulation with its mass balance per lot, and the quality KPIs.

The traces are computed by ``projections.quality_trace`` (a walk over the genealogy held in
memory, then one query per kind of detail for every lot found); this module only shapes
the answer.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from projections import quality_trace as g
from queries.context import Context, described, selected

ZERO = Decimal(0)


@strawberry.type(description="A lot of an item: a node of the genealogy")
class LotKey:
    item: str
    lot: str


@strawberry.type(description="Stock of a lot in one location and status")
class LotPlace:
    location: str
    status: str
    quantity: Decimal


@strawberry.type(
    description="A quantity of a lot that left: consumed (into a work order or cost center),"
    " shipped (to a customer), returned (to a supplier), scrapped, adjusted (written off by"
    " adjustments and counts, negative when they found stock)"
)
class LotUse:
    kind: str
    party_kind: str = strawberry.field(
        description="work_order, cost_center, customer, supplier, scrap, adjustment, count"
    )
    party: str
    quantity: Decimal


@strawberry.type(
    description="A genealogy edge: consumed (by the work order `via` into the output lot),"
    " split or merged"
)
class LotLink:
    item: str
    lot: str
    kind: str
    via: str
    quantity: Decimal = strawberry.field(
        description="consumed: what the work order had consumed of the parent lot when the"
        " output was received; split and merged: the quantity moved"
    )


@strawberry.type(
    description="A receipt of a lot from outside the plant (not an output or a return);"
    " supplier is empty when the receipt named none"
)
class LotReceipt:
    supplier: str
    supplier_lot: str | None
    reference: str
    location: str
    quantity: Decimal
    effective_at: datetime


@strawberry.type(
    description="Shipped to a customer; negative: returned by the customer. Shipment and"
    " sales order are empty for an issue to the customer outside a sales order"
)
class LotShipment:
    customer: str
    sales_order: str | None
    shipment: str | None
    quantity: Decimal


@strawberry.type(
    description="received + produced + splitIn + mergedIn = consumed + shipped + returned +"
    " scrapped + adjusted + splitOut + mergedOut + onHand; difference is the left side less"
    " the right, zero when every quantity of the lot is accounted for"
)
class MassBalance:
    received: Decimal
    produced: Decimal
    split_in: Decimal
    merged_in: Decimal
    consumed: Decimal
    shipped: Decimal
    returned: Decimal
    scrapped: Decimal
    adjusted: Decimal
    split_out: Decimal
    merged_out: Decimal
    on_hand: Decimal
    difference: Decimal

    @classmethod
    def of(cls, b: g.Balance) -> MassBalance:
        return cls(
            received=b.received,
            produced=b.produced,
            split_in=b.split_in,
            merged_in=b.merged_in,
            consumed=b.consumed,
            shipped=b.shipped,
            returned=b.returned,
            scrapped=b.scrapped,
            adjusted=b.adjusted,
            split_out=b.split_out,
            merged_out=b.merged_out,
            on_hand=b.on_hand,
            difference=b.difference,
        )


@strawberry.type(description="A lot found by a trace, and where it is and went")
class TracedLot:
    """Each field is built only when a query selects it: a recall can find thousands
    of lots, and most queries want a few fields of each."""

    item: str
    lot: str
    level: int = strawberry.field(description="Edges from the starting lot (0: a start)")
    found: strawberry.Private[g.TracedLot]

    @classmethod
    def of(cls, t: g.TracedLot) -> TracedLot:
        return cls(item=t.item, lot=t.lot, level=t.level, found=t)

    @described("From a starting lot to this one")
    def path(self) -> list[LotKey]:
        return [LotKey(item=r.item, lot=r.lot) for r in self.found.path]

    # The GraphQL types have the fields of the genealogy's tuples, name for name.
    @described("Forward: the lots made from this one; backward: the lots it was made from")
    def links(self) -> list[LotLink]:
        return [LotLink(**x._asdict()) for x in self.found.links]

    @strawberry.field
    def on_hand_quantity(self) -> Decimal:
        return self.found.quantity_on_hand

    @strawberry.field
    def on_hand(self) -> list[LotPlace]:
        return [LotPlace(**p._asdict()) for p in self.found.on_hand]

    @strawberry.field
    def uses(self) -> list[LotUse]:
        return [LotUse(**u._asdict()) for u in self.found.uses]

    @strawberry.field
    def receipts(self) -> list[LotReceipt]:
        return [LotReceipt(**r._asdict()) for r in self.found.receipts]

    @strawberry.field
    def shipments(self) -> list[LotShipment]:
        return [LotShipment(**s._asdict()) for s in self.found.shipments]

    @strawberry.field
    def balance(self) -> MassBalance:
        return MassBalance.of(self.found.balance)


@strawberry.type(description="A supplier lot found by a backward trace")
class SupplierLot:
    supplier: str
    supplier_lot: str | None
    item: str
    lot: str
    quantity: Decimal


@strawberry.type
class LotTrace:
    start: list[LotKey]
    lots: list[TracedLot] = strawberry.field(description="The starting lots too, at level 0")
    supplier_lots: list[SupplierLot] = strawberry.field(
        description="Every receipt from outside among the lots found"
    )
    elapsed_ms: float


@strawberry.type(description="Stock of an affected lot in one location and status")
class RecallStock:
    item: str
    lot: str
    location: str
    status: str
    quantity: Decimal


@strawberry.type(description="What of an affected lot went to a customer, by shipment")
class RecallShipment:
    item: str
    lot: str
    customer: str
    sales_order: str | None
    shipment: str | None
    quantity: Decimal


@strawberry.type(description="Affected stock on hand, summed by location and status")
class RecallPlace:
    location: str
    status: str
    lots: int
    quantity: Decimal


@strawberry.type
class RecallSimulation:
    supplier_lot: str | None
    start: list[LotKey]
    lots: list[TracedLot] = strawberry.field(
        description="Every affected lot (the starting lots, and all made from them)"
    )
    on_hand: list[RecallStock]
    on_hand_by_place: list[RecallPlace]
    on_hand_quantity: Decimal = strawberry.field(
        description="The affected lots' stock on hand, in every location and status"
    )
    shipments: list[RecallShipment]
    shipped_quantity: Decimal = strawberry.field(
        description="What of the affected lots went to customers, less their returns"
    )
    unbalanced: list[LotKey] = strawberry.field(
        description="Lots whose mass balance does not close (empty when all is accounted for)"
    )
    elapsed_ms: float = strawberry.field(description="The time the trace took, in ms")


def _supplier_lots(found: g.Trace) -> list[SupplierLot]:
    return [
        SupplierLot(
            supplier=r.supplier,
            supplier_lot=r.supplier_lot,
            item=t.item,
            lot=t.lot,
            quantity=r.quantity,
        )
        for t in found.lots
        for r in t.receipts
    ]


def _recall(found: g.Trace, supplier_lot: str | None) -> RecallSimulation:
    places: dict[tuple[str, str], tuple[set[g.LotRef], Decimal]] = {}
    for t in found.lots:
        for p in t.on_hand:
            lots, quantity = places.get((p.location, p.status), (set(), ZERO))
            lots.add(g.LotRef(t.item, t.lot))
            places[p.location, p.status] = (lots, quantity + p.quantity)
    return RecallSimulation(
        supplier_lot=supplier_lot,
        start=[LotKey(item=r.item, lot=r.lot) for r in found.start],
        lots=[TracedLot.of(t) for t in found.lots],
        on_hand=[
            RecallStock(
                item=t.item, lot=t.lot, location=p.location, status=p.status, quantity=p.quantity
            )
            for t in found.lots
            for p in t.on_hand
        ],
        on_hand_by_place=[
            RecallPlace(location=loc, status=status, lots=len(lots), quantity=quantity)
            for (loc, status), (lots, quantity) in sorted(places.items())
        ],
        on_hand_quantity=sum((q for _, q in places.values()), ZERO),
        shipped_quantity=sum((s.quantity for t in found.lots for s in t.shipments), ZERO),
        shipments=[
            RecallShipment(
                item=t.item,
                lot=t.lot,
                customer=s.customer,
                sales_order=s.sales_order,
                shipment=s.shipment,
                quantity=s.quantity,
            )
            for t in found.lots
            for s in t.shipments
        ],
        unbalanced=[
            LotKey(item=t.item, lot=t.lot) for t in found.lots if t.balance.difference != 0
        ],
        elapsed_ms=found.elapsed_ms,
    )


# --- quality KPIs --------------------------------------------------------------------------


@strawberry.type(description="Stock in held status, by the reason it was held")
class HeldByReason:
    reason: str
    items: int
    lots: int
    quantity: Decimal


@strawberry.type(description="good / (good + scrap + rework) of the operations reported")
class FirstPassYield:
    key: str = strawberry.field(description="The item, or the work center")
    good: Decimal
    scrap: Decimal
    rework: Decimal
    first_pass_yield: Decimal | None


@strawberry.type(description="Inspections and rejections of what a supplier delivered")
class SupplierQuality:
    supplier: str
    inspections: int
    failed: int
    inspected_quantity: Decimal
    rejected_quantity: Decimal
    received_quantity: Decimal
    inspection_reject_rate: Decimal | None = strawberry.field(description="failed / inspections")
    quantity_reject_rate: Decimal | None = strawberry.field(
        description="rejected quantity / received quantity"
    )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> SupplierQuality:
        supplier, inspections, failed, inspected, rejected, received, by_count, by_qty = row
        return cls(
            supplier=supplier,
            inspections=inspections,
            failed=failed,
            inspected_quantity=inspected,
            rejected_quantity=rejected,
            received_quantity=received,
            inspection_reject_rate=by_count,
            quantity_reject_rate=by_qty,
        )


@strawberry.type
class QualityKpis:
    on_hold_by_reason: list[HeldByReason]
    first_pass_yield_by_item: list[FirstPassYield]
    first_pass_yield_by_work_center: list[FirstPassYield]
    reject_rate_by_supplier: list[SupplierQuality]


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
           GROUP BY ALL) lot ON lot.item = b.item AND lot.lot = b.lot
WHERE b.status = 'held' GROUP BY 1 ORDER BY 4 DESC, 1
"""
FIRST_PASS_YIELD = f"""
SELECT {{key}}, sum(o.good), sum(o.scrap), sum(o.rework),
    CAST(sum(o.good) / nullif(sum(o.good) + sum(o.scrap) + sum(o.rework), 0) AS {RATE})
FROM wip_operations o JOIN work_orders w USING (number)
GROUP BY 1 HAVING sum(o.good) + sum(o.scrap) + sum(o.rework) > 0 ORDER BY 1
"""
SUPPLIER_QUALITY = f"""
WITH i AS (
    SELECT coalesce(i.supplier, l.supplier) AS supplier, count(*) AS inspections,
        count(*) FILTER (NOT i.passed) AS failed, sum(i.quantity) AS inspected,
        coalesce(sum(i.quantity) FILTER (NOT i.passed), 0) AS rejected
    FROM inspections i LEFT JOIN lots l ON l.item = i.item AND l.lot = i.lot
    GROUP BY 1),
r AS (
    SELECT counterparty AS supplier, sum(quantity_delta) AS received FROM stock_ledger
    WHERE event_type = 'Stock.Received' AND counterparty IS NOT NULL GROUP BY 1)
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
class TraceQuery:
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

        def run() -> g.Trace:
            with ctx.models.reader() as con:
                return g.recall(
                    con,
                    supplier_lot=supplier_lot,
                    item=item,
                    lot=lot,
                    details=wanted,
                    graph=ctx.models.lot_graph,
                )

        return _recall(await asyncio.to_thread(run), supplier_lot)

    @described(
        "Quantities on hold by reason, first-pass yield by item and by work center, reject"
        " rates by supplier"
    )
    async def quality_kpis(
        self, info: Info[Context, None], min_position: int | None = None
    ) -> QualityKpis:
        ctx = info.context
        await ctx.ready(min_position)
        held = await ctx.rows(HELD_BY_REASON)
        by_item = await ctx.rows(FIRST_PASS_YIELD.format(key="w.item"))
        by_center = await ctx.rows(FIRST_PASS_YIELD.format(key="o.work_center"))
        suppliers = await ctx.rows(SUPPLIER_QUALITY)
        return QualityKpis(
            on_hold_by_reason=[
                HeldByReason(reason=r, items=i, lots=n, quantity=q) for r, i, n, q in held
            ],
            first_pass_yield_by_item=_yields(by_item),
            first_pass_yield_by_work_center=_yields(by_center),
            reject_rate_by_supplier=[SupplierQuality.from_row(row) for row in suppliers],
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
    def run() -> g.Trace:
        with ctx.models.reader() as con:
            starts = g.start_nodes(con, item=item, lot=lot)
            return g.trace(
                con,
                starts,
                direction,
                max_depth=max_depth or g.NO_LIMIT,
                details=wanted,
                graph=ctx.models.lot_graph,
            )

    found = await asyncio.to_thread(run)
    return LotTrace(
        start=[LotKey(item=r.item, lot=r.lot) for r in found.start],
        lots=[TracedLot.of(t) for t in found.lots],
        supplier_lots=_supplier_lots(found),
        elapsed_ms=found.elapsed_ms,
    )
