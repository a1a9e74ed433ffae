"""GraphQL types of quality: forward and backward lot traces, the recall simulation with
its mass balance per lot, and the quality KPIs.

The traces are computed by ``projections.quality_trace`` (a walk over the genealogy held in
memory, then one query per kind of detail for every lot found); these types only shape
the answer.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from projections import quality_trace as g
from queries.context import described
from queries.enums import SignedDecisionKind

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


def supplier_lots(found: g.Trace) -> list[SupplierLot]:
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


def recall_simulation_of(found: g.Trace, supplier_lot: str | None) -> RecallSimulation:
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


@strawberry.type(
    description="An electronic signature (21 CFR Part 11 §11.50): who signed (user id and"
    " printed name), when (UTC, and the signer's time zone to show it as they saw it), what"
    " it means, and why"
)
class ElectronicSignature:
    signer: str = strawberry.field(description="The signer's user id")
    printed_name: str
    meaning: str = strawberry.field(description="reviewed, approved, released, rejected...")
    reason: str
    signed_at: datetime = strawberry.field(description="UTC, from the server's clock")
    time_zone: str = strawberry.field(description="The signer's IANA time zone")
    bound: bool = strawberry.field(
        description="Bound to the record it signs (a hash of its content and version);"
        " false for signatures recorded before signatures were bound"
    )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> ElectronicSignature:
        """The last seven columns of a signed record: signer ... bound."""
        signer, name, meaning, reason, signed_at, zone, bound = row
        return cls(
            signer=signer,
            printed_name=name,
            meaning=meaning,
            reason=reason,
            signed_at=signed_at,
            time_zone=zone,
            bound=bound,
        )


@strawberry.type(
    description="A signed move of stock to use: a hold's release, a status change to"
    " available, or a use as is under a deviation, with its signature"
)
class SignedRelease:
    position: int
    item: str
    location: str
    lot: str
    hold_id: str | None
    from_status: str
    to_status: str
    quantity: Decimal
    move_reason: str = strawberry.field(description="The reason the move records")
    recorded_at: datetime
    signature: ElectronicSignature

    COLUMNS = (
        "position, item, location, lot, hold_id, from_status, to_status, quantity,"
        " move_reason, recorded_at, signer, printed_name, meaning, reason, signed_at,"
        " time_zone, record_hash IS NOT NULL"
    )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> SignedRelease:
        (position, item, location, lot, hold_id, from_status, to_status, quantity, why,
         recorded_at) = row[:10]  # fmt: skip
        return cls(
            position=position,
            item=item,
            location=location,
            lot=lot,
            hold_id=hold_id,
            from_status=from_status,
            to_status=to_status,
            quantity=quantity,
            move_reason=why,
            recorded_at=recorded_at,
            signature=ElectronicSignature.from_row(row[10:]),
        )


@strawberry.type(
    description="A signed quality decision: a hold's release, a status change to available,"
    " a disposition (scrap, return to supplier, rework, use as is), a recall containment"
    " hold or an adjustment of a recorded balance, with its electronic signature"
)
class SignedDecision:
    position: int
    kind: SignedDecisionKind
    record_id: str = strawberry.field(
        description="What it decided on: the stock card, or the recall hold's id"
    )
    item: str | None = strawberry.field(description="None for a recall of several lots")
    location: str | None = strawberry.field(description="None for a recall hold")
    lot: str | None
    hold_id: str | None
    from_status: str | None = strawberry.field(
        description="The status the stock was in (a disposition's, an adjustment's)"
    )
    to_status: str | None
    quantity: Decimal | None = strawberry.field(
        description="The quantity moved or disposed of; an adjustment's delta (signed)"
    )
    decided: str = strawberry.field(description="What the decision records as its reason")
    recorded_at: datetime
    signature: ElectronicSignature

    COLUMNS = (
        "position, kind, record_id, item, location, lot, hold_id, from_status, to_status,"
        " quantity, move_reason, recorded_at, signer, printed_name, meaning, reason,"
        " signed_at, time_zone, record_hash IS NOT NULL"
    )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> SignedDecision:
        (position, kind, record_id, item, location, lot, hold_id, from_status, to_status,
         quantity, why, recorded_at) = row[:12]  # fmt: skip
        return cls(
            position=position,
            kind=SignedDecisionKind(kind),
            record_id=record_id,
            item=item,
            location=location,
            lot=lot,
            hold_id=hold_id,
            from_status=from_status,
            to_status=to_status,
            quantity=quantity,
            decided=why,
            recorded_at=recorded_at,
            signature=ElectronicSignature.from_row(row[12:]),
        )


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
