"""Every aggregate and event class of the ledger, in one place (schemas, projections)."""

from __future__ import annotations

from ledger.aggregate import LedgerAggregate
from ledger.engineering import BillOfMaterials, Engineering, Routing, WorkCenter
from ledger.item import Item
from ledger.location import Location
from ledger.orders import PurchaseOrder, SalesOrder
from ledger.planned_orders import PlannedOrder, PlanningBoard
from ledger.quality import Hold, Inspection
from ledger.receipt import CommandReceipt
from ledger.stock import Stock
from ledger.work_order import WorkOrder

AGGREGATES: tuple[type[LedgerAggregate], ...] = (
    Item,
    Location,
    Stock,
    CommandReceipt,
    WorkCenter,
    BillOfMaterials,
    Routing,
    Engineering,
    WorkOrder,
    PurchaseOrder,
    SalesOrder,
    Hold,
    Inspection,
    PlannedOrder,
    PlanningBoard,
)


def event_classes() -> list[type[LedgerAggregate.Event]]:
    """The concrete event classes, named ``Aggregate.Event`` like their topics."""
    return [
        value
        for aggregate in AGGREGATES
        for value in vars(aggregate).values()
        if isinstance(value, type)
        and issubclass(value, LedgerAggregate.Event)
        and value.__name__ not in ("Event", "Created")
    ]
