"""Large, genuine ledgers for the read-side benchmarks, written straight to the store.

The events are made by the real aggregates (receive, issue, move on stock cards) with
effective times spread over the last ``days``, then stored in bulk with the recorder's own
``insert_events`` (the group-commit writer would take minutes for a million events, and it
is not what is being measured here). A finished dataset is kept in its schema and reused.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import psycopg

from ledger.application import LedgerApplication
from ledger.ids import item_id, location_id, stock_id
from ledger.master_data.item import Item
from ledger.master_data.location import Location
from ledger.stock.card import Place, Stock
from ledger.store import store_env
from ledger.values import (
    CostingMethod,
    IssueTarget,
    ItemKind,
    LocationKind,
    LocationLevel,
    Meta,
    PlanningParameters,
    StockStatus,
    Tracking,
)

D = Decimal


def _meta(when: datetime, n: int) -> Meta:
    return Meta(
        actor="bench", command_id=f"b{n}", correlation_id=f"b{n}", site="P", effective_at=when
    )


def build(
    url: str,
    *,
    items: int,
    locations: int,
    movements: int,
    days: int = 90,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write the dataset; returns the number of events in the store."""
    app = LedgerApplication(store_env(url))
    try:
        existing = app.recorder.max_notification_id() or 0
        if existing:
            return existing
        rng = random.Random(42)
        start = datetime.now(UTC) - timedelta(days=days)
        step = timedelta(days=days) / max(1, movements)
        pending: list[object] = []

        def flush(force: bool = False) -> None:
            if len(pending) >= 20_000 or (force and pending):
                app.events.put(pending)  # type: ignore[arg-type]
                pending.clear()

        meta = _meta(start, 0)
        site = Location.register(
            id=location_id("P"),
            meta=meta,
            code="P",
            name="plant",
            level=LocationLevel.SITE,
            kind=LocationKind.STORAGE,
            parent=None,
        )
        warehouse = Location.register(
            id=location_id("W"),
            meta=meta,
            code="W",
            name="warehouse",
            level=LocationLevel.WAREHOUSE,
            kind=LocationKind.STORAGE,
            parent=site,
        )
        places = []
        for k in range(locations):
            zone = Location.register(
                id=location_id(f"Z{k}"),
                meta=meta,
                code=f"Z{k}",
                name=f"zone {k}",
                level=LocationLevel.ZONE,
                kind=LocationKind.STORAGE,
                parent=warehouse,
            )
            pending += zone.collect_events()
            places.append(
                Place(code=zone.code, site="P", kind=zone.kind, holds_stock=True, blocked_by=None)
            )
        pending += site.collect_events() + warehouse.collect_events()
        cards: list[tuple[Item, Stock]] = []
        for n in range(items):
            item = Item.register(
                id=item_id(f"I{n:05d}"),
                meta=meta,
                sku=f"I{n:05d}",
                description=f"item {n}",
                kind=ItemKind.COMPONENT,
                unit_of_measure="ea",
                precision=0,
                tracking=Tracking.NONE,
                costing_method=[CostingMethod.FIFO, CostingMethod.MOVING_AVERAGE][n % 2],
                standard_cost=None,
                shelf_life_days=None,
                inspection_required=False,
                planning=PlanningParameters(),
            )
            stock = Stock.open(id=stock_id(item.sku), meta=meta, item=item)
            pending += item.collect_events() + stock.collect_events()
            cards.append((item, stock))
        flush()
        for n in range(movements):
            when = start + step * n
            item, stock = cards[rng.randrange(items)]
            place = places[rng.randrange(locations)]
            on_hand = stock.quantity_in((place.code, "", StockStatus.AVAILABLE))
            roll = rng.random()
            meta = _meta(when, n)
            if on_hand < 20 or roll < 0.35:
                stock.receive(
                    meta=meta,
                    item=item,
                    place=place,
                    quantity=D(rng.randint(20, 200)),
                    unit_cost=D(rng.randint(100, 5000)) / 100,
                    lot=None,
                    supplier_lot=None,
                    expiry=None,
                    supplier="S1",
                    reference=f"PO-{n}",
                )
            elif roll < 0.8:
                stock.issue(
                    meta=meta,
                    item=item,
                    place=place,
                    quantity=D(rng.randint(1, 10)),
                    lot=None,
                    target_kind=IssueTarget.WORK_ORDER,
                    target=f"WO-{n % 500}",
                    reservation_id=None,
                    reference="",
                )
            else:
                destination = places[(places.index(place) + 1) % locations]
                stock.move(
                    meta=meta,
                    item=item,
                    source=place,
                    destination=destination,
                    quantity=D(rng.randint(1, 10)),
                    lot=None,
                    status=StockStatus.AVAILABLE,
                    reference="",
                )
            pending += stock.collect_events()
            flush()
            if on_progress is not None and n % 10_000 == 0:
                on_progress(n, movements)
        flush(force=True)
        return app.recorder.max_notification_id() or 0
    finally:
        app.close()


def schema_exists(base: str, schema: str) -> bool:
    with psycopg.connect(base, autocommit=True) as conn:
        found = conn.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s"
            " AND table_name = 'mims_events'",
            (schema,),
        ).fetchone()
        return found is not None
