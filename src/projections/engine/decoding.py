"""How the runner parses a page's events: the struct type ``json_transform`` turns each
event's JSON into (``e``)."""

from __future__ import annotations

import dataclasses
import json

from ledger.catalog import event_classes
from projections.engine.projection import topic

V = "VARCHAR"
LAYERS = [{"seq": "BIGINT", "quantity": V, "unit_cost": V}]
EVENT_FIELDS: dict[str, object] = {
    "timestamp": V,
    "meta": {"actor": V, "command_id": V, "correlation_id": V, "site": V, "effective_at": V},
    # master data
    "sku": V,
    "description": V,
    "kind": V,
    "unit_of_measure": V,
    "precision": "BIGINT",
    "tracking": V,
    "costing_method": V,
    "standard_cost": V,
    "shelf_life_days": "BIGINT",
    "inspection_required": "BOOLEAN",
    "planning": {
        "lead_time_days": "BIGINT",
        "lot_size_rule": V,
        "lot_size_quantity": V,
        "minimum_lot": V,
        "safety_stock": V,
        "reorder_point": V,
    },
    "code": V,
    "name": V,
    "level": V,
    "parent": V,
    "site": V,
    "reason": V,
    # stock
    "location": V,
    "from_location": V,
    "to_location": V,
    "to_site": V,
    "lot": V,
    "status": V,
    "from_status": V,
    "to_status": V,
    "quantity": V,
    "unit_cost": V,
    "value": V,
    "purchase_price_variance": V,
    "layer_seq": "BIGINT",
    "supplier_lot": V,
    "expiry": V,
    "supplier": V,
    "reference": V,
    "target_kind": V,
    "target": V,
    "reservation_id": V,
    "quantity_delta": V,
    "value_delta": V,
    "reason_code": V,
    "note": V,
    "book_quantity": V,
    "counted_quantity": V,
    "count_reference": V,
    "layers": LAYERS,
    "old_unit_cost": V,
    "new_unit_cost": V,
    # engineering, work orders, orders
    "revision": V,
    "effective_from": V,
    "effective_to": V,
    "output_quantity": V,
    "capacity_hours_per_day": V,
    "working_days": ["BIGINT"],
    "labour_rate": V,
    "machine_rate": V,
    "number": V,
    "item": V,
    "due_date": V,
    "output_location": V,
    "supply_location": V,
    "bom_version": V,
    "routing_version": V,
    "component": V,
    "operation": "BIGINT",
    "backflushed": "BOOLEAN",
    "good": V,
    "scrap": V,
    "rework": V,
    "labour_hours": V,
    "machine_hours": V,
    "conversion_value": V,
    "actual_cost": V,
    "material_price_variance": V,
    "material_usage_variance": V,
    "efficiency_variance": V,
    "yield_variance": V,
    "wip_written_off": V,
    "customer": V,
    "shipment": V,
    "line": "BIGINT",
    "over_receipt_tolerance": V,
    "picker": V,
    "lines": [
        {
            "location": V,
            "lot": V,
            "status": V,
            "quantity": V,
            "value_delta": V,
            "line": "BIGINT",
            "sku": V,
            "due_date": V,
            "unit_price": V,
            "component": V,
            "scrap_factor": V,
            "phantom": "BOOLEAN",
            "by_product": "BOOLEAN",
            "backflush": V,
            "operation": "BIGINT",
        }
    ],
    "operations": [
        {
            "seq": "BIGINT",
            "work_center": V,
            "description": V,
            "setup_hours": V,
            "run_hours_per_unit": V,
            "move_queue_hours": V,
            "labour_rate": V,
            "machine_rate": V,
        }
    ],
    "requirements": [
        {
            "component": V,
            "per_unit": V,
            "required": V,
            "standard_cost": V,
            "backflush": V,
            "operation": "BIGINT",
        }
    ],
    "allocations": [
        {"reservation_id": V, "line": "BIGINT", "location": V, "lot": V, "quantity": V}
    ],
    "consumed_lots": [{"component": V, "lot": V, "quantity": V}],
    "shortages": [{"component": V, "required": V, "reserved": V}],
    # quality and traceability
    "work_center": V,
    "hold_id": V,
    "from_lot": V,
    "to_lot": V,
    "parts": [{"lot": V, "quantity": V, "value": V, "layers": LAYERS}],
    "disposition": V,
    "placed_by": V,
    "inspection_id": V,
    "passed": "BOOLEAN",
    "inspector": V,
    "results": [{"characteristic": V, "passed": "BOOLEAN"}],
    "signature": {"signer": V, "meaning": V, "reason": V, "signed_at": V},
    # planning
    "run_id": V,
    "release_date": V,
    "pegging": [{"kind": V, "reference": V, "quantity": V, "needed_on": V}],
    "messages": [V],
    "order_kind": V,
    "order_number": V,
    "by_run": V,
    "start_date": V,
    "bucket_days": "BIGINT",
    "horizon": "BIGINT",
    "planned_orders": [V],
    "superseded": [V],
    "exceptions": [
        {
            "item": V,
            "exception": V,
            "reference": V,
            "scheduled_date": V,
            "suggested_date": V,
            "quantity": V,
            "message": V,
        }
    ],
}
EVENT_STRUCT = json.dumps(EVENT_FIELDS)


def _fields_by_topic() -> dict[str, frozenset[str]]:
    return {
        topic(cls): frozenset(f.name for f in dataclasses.fields(cls)) for cls in event_classes()
    }


FIELDS_BY_TOPIC = _fields_by_topic()


def event_struct(topics: frozenset[str] | None = None) -> str:
    """The struct type ``json_transform`` parses events into: every field any event has,
    or only the fields of ``topics`` (a page of a few events: a struct of some 150
    fields costs milliseconds per statement whatever the number of rows)."""
    if topics is None or not topics <= FIELDS_BY_TOPIC.keys():
        return EVENT_STRUCT
    wanted = frozenset().union(*(FIELDS_BY_TOPIC[t] for t in topics))
    return json.dumps(
        {k: v for k, v in EVENT_FIELDS.items() if k in wanted or k in ("timestamp", "meta")}
    )
