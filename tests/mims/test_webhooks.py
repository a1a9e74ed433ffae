"""Webhooks delivered to a real local HTTP receiver that fails 30% of requests with 500 and
hangs some beyond the dispatcher's read timeout: every event a subscription wants is
delivered, each signature verifies with the Standard Webhooks library, order per
subscription is kept, a restart skips nothing, and nothing arrives twice except as a
marked retry (``webhook-attempt`` > 1)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime

import orjson
import pytest
from eventsourcing.popo import POPOApplicationRecorder

from ledger.event_names import event_type
from ledger.master_data.commands import RegisterLocation
from ledger.private import is_private
from ledger.store import store_env
from ledger.webhooks.commands import (
    CreateWebhookSubscription,
    EnableWebhookSubscription,
    ReplayWebhookSubscription,
)
from ledger.webhooks.subscription import WebhookSubscription, webhook_id
from ledger.webhooks.targets import TargetPolicy
from ledger.writer import Ledger, WriterSettings
from mims.webhooks import WebhookDispatcher, WebhookSettings
from tests.support.history import build_history
from tests.support.plant import Plant
from tests.support.webhook_receiver import (
    Received,
    Receiver,
    dispatching,
    positions,
    receiving,
    wait_until,
)

QUICK = WebhookSettings(
    policy=TargetPolicy(allow_private=True, allow_http=True),
    connect_timeout=0.5,
    read_timeout=0.3,
    retry_base=0.01,
    retry_cap=0.1,
    poll_interval=0.05,
)


@pytest.fixture
def ledger(store_url: str) -> Iterator[Ledger]:
    """The same proofs on the in-memory store, the SQLite file and a PostgreSQL schema (the
    cursor and the delivery log live beside the events in each)."""
    led = Ledger(store_env(store_url), WriterSettings(batch_wait=0))
    yield led
    led.close()


def subscribe(ledger: Ledger, receiver: Receiver, name: str, **fields: object) -> int:
    """Create a subscription delivering to ``/name``; answers the position of its Created
    event (it gets what is recorded after it)."""
    outcome = ledger.execute(
        CreateWebhookSubscription(subscription_id=name, url=receiver.url(f"/{name}"), **fields)  # type: ignore[arg-type]
    )
    receiver.secrets[f"/{name}"] = outcome.data["secret"]
    position = ledger.store.notification_id(webhook_id(name), 1)
    assert position is not None
    return position


def expected(ledger: Ledger, after: int, types: tuple[str, ...] = (), site: str = "") -> list[int]:
    """Positions a subscription should get, computed from the log without the dispatcher:
    public events after ``after``, of a type starting with one of ``types``, at ``site``."""
    found = []
    for n in ledger.app.recorder.select_notifications(after + 1, 1_000_000):
        if is_private(n.topic):
            continue
        if types and not event_type(n.topic).startswith(types):
            continue
        if site and orjson.loads(n.state)["meta"]["site"] != site:
            continue
        found.append(n.id)
    return found


def first_acceptances(received: list[Received]) -> list[Received]:
    seen: set[tuple[str, str]] = set()
    first = []
    for r in sorted(received, key=lambda r: r.at):
        if (r.path, r.webhook_id) not in seen:
            seen.add((r.path, r.webhook_id))
            first.append(r)
    return first


def assert_retries_marked(received: list[Received]) -> None:
    """Every request after the first of a webhook id (to one subscription: the id is the
    event's, the same for every subscriber) is a marked retry, counted up."""
    by_id: dict[tuple[str, str], list[int]] = defaultdict(list)
    for r in sorted(received, key=lambda r: r.at):
        by_id[r.path, r.webhook_id].append(r.attempt)
    for wid, attempts in by_id.items():
        assert attempts[0] >= 1, wid
        assert attempts == sorted(set(attempts)), (wid, attempts)


def test_every_event_delivered_signed_in_order_across_a_restart(ledger: Ledger) -> None:
    receiver = Receiver(fail=0.3, hang=0.05, hang_seconds=0.6, seed=11)
    with receiving(receiver):
        start = subscribe(ledger, receiver, "all")
        subscribe(ledger, receiver, "receipts", event_types=("com.mims.stock.received.v1",))
        subscribe(
            ledger, receiver, "stock", event_types=("com.mims.stock.*",), sites=("S",), batch_max=25
        )
        subscribe(ledger, receiver, "elsewhere", sites=("NOWHERE",))
        build_history(ledger, seed=5, commands=150)
        wanted = {
            "/all": expected(ledger, start),
            "/receipts": expected(ledger, start, ("com.mims.stock.received.v1",)),
            "/stock": expected(ledger, start, ("com.mims.stock.",), "S"),
        }
        assert len(wanted["/all"]) > 200
        assert 0 < len(wanted["/receipts"]) < len(wanted["/stock"]) < len(wanted["/all"])

        def got(path: str) -> list[int]:
            return positions(first_acceptances(receiver.accepted(path)))

        with dispatching(WebhookDispatcher(ledger, QUICK)):
            wait_until(lambda: len(got("/all")) > len(wanted["/all"]) // 3, what="a third")
        halfway = len(got("/all"))
        assert halfway < len(wanted["/all"])  # the restart is really mid-way
        with dispatching(WebhookDispatcher(ledger, QUICK)):
            wait_until(
                lambda: all(len(got(p)) >= len(w) for p, w in wanted.items()),
                timeout=180,
                what="every delivery",
            )
        everything = list(receiver.received)
    for path, positions_wanted in wanted.items():
        assert got(path) == positions_wanted, path  # all of them, in position order
    assert [r for r in everything if r.path == "/elsewhere"] == []
    assert all(r.verified for r in everything)
    assert_retries_marked(everything)
    # The receiver's failures and hangs really happened and were retried.
    assert any(r.answered == 500 for r in everything)
    assert any(r.hung for r in everything)
    assert any(r.attempt > 1 for r in receiver.accepted())
    # The batched subscription got several events per signed delivery.
    assert any(r.payload["type"] == "com.mims.batch.v1" for r in receiver.accepted("/stock"))


def test_the_delivery_log_and_cursor_survive_in_the_store(ledger: Ledger) -> None:
    # Failures answer 5 MB: the log keeps the first 500 characters, nothing more is read.
    receiver = Receiver(fail=0.5, seed=3, answer_bytes=5_000_000)
    with receiving(receiver):
        start = subscribe(ledger, receiver, "log")
        Plant(ledger)
        wanted = expected(ledger, start)
        dispatcher = WebhookDispatcher(ledger, QUICK)
        with dispatching(dispatcher):
            wait_until(lambda: len(first_acceptances(receiver.accepted())) >= len(wanted))
        rows = dispatcher.deliveries.attempts(subscription_id="log", limit=10_000)
    assert {r.status for r in rows} == {"delivered", "failed"}
    assert sum(r.events for r in rows if r.status == "delivered") == len(wanted)
    failed = [r for r in rows if r.status == "failed"]
    assert all(r.status_code == 500 and "receiver says no" in r.response for r in failed)
    assert all(len(r.response) <= 500 for r in rows)
    assert dispatcher.deliveries.cursor("log", 0) == ledger.max_position() or wanted[-1]


def test_a_failing_receiver_disables_the_subscription_and_enabling_resumes(
    ledger: Ledger,
) -> None:
    receiver = Receiver(always=503)
    settings = WebhookSettings(
        policy=QUICK.policy,
        read_timeout=0.3,
        retry_base=0.01,
        retry_cap=0.05,
        retry_window=0.5,
        poll_interval=0.05,
    )
    with receiving(receiver):
        start = subscribe(ledger, receiver, "flaky")
        Plant(ledger)
        wanted = expected(ledger, start)
        stream = webhook_id("flaky")
        with dispatching(WebhookDispatcher(ledger, settings)):
            wait_until(lambda: not _subscription(ledger, stream).active, what="disabling")
        sub = _subscription(ledger, stream)
        assert sub.disabled_reason is not None
        assert "failed for" in sub.disabled_reason
        assert "HTTP 503" in sub.disabled_reason
        last = _last_event(ledger, stream)
        assert isinstance(last, WebhookSubscription.Disabled)
        assert last.automatic
        assert last.meta.actor == "system:webhooks"
        receiver.always = None
        ledger.execute(EnableWebhookSubscription(subscription_id="flaky", reason="fixed"))
        # What was held back, and what was recorded since (the receipts of the commands
        # that disabled and enabled it): everything, in order.
        wanted = expected(ledger, start)
        with dispatching(WebhookDispatcher(ledger, settings)):
            wait_until(lambda: len(first_acceptances(receiver.accepted())) >= len(wanted))
    assert positions(first_acceptances(receiver.accepted())) == wanted


def test_replay_from_a_position_and_from_a_time(ledger: Ledger) -> None:
    receiver = Receiver()
    with receiving(receiver):
        start = subscribe(ledger, receiver, "again")
        Plant(ledger)
        wanted = expected(ledger, start)
        middle = wanted[len(wanted) // 2]

        def replayed(before: int, first: int) -> None:
            """After the ``before`` deliveries, the rest of the old generation (events
            recorded since, the replay's own receipt) then everything from ``first``."""
            again = expected(ledger, first - 1)
            wait_until(lambda: positions(receiver.accepted())[-len(again) :] == again)
            tail = positions(receiver.accepted())[before : -len(again)]
            assert all(p > again[0] for p in tail), tail

        with dispatching(WebhookDispatcher(ledger, QUICK)):
            wait_until(lambda: len(receiver.accepted()) >= len(wanted))
            assert positions(receiver.accepted()) == wanted
            before = len(receiver.accepted())
            ledger.execute(ReplayWebhookSubscription(subscription_id="again", from_position=middle))
            replayed(before, middle)
            # A time before everything: every event since the first, once more.
            before = len(receiver.accepted())
            ledger.execute(
                ReplayWebhookSubscription(
                    subscription_id="again", from_time=datetime(2000, 1, 1, tzinfo=UTC)
                )
            )
            replayed(before, 1)


def _subscription(ledger: Ledger, stream: object) -> WebhookSubscription:
    sub = ledger.app.repository.get(stream)  # type: ignore[arg-type]
    assert isinstance(sub, WebhookSubscription)
    return sub


def _last_event(ledger: Ledger, stream: object) -> object:
    events = list(ledger.app.events.get(stream))  # type: ignore[arg-type]
    return events[-1]


def test_one_dispatcher_per_store_delivers(ledger: Ledger) -> None:
    """Two dispatchers on one store (two server processes): one delivers, the other stands
    by; when the first stops, the second takes over, and nothing arrives twice."""
    if isinstance(ledger.app.recorder, POPOApplicationRecorder):
        pytest.skip("an in-memory store has one process")
    receiver = Receiver()
    with receiving(receiver):
        start = subscribe(ledger, receiver, "one")
        Plant(ledger)
        wanted = expected(ledger, start)
        dispatchers = [WebhookDispatcher(ledger, QUICK) for _ in range(2)]
        stacks = [ExitStack(), ExitStack()]
        for stack, dispatcher in zip(stacks, dispatchers, strict=True):
            stack.enter_context(dispatching(dispatcher))
        try:
            wait_until(lambda: len(receiver.accepted()) >= len(wanted))
            (leader,) = [n for n, d in enumerate(dispatchers) if d.lock.held]
            stacks[leader].close()  # the leader goes; the other takes over
            ledger.execute(RegisterLocation(code="X", level="zone", parent="W"))  # type: ignore[arg-type]
            wanted = expected(ledger, start)
            wait_until(lambda: len(receiver.accepted()) >= len(wanted), timeout=30)
            assert dispatchers[1 - leader].lock.held
        finally:
            for stack in stacks:
                stack.close()
    assert positions(receiver.accepted()) == wanted  # each once, in order


def test_a_receiver_answering_gone_disables_at_once(ledger: Ledger) -> None:
    receiver = Receiver(always=410)
    with receiving(receiver):
        subscribe(ledger, receiver, "gone")
        Plant(ledger)
        stream = webhook_id("gone")
        with dispatching(WebhookDispatcher(ledger, QUICK)):  # a retry window of 3 days
            wait_until(lambda: not _subscription(ledger, stream).active, what="disabling")
    assert _subscription(ledger, stream).disabled_reason == "the receiver answered 410 Gone"
    assert len(receiver.received) == 1  # no retry
