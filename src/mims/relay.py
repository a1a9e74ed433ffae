"""The relay: every event, once, to NATS JetStream, for other processes and integrations
(projector workers, webhooks, ERP/MES/WMS consumers).

The event store is the only record of truth: JetStream acknowledges a publish before it
is on disk. So the relay keeps its position in the event store's own database (the
library's tracking table, name ``nats-relay``), publishes a page of notifications, waits
for every acknowledgement, and only then moves its position. After a crash it publishes
again from its last position; JetStream drops what it already has within its
de-duplication window (``Nats-Msg-Id`` = the event's stable id) and consumers
de-duplicate by the same id beyond it.

A message: subject ``{prefix}.{Aggregate}.{Event}`` (``mims.events.Stock.Received``),
payload the stored event's JSON as it is in the store, headers ``Nats-Msg-Id``,
``Mims-Position`` (the notification id), ``Mims-Topic``, ``Mims-Stream`` and
``Mims-Version``. Identity's events (accounts, API keys) are never published: they hold
password hashes and TOTP seeds. Run it inside ``mims serve`` (``MIMS_NATS_URL`` set) or on its own
(``mims relay``); two relays on one store publish the same ids, which JetStream drops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import nats
import structlog
from eventsourcing.persistence import Notification, Tracking
from nats.js.api import StreamConfig

from ledger.ids import event_id
from ledger.private import is_private
from ledger.writer import Ledger

log = structlog.get_logger("mims.relay")
RELAY = "nats-relay"


@dataclass(frozen=True)
class RelaySettings:
    url: str
    stream: str = "MIMS_EVENTS"
    subject_prefix: str = "mims.events"
    page_size: int = 1_000
    poll_interval: float = 0.5


def subject_of(prefix: str, topic: str) -> str:
    """``ledger.stock:Stock.Received`` -> ``mims.events.Stock.Received``."""
    return f"{prefix}.{topic.rsplit(':', 1)[-1]}"


def headers_of(notification: Notification) -> dict[str, str]:
    return {
        "Nats-Msg-Id": str(
            event_id(UUID(str(notification.originator_id)), notification.originator_version)
        ),
        "Mims-Position": str(notification.id),
        "Mims-Topic": notification.topic,
        "Mims-Stream": str(notification.originator_id),
        "Mims-Version": str(notification.originator_version),
    }


class Relay:
    def __init__(self, ledger: Ledger, settings: RelaySettings) -> None:
        self.ledger = ledger
        self.settings = settings
        self.tracking = ledger.app.factory.tracking_recorder()
        self.published = 0
        self.connected = False  # to NATS, with the stream in place (readiness says so)
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def position(self) -> int:
        return self.tracking.max_tracking_id(RELAY) or 0

    def wake(self, _position: int | None = None) -> None:
        """Called by the writer after a commit (in its thread)."""
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until ``stop`` is set; reconnects when NATS goes away."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self.ledger.listeners.append(self.wake)
        try:
            while not stop.is_set():
                try:
                    await self._serve(stop)
                except (OSError, nats.errors.Error, TimeoutError) as e:
                    log.warning("relay lost NATS, retrying", error=str(e))
                    await _sleep_or_stop(stop, 2.0)
        finally:
            self.ledger.listeners.remove(self.wake)

    async def _serve(self, stop: asyncio.Event) -> None:
        nc = await nats.connect(self.settings.url, allow_reconnect=False, connect_timeout=5)
        try:
            js = nc.jetstream()
            await ensure_stream(js, self.settings)
            self.connected = True
            wake = self._wake or asyncio.Event()
            while not stop.is_set():
                while await self.publish_page(js):
                    pass
                wake.clear()
                waiter = asyncio.ensure_future(wake.wait())
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait(
                    {waiter, stopper},
                    timeout=self.settings.poll_interval,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                waiter.cancel()
                stopper.cancel()
        finally:
            self.connected = False
            await nc.close()

    async def publish_page(self, js: Any) -> int:
        """Publish the next page; answers how many events it published."""
        after = await asyncio.to_thread(lambda: self.position)
        page: Sequence[Notification] = await asyncio.to_thread(
            self.ledger.app.recorder.select_notifications, after + 1, self.settings.page_size
        )
        if not page:
            return 0
        # Identity's events hold password hashes, key digests and TOTP seeds: they never
        # leave the event store (docs/identity.md). Their positions are passed over.
        public = [n for n in page if not is_private(n.topic)]
        acks = await asyncio.gather(
            *(
                js.publish(
                    subject_of(self.settings.subject_prefix, n.topic),
                    n.state,
                    headers=headers_of(n),
                    stream=self.settings.stream,
                )
                for n in public
            )
        )
        # Every acknowledgement is in: only now does the position move.
        await asyncio.to_thread(self.tracking.insert_tracking, Tracking(RELAY, page[-1].id))
        self.published += sum(1 for ack in acks if not ack.duplicate)
        return len(page)


async def ensure_stream(js: Any, settings: RelaySettings) -> None:
    try:
        await js.stream_info(settings.stream)
    except nats.js.errors.NotFoundError:
        await js.add_stream(
            StreamConfig(
                name=settings.stream,
                subjects=[f"{settings.subject_prefix}.>"],
                duplicate_window=120.0,
            )
        )


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return
