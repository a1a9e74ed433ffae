"""How other systems name each event (CloudEvents on NATS, webhooks, exports): its stable,
versioned ``type``, its site, and its ``subject`` (what it is about).

``ledger.stock:Stock.Received`` -> ``com.mims.stock.received.v1``. Derived from the stored
topic, which never changes when a class moves (``stored_as``), so a published name changes
only when someone changes it here on purpose (``tests/ledger/test_event_names.py`` pins
every one). The version is the stored event's class version: an event stored before its
class gained an upcaster keeps ``v1``, because its data still has the v1 shape.

Subjects: ``item/STEEL/lot/L1`` when the event is about an item (its stream is the item's
stock card or master record, or its data names a ``sku``), with the lot when it has one;
else the natural key of its aggregate (``work-order/WO-1``, ``purchase-order/PO-7``). Most
events do not repeat their aggregate's key (a ``Stock.Received`` has no ``sku``): it is in
the aggregate's first event, which :func:`stream_key` reads. Pure functions over the stored
JSON; looking the first event up is the caller's (``mims.cloudevents.StreamKeys``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

NAMESPACE = "com.mims"
_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")

# Each aggregate's kind in a subject and the fields of its first event that hold its
# natural key (the ids are uuid5 of them, see ledger/ids.py). No fields: one per plant.
# Identity's aggregates are missing on purpose: their events never leave the store.
STREAM_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "Item": ("item", ("sku",)),
    "Stock": ("item", ("sku",)),
    "Location": ("location", ("code",)),
    "CommandReceipt": ("command", ("command_id",)),
    "WorkCenter": ("work-center", ("code",)),
    "BillOfMaterials": ("bom", ("parent", "revision")),
    "Routing": ("routing", ("item", "revision")),
    "Engineering": ("engineering", ()),
    "WorkOrder": ("work-order", ("number",)),
    "PurchaseOrder": ("purchase-order", ("number",)),
    "SalesOrder": ("sales-order", ("number",)),
    "Hold": ("hold", ("hold_id",)),
    "Inspection": ("inspection", ("inspection_id",)),
    "Recall": ("recall", ("hold_id",)),
    "PlannedOrder": ("planned-order", ("number",)),
    "PlanningBoard": ("planning-board", ()),
}


def snake(name: str) -> str:
    """``WorkOrder`` -> ``work_order``."""
    return _WORD.sub("_", name).lower()


def qualname(topic: str) -> str:
    """``ledger.stock:Stock.Received`` -> ``Stock.Received``."""
    return topic.rsplit(":", 1)[-1]


def aggregate_of(topic: str) -> str:
    """``ledger.stock:Stock.Received`` -> ``Stock``."""
    return qualname(topic).split(".", 1)[0]


def event_type(topic: str, version: int = 1) -> str:
    """``ledger.work_order:WorkOrder.OperationReported`` ->
    ``com.mims.work_order.operation_reported.v1``."""
    return ".".join(
        [NAMESPACE, *(snake(part) for part in qualname(topic).split(".")), f"v{version}"]
    )


def stored_version(state: Mapping[str, Any]) -> int:
    """The class version the stored JSON was written at (the mapper writes it when > 1)."""
    return int(state.get("class_version", 1))


def site_of(state: Mapping[str, Any]) -> str:
    """The site the event happened at (``meta.site``); empty for plant-wide events (items,
    receipts of commands)."""
    meta = state.get("meta")
    return str(meta.get("site") or "") if isinstance(meta, Mapping) else ""


def _part(value: Any) -> str:
    # A key with a '/' in it must not look like two parts of the subject.
    return str(value).replace("%", "%25").replace("/", "%2F")


def has_stream_key(aggregate: str) -> bool:
    """Whether the aggregate's subject needs its first event (singletons do not)."""
    return bool(STREAM_KEYS.get(aggregate, ("", ()))[1])


def stream_key(aggregate: str, first: Mapping[str, Any]) -> str:
    """The natural key of an aggregate from its first stored event (``item/STEEL``,
    ``bom/BIKE/B``); the aggregate's kind alone for one-per-plant aggregates."""
    kind, fields = STREAM_KEYS.get(aggregate, (snake(aggregate), ()))
    return "/".join([kind, *(_part(first.get(f, "")) for f in fields)])


def key_in(aggregate: str, state: Mapping[str, Any]) -> str | None:
    """The aggregate's key when this event holds it (its first event does), else None."""
    _kind, fields = STREAM_KEYS.get(aggregate, ("", ()))
    if all(state.get(f) is not None for f in fields):
        return stream_key(aggregate, state)
    return None


def event_subject(aggregate: str, key: str | None, state: Mapping[str, Any]) -> str:
    """What the event is about: ``item/STEEL/lot/L1``, ``item/STEEL``, or the aggregate's
    key (``key``: from :func:`stream_key`; None when unknown, the aggregate's kind then)."""
    sku = state.get("sku")
    if isinstance(sku, str) and sku:
        base = f"item/{_part(sku)}"
    else:
        base = key or STREAM_KEYS.get(aggregate, (snake(aggregate), ()))[0]
    if base.startswith("item/"):
        lot = state.get("lot") or state.get("to_lot")
        if isinstance(lot, str) and lot:
            return f"{base}/lot/{_part(lot)}"
    return base
