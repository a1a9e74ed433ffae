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
from mims.cloudevents import Describer, headers_of, nats_subject

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


def messages_of(
    page: Sequence[Notification], describer: Describer, settings: RelaySettings
) -> list[Message]:
    """The page's public events as NATS messages, in ledger order."""
    out = []
    for n in page:
        if is_private(n.topic):
            # Identity's events hold password hashes, key digests and TOTP seeds: they
            # never leave the event store (docs/identity.md). Their positions are passed over.
            continue
        described = describer.describe(n, n.id, orjson.loads(n.state))
        headers = headers_of(described)
        headers["Nats-Msg-Id"] = described.id
        # JetStream refuses the message unless this stream takes the subject.
        headers["Nats-Expected-Stream"] = settings.stream
        subject = nats_subject(settings.subject_prefix, n.topic, described.site)
        out.append(Message(subject, headers, n.state))
    return out


class PageNotAcknowledged(nats.errors.Error):
    """JetStream refused a message of the page, or did not answer: the page is sent again."""


class Acks:
    """JetStream's acknowledgements of the page in flight, all sent to one reply subject
    (nats-py's ``publish_async`` makes a future, a token and a semaphore turn per message:
    a third of the relay's time)."""

    def __init__(self) -> None:
        self.expected = 0
        self.received = 0
        self.duplicates = 0
        self.refusals: list[str] = []
        self.all_in = asyncio.Event()

    def expect(self, count: int) -> None:
        self.expected, self.received, self.duplicates = count, 0, 0
        self.refusals.clear()
        self.all_in.clear()
        if count == 0:
            self.all_in.set()

    async def take(self, msg: Any) -> None:
        self.received += 1
        data: bytes = msg.data
        if not data or b'"error"' in data:
            # No stream answered (a 503 status without data), or the stream refused.
            self.refusals.append(data.decode(errors="replace") or "no stream answered")
        elif b'"duplicate"' in data and orjson.loads(data).get("duplicate"):
            self.duplicates += 1
        if self.received >= self.expected:
            self.all_in.set()


class Publisher:
    """One NATS connection's publishing of pages, acknowledged on one inbox."""

    def __init__(self, nc: Any) -> None:
        self.nc = nc
        self.inbox = nc.new_inbox()
        self.acks = Acks()
        self.subscribed = False

    async def send(self, messages: Sequence[Message]) -> None:
        if not self.subscribed:
            await self.nc.subscribe(self.inbox, cb=self.acks.take, pending_msgs_limit=-1)
            self.subscribed = True
        self.acks.expect(len(messages))
        publish, inbox = self.nc.publish, self.inbox
        for m in messages:
            await publish(m.subject, m.data, reply=inbox, headers=m.headers)
        await self.nc.flush()

    async def acknowledged(self) -> tuple[int, int]:
        """Waits for every acknowledgement of the page sent; answers (new, duplicates)."""
        # A closed connection never answers: the timeout turns that into a retry.
        await asyncio.wait_for(self.acks.all_in.wait(), ACK_TIMEOUT_SECONDS)
        acks = self.acks
        if acks.refusals:
            msg = f"JetStream refused {len(acks.refusals)} events: {acks.refusals[0]}"
            raise PageNotAcknowledged(msg)
        return acks.received - acks.duplicates, acks.duplicates


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
        self._publisher: Publisher | None = None
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
        nc = await nats.connect(
            self.settings.url, allow_reconnect=False, connect_timeout=5, error_cb=_lost
        )
        reading: asyncio.Future[tuple[Sequence[Notification], list[Message]]] | None = None
        try:
            await ensure_stream(nc.jetstream(), self.settings)
            publisher = Publisher(nc)
            self.connected = True
            wake = self._wake or asyncio.Event()

            def read(after: int) -> asyncio.Future[tuple[Sequence[Notification], list[Message]]]:
                # Cleared before the read: a commit during it wakes the wait below.
                wake.clear()
                return asyncio.ensure_future(asyncio.to_thread(self._read_after, after))

            after = await asyncio.to_thread(lambda: self.position)
            reading = read(after)
            while not stop.is_set():
                page, messages = await reading
                if page:
                    await publisher.send(messages)
                    after = page[-1].id
                    # The next page is read and named while JetStream acknowledges this one.
                    reading = read(after)
                    await self._confirm(publisher, page)
                    continue
                await _wait_any(wake, stop, self.settings.poll_interval)
                reading = read(after)
        finally:
            self.connected = False
            if reading is not None and not reading.done():
                reading.cancel()
            await nc.close()

    def _read_after(self, after: int) -> tuple[Sequence[Notification], list[Message]]:
        """In a worker thread: the page after ``after``, as messages (naming an event may
        ask the store for its aggregate's key)."""
        page = self.ledger.app.recorder.select_notifications(after + 1, self.settings.page_size)
        return page, messages_of(page, self.describer, self.settings)

    async def _confirm(self, publisher: Publisher, page: Sequence[Notification]) -> None:
        new, duplicates = await publisher.acknowledged()
        acknowledged = time.monotonic()
        # Every acknowledgement is in: only now does the position move.
        await asyncio.to_thread(self.tracking.insert_tracking, Tracking(RELAY, page[-1].id))
        self.published += new
        self.republished += duplicates
        if duplicates:
            # After a crash between the acknowledgements and the position: JetStream had them.
            log.info("republished events JetStream already had", events=duplicates)
        for observer in self.acknowledged:
            observer(page[0].id, page[-1].id, acknowledged)

    async def publish_page(self, nc: Any) -> int:
        """Publish the next page on ``nc`` and wait for it to be acknowledged; answers how
        many events it read (private ones included)."""
        if self._publisher is None or self._publisher.nc is not nc:
            self._publisher = Publisher(nc)
        after = await asyncio.to_thread(lambda: self.position)
        page, messages = await asyncio.to_thread(self._read_after, after)
        if not page:
            return 0
        await self._publisher.send(messages)
        await self._confirm(self._publisher, page)
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


async def _lost(error: Exception) -> None:
    # nats-py prints a traceback for a dropped connection unless told otherwise; the
    # publish that fails next says it once, in run()'s warning.
    log.debug("NATS connection error", error=str(error) or type(error).__name__)


async def _wait_any(wake: asyncio.Event, stop: asyncio.Event, seconds: float) -> None:
    waiter = asyncio.ensure_future(wake.wait())
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait({waiter, stopper}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    stopper.cancel()


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return
