"""Scheduled jobs of the composition root: the expiry job.

The job asks the read models which items have available stock in lots past their expiry
(``projections.quality.items_with_expired_stock``) and posts `ExpireLots` for each (the
ledger decides again on its own state, so a read model that lags only delays the job). It
runs inside `mims serve` every `MIMS_EXPIRY_INTERVAL_MINUTES`, and on demand with `mims
quality expire` (`mims.cli.quality`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import structlog

from ledger.identity.principals import SYSTEM, Principal
from ledger.quality.commands import ExpireLots
from ledger.writer import Ledger
from projections.engine.view import ReadModels
from projections.quality import items_with_expired_stock

log = structlog.get_logger("mims.quality")
# Who the scheduled job acts as: recorded as the events' actor (``system:expiry``), and
# checked like anyone (the system role may expire lots at every site).
EXPIRY = SYSTEM("expiry")


def expire_due(
    ledger: Ledger, models: ReadModels, principal: Principal = EXPIRY
) -> list[dict[str, str]]:
    """Post ExpireLots for every item the read models show with expired available stock,
    as ``principal`` (the job's own, or whoever asked through /admin); answers what each
    command held."""
    done = []
    with models.reader() as con:
        due = items_with_expired_stock(con, datetime.now(UTC).date())
    for sku in due:
        outcome = ledger.execute(ExpireLots(sku=sku), principal=principal)
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
