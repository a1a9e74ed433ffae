"""The webhook dispatcher: every event a subscription wants, signed (Standard Webhooks),
in order, at least once, to an outside receiver.

It follows the event store's notification log like the relay (pages of
``select_notifications``, woken by the writer's listeners, polling as a fallback), on its
own asyncio tasks: the writer never waits for a receiver. One task per active
subscription delivers in position order; the next delivery waits until the previous one
succeeded, so order per subscription holds. A delivery that fails (an answer other than
2xx, a timeout, a refused target) is retried with the SAME ``webhook-id`` and a
``webhook-attempt`` header counting the attempts, after exponential backoff with full
jitter (``base * 2**(attempt-1)`` capped, times a uniform random fraction); after the
retry window (3 days by default) the subscription is disabled with the reason, by an
event (`DisableWebhookSubscription`, actor ``system:webhooks``). A receiver answering 410
Gone disables it at once.

The cursor and the delivery log live in the event store's database (`mims.webhook_log`):
a delivery's log row and the cursor move in one transaction, so a restart resumes after
the last recorded delivery. A delivery the receiver got but whose outcome was not
recorded (a crash between the two) is sent again under the same ``webhook-id``:
receivers de-duplicate by it, as the specification asks. A graceful stop lets the
attempt in flight finish and be recorded.

The subscriptions themselves are read from the log (their events are private: never
published, never delivered), so any dispatcher on the same store knows them.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import orjson
import structlog
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic
from standardwebhooks import Webhook

from ledger.event_names import event_type, stored_version
from ledger.ids import event_id
from ledger.private import is_private
from ledger.webhooks.commands import DisableWebhookSubscription
from ledger.webhooks.filters import site_matches, type_matches
from ledger.webhooks.handlers import DISPATCHER
from ledger.webhooks.subscription import WebhookSubscription, webhook_id
from ledger.webhooks.targets import TargetPolicy, WebhookTargetRefused, check_target
from ledger.writer import Ledger
from mims.webhook_log import Attempt, DeliveryLog, DispatchLock, delivery_log_for
from queries.webhooks import WebhookDelivery, WebhookSubscriptionInfo

log = structlog.get_logger("mims.webhooks")

SUBSCRIPTION_TOPICS = tuple(
    get_topic(cls)
    for cls in (
        WebhookSubscription.Created,
        WebhookSubscription.Disabled,
        WebhookSubscription.Enabled,
        WebhookSubscription.Replayed,
        WebhookSubscription.Deleted,
    )
)
BATCH_TYPE = "com.mims.batch.v1"
USER_AGENT = "MIMS-Webhooks/1"
DNS_CACHE_SECONDS = 30.0
PRUNE_SECONDS = 3600.0  # how often old delivery-log rows are pruned
SNIPPET_BYTES = 2048  # of a receiver's answer read for the log (500 characters kept)
STANDBY_SECONDS = 5.0  # how often a standing-by dispatcher tries to take over


@dataclass(frozen=True, kw_only=True)
class WebhookSettings:
    policy: TargetPolicy = field(default_factory=TargetPolicy)
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    retry_base: float = 1.0
    retry_cap: float = 3600.0
    retry_window: float = 3 * 86400.0
    page_size: int = 500
    poll_interval: float = 1.0
    retention: float = 30 * 86400.0
    max_connections: int = 100


@dataclass
class Subscribed:
    """What the dispatcher knows of one subscription (from its events)."""

    subscription_id: str
    url: str
    secret: str
    event_types: tuple[str, ...]
    sites: tuple[str, ...]
    batch_max: int
    start: int | None  # the first position of the current generation (None: from_time)
    start_time: datetime | None = None
    description: str = ""
    generation: int = 0
    active: bool = True
    deleted: bool = False
    disabled_reason: str | None = None
    # Figures for the operations page.
    delivered: int = 0
    failed: int = 0
    cursor: int = 0
    last_error: str | None = None

    def wants(self, type_: str, site: str) -> bool:
        return type_matches(type_, self.event_types) and site_matches(site, self.sites)


@dataclass(frozen=True)
class Delivery:
    """One signed POST: one event, or a batch of them."""

    webhook_id: str
    body: bytes
    first_position: int
    last_position: int
    events: int


def event_payload(n: Notification) -> dict[str, Any]:
    state = orjson.loads(n.state)
    meta = state.get("meta") or {}
    return {
        # The relay's name for it: the version is the one its data was stored at.
        "type": event_type(n.topic, stored_version(state)),
        "timestamp": state.get("timestamp"),
        "data": {
            "id": str(event_id(UUID(str(n.originator_id)), n.originator_version)),
            "position": n.id,
            "subject": str(n.originator_id),
            "version": n.originator_version,
            "site": meta.get("site", ""),
            "event": state,
        },
    }


def delivery_of(payloads: Sequence[dict[str, Any]]) -> Delivery:
    first, last = payloads[0]["data"], payloads[-1]["data"]
    if len(payloads) == 1:
        return Delivery(
            first["id"], orjson.dumps(payloads[0]), first["position"], first["position"], 1
        )
    body = {
        "type": BATCH_TYPE,
        "timestamp": payloads[-1]["timestamp"],
        "data": {"events": list(payloads)},
    }
    # Stable while the batch is retried; each event inside carries its own id.
    wid = f"batch_{first['id']}_{len(payloads)}"
    return Delivery(wid, orjson.dumps(body), first["position"], last["position"], len(payloads))


def backoff(attempt: int, base: float, cap: float) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**(attempt-1))]."""
    return random.uniform(0, min(cap, base * 2 ** min(attempt - 1, 62)))  # noqa: S311 - jitter, not secrecy


Entry = tuple[Notification, dict[str, Any] | None]


class Tail:
    """The log's recent pages, read once and decoded once for every subscription (ten
    subscriptions following the head would otherwise read and parse each page ten times).

    It holds every notification from ``low`` to ``high``: a page read from the store
    covers the positions from its start to its last (the store gives positions in commit
    order, so nothing committed later can fall inside). Private events are kept as
    ``None`` payloads: passed over, never decoded."""

    def __init__(self, recorder: Any, page_size: int, keep: int = 10_000) -> None:
        self.recorder = recorder
        self.page_size = page_size
        self.keep = keep
        self.low, self.high = 1, 0
        self.entries: dict[int, Entry] = {}
        self._reading = asyncio.Lock()

    def _cached(self, after: int) -> list[Entry] | None:
        if not (self.low <= after + 1 <= self.high):
            return None
        stop = min(self.high, after + self.page_size)
        return [e for p in range(after + 1, stop + 1) if (e := self.entries.get(p)) is not None]

    async def page(self, after: int) -> list[Entry]:
        """Up to a page of the log after position ``after``."""
        found = self._cached(after)
        if found is not None:
            return found
        async with self._reading:
            found = self._cached(after)  # another subscription may just have read it
            if found is not None:
                return found
            page: Sequence[Notification] = await asyncio.to_thread(
                self.recorder.select_notifications, after + 1, self.page_size
            )
            if not page:
                return []
            entries = [(n, None if is_private(n.topic) else event_payload(n)) for n in page]
            if self.entries and not (self.low <= after + 1 <= self.high + 1):
                return entries  # a replay far behind: kept out of the followers' tail
            if not self.entries:
                self.low = after + 1
            for entry in entries:
                self.entries[entry[0].id] = entry
            self.high = max(self.high, page[-1].id)
            while len(self.entries) > self.keep:
                oldest = next(iter(self.entries))
                del self.entries[oldest]
                self.low = oldest + 1
            return entries


class WebhookDispatcher:
    def __init__(
        self,
        ledger: Ledger,
        settings: WebhookSettings | None = None,
        deliveries: DeliveryLog | None = None,
    ) -> None:
        self.ledger = ledger
        self.settings = settings or WebhookSettings()
        self.deliveries = deliveries or delivery_log_for(ledger.app.recorder)
        self.subscriptions: dict[str, Subscribed] = {}
        self._known = 0  # the last position read for subscription events
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._waiting: set[asyncio.Event] = set()
        self.tail = Tail(ledger.app.recorder, self.settings.page_size)
        self.lock = DispatchLock(ledger.app.recorder)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dns: dict[str, tuple[float, BaseException | None]] = {}
        self._client: httpx.AsyncClient | None = None
        self._stop: asyncio.Event | None = None
        self.running = False
        self._refreshing = asyncio.Lock()

    # --- waking ------------------------------------------------------------------------

    def wake(self, _position: int | None = None) -> None:
        """Called by the writer after a commit (in its thread)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake_all)

    def _wake_all(self) -> None:
        for event in self._waiting:
            event.set()

    async def _wait(self, seconds: float) -> None:
        """Until the writer commits, the stop, or ``seconds``."""
        stop = self._stop
        if stop is None or stop.is_set():
            return
        wake = asyncio.Event()
        self._waiting.add(wake)
        waiter = asyncio.ensure_future(wake.wait())
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait(
                {waiter, stopper}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            self._waiting.discard(wake)
            waiter.cancel()
            stopper.cancel()

    # --- running -----------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set."""
        self._loop = asyncio.get_running_loop()
        self._stop = stop
        timeout = httpx.Timeout(self.settings.read_timeout, connect=self.settings.connect_timeout)
        limits = httpx.Limits(
            max_connections=self.settings.max_connections,
            max_keepalive_connections=self.settings.max_connections,
        )
        self.ledger.listeners.append(self.wake)
        self.running = True
        last_prune = 0.0
        try:
            async with httpx.AsyncClient(
                timeout=timeout,
                limits=limits,
                follow_redirects=False,  # a redirect could lead anywhere (SSRF)
                headers={"user-agent": USER_AGENT},
                trust_env=False,
            ) as client:
                self._client = client
                while not stop.is_set():
                    if not await self._lead():
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), STANDBY_SECONDS)
                        continue
                    try:
                        await self.refresh()
                    except Exception:  # a bad page never stops delivery; logged
                        log.exception("webhook subscriptions could not be read")
                    self._supervise()
                    if time.time() - last_prune > PRUNE_SECONDS:
                        last_prune = time.time()
                        await asyncio.to_thread(
                            self.deliveries.prune, time.time() - self.settings.retention
                        )
                    await self._wait(self.settings.poll_interval)
                    # A burst of commits wakes this loop once, not once per commit.
                    await asyncio.sleep(min(0.1, self.settings.poll_interval))
                await self._stop_tasks()
        finally:
            await asyncio.to_thread(self.lock.release)
            self.running = False
            self._client = None
            self.ledger.listeners.remove(self.wake)

    async def _lead(self) -> bool:
        """Whether this dispatcher is the store's one (`DispatchLock`); else it stands by."""
        if self.lock.held:
            return True
        try:
            taken = await asyncio.to_thread(self.lock.acquire)
        except Exception:  # the database away: stand by, try again
            log.exception("webhook dispatcher could not take its lock")
            return False
        if taken:
            log.info("webhook dispatcher delivering")
        return taken

    async def _stop_tasks(self) -> None:
        tasks = list(self._tasks.values())
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    def _supervise(self) -> None:
        """One task per active subscription and generation; finished ones are reaped."""
        for sid, task in list(self._tasks.items()):
            if task.done():
                del self._tasks[sid]
                if not task.cancelled() and task.exception() is not None:
                    log.error("webhook task failed", subscription=sid, error=str(task.exception()))
        for sid, sub in self.subscriptions.items():
            if sub.active and not sub.deleted and sid not in self._tasks:
                # Ends when the subscription stops or is replayed; then started afresh.
                self._tasks[sid] = asyncio.create_task(self._deliver_all(sub, sub.generation))

    # --- the subscriptions, from their events ---------------------------------------------

    async def refresh(self) -> None:
        """Apply the subscriptions' events recorded since the last call."""
        async with self._refreshing:
            await self._refresh()

    async def _refresh(self) -> None:
        while True:
            page: Sequence[Notification] = await asyncio.to_thread(
                self.ledger.app.recorder.select_notifications,
                self._known + 1,
                self.settings.page_size,
                None,
                SUBSCRIPTION_TOPICS,
            )
            if not page:
                return
            for n in page:
                self._apply(n)
            self._known = page[-1].id
            if len(page) < self.settings.page_size:
                return

    def _apply(self, n: Notification) -> None:
        event = self.ledger.app.mapper.to_domain_event(n)
        if isinstance(event, WebhookSubscription.Created):
            self.subscriptions[event.subscription_id] = Subscribed(
                subscription_id=event.subscription_id,
                url=event.url,
                secret=event.secret,
                event_types=tuple(event.event_types),
                sites=tuple(event.sites),
                batch_max=event.batch_max,
                start=event.from_position or n.id + 1,
                description=event.description,
            )
            return
        sub = next(
            (s for s in self.subscriptions.values() if _stream(s) == event.originator_id), None
        )
        if sub is None:
            return
        if isinstance(event, WebhookSubscription.Disabled):
            sub.active, sub.disabled_reason = False, event.reason
        elif isinstance(event, WebhookSubscription.Enabled):
            sub.active, sub.disabled_reason = True, None
        elif isinstance(event, WebhookSubscription.Replayed):
            sub.generation = event.generation
            sub.start, sub.start_time = event.from_position, event.from_time
        elif isinstance(event, WebhookSubscription.Deleted):
            sub.active, sub.deleted = False, True

    def _current(self, sub: Subscribed, generation: int) -> bool:
        return (
            sub.active
            and not sub.deleted
            and sub.generation == generation
            and self._stop is not None
            and not self._stop.is_set()
        )

    # --- delivering --------------------------------------------------------------------

    async def _resume(self, sub: Subscribed, generation: int) -> int:
        """The recorded cursor, or just before the generation's start."""
        cursor = await asyncio.to_thread(self.deliveries.cursor, sub.subscription_id, generation)
        if cursor is not None:
            return cursor
        start = sub.start
        if start is None and sub.start_time is not None:
            start = await asyncio.to_thread(self.position_at, sub.start_time)
        return (start or 1) - 1

    async def _deliver_all(self, sub: Subscribed, generation: int) -> None:
        sid = sub.subscription_id
        cursor = await self._resume(sub, generation)
        attempts, first_failed = await asyncio.to_thread(
            self.deliveries.pending, sid, generation, cursor
        )
        while self._current(sub, generation):
            sub.cursor = cursor
            page = await self.tail.page(cursor)
            if not page:
                await self._wait(self.settings.poll_interval)
                continue
            wanted = [
                payload
                for n, payload in page
                if payload is not None and sub.wants(payload["type"], payload["data"]["site"])
            ]
            groups = [wanted[i : i + sub.batch_max] for i in range(0, len(wanted), sub.batch_max)]
            if not groups:
                cursor = page[-1][0].id
                await asyncio.to_thread(self.deliveries.record, (), (sid, generation, cursor))
                continue
            for index, group in enumerate(groups):
                # The cursor after a delivery passes over what this subscription skips.
                after = (
                    groups[index + 1][0]["data"]["position"] - 1
                    if index + 1 < len(groups)
                    else page[-1][0].id
                )
                done = await self._deliver(
                    sub,
                    generation,
                    delivery_of(group),
                    after=after,
                    attempts=attempts,
                    first_failed=first_failed,
                )
                attempts, first_failed = 0, None
                if not done:
                    return
                cursor = after
        sub.cursor = cursor

    async def _deliver(
        self,
        sub: Subscribed,
        generation: int,
        delivery: Delivery,
        *,
        after: int,
        attempts: int,
        first_failed: float | None,
    ) -> bool:
        """Send until delivered (True) or the subscription stops (False)."""
        sid = sub.subscription_id
        attempt = attempts + 1
        while self._current(sub, generation):
            outcome = await self._send(sub, delivery, attempt)
            delivered = outcome.status == "delivered"
            row = Attempt(
                subscription_id=sid,
                generation=generation,
                webhook_id=delivery.webhook_id,
                first_position=delivery.first_position,
                last_position=delivery.last_position,
                events=delivery.events,
                attempt=attempt,
                status=outcome.status,
                status_code=outcome.status_code,
                error=outcome.error,
                latency_ms=outcome.latency_ms,
                response=outcome.response,
                at=outcome.at,
            )
            await asyncio.to_thread(
                self.deliveries.record, (row,), (sid, generation, after) if delivered else None
            )
            if delivered:
                sub.delivered += delivery.events
                sub.cursor = after
                return True
            sub.failed += 1
            sub.last_error = outcome.error or f"HTTP {outcome.status_code}"
            if outcome.status_code == httpx.codes.GONE:
                await self._disable(sub, "the receiver answered 410 Gone")
                return False
            first_failed = first_failed or outcome.at
            if outcome.at - first_failed >= self.settings.retry_window:
                await self._disable(
                    sub,
                    f"deliveries failed for {self.settings.retry_window:.0f} s"
                    f" ({attempt} attempts); last: {sub.last_error}",
                )
                return False
            delay = backoff(attempt, self.settings.retry_base, self.settings.retry_cap)
            await self._sleep(sub, generation, delay)
            attempt += 1
        return False

    async def _sleep(self, sub: Subscribed, generation: int, seconds: float) -> None:
        """Sleep between retries, ending early on a stop or a change of the subscription."""
        end = time.monotonic() + seconds
        while self._current(sub, generation) and (left := end - time.monotonic()) > 0:
            if self._stop is None:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), min(left, 0.5))

    async def _disable(self, sub: Subscribed, reason: str) -> None:
        sub.active, sub.disabled_reason = False, reason
        log.warning("webhook disabled", subscription=sub.subscription_id, reason=reason)
        await self.ledger.execute_async(
            DisableWebhookSubscription(subscription_id=sub.subscription_id, reason=reason[:500]),
            actor=DISPATCHER,
        )

    async def _target_refused(self, url: str) -> str | None:
        """The check of creation again (DNS rebinding), cached for a few seconds."""
        now = time.monotonic()
        cached = self._dns.get(url)
        if cached is None or now - cached[0] > DNS_CACHE_SECONDS:
            error: BaseException | None = None
            try:
                await check_target(url, self.settings.policy)
            except WebhookTargetRefused as e:
                error = e
            cached = (now, error)
            self._dns[url] = cached
        return None if cached[1] is None else str(cached[1])

    async def _send(self, sub: Subscribed, delivery: Delivery, attempt: int) -> _Outcome:
        at = time.time()
        refused = await self._target_refused(sub.url)
        if refused is not None:
            return _Outcome("failed", None, f"target refused: {refused}", 0.0, "", at)
        moment = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": delivery.webhook_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": Webhook(sub.secret).sign(
                delivery.webhook_id, moment, delivery.body
            ),
            "webhook-attempt": str(attempt),
        }
        client = self._client
        if client is None:
            msg = "the dispatcher is not running"
            raise RuntimeError(msg)
        started = time.perf_counter()
        try:
            # The whole attempt within connect + read timeouts: a receiver that trickles
            # its answer byte by byte is as slow as one that never answers.
            async with asyncio.timeout(self.settings.connect_timeout + self.settings.read_timeout):
                status, snippet = await _post(client, sub.url, delivery.body, headers)
        except (httpx.TimeoutException, TimeoutError) as e:
            latency = (time.perf_counter() - started) * 1000
            return _Outcome("failed", None, f"timed out ({type(e).__name__})", latency, "", at)
        except httpx.HTTPError as e:
            latency = (time.perf_counter() - started) * 1000
            return _Outcome("failed", None, f"{type(e).__name__}: {e}"[:500], latency, "", at)
        latency = (time.perf_counter() - started) * 1000
        ok = httpx.codes.is_success(status)
        return _Outcome("delivered" if ok else "failed", status, None, latency, snippet, at)

    # --- replay from a time ----------------------------------------------------------------

    def position_at(self, moment: datetime) -> int:
        """The position of the first event recorded at or after ``moment`` (a binary search
        over the log: recorded times grow with positions)."""
        recorder = self.ledger.app.recorder
        low, high = 1, recorder.max_notification_id() or 0
        answer = high + 1
        while low <= high:
            mid = (low + high) // 2
            found = recorder.select_notifications(mid, 1)
            if not found:
                high = mid - 1
                continue
            n = found[0]
            stamp = orjson.loads(n.state).get("timestamp")
            recorded = datetime.fromisoformat(stamp) if stamp else moment
            if recorded >= moment:
                answer = min(answer, n.id)
                high = mid - 1
            else:
                low = n.id + 1
        return answer


async def _post(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str]
) -> tuple[int, str]:
    """POST; the status and the start of the answer (never more than `SNIPPET_BYTES` read:
    a receiver's answer may be of any size)."""
    async with client.stream("POST", url, content=body, headers=headers) as response:
        read = b""
        async for chunk in response.aiter_bytes():
            read += chunk
            if len(read) >= SNIPPET_BYTES:
                break
        return response.status_code, read[:SNIPPET_BYTES].decode("utf-8", "replace")[:500]


@dataclass(frozen=True)
class _Outcome:
    status: str
    status_code: int | None
    error: str | None
    latency_ms: float
    response: str
    at: float


def _stream(sub: Subscribed) -> UUID:
    return webhook_id(sub.subscription_id)


class WebhookLogReader:
    """The dispatcher's subscriptions and delivery log as GraphQL shows them
    (`queries.webhooks.WebhookLog`), secrets left out."""

    def __init__(self, dispatcher: WebhookDispatcher) -> None:
        self.dispatcher = dispatcher

    async def subscription_infos(self) -> list[WebhookSubscriptionInfo]:
        d = self.dispatcher
        await d.refresh()
        head = await asyncio.to_thread(d.ledger.max_position)
        infos = []
        for sub in d.subscriptions.values():
            position = await asyncio.to_thread(
                d.deliveries.cursor, sub.subscription_id, sub.generation
            )
            if position is None:
                position = (sub.start or 1) - 1
            state = "deleted" if sub.deleted else "active" if sub.active else "disabled"
            infos.append(
                WebhookSubscriptionInfo(
                    subscription_id=sub.subscription_id,
                    url=sub.url,
                    description=sub.description,
                    event_types=list(sub.event_types),
                    sites=list(sub.sites),
                    batch_max=sub.batch_max,
                    state=state,
                    disabled_reason=sub.disabled_reason,
                    generation=sub.generation,
                    position=position,
                    lag=max(0, head - position),
                    delivered=sub.delivered,
                    failed_attempts=sub.failed,
                    last_error=sub.last_error,
                )
            )
        return infos

    async def delivery_page(
        self, *, subscription: str | None, status: str | None, first: int, before_id: int | None
    ) -> list[WebhookDelivery]:
        rows = await asyncio.to_thread(
            self.dispatcher.deliveries.attempts,
            subscription_id=subscription,
            status=status,
            limit=first,
            before_id=before_id,
        )
        return [
            WebhookDelivery(
                id=str(r.id),
                subscription_id=r.subscription_id,
                generation=r.generation,
                webhook_id=r.webhook_id,
                first_position=r.first_position,
                last_position=r.last_position,
                events=r.events,
                attempt=r.attempt,
                status=r.status,
                status_code=r.status_code,
                error=r.error,
                latency_ms=round(r.latency_ms, 3),
                response=r.response,
                at=datetime.fromtimestamp(r.at, UTC),
            )
            for r in rows
        ]
