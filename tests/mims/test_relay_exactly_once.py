"""Exactly once, proved on the real servers: 100k events in a PostgreSQL store, relayed by
`mims relay` processes that are SIGKILLed 20 times at random moments while the test's own
NATS server is restarted 5 times. A consumer that de-duplicates by ``ce-id`` then finds
every public stored event exactly once, each subject's events in ledger order, and the
stream holds no duplicate: JetStream's de-duplication window absorbed every republish.

What it proves: the relay process can die anywhere (kill -9: between publishing a page and
moving its position, mid-page, mid-read) and NATS can go away and come back, cleanly
(SIGTERM: JetStream writes out what it holds); not NATS's durability on power loss,
which the architecture does not rely on (the event store is the record of truth)."""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import nats
import psycopg
import pytest
from nats.js.api import AckPolicy, ConsumerConfig

from ledger.ids import event_id
from ledger.private import is_private
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from tests.support.relay import NatsServer

# Under three minutes on the 2-core machine alone; more when other work shares it.
pytestmark = [pytest.mark.nats, pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(900)]

EVENTS = 100_000
KILLS = 20
NATS_RESTARTS = 5
RESTART_AFTER_KILLS = {2, 6, 10, 14, 18}  # the cycles in which NATS is restarted too


def fill(url: str) -> None:
    """About 100k genuine events (items, stock cards, receipts, issues, moves), stored in
    bulk: the writer's group commit is not what this test is about."""
    from benchmarks.datasets import build

    build(url, items=300, locations=10, movements=EVENTS)


class Position:
    def __init__(self, pg_url: str) -> None:
        base, _, schema = pg_url.partition("?schema=")
        self.conn = psycopg.connect(base, autocommit=True)
        self.sql = (
            f"SELECT notification_id FROM {schema}.mims_tracking"
            " WHERE application_name = 'nats-relay'"
        )

    def __call__(self) -> int:
        try:
            row = self.conn.execute(self.sql).fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
        return int(row[0]) if row else 0


# `mims relay` (the function the command runs), started once its imports are done: each
# cycle's next process warms up while the current one relays (an import of the server's
# settings and the ledger takes seconds on a busy machine, 21 times).
WARM_RELAY = "import sys; from mims.cli.relay import relay; sys.stdin.readline(); relay()"


class Relays:
    """The relay processes, one at a time, the next one always warming up."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.running: subprocess.Popen[bytes] | None = None
        self.next = self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-c", WARM_RELAY],
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=out,
                stderr=out,
            )

    def start(self) -> None:
        process, self.next = self.next, self._spawn()
        assert process.stdin is not None
        process.stdin.write(b"go\n")
        process.stdin.close()
        self.running = process

    def kill(self) -> None:
        assert self.running is not None
        self.running.send_signal(signal.SIGKILL)
        self.running.wait()
        self.running = None

    def stop(self) -> None:
        """The last one stops as Ctrl-C stops it; the warm one is not needed."""
        for process in (self.running, self.next):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self.running = None


def wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def pages_until(position: Position, target: int) -> float:
    """Waits until the relay's position reaches ``target``; answers how long its last
    page took (from one move of the position to the next)."""
    deadline = time.monotonic() + 60
    seen, moved, took = position(), None, 0.2
    while seen < target:
        if time.monotonic() > deadline:
            pytest.fail(f"the relay stayed at {seen}")
        time.sleep(0.005)
        now = position()
        if now != seen:
            at = time.monotonic()
            if moved is not None:
                took = at - moved
            seen, moved = now, at
    return took


async def read_stream(url: str, stream: str) -> list[tuple[str, str, int]]:
    """(NATS subject, ce-id, ce-mimsposition) of every message, in stream order."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        total = (await js.stream_info(stream)).state.messages
        pull = await js.pull_subscribe(
            ">", stream=stream, config=ConsumerConfig(ack_policy=AckPolicy.NONE)
        )
        out: list[tuple[str, str, int]] = []
        while len(out) < total:
            for m in await pull.fetch(2_000, timeout=10):
                h = m.headers or {}
                out.append((m.subject, h["ce-id"], int(h["ce-mimsposition"])))
        return out
    finally:
        await nc.close()


def test_every_event_exactly_once_through_kills_and_nats_restarts(
    pg_url: str, tmp_path: Path
) -> None:
    rng = random.Random(16)
    began = time.monotonic()
    fill(pg_url)
    filled = time.monotonic() - began
    ledger = Ledger(store_env(pg_url), WriterSettings())
    stored = ledger.app.recorder.select_notifications(1, EVENTS + 10_000)
    ledger.close()
    expected = {
        str(event_id(n.originator_id, n.originator_version)): n.id
        for n in stored
        if not is_private(n.topic)
    }
    last = stored[-1].id
    assert len(expected) >= EVENTS

    server = NatsServer(tmp_path / "jetstream")
    server.start()
    stream = f"X_{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "MIMS_DATABASE_URL": pg_url,
        "MIMS_NATS_URL": server.url,
        "MIMS_NATS_STREAM": stream,
        "MIMS_NATS_SUBJECT_PREFIX": "proof",
        "MIMS_LOG_JSON": "true",
    }
    log = tmp_path / "relay.log"
    position = Position(pg_url)
    kills = restarts = 0
    relays = Relays(env, log)
    try:
        while kills < KILLS:
            start = position()
            relays.start()
            if kills in RESTART_AFTER_KILLS:
                wait_for(lambda s=start: position() > s, 60, "the relay to publish a page")
                server.restart()  # under the running relay, mid-page or between pages
                restarts += 1
            page_seconds = pages_until(position, min(start + rng.randint(500, 4_000), last))
            time.sleep(rng.uniform(0, page_seconds))  # anywhere in the next page's round
            relays.kill()
            kills += 1
        relays.start()
        wait_for(lambda: position() >= last, 120, "the relay to catch up")
        relays.stop()
        messages = asyncio.run(read_stream(server.url, stream))
    finally:
        relays.stop()
        server.stop()
        position.conn.close()

    # Acknowledged as duplicates by JetStream, as the relay processes logged them.
    republished = sum(
        int(found.group(1))
        for line in log.read_text().splitlines()
        if "republished events JetStream already had" in line
        and (found := re.search(r"events\W+(\d+)", line))
    )
    first_seen: dict[str, tuple[str, int]] = {}
    for subject, ce_id, pos in messages:
        first_seen.setdefault(ce_id, (subject, pos))
    missing = expected.keys() - first_seen.keys()
    unexpected = first_seen.keys() - expected.keys()
    print(
        f"\nexactly once: stored {len(expected)}, published {len(messages)},"
        f" republished {republished} (absorbed by JetStream),"
        f" delivered {len(messages)}, unique {len(first_seen)}, missing {len(missing)},"
        f" duplicates after de-dup 0 (before: {len(messages) - len(first_seen)}),"
        f" relay kills {kills}, NATS restarts {restarts};"
        f" {filled:.0f} s to store the events, {time.monotonic() - began:.0f} s in all"
    )
    assert kills == KILLS
    assert restarts == NATS_RESTARTS
    assert not missing
    assert not unexpected
    assert all(expected[i] == pos for i, (_s, pos) in first_seen.items())
    # The window absorbed every republish: nothing reached the stream twice.
    assert len(messages) == len(first_seen)
    assert republished > 0  # and some kill did land between a publish and its position
    # Ledger order, per subject and over the whole stream.
    by_subject: dict[str, list[int]] = {}
    for subject, pos in first_seen.values():
        by_subject.setdefault(subject, []).append(pos)
    assert len(by_subject) > 3
    for positions in by_subject.values():
        assert positions == sorted(positions)
    assert [pos for _s, _i, pos in messages] == sorted(expected.values())
