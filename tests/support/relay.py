"""A JetStream stream of a test's own on the real NATS server, and the relay driven by hand
(`test_relay.py`, `test_events_tail.py`, the exactly-once proof)."""

from __future__ import annotations

import asyncio
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import nats

from ledger.master_data.commands import RegisterLocation
from ledger.stock.commands import MoveStock
from ledger.writer import Ledger
from mims.relay import Relay, RelaySettings, ensure_stream
from tests.support.plant import Plant
from tests.support.servers import free_port
from tests.support.services import require_service, service_up

NATS = "nats://127.0.0.1:4222"
PLANT = "hamburg-east"


@contextmanager
def own_stream(url: str = NATS, **settings: Any) -> Iterator[RelaySettings]:
    """Relay settings with a stream and subject prefix of their own, dropped after."""
    if url == NATS:
        require_service("NATS", 4222)
    name = f"T_{uuid.uuid4().hex[:12]}"
    yield RelaySettings(
        url=url, stream=name, subject_prefix=f"test.{name}", plant=PLANT, **settings
    )

    async def drop() -> None:
        nc = await nats.connect(url)
        try:
            await nc.jetstream().delete_stream(name)
        except nats.js.errors.NotFoundError:
            pass
        finally:
            await nc.close()

    asyncio.run(drop())


async def stream_messages(settings: RelaySettings) -> list[Any]:
    """Every message of the stream, in stream order."""
    nc = await nats.connect(settings.url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(settings.stream)
        return [await js.get_msg(settings.stream, seq) for seq in range(1, info.state.messages + 1)]
    finally:
        await nc.close()


async def relay_until_caught_up(relay: Relay) -> int:
    """Publish page after page until the relay is at the log's end; answers how many
    events it read."""
    nc = await nats.connect(relay.settings.url)
    try:
        await ensure_stream(nc.jetstream(), relay.settings)
        total = 0
        while published := await relay.publish_page(nc):
            total += published
        return total
    finally:
        await nc.close()


def two_sites(ledger: Ledger) -> None:
    """The small plant (site S) and a second site whose code cannot be one NATS subject
    token as it is (``DE.HAM``): 20 lots of STEEL received at S, one at DE.HAM, a move."""
    plant = Plant(ledger)
    plant.item("STEEL", tracking="lot")
    for n in range(20):
        plant.receive("STEEL", "5", "2", lot=f"L{n}")
    ledger.execute(RegisterLocation(code="DE.HAM", level="site"))
    ledger.execute(RegisterLocation(code="DE.HAM/W", level="warehouse", parent="DE.HAM"))
    ledger.execute(RegisterLocation(code="DE.HAM/Z", level="zone", parent="DE.HAM/W"))
    plant.receive("STEEL", "1", "2", location="DE.HAM/Z", lot="H1")
    ledger.execute(
        MoveStock(sku="STEEL", from_location="A", to_location="B", quantity=Decimal(1), lot="L3")  # type: ignore[arg-type]
    )


class NatsServer:
    """A JetStream server of the test's own (``/usr/sbin/nats-server``), on a free port
    with its store in ``store``, so that the test may stop and start it."""

    BINARY = "/usr/sbin/nats-server"

    def __init__(self, store: Path) -> None:
        self.store = store
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.BINARY, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not service_up(self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                msg = f"nats-server did not start on port {self.port}"
                raise RuntimeError(msg)
            time.sleep(0.05)

    def stop(self) -> None:
        """A clean stop (SIGTERM): JetStream writes out what it holds. A restart here
        tests the relay's reconnecting, not NATS's durability on power loss."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()
