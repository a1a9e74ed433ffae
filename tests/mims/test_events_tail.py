"""`mims events tail` against the real JetStream server: the relayed plant read back in
ledger order, filtered by type glob and site, started at a ledger position (also past a
republished page), printed as lines or as CloudEvents JSON, and a durable consumer that
resumes after what it acknowledged."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nats
import orjson
import pytest
from typer.testing import CliRunner

from ledger.private import is_private
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.cli import app
from mims.cli.events import Selection, start_sequence, tail
from mims.relay import Relay, RelaySettings
from tests.support.relay import own_stream, relay_until_caught_up, stream_messages, two_sites

pytestmark = pytest.mark.nats


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    two_sites(led)
    yield led
    led.close()


@pytest.fixture
def relayed(ledger: Ledger) -> Iterator[RelaySettings]:
    with own_stream() as settings:
        asyncio.run(relay_until_caught_up(Relay(ledger, settings)))
        yield settings


def read(settings: RelaySettings, selection: Selection, **kw: Any) -> list[Any]:
    async def collect() -> list[Any]:
        return [e async for e in tail(settings, selection, follow=False, **kw)]

    return asyncio.run(collect())


def public(ledger: Ledger) -> list[Any]:
    return [
        n for n in ledger.app.recorder.select_notifications(1, 10_000) if not is_private(n.topic)
    ]


def positions(events: list[Any]) -> list[int]:
    return [int(e.get_extension("mimsposition")) for e in events]


def test_everything_in_ledger_order(ledger: Ledger, relayed: RelaySettings) -> None:
    events = read(relayed, Selection())
    assert positions(events) == [n.id for n in public(ledger)]


def test_a_type_glob_and_a_site(ledger: Ledger, relayed: RelaySettings) -> None:
    stored = public(ledger)
    received = read(relayed, Selection(type="com.mims.stock.received.*"))
    assert positions(received) == [n.id for n in stored if n.topic.endswith("Stock.Received")]
    assert Selection(type="com.mims.stock.received.*").nats_filter("p") == "p.*.stock.received"
    # A glob that spans parts is matched here, not by NATS.
    any_received = read(relayed, Selection(type="com.mims.*.received.v1"))
    assert {e.get_type() for e in any_received} == {"com.mims.stock.received.v1"}
    assert Selection(type="com.mims.*.received.v1").nats_filter("p") == "p.*.*.*"

    at_hamburg = read(relayed, Selection(site="DE.HAM"))
    assert positions(at_hamburg) == [
        n.id for n in stored if orjson.loads(n.state)["meta"]["site"] == "DE.HAM"
    ]
    assert {e.get_source() for e in at_hamburg} == {"/mims/hamburg-east/DE.HAM"}
    assert len(at_hamburg) == 4
    plant_wide = read(relayed, Selection(site="", type="com.mims.item.*"))
    assert [e.get_subject() for e in plant_wide] == ["item/STEEL"]


def test_since_a_position(ledger: Ledger, relayed: RelaySettings) -> None:
    stored = public(ledger)
    since = stored[len(stored) // 2].id
    assert positions(read(relayed, Selection(since=since))) == [
        n.id for n in stored if n.id >= since
    ]
    assert read(relayed, Selection(since=stored[-1].id + 1)) == []

    # Found by a binary search, not by reading the stream from its start.
    async def sequence_of(position: int) -> int:
        nc = await nats.connect(relayed.url)
        try:
            js = nc.jetstream()
            return await start_sequence(js, relayed.stream, relayed.subject_prefix, position)
        finally:
            await nc.close()

    messages = asyncio.run(stream_messages(relayed))
    for n in (stored[0], stored[7], stored[-1]):
        sequence = asyncio.run(sequence_of(n.id))
        assert messages[sequence - 1].headers["ce-mimsposition"] == str(n.id)


def test_since_a_position_past_a_republished_page(ledger: Ledger, relayed: RelaySettings) -> None:
    """A relay that crashed and came back after the duplicate window republished a page:
    the stream's positions go back once. Starting inside or after it misses nothing."""
    messages = asyncio.run(stream_messages(relayed))
    again = messages[10:30]

    async def republish() -> None:
        nc = await nats.connect(relayed.url)
        try:
            js = nc.jetstream()
            for m in again:
                headers = {k: v for k, v in m.headers.items() if k != "Nats-Msg-Id"}
                await js.publish(m.subject, m.data, headers=headers)
            for m in messages[30:]:  # and what followed, after the window too
                headers = {k: v for k, v in m.headers.items() if k != "Nats-Msg-Id"}
                await js.publish(m.subject, m.data, headers=headers)
        finally:
            await nc.close()

    asyncio.run(republish())
    stored = public(ledger)
    for since in (stored[5].id, stored[20].id, stored[40].id):
        seen = positions(read(relayed, Selection(since=since)))
        assert set(seen) == {n.id for n in stored if n.id >= since}
        assert min(seen) == since


def test_the_command_prints_lines_and_json(
    ledger: Ledger, relayed: RelaySettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIMS_NATS_URL", relayed.url)
    monkeypatch.setenv("MIMS_NATS_STREAM", relayed.stream)
    monkeypatch.setenv("MIMS_NATS_SUBJECT_PREFIX", relayed.subject_prefix)
    runner = CliRunner()
    done = runner.invoke(
        app, ["events", "tail", "--type", "com.mims.stock.*", "--site", "S", "--no-follow"]
    )
    assert done.exit_code == 0, done.output
    lines = [line.split("\t") for line in done.output.splitlines()]
    stock_at_s = [
        n
        for n in public(ledger)
        if n.topic.startswith("ledger.stock:") and orjson.loads(n.state)["meta"]["site"] == "S"
    ]
    assert [int(p) for p, *_ in lines] == [n.id for n in stock_at_s]
    assert lines[0][1:3] == ["com.mims.stock.received.v1", "item/STEEL/lot/L0"]
    assert lines[0][3] == orjson.loads(stock_at_s[0].state)["timestamp"].replace("+00:00", "Z")

    as_json = runner.invoke(app, ["events", "tail", "--json", "--limit", "2"])
    assert as_json.exit_code == 0, as_json.output
    first, second = (json.loads(line) for line in as_json.output.splitlines())
    assert first["specversion"] == "1.0"
    assert first["type"] == "com.mims.location.registered.v2"
    assert first["data"]["code"] == "S"
    assert first["mimsposition"] == "1"
    assert second["type"] == "com.mims.command_receipt.recorded.v1"


def test_a_durable_consumer_resumes_after_what_it_acknowledged(
    ledger: Ledger, relayed: RelaySettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIMS_NATS_URL", relayed.url)
    monkeypatch.setenv("MIMS_NATS_STREAM", relayed.stream)
    monkeypatch.setenv("MIMS_NATS_SUBJECT_PREFIX", relayed.subject_prefix)
    runner = CliRunner()
    command = ["events", "tail", "--durable", "erp", "--no-follow"]
    first = runner.invoke(app, [*command, "--limit", "10"])
    rest = runner.invoke(app, command)
    assert first.exit_code == rest.exit_code == 0, first.output + rest.output
    seen = [int(line.split("\t")[0]) for line in (first.output + rest.output).splitlines()]
    assert seen == [n.id for n in public(ledger)]
