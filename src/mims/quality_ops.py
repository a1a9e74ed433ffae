"""Quality operations of the composition root: the expiry job.

The job asks the read models which items have available stock in lots past their expiry
and posts `ExpireLots` for each (the ledger decides again on its own state, so a read
model that lags only delays the job). It runs inside `mims serve` every
`MIMS_EXPIRY_INTERVAL_MINUTES`, and on demand with `mims quality expire`
(`mims.cli.quality`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import structlog

from ledger.quality.commands import ExpireLots
from ledger.writer import Ledger
from projections.engine.view import ReadModels

log = structlog.get_logger("mims.quality")
ACTOR = "expiry-job"


def items_with_expired_stock(models: ReadModels, today: date) -> list[str]:
    with models.reader() as con:
        rows = con.execute(
            """SELECT DISTINCT b.item FROM stock_balances b
               JOIN lots l ON l.item = b.item AND l.lot = b.lot
               WHERE b.status = 'available' AND b.quantity > 0 AND l.expiry < ?
               ORDER BY b.item""",
            [today],
        ).fetchall()
    return [sku for (sku,) in rows]


def expire_due(ledger: Ledger, models: ReadModels) -> list[dict[str, str]]:
    """Post ExpireLots for every item the read models show with expired available stock;
    answers what each command held."""
    done = []
    for sku in items_with_expired_stock(models, datetime.now(UTC).date()):
        outcome = ledger.execute(ExpireLots(sku=sku), actor=ACTOR)
        if outcome.events:
            done.append(dict(outcome.data))
    if done:
        log.info("expired lots held", items=len(done))
    return done


async def run_expiry_job(ledger: Ledger, models: ReadModels, interval_minutes: float) -> None:
    """The scheduled run inside the server: first a minute after start, then every
    interval; a failing run is logged and the next one tries again."""
    await asyncio.sleep(min(60.0, interval_minutes * 60))
    while True:
        try:
            await asyncio.to_thread(expire_due, ledger, models)
        except Exception:
            log.exception("expiry job failed")
        await asyncio.sleep(interval_minutes * 60)
