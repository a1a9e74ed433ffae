"""`mims audit anchor` and `mims audit verify --chain`: anchors to a file and NATS, the
anchor job inside the server, a tampered log named at its first bad position, malformed
anchors refused with a message (never a traceback)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import nats
import pytest
from typer.testing import CliRunner

from ledger.master_data.commands import RegisterLocation
from ledger.stock.commands import ReceiveStock
from ledger.store import chain_of, store_env
from ledger.writer import Ledger, WriterSettings
from mims.audit import (
    AnchorError,
    parse_anchor,
    publish_anchor,
    read_anchors,
    take_anchor,
    verify_ledger_chain,
)
from mims.cli import app
from mims.relay import RelaySettings
from mims.server import create_app
from mims.settings import Settings
from tests.support.plant import Plant
from tests.support.servers import serving
from tests.support.services import require_service

cli = CliRunner()
HASH = "ab" * 32


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    url = f"sqlite:///{tmp_path}/events.db"
    env = {
        "MIMS_DATABASE_URL": url,
        "MIMS_READ_MODEL_PATH": str(tmp_path / "read.duckdb"),
        "MIMS_ANCHOR_FILE": str(tmp_path / "anchors.jsonl"),
        "MIMS_PORT": "9",  # nothing listens there
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MIMS_NATS_URL", raising=False)
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    plant = Plant(ledger)
    plant.item("BOLT")
    for n in range(30):
        plant.receive("BOLT", str(n + 1))
    ledger.close()
    return env


def run(*args: str) -> tuple[int, str]:
    result = cli.invoke(app, list(args))
    return result.exit_code, result.output


def test_anchor_then_verify_then_a_tamper_is_named_at_its_position(
    store: dict[str, str], tmp_path: Path
) -> None:
    code, out = run("audit", "anchor")
    assert code == 0, out
    (line,) = Path(store["MIMS_ANCHOR_FILE"]).read_text().splitlines()
    anchored = json.loads(line)
    assert set(anchored) == {"position", "hash", "at"}
    code, out = run("audit", "verify", "--chain")
    assert code == 0, out
    assert f"checked {anchored['position']} events" in out
    assert "events/s; 1 anchors checked" in out

    db = sqlite3.connect(tmp_path / "events.db")
    db.execute("DROP TRIGGER stored_events_no_update")
    db.execute("UPDATE stored_events SET state = CAST(state AS BLOB) || x'20' WHERE rowid = 17")
    db.commit()
    db.close()
    code, out = run("audit", "verify", "--chain")
    assert code == 1, out
    assert "first bad position 17" in out
    assert "changed" in out


def test_a_deleted_tail_is_found_against_the_anchor_only(
    store: dict[str, str], tmp_path: Path
) -> None:
    run("audit", "anchor")
    db = sqlite3.connect(tmp_path / "events.db")
    for trigger in ("stored_events_no_delete", "stored_events_chain_no_delete"):
        db.execute(f"DROP TRIGGER {trigger}")
    (first,) = db.execute("SELECT max(first_position) FROM stored_events_chain").fetchone()
    db.execute("DELETE FROM stored_events WHERE rowid >= ?", (first,))
    db.execute("DELETE FROM stored_events_chain WHERE first_position >= ?", (first,))
    db.commit()
    db.close()
    code, out = run("audit", "verify", "--chain", "--anchors", "/dev/null")
    assert code == 0, out  # the chain agrees with itself...
    assert "no anchors" in out
    code, out = run("audit", "verify", "--chain")
    assert code == 1, out  # ...not with the anchor
    assert f"first bad position {first}" in out
    assert "deleted" in out


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("not json at all {", "not an anchor"),
        ("{not json", "not JSON"),
        ("[1, 2]", "JSON object"),
        ('{"position": 3}', "hash must be"),
        (f'{{"position": -1, "hash": "{HASH}"}}', "position must be"),
        (f'{{"position": true, "hash": "{HASH}"}}', "position must be"),
        (f'{{"position": "7", "hash": "{HASH}"}}', "position must be"),
        ('{"position": 3, "hash": "abc"}', "hash must be"),
        (f'{{"position": 3, "hash": "{HASH.upper()}"}}', "hash must be"),
        (f'{{"position": 3, "hash": "{HASH}", "at": "yesterday"}}', "ISO 8601"),
        (f"x:{HASH}", "position must be"),
        ("12:", "hash must be"),
    ],
)
def test_a_malformed_anchor_is_refused_with_its_line(line: str, says: str) -> None:
    with pytest.raises(AnchorError, match=says) as refused:
        parse_anchor(line, "anchors.jsonl:4")
    assert str(refused.value).startswith("anchors.jsonl:4: ")


def test_the_command_refuses_a_malformed_file_or_head_without_a_traceback(
    store: dict[str, str],
) -> None:
    run("audit", "anchor")
    anchors = Path(store["MIMS_ANCHOR_FILE"])
    with anchors.open("a") as f:
        f.write('{"position": 2, "hash": "zz"}\n')
    code, out = run("audit", "verify", "--chain")
    assert code == 2, out
    assert f"refused {anchors}:2" in " ".join(out.split())
    code, out = run("audit", "verify", "--chain", "--anchors", "/no/such/file")
    assert code == 2, out
    assert "no such anchor file" in out
    code, out = run("audit", "verify", "--chain", "--anchors", "/dev/null", "--head", "5:00")
    assert code == 2, out
    assert "--head 1" in out
    anchors.write_bytes(b"\xff\xfe\n")
    code, out = run("audit", "verify", "--chain")
    assert code == 2, out
    assert "cannot be read" in out


def test_a_head_given_by_hand_is_checked(store: dict[str, str]) -> None:
    ledger = Ledger(store_env(store["MIMS_DATABASE_URL"]))
    head = chain_of(ledger.app.recorder).chain_head()
    ledger.close()
    assert head is not None
    given = f"{head.last}:{head.hash.hex()}"
    assert run("audit", "verify", "--chain", "--anchors", "/dev/null", "--head", given)[0] == 0
    wrong = f"{head.last}:{HASH}"
    code, out = run("audit", "verify", "--chain", "--anchors", "/dev/null", "--head", wrong)
    assert code == 1, out
    assert "first bad position 1" in out  # no anchor vouches for anything before it


def test_a_range_is_checked_in_whole_batches(store: dict[str, str]) -> None:
    ledger = Ledger(store_env(store["MIMS_DATABASE_URL"]))
    links = chain_of(ledger.app.recorder).chain_links(10, 100, 12)
    ledger.close()
    assert links[0].first < 10 or links[-1].last > 12  # a receipt is two events
    events = sum(link.last - link.first + 1 for link in links)
    code, out = run("audit", "verify", "--chain", "--from", "10", "--to", "12")
    assert code == 0, out
    assert f"checked {events} events in {len(links)} batches" in out


def test_an_anchor_is_taken_only_when_the_head_moved(store: dict[str, str]) -> None:
    path = Path(store["MIMS_ANCHOR_FILE"])
    ledger = Ledger(store_env(store["MIMS_DATABASE_URL"]), WriterSettings(batch_wait=0))
    try:
        first = take_anchor(ledger, path, only_if_moved=True)
        assert first is not None
        assert take_anchor(ledger, path, only_if_moved=True) is None
        ledger.execute(
            ReceiveStock(sku="BOLT", location="A", quantity=Decimal(1), unit_cost=Decimal(1))
        )
        second = take_anchor(ledger, path, only_if_moved=True)
        assert second is not None
        assert second.position > first.position
        anchors = read_anchors(path)
        assert [a.position for a in anchors] == [first.position, second.position]
        assert verify_ledger_chain(ledger, anchors=anchors).anchors_checked == 2
    finally:
        ledger.close()


def test_the_server_anchors_at_its_interval(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/events.db"
    anchors = tmp_path / "anchors.jsonl"
    settings = Settings(
        database_url=url,
        read_model_path=tmp_path / "read.duckdb",
        anchor_file=anchors,
        anchor_interval_seconds=0.2,
        expiry_interval_minutes=0,
    )
    ledger = Ledger(store_env(url), WriterSettings(batch_wait=0))
    try:
        with serving(create_app(settings, ledger=ledger)):
            done = ledger.execute(RegisterLocation(code="S", level="site"))
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not anchors.exists():
                time.sleep(0.05)
            first = read_anchors(anchors)
            assert first[-1].position == done.position
            more = ledger.execute(RegisterLocation(code="W", level="warehouse", parent="S"))
            while (
                time.monotonic() < deadline and read_anchors(anchors)[-1].position < more.position
            ):
                time.sleep(0.05)
            time.sleep(0.5)  # idle: no new anchor while the head stays put
            assert [a.position for a in read_anchors(anchors)] == [done.position, more.position]
        assert verify_ledger_chain(ledger, anchors=read_anchors(anchors)).ok
    finally:
        ledger.close()


@pytest.fixture
def nats_settings() -> Iterator[RelaySettings]:
    require_service("NATS", 4222)
    name = f"T_{uuid.uuid4().hex[:12]}"
    yield RelaySettings(url="nats://127.0.0.1:4222", stream=name, subject_prefix=f"test.{name}")

    async def drop() -> None:
        nc = await nats.connect("nats://127.0.0.1:4222")
        try:
            await nc.jetstream().delete_stream(name)
        finally:
            await nc.close()

    asyncio.run(drop())


@pytest.mark.nats
def test_an_anchor_is_kept_by_the_nats_stream(
    store: dict[str, str], nats_settings: RelaySettings
) -> None:
    ledger = Ledger(store_env(store["MIMS_DATABASE_URL"]))
    try:
        anchor = take_anchor(ledger, Path(store["MIMS_ANCHOR_FILE"]))
    finally:
        ledger.close()
    assert anchor is not None
    asyncio.run(publish_anchor(nats_settings, anchor))
    asyncio.run(publish_anchor(nats_settings, anchor))  # de-duplicated by its id

    async def kept() -> list[bytes]:
        nc = await nats.connect(nats_settings.url)
        try:
            js = nc.jetstream()
            info = await js.stream_info(nats_settings.stream)
            messages = [
                await js.get_msg(nats_settings.stream, seq)
                for seq in range(1, info.state.messages + 1)
            ]
            assert all(m.subject == f"{nats_settings.subject_prefix}.anchors" for m in messages)
            return [m.data for m in messages]
        finally:
            await nc.close()

    (data,) = asyncio.run(kept())
    published = parse_anchor(data.decode(), "nats")
    assert (published.position, published.hash) == (anchor.position, anchor.hash)
