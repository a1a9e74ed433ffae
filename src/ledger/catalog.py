"""Every aggregate and event class of the ledger, in one place (schemas, projections)."""

from __future__ import annotations

from ledger.aggregate import LedgerAggregate
from ledger.engineering.aggregates import BillOfMaterials, Engineering, Routing, WorkCenter
from ledger.identity.accounts import Account
from ledger.identity.api_keys import ApiKey
from ledger.master_data.item import Item
from ledger.master_data.location import Location
from ledger.orders.aggregates import PurchaseOrder, SalesOrder
from ledger.planning.aggregates import PlannedOrder, PlanningBoard
from ledger.production.work_order import WorkOrder
from ledger.quality.aggregates import Hold, Inspection, Recall
from ledger.receipt import CommandReceipt
from ledger.stock.card import Stock
from ledger.webhooks.subscription import WebhookSubscription

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
    Recall,
    PlannedOrder,
    PlanningBoard,
    Account,
    ApiKey,
    WebhookSubscription,
)


BASE_FIELDS = frozenset(LedgerAggregate.Created.__dataclass_fields__)


def _recorded(event: type) -> bool:
    """An event class the ledger records. eventsourcing gives every aggregate an ``Event``
    and a ``Created`` class; a ``Created`` is one of the ledger's events only where the
    aggregate declares its own (work, purchase and sales orders: it carries their fields),
    the others are created by a named event (``Registered``, ``Defined``...)."""
    if not issubclass(event, LedgerAggregate.Event) or event.__name__ == "Event":
        return False
    return event.__name__ != "Created" or bool(set(event.__dataclass_fields__) - BASE_FIELDS)


def event_classes() -> list[type[LedgerAggregate.Event]]:
    """The concrete event classes, named ``Aggregate.Event`` like their topics."""
    return [
        value
        for aggregate in AGGREGATES
        for value in vars(aggregate).values()
        if isinstance(value, type) and _recorded(value)
    ]
