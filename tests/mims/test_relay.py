"""The NATS relay against the real JetStream server on this machine: every event once,
in log order, with its id; the position kept in the event store; a crash between publish
and position republishes what JetStream then drops as duplicates; the server relays
commands as they commit. Each test has a stream and subjects of its own."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import nats
import orjson
import pytest
from eventsourcing.persistence import Tracking

from ledger.identity.commands import EnrollTotp, RegisterUser
from ledger.ids import event_id
from ledger.stock.commands import ReceiveStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.relay import Relay, RelaySettings, ensure_stream
from mims.server import create_app
from mims.settings import Settings
from tests.support.plant import Plant
from tests.support.servers import serving
from tests.support.services import require_service

pytestmark = pytest.mark.nats
NATS = "nats://127.0.0.1:4222"
PASSWORD = "correct horse battery"  # noqa: S105 - a test person's


@pytest.fixture
def relay_settings() -> Iterator[RelaySettings]:
    require_service("NATS", 4222)
    name = f"T_{uuid.uuid4().hex[:12]}"
    settings = RelaySettings(url=NATS, stream=name, subject_prefix=f"test.{name}")
    yield settings

    async def drop() -> None:
        nc = await nats.connect(NATS)
        try:
            await nc.jetstream().delete_stream(name)
        except nats.js.errors.NotFoundError:
            pass
        finally:
            await nc.close()

    asyncio.run(drop())


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    plant = Plant(led)
    plant.item("STEEL", tracking="lot")
    for n in range(20):
        plant.receive("STEEL", "5", "2", lot=f"L{n}")
    yield led
    led.close()


async def stream_messages(settings: RelaySettings) -> list[Any]:
    nc = await nats.connect(NATS)
    try:
        js = nc.jetstream()
        info = await js.stream_info(settings.stream)
        return [await js.get_msg(settings.stream, seq) for seq in range(1, info.state.messages + 1)]
    finally:
        await nc.close()


async def relay_until_caught_up(relay: Relay) -> int:
    nc = await nats.connect(NATS)
    try:
        js = nc.jetstream()
        await ensure_stream(js, relay.settings)
        total = 0
        while published := await relay.publish_page(js):
            total += published
        return total
    finally:
        await nc.close()


def test_every_event_once_in_log_order_with_its_id(
    ledger: Ledger, relay_settings: RelaySettings
) -> None:
    small_pages = RelaySettings(**{**relay_settings.__dict__, "page_size": 7})
    assert asyncio.run(relay_until_caught_up(Relay(ledger, small_pages))) > 40
    messages = asyncio.run(stream_messages(relay_settings))
    stored = ledger.app.recorder.select_notifications(1, 10_000)
    assert len(messages) == len(stored)
    for message, notification in zip(messages, stored, strict=True):
        assert message.headers["Mims-Position"] == str(notification.id)
        assert message.headers["Nats-Msg-Id"] == str(
            event_id(notification.originator_id, notification.originator_version)
        )
        assert message.subject == (
            f"{relay_settings.subject_prefix}.{notification.topic.rsplit(':', 1)[1]}"
        )
        assert orjson.loads(message.data) == orjson.loads(notification.state)

    # A new relay on the same store starts where the last one stopped.
    again = Relay(ledger, relay_settings)
    assert again.position == stored[-1].id
    assert asyncio.run(relay_until_caught_up(again)) == 0


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
    assert all("Account" not in m.subject for m in messages)
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
    assert restarted.published == len(ledger.app.recorder.select_notifications(1, 10_000)) - len(
        first
    )  # JetStream dropped the page it had
    ids = [m.headers["Nats-Msg-Id"] for m in asyncio.run(stream_messages(relay_settings))]
    assert len(ids) == len(set(ids)) == len(ledger.app.recorder.select_notifications(1, 10_000))


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
                positions = [int(m.headers["Mims-Position"]) for m in messages]
                if positions and positions[-1] >= done.position:
                    break
                time.sleep(0.1)
        assert positions == list(range(1, done.position + 1))
    finally:
        ledger.close()
