"""Events written straight to the log, past the ledger's checks: what a buggy older version
could have stored, to prove the read side stops one projection and names it."""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from ledger.ids import stock_id
from ledger.stock.card import Stock
from ledger.writer import Ledger


def store_raw_receipt(ledger: Ledger, sku: str, at: str, **fields: Any) -> int:
    """A ``Stock.Received`` of ``sku`` at location A with ``fields`` as given (quantity,
    unit_cost, value, layer_seq...), stored as is; its log position."""
    stock = ledger.stock(sku)
    assert stock is not None
    state = {
        "timestamp": at,
        "meta": {"actor": "x", "command_id": "raw", "correlation_id": "raw", "site": "S",
                 "effective_at": at},
        "location": "A", "lot": "", "status": "available", "purchase_price_variance": "0",
        "supplier_lot": None, "expiry": None, "supplier": None, "reference": "",
        **fields,
    }  # fmt: skip
    ledger.app.recorder.insert_events(
        [
            StoredEvent(
                originator_id=stock_id(sku),
                originator_version=stock.version + 1,
                topic=get_topic(Stock.Received),
                state=orjson.dumps(state),
            )
        ]
    )
    return ledger.max_position()
