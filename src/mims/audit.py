"""`mims audit verify`: the read models against the ledger itself.

The balances are recomputed by the write side's own code (each item's stock card folded
from its events by the aggregate), independently of the projections' SQL, and compared
bucket by bucket and item by item with the read models. A difference names the item,
location, lot and status, and both figures.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from eventsourcing.utils import get_topic

from ledger.stock.card import Stock
from ledger.writer import Ledger
from projections.engine.runner import ProjectionRunner
from projections.engine.view import ReadModels

ZERO = Decimal(0)


@dataclass(frozen=True)
class Difference:
    item: str
    location: str | None
    lot: str | None
    status: str | None
    what: str
    ledger: Decimal
    read_model: Decimal

    def __str__(self) -> str:
        where = " ".join(
            x for x in (self.location, self.lot and f"lot {self.lot}", self.status) if x
        )
        return (
            f"{self.item} {where}: {self.what} is {self.ledger} in the ledger,"
            f" {self.read_model} in the read models"
        )


def stock_streams(ledger: Ledger, page: int = 10_000) -> Iterator[UUID]:
    topic = get_topic(Stock.Opened)
    start = 1
    while True:
        found = ledger.app.recorder.select_notifications(start=start, limit=page, topics=[topic])
        if not found:
            return
        for notification in found:
            yield UUID(str(notification.originator_id))
        start = found[-1].id + 1


def _differences(ledger: Ledger, models: ReadModels, only: set[str] | None) -> list[Difference]:
    with models.reader() as con:
        balances = {
            (item, location, lot, status): quantity
            for item, location, lot, status, quantity in con.execute(
                "SELECT item, location, lot, status, quantity FROM stock_balances"
            ).fetchall()
        }
        values = dict(con.execute("SELECT item, value FROM item_valuation").fetchall())
    found: list[Difference] = []
    for stream in stock_streams(ledger):
        stock = ledger.app.find(stream)
        if not isinstance(stock, Stock) or (only is not None and stock.sku not in only):
            continue
        truth = {(stock.sku, *key): quantity for key, quantity in stock.balances.items()}
        mine = {key: q for key, q in balances.items() if key[0] == stock.sku}
        for key in sorted(set(truth) | set(mine)):
            ledger_qty, model_qty = truth.get(key, ZERO), mine.get(key, ZERO)
            if ledger_qty != model_qty:
                item, location, lot, status = key
                found.append(
                    Difference(
                        item, location, lot or None, str(status), "quantity", ledger_qty, model_qty
                    )
                )
        model_value = values.get(stock.sku, ZERO)
        if stock.value != model_value:
            found.append(Difference(stock.sku, None, None, None, "value", stock.value, model_value))
    return found


def verify(
    ledger: Ledger, models: ReadModels, runner: ProjectionRunner, attempts: int = 3
) -> list[Difference]:
    """Differences that persist once the read models have caught up (a command committed
    between the two reads is not a difference: it is checked again)."""
    suspects: set[str] | None = None
    found: list[Difference] = []
    for attempt in range(attempts):
        runner.wait_for(
            ledger.max_position(), timeout=30
        ) if runner.is_running else runner.catch_up()
        found = _differences(ledger, models, suspects)
        if not found:
            return []
        suspects = {d.item for d in found}
        if attempt + 1 < attempts:
            time.sleep(0.2)
    return found
