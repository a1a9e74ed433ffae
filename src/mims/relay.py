"""The relay: every event, once, to NATS JetStream as a CloudEvent, for other processes and
integrations (projector workers, ERP/MES/WMS consumers, a Kafka connector).

The event store is the only record of truth: JetStream acknowledges a publish before it
is on disk. So the relay keeps its position in the event store's own database (the
library's tracking table, name ``nats-relay``), publishes a page of notifications, waits
for every acknowledgement, and only then moves its position. After a crash (even a
SIGKILL between the acknowledgements and the position) it publishes the page again from
its last position; JetStream drops what it already has within its de-duplication window
(``Nats-Msg-Id`` = the event's stable id, ``MIMS_NATS_DUPLICATE_WINDOW_SECONDS``) and
consumers de-duplicate by the same id (``ce-id``) beyond it.

A message is a CloudEvent 1.0 in binary mode (``mims.cloudevents``): subject
``<prefix>.<site>.<aggregate>.<event>`` (``mims.events.S1.stock.received``), headers
``ce-id``, ``ce-type`` (``com.mims.stock.received.v1``), ``ce-source``, ``ce-subject``,
``ce-time``, ``ce-mimsposition`` (the ledger position), ``content-type``, and
``Nats-Msg-Id``; the payload is the stored event's JSON as it is in the store. Identity's
events (accounts, API keys) are never published: they hold password hashes and TOTP
seeds. Publishes go out with nats-py's ``publish_async`` (one reply subscription, no
request per message) in ledger order, so the stream's order is the ledger's. Run it inside
``mims serve`` (``MIMS_NATS_URL`` set) or on its own (``mims relay``); two relays on one
store publish the same ids, which JetStream drops.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import nats
import orjson
import structlog
from eventsourcing.persistence import Notification, Tracking
from nats.js.api import StreamConfig

from ledger.private import is_private
from ledger.writer import Ledger
from mims.cloudevents import Describer, binary_headers, cloudevent, nats_subject

log = structlog.get_logger("mims.relay")
RELAY = "nats-relay"
DUPLICATE_WINDOW_SECONDS = 120.0
ACK_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class RelaySettings:
    url: str
    stream: str = "MIMS_EVENTS"
    subject_prefix: str = "mims.events"
    plant: str = "plant"
    page_size: int = 1_000
    poll_interval: float = 0.5
    duplicate_window: float = DUPLICATE_WINDOW_SECONDS
    retry_seconds: float = 1.0


@dataclass(frozen=True)
class Message:
    subject: str
    headers: dict[str, str]
    data: bytes


def messages_of(page: Sequence[Notification], describer: Describer, prefix: str) -> list[Message]:
    """The page's public events as NATS messages, in ledger order."""
    out = []
    for n in page:
        if is_private(n.topic):
            # Identity's events hold password hashes, key digests and TOTP seeds: they
            # never leave the event store (docs/identity.md). Their positions are passed over.
            continue
        described = describer.describe(n, n.id, orjson.loads(n.state))
        headers = binary_headers(cloudevent(described, n.state))
        headers["Nats-Msg-Id"] = described.id
        out.append(Message(nats_subject(prefix, n.topic, described.site), headers, n.state))
    return out


class Relay:
    def __init__(self, ledger: Ledger, settings: RelaySettings) -> None:
        self.ledger = ledger
        self.settings = settings
        self.tracking = ledger.app.factory.tracking_recorder()
        self.describer = Describer(ledger.app.recorder, settings.plant)
        self.published = 0  # new messages JetStream kept
        self.republished = 0  # messages JetStream already had (acknowledged as duplicates)
        self.connected = False  # to NATS, with the stream in place (readiness says so)
        # Told (first position, last position, monotonic time) when a page is acknowledged.
        self.acknowledged: list[Callable[[int, int, float], None]] = []
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
                    log.warning("relay lost NATS, retrying", error=str(e) or type(e).__name__)
                    await _sleep_or_stop(stop, self.settings.retry_seconds)
        finally:
            self.ledger.listeners.remove(self.wake)

    async def _serve(self, stop: asyncio.Event) -> None:
        nc = await nats.connect(self.settings.url, allow_reconnect=False, connect_timeout=5)
        try:
            js = nc.jetstream(publish_async_max_pending=max(4_000, self.settings.page_size))
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

    def _next_page(self) -> tuple[Sequence[Notification], list[Message]]:
        """In a worker thread: the page after the position, as messages (reading a stream's
        key may ask the store)."""
        after = self.position
        page = self.ledger.app.recorder.select_notifications(after + 1, self.settings.page_size)
        return page, messages_of(page, self.describer, self.settings.subject_prefix)

    async def publish_page(self, js: Any) -> int:
        """Publish the next page; answers how many events it read (private ones included)."""
        page, messages = await asyncio.to_thread(self._next_page)
        if not page:
            return 0
        stream = self.settings.stream
        acks = [
            await js.publish_async(m.subject, m.data, headers=m.headers, stream=stream)
            for m in messages
        ]
        # A closed connection never answers: the timeout turns that into a retry.
        done = await asyncio.wait_for(asyncio.gather(*acks), ACK_TIMEOUT_SECONDS)
        acknowledged = time.monotonic()
        # Every acknowledgement is in: only now does the position move.
        await asyncio.to_thread(self.tracking.insert_tracking, Tracking(RELAY, page[-1].id))
        duplicates = sum(1 for ack in done if ack.duplicate)
        self.published += len(done) - duplicates
        self.republished += duplicates
        for observer in self.acknowledged:
            observer(page[0].id, page[-1].id, acknowledged)
        return len(page)


def stream_config(settings: RelaySettings) -> StreamConfig:
    return StreamConfig(
        name=settings.stream,
        subjects=[f"{settings.subject_prefix}.>"],
        duplicate_window=settings.duplicate_window,
    )


async def ensure_stream(js: Any, settings: RelaySettings) -> None:
    """The stream, made when missing; an existing one keeps its subjects (``<prefix>.>``
    covers the old ``<prefix>.<Aggregate>.<Event>`` layout too) and gets the configured
    duplicate window."""
    try:
        info = await js.stream_info(settings.stream)
    except nats.js.errors.NotFoundError:
        await js.add_stream(stream_config(settings))
        return
    if info.config.duplicate_window != settings.duplicate_window:
        info.config.duplicate_window = settings.duplicate_window
        await js.update_stream(info.config)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return
