"""The NATS relay against the real JetStream server on this machine: every event once, in
log order, as a CloudEvent in binary mode (attributes checked against the stored events,
read back with the SDK); the position kept in the event store; a crash between publish
and position republishes what JetStream then drops as duplicates; the server relays
commands as they commit; a stream of the old subject layout keeps working. Each test has a
stream and subjects of its own."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import nats
import orjson
import pytest
from eventsourcing.persistence import Tracking
from nats.js.api import StreamConfig

from ledger.identity.commands import EnrollTotp, RegisterUser
from ledger.ids import event_id
from ledger.stock.commands import ReceiveStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.cloudevents import from_message
from mims.relay import PageNotAcknowledged, Relay, RelaySettings
from mims.server import create_app
from mims.settings import Settings
from tests.support.plant import Plant
from tests.support.relay import (
    NATS,
    PLANT,
    own_stream,
    relay_until_caught_up,
    stream_messages,
    two_sites,
)
from tests.support.servers import serving

pytestmark = pytest.mark.nats
PASSWORD = "correct horse battery"  # noqa: S105 - a test person's


@pytest.fixture
def relay_settings() -> Iterator[RelaySettings]:
    with own_stream() as settings:
        yield settings


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    two_sites(led)
    yield led
    led.close()


# Written out by hand from the plant above (not by the code under test): what each kind of
# event is about and where it happened.
def expected(n: Any, state: dict[str, Any], prefix: str) -> tuple[str, str, str, str]:
    """(ce-type, ce-subject, ce-source, NATS subject) of one stored event."""
    site = state["meta"]["site"]
    kind = {
        "ledger.location:Location.Registered": (
            "location.registered",
            "location/" + state.get("code", "").replace("/", "%2F"),
        ),
        "ledger.receipt:CommandReceipt.Recorded": (
            "command_receipt.recorded",
            f"command/{state.get('command_id')}",
        ),
        "ledger.item:Item.Registered": ("item.registered", "item/STEEL"),
        "ledger.stock:Stock.Opened": ("stock.opened", "item/STEEL"),
        "ledger.stock:Stock.Received": ("stock.received", f"item/STEEL/lot/{state.get('lot')}"),
        "ledger.stock:Stock.Moved": ("stock.moved", "item/STEEL/lot/L3"),
    }[n.topic]
    # Stock.Moved gained an upcaster, and Item/Location.Registered their GS1 keys (v2).
    version = "v2" if n.topic.endswith(("Moved", "Registered")) else "v1"
    token = {"S": "S", "DE.HAM": "DE_HAM", "": "_plant"}[site]
    source = {"S": f"/mims/{PLANT}/S", "DE.HAM": f"/mims/{PLANT}/DE.HAM", "": f"/mims/{PLANT}"}[
        site
    ]
    return (f"com.mims.{kind[0]}.{version}", kind[1], source, f"{prefix}.{token}.{kind[0]}")


def test_every_event_once_in_log_order_as_a_cloudevent(
    ledger: Ledger, relay_settings: RelaySettings
) -> None:
    small_pages = RelaySettings(**{**relay_settings.__dict__, "page_size": 7})
    relay = Relay(ledger, small_pages)
    assert asyncio.run(relay_until_caught_up(relay)) > 40
    messages = asyncio.run(stream_messages(relay_settings))
    stored = ledger.app.recorder.select_notifications(1, 10_000)
    assert len(messages) == len(stored)
    # Every stream's key was in its first event, read in the same pass: no lookups.
    assert relay.describer.keys.looked_up == 0
    for message, notification in zip(messages, stored, strict=True):
        state = orjson.loads(notification.state)
        event = from_message(message.headers, message.data)
        ce_type, subject, source, nats_subject = expected(
            notification, state, relay_settings.subject_prefix
        )
        the_id = str(event_id(notification.originator_id, notification.originator_version))
        assert message.headers["Nats-Msg-Id"] == event.get_id() == the_id
        assert event.get_specversion() == "1.0"
        assert event.get_type() == ce_type
        assert event.get_subject() == subject
        assert event.get_source() == source
        assert message.subject == nats_subject
        assert event.get_time() == datetime.fromisoformat(state["timestamp"])
        assert event.get_datacontenttype() == "application/json"
        assert message.headers["content-type"] == "application/json"
        assert event.get_extension("mimsposition") == str(notification.id)
        assert event.get_extension("mimsstream") == str(notification.originator_id)
        assert event.get_extension("mimsversion") == str(notification.originator_version)
        assert message.data == notification.state  # the stored JSON, byte for byte
        assert event.get_data() == state

    # A new relay on the same store starts where the last one stopped.
    again = Relay(ledger, relay_settings)
    assert again.position == stored[-1].id
    assert asyncio.run(relay_until_caught_up(again)) == 0


def test_a_relay_started_mid_log_reads_each_streams_key_once(
    ledger: Ledger, relay_settings: RelaySettings
) -> None:
    stored = ledger.app.recorder.select_notifications(1, 10_000)
    opened = next(n for n in stored if n.topic.endswith("Stock.Opened"))
    relay = Relay(ledger, relay_settings)
    relay.tracking.insert_tracking(Tracking("nats-relay", opened.id))  # past the card's first event
    asyncio.run(relay_until_caught_up(relay))
    assert relay.describer.keys.looked_up == 1  # the stock card's, then kept
    subjects = {
        from_message(m.headers, m.data).get_subject()
        for m in asyncio.run(stream_messages(relay_settings))
        if m.headers["ce-type"] == "com.mims.stock.received.v1"
    }
    assert subjects == {f"item/STEEL/lot/L{n}" for n in range(20)} | {"item/STEEL/lot/H1"}


def test_identity_events_never_leave_the_store(
    ledger: Ledger, relay_settings: RelaySettings
) -> None:
    ledger.execute(
        RegisterUser(user_id="anna", printed_name="Anna", password=PASSWORD)  # type: ignore[arg-type]
    )
    ledger.execute(EnrollTotp(user_id="anna"))
    ledger.execute(
        ReceiveStock(
            sku="STEEL", location="A", quantity=Decimal(1), unit_cost=Decimal(1), lot="AFTER"
        )
    )
    stored = ledger.app.recorder.select_notifications(1, 10_000)
    identity = [n for n in stored if n.topic.startswith("ledger.identity.")]
    assert len(identity) == 3  # registered, password set, TOTP enrolled
    relay = Relay(ledger, relay_settings)
    assert asyncio.run(relay_until_caught_up(relay)) == len(stored)
    messages = asyncio.run(stream_messages(relay_settings))
    assert len(messages) == len(stored) - len(identity)
    assert relay.position == stored[-1].id  # passed over, not stuck on them
    assert not any("account" in m.subject or "account" in m.headers["ce-type"] for m in messages)
    assert not any(b"argon2" in m.data or b"secret" in m.data for m in messages)


class CrashesBeforeItsPositionMoves(Relay):
    """Fault injection: the process dies after JetStream acknowledged, before the
    position is written."""

    def __init__(self, ledger: Ledger, settings: RelaySettings) -> None:
        super().__init__(ledger, settings)
        real = self.tracking

        class Dying:
            def insert_tracking(self, tracking: Tracking) -> None:
                raise SystemExit(f"killed before {tracking}")

            def max_tracking_id(self, name: str) -> int | None:
                return real.max_tracking_id(name)

        self.tracking = Dying()  # type: ignore[assignment]


def test_a_crash_before_the_position_moves_publishes_nothing_twice(
    ledger: Ledger, relay_settings: RelaySettings
) -> None:
    with pytest.raises(SystemExit):
        asyncio.run(relay_until_caught_up(CrashesBeforeItsPositionMoves(ledger, relay_settings)))
    first = asyncio.run(stream_messages(relay_settings))
    assert first  # the page went out
    restarted = Relay(ledger, relay_settings)
    assert restarted.position == 0
    asyncio.run(relay_until_caught_up(restarted))
    everything = len(ledger.app.recorder.select_notifications(1, 10_000))
    assert restarted.published == everything - len(first)  # JetStream dropped the page it had
    assert restarted.republished == len(first)
    ids = [m.headers["Nats-Msg-Id"] for m in asyncio.run(stream_messages(relay_settings))]
    assert len(ids) == len(set(ids)) == everything


def test_a_stream_of_the_old_layout_keeps_working_with_the_configured_window(
    ledger: Ledger, relay_settings: RelaySettings
) -> None:
    async def old_stream() -> None:
        nc = await nats.connect(NATS)
        try:
            js = nc.jetstream()
            await js.add_stream(
                StreamConfig(
                    name=relay_settings.stream,
                    subjects=[f"{relay_settings.subject_prefix}.>"],
                    duplicate_window=120.0,
                )
            )
            await js.publish(f"{relay_settings.subject_prefix}.Stock.Received", b"{}")
        finally:
            await nc.close()

    async def window() -> float:
        nc = await nats.connect(NATS)
        try:
            info = await nc.jetstream().stream_info(relay_settings.stream)
            return float(info.config.duplicate_window or 0)
        finally:
            await nc.close()

    asyncio.run(old_stream())
    shorter = RelaySettings(**{**relay_settings.__dict__, "duplicate_window": 30.0})
    asyncio.run(relay_until_caught_up(Relay(ledger, shorter)))
    assert asyncio.run(window()) == 30.0
    messages = asyncio.run(stream_messages(relay_settings))
    assert messages[0].subject.endswith(".Stock.Received")  # the old message stays
    assert len(messages) == 1 + len(ledger.app.recorder.select_notifications(1, 10_000))


def test_the_server_relays_commands_as_they_commit(
    tmp_path: Path, relay_settings: RelaySettings
) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    settings = Settings(
        database_url=url,
        read_model_path=tmp_path / "read.duckdb",
        nats_url=NATS,
        nats_stream=relay_settings.stream,
        nats_subject_prefix=relay_settings.subject_prefix,
        plant=PLANT,
        expiry_interval_minutes=0,
    )
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    try:
        with serving(create_app(settings, ledger=ledger)):
            Plant(ledger).item("BOLT")
            done = ledger.execute(
                ReceiveStock(sku="BOLT", location="A", quantity=Decimal(3), unit_cost=Decimal(1))
            )
            deadline = time.monotonic() + 20
            positions: list[int] = []
            while time.monotonic() < deadline:
                try:
                    messages = asyncio.run(stream_messages(relay_settings))
                except nats.js.errors.NotFoundError:
                    messages = []
                positions = [int(m.headers["ce-mimsposition"]) for m in messages]
                if positions and positions[-1] >= done.position:
                    break
                time.sleep(0.1)
        assert positions == list(range(1, done.position + 1))
        received = [m for m in messages if m.headers["ce-type"] == "com.mims.stock.received.v1"]
        assert [m.headers["ce-source"] for m in received] == [f"/mims/{PLANT}/S"]
    finally:
        ledger.close()


def test_a_page_jetstream_does_not_take_leaves_the_position(
    ledger: Ledger, relay_settings: RelaySettings
) -> None:
    """No stream takes the subjects (the stream was never made): every message is answered
    'no responders', the page is not acknowledged, and the position stays."""

    async def publish_without_a_stream() -> None:
        nc = await nats.connect(NATS)
        try:
            await Relay(ledger, relay_settings).publish_page(nc)
        finally:
            await nc.close()

    with pytest.raises(PageNotAcknowledged, match="no stream answered"):
        asyncio.run(publish_without_a_stream())
    assert Relay(ledger, relay_settings).position == 0
