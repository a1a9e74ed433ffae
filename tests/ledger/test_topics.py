"""Stored topics never change: existing ledgers keep loading, and new events are stored as
the old ones were.

eventsourcing stores each event under the topic ``module:qualname`` of its class, and a
Created event names its aggregate's topic (``originator_topic``); projections, the relay's
subjects, the event schemas and the auditors read them. The lists below were taken from
the code before the ledger was cut into feature packages (``ledger.stock:Stock.Received``
while ``Stock`` lived in ``ledger/stock.py``): a class that moves keeps its topic.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from eventsourcing.persistence import JSONTranscoder, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

from ledger.aggregate import LedgerAggregate
from ledger.catalog import AGGREGATES, event_classes
from ledger.mapper import LedgerMapper
from tests.support.samples import event_sample

AGGREGATE_TOPICS = (
    "ledger.item:Item",
    "ledger.location:Location",
    "ledger.stock:Stock",
    "ledger.receipt:CommandReceipt",
    "ledger.engineering:WorkCenter",
    "ledger.engineering:BillOfMaterials",
    "ledger.engineering:Routing",
    "ledger.engineering:Engineering",
    "ledger.work_order:WorkOrder",
    "ledger.orders:PurchaseOrder",
    "ledger.orders:SalesOrder",
    "ledger.quality:Hold",
    "ledger.quality:Inspection",
    "ledger.quality:Recall",
    "ledger.planned_orders:PlannedOrder",
    "ledger.planned_orders:PlanningBoard",
    "ledger.identity.accounts:Account",
    "ledger.identity.api_keys:ApiKey",
    "ledger.webhooks.subscription:WebhookSubscription",
)

EVENT_TOPICS = (
    "ledger.item:Item.Registered",
    "ledger.item:Item.SpecificationDefined",
    "ledger.item:Item.PlanningParametersChanged",
    "ledger.item:Item.StandardCostChanged",
    "ledger.location:Location.Registered",
    "ledger.location:Location.Blocked",
    "ledger.location:Location.Unblocked",
    "ledger.stock:Stock.Opened",
    "ledger.stock:Stock.Received",
    "ledger.stock:Stock.Issued",
    "ledger.stock:Stock.Moved",
    "ledger.stock:Stock.StatusChanged",
    "ledger.stock:Stock.HoldApplied",
    "ledger.stock:Stock.HoldLifted",
    "ledger.stock:Stock.LotInspected",
    "ledger.stock:Stock.LotSplit",
    "ledger.stock:Stock.LotsMerged",
    "ledger.stock:Stock.Disposed",
    "ledger.stock:Stock.Scrapped",
    "ledger.stock:Stock.Adjusted",
    "ledger.stock:Stock.Counted",
    "ledger.stock:Stock.Reserved",
    "ledger.stock:Stock.ReservationReleased",
    "ledger.stock:Stock.Revalued",
    "ledger.receipt:CommandReceipt.Recorded",
    "ledger.receipt:CommandReceipt.Refused",
    "ledger.receipt:CommandReceipt.AcceptedOnResend",
    "ledger.receipt:CommandReceipt.RefusedOnResend",
    "ledger.engineering:WorkCenter.Defined",
    "ledger.engineering:BillOfMaterials.Defined",
    "ledger.engineering:Routing.Defined",
    "ledger.engineering:Engineering.Started",
    "ledger.engineering:Engineering.BomIndexed",
    "ledger.engineering:Engineering.RoutingIndexed",
    "ledger.work_order:WorkOrder.Created",
    "ledger.work_order:WorkOrder.Released",
    "ledger.work_order:WorkOrder.MaterialIssued",
    "ledger.work_order:WorkOrder.MaterialReturned",
    "ledger.work_order:WorkOrder.OperationReported",
    "ledger.work_order:WorkOrder.OutputReceived",
    "ledger.work_order:WorkOrder.Closed",
    "ledger.work_order:WorkOrder.Cancelled",
    "ledger.orders:PurchaseOrder.Created",
    "ledger.orders:PurchaseOrder.Confirmed",
    "ledger.orders:PurchaseOrder.LineReceived",
    "ledger.orders:PurchaseOrder.LineReturned",
    "ledger.orders:PurchaseOrder.LineCancelled",
    "ledger.orders:PurchaseOrder.Closed",
    "ledger.orders:SalesOrder.Created",
    "ledger.orders:SalesOrder.Allocated",
    "ledger.orders:SalesOrder.Picked",
    "ledger.orders:SalesOrder.Shipped",
    "ledger.orders:SalesOrder.Returned",
    "ledger.quality:Hold.Placed",
    "ledger.quality:Hold.Released",
    "ledger.quality:Inspection.Recorded",
    "ledger.quality:Recall.Held",
    "ledger.planned_orders:PlannedOrder.Proposed",
    "ledger.planned_orders:PlannedOrder.Firmed",
    "ledger.planned_orders:PlannedOrder.Superseded",
    "ledger.planned_orders:PlanningBoard.Opened",
    "ledger.planned_orders:PlanningBoard.RunProposed",
    "ledger.identity.accounts:Account.Registered",
    "ledger.identity.accounts:Account.PasswordSet",
    "ledger.identity.accounts:Account.RoleGranted",
    "ledger.identity.accounts:Account.RoleRevoked",
    "ledger.identity.accounts:Account.Deactivated",
    "ledger.identity.accounts:Account.Reactivated",
    "ledger.identity.accounts:Account.TotpEnrolled",
    "ledger.identity.accounts:Account.SignatureRefused",
    "ledger.identity.accounts:Account.Locked",
    "ledger.identity.accounts:Account.Unlocked",
    "ledger.identity.accounts:Account.LoginRefused",
    "ledger.identity.accounts:Account.LockedOut",
    "ledger.identity.accounts:Account.FailedLoginsCleared",
    "ledger.identity.accounts:Account.SessionEnded",
    "ledger.identity.api_keys:ApiKey.Issued",
    "ledger.identity.api_keys:ApiKey.Revoked",
    "ledger.webhooks.subscription:WebhookSubscription.Created",
    "ledger.webhooks.subscription:WebhookSubscription.Disabled",
    "ledger.webhooks.subscription:WebhookSubscription.Enabled",
    "ledger.webhooks.subscription:WebhookSubscription.Replayed",
    "ledger.webhooks.subscription:WebhookSubscription.Deleted",
)


def _by_qualname(topic: str) -> type:
    """The class a pinned topic stands for, found by its name, not by the topic."""
    qualname = topic.partition(":")[2]
    classes = [*AGGREGATES, *event_classes()]
    (found,) = [cls for cls in classes if cls.__qualname__ == qualname]
    return found


def test_every_aggregate_keeps_its_topic() -> None:
    assert tuple(get_topic(cls) for cls in AGGREGATES) == AGGREGATE_TOPICS


def test_every_event_keeps_its_topic() -> None:
    assert tuple(get_topic(cls) for cls in event_classes()) == EVENT_TOPICS


@pytest.mark.parametrize("topic", AGGREGATE_TOPICS)
def test_an_old_aggregate_topic_resolves(topic: str) -> None:
    assert resolve_topic(topic) is _by_qualname(topic)


@pytest.mark.parametrize("topic", EVENT_TOPICS)
def test_an_event_stored_under_its_old_topic_decodes(topic: str) -> None:
    """An event written as the ledger wrote it before the move decodes to its class; a
    Created event's aggregate topic rebuilds the aggregate's class."""
    cls = _by_qualname(topic)
    event = event_sample(cls)
    if issubclass(cls, LedgerAggregate.Created):
        aggregate_topic = f"{topic.partition(':')[0]}:{cls.__qualname__.partition('.')[0]}"
        event.__dict__["originator_topic"] = aggregate_topic
    event.__dict__["timestamp"] = datetime(2026, 3, 4, tzinfo=UTC)
    mapper = LedgerMapper(transcoder=JSONTranscoder())
    encoded = mapper.to_stored_event(event)
    stored = StoredEvent(
        originator_id=uuid4(),
        originator_version=1,
        topic=topic,
        state=encoded.state,
    )
    decoded = mapper.to_domain_event(stored)
    assert type(decoded) is cls
    assert {k: v for k, v in vars(decoded).items() if k != "originator_id"} == {
        k: v for k, v in vars(event).items() if k not in ("originator_id", "originator_version")
    } | {"originator_version": 1}
    if issubclass(cls, LedgerAggregate.Created):
        assert resolve_topic(decoded.originator_topic) is _by_qualname(aggregate_topic)
