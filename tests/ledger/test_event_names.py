"""Published names never change by accident: every event class's CloudEvents/webhook
``type`` is pinned here, so a rename or a new class version shows up as a failing test and
a decision (a consumer filters on these names). Subjects and sites from stored JSON."""

from __future__ import annotations

from eventsourcing.utils import get_topic

from ledger.catalog import AGGREGATES, event_classes
from ledger.event_names import (
    STREAM_KEYS,
    aggregate_of,
    event_subject,
    event_type,
    key_in,
    site_of,
    stored_version,
    stream_key,
)
from ledger.private import is_private

PUBLISHED_TYPES = {
    "ledger.item:Item.Registered": "com.mims.item.registered.v2",
    "ledger.item:Item.SpecificationDefined": "com.mims.item.specification_defined.v1",
    "ledger.item:Item.PlanningParametersChanged": "com.mims.item.planning_parameters_changed.v1",
    "ledger.item:Item.StandardCostChanged": "com.mims.item.standard_cost_changed.v1",
    "ledger.location:Location.Registered": "com.mims.location.registered.v2",
    "ledger.location:Location.Blocked": "com.mims.location.blocked.v1",
    "ledger.location:Location.Unblocked": "com.mims.location.unblocked.v1",
    "ledger.stock:Stock.Opened": "com.mims.stock.opened.v1",
    "ledger.stock:Stock.Received": "com.mims.stock.received.v1",
    "ledger.stock:Stock.Issued": "com.mims.stock.issued.v1",
    "ledger.stock:Stock.Moved": "com.mims.stock.moved.v2",
    "ledger.stock:Stock.StatusChanged": "com.mims.stock.status_changed.v2",
    "ledger.stock:Stock.HoldApplied": "com.mims.stock.hold_applied.v1",
    "ledger.stock:Stock.HoldLifted": "com.mims.stock.hold_lifted.v1",
    "ledger.stock:Stock.LotInspected": "com.mims.stock.lot_inspected.v1",
    "ledger.stock:Stock.LotSplit": "com.mims.stock.lot_split.v1",
    "ledger.stock:Stock.LotsMerged": "com.mims.stock.lots_merged.v1",
    "ledger.stock:Stock.Disposed": "com.mims.stock.disposed.v2",
    "ledger.stock:Stock.Scrapped": "com.mims.stock.scrapped.v1",
    "ledger.stock:Stock.Adjusted": "com.mims.stock.adjusted.v2",
    "ledger.stock:Stock.Counted": "com.mims.stock.counted.v1",
    "ledger.stock:Stock.Reserved": "com.mims.stock.reserved.v1",
    "ledger.stock:Stock.ReservationReleased": "com.mims.stock.reservation_released.v1",
    "ledger.stock:Stock.Revalued": "com.mims.stock.revalued.v1",
    "ledger.receipt:CommandReceipt.Recorded": "com.mims.command_receipt.recorded.v1",
    "ledger.receipt:CommandReceipt.Refused": "com.mims.command_receipt.refused.v1",
    "ledger.receipt:CommandReceipt.AcceptedOnResend": "com.mims.command_receipt.accepted_on_resend.v1",
    "ledger.receipt:CommandReceipt.RefusedOnResend": "com.mims.command_receipt.refused_on_resend.v1",
    "ledger.engineering:WorkCenter.Defined": "com.mims.work_center.defined.v1",
    "ledger.engineering:BillOfMaterials.Defined": "com.mims.bill_of_materials.defined.v1",
    "ledger.engineering:Routing.Defined": "com.mims.routing.defined.v1",
    "ledger.engineering:Engineering.Started": "com.mims.engineering.started.v1",
    "ledger.engineering:Engineering.BomIndexed": "com.mims.engineering.bom_indexed.v1",
    "ledger.engineering:Engineering.RoutingIndexed": "com.mims.engineering.routing_indexed.v1",
    "ledger.work_order:WorkOrder.Created": "com.mims.work_order.created.v1",
    "ledger.work_order:WorkOrder.Released": "com.mims.work_order.released.v1",
    "ledger.work_order:WorkOrder.MaterialIssued": "com.mims.work_order.material_issued.v1",
    "ledger.work_order:WorkOrder.MaterialReturned": "com.mims.work_order.material_returned.v1",
    "ledger.work_order:WorkOrder.OperationReported": "com.mims.work_order.operation_reported.v1",
    "ledger.work_order:WorkOrder.OutputReceived": "com.mims.work_order.output_received.v1",
    "ledger.work_order:WorkOrder.Closed": "com.mims.work_order.closed.v1",
    "ledger.work_order:WorkOrder.Cancelled": "com.mims.work_order.cancelled.v1",
    "ledger.orders:PurchaseOrder.Created": "com.mims.purchase_order.created.v1",
    "ledger.orders:PurchaseOrder.Confirmed": "com.mims.purchase_order.confirmed.v1",
    "ledger.orders:PurchaseOrder.LineReceived": "com.mims.purchase_order.line_received.v1",
    "ledger.orders:PurchaseOrder.LineReturned": "com.mims.purchase_order.line_returned.v1",
    "ledger.orders:PurchaseOrder.LineCancelled": "com.mims.purchase_order.line_cancelled.v1",
    "ledger.orders:PurchaseOrder.Closed": "com.mims.purchase_order.closed.v1",
    "ledger.orders:SalesOrder.Created": "com.mims.sales_order.created.v1",
    "ledger.orders:SalesOrder.Allocated": "com.mims.sales_order.allocated.v1",
    "ledger.orders:SalesOrder.Picked": "com.mims.sales_order.picked.v1",
    "ledger.orders:SalesOrder.Shipped": "com.mims.sales_order.shipped.v1",
    "ledger.orders:SalesOrder.Returned": "com.mims.sales_order.returned.v1",
    "ledger.quality:Hold.Placed": "com.mims.hold.placed.v1",
    "ledger.quality:Hold.Released": "com.mims.hold.released.v1",
    "ledger.quality:Inspection.Recorded": "com.mims.inspection.recorded.v1",
    "ledger.quality:Recall.Held": "com.mims.recall.held.v1",
    "ledger.planned_orders:PlannedOrder.Proposed": "com.mims.planned_order.proposed.v1",
    "ledger.planned_orders:PlannedOrder.Firmed": "com.mims.planned_order.firmed.v1",
    "ledger.planned_orders:PlannedOrder.Superseded": "com.mims.planned_order.superseded.v1",
    "ledger.planned_orders:PlanningBoard.Opened": "com.mims.planning_board.opened.v1",
    "ledger.planned_orders:PlanningBoard.RunProposed": "com.mims.planning_board.run_proposed.v1",
}


def published_classes() -> list[type]:
    return [c for c in event_classes() if not is_private(get_topic(c))]


def test_every_published_type_is_pinned() -> None:
    now = {
        get_topic(c): event_type(get_topic(c), getattr(c, "class_version", 1))
        for c in published_classes()
    }
    assert now == PUBLISHED_TYPES
    assert len(set(now.values())) == len(now)  # no two kinds of event share a name


def test_an_event_stored_before_its_class_gained_a_version_keeps_its_name() -> None:
    # The mapper writes class_version only when it is above 1: an old Moved says v1.
    assert stored_version({"timestamp": "t"}) == 1
    assert event_type("ledger.stock:Stock.Moved", stored_version({})) == ("com.mims.stock.moved.v1")
    assert event_type("ledger.stock:Stock.Moved", stored_version({"class_version": 2})) == (
        "com.mims.stock.moved.v2"
    )


def test_every_public_aggregate_has_a_key_its_first_events_hold() -> None:
    public = {a.__name__ for a in AGGREGATES if not is_private(get_topic(a))}
    assert set(STREAM_KEYS) == public
    for aggregate, (_kind, fields) in STREAM_KEYS.items():
        holders = [
            c
            for c in published_classes()
            if aggregate_of(get_topic(c)) == aggregate
            and set(fields) <= set(c.__dataclass_fields__)  # type: ignore[attr-defined]
        ]
        assert holders, f"no event of {aggregate} holds {fields}"


def test_subjects_name_the_item_and_lot_else_the_aggregate() -> None:
    opened = {"sku": "STEEL", "costing_method": "fifo"}
    key = stream_key("Stock", opened)
    assert key == key_in("Stock", opened) == "item/STEEL"
    received = {"lot": "L1", "location": "A"}
    assert key_in("Stock", received) is None  # the card's key is in its first event
    assert event_subject("Stock", key, received) == "item/STEEL/lot/L1"
    assert event_subject("Stock", key, {"lot": None}) == "item/STEEL"
    assert event_subject("Stock", key, {"to_lot": "L9", "from_lot": "L1"}) == ("item/STEEL/lot/L9")
    # An event of another aggregate that names an item is about that item.
    assert event_subject("SalesOrder", "sales-order/SO-1", {"sku": "BOLT", "lot": "B7"}) == (
        "item/BOLT/lot/B7"
    )
    assert event_subject("WorkOrder", "work-order/WO-1", {"lot": "X"}) == "work-order/WO-1"
    assert stream_key("BillOfMaterials", {"parent": "BIKE", "revision": "B"}) == "bom/BIKE/B"
    assert stream_key("Engineering", {}) == "engineering"
    assert event_subject("PlanningBoard", None, {}) == "planning-board"
    # A '/' in a key cannot split it into two parts.
    assert stream_key("Item", {"sku": "A/B"}) == "item/A%2FB"


def test_the_site_is_the_events_meta_site() -> None:
    assert site_of({"meta": {"site": "S1"}}) == "S1"
    assert site_of({"meta": {"site": ""}}) == ""
    assert site_of({}) == ""
