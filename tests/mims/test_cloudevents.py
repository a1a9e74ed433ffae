"""The relay's cheap headers are the SDK's: for every event of a small plant, and for
generated sites, subjects and times, ``headers_of`` equals the cloudevents SDK's binary
mode of the same event, and the SDK reads them back to the same attributes. NATS subject
tokens never hold what NATS gives a meaning to."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.private import is_private
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from mims.cloudevents import (
    Described,
    Describer,
    binary_headers,
    cloudevent,
    from_message,
    headers_of,
    nats_subject,
    site_token,
    source_of,
)
from tests.support.relay import two_sites


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    led = Ledger(store_env(f"sqlite:///{tmp_path}/events.db"), WriterSettings(batch_wait=0))
    two_sites(led)
    yield led
    led.close()


def test_the_relays_headers_are_the_sdks_for_every_event(ledger: Ledger) -> None:
    describer = Describer(ledger.app.recorder, "hamburg-east")
    stored = [
        n for n in ledger.app.recorder.select_notifications(1, 10_000) if not is_private(n.topic)
    ]
    assert len(stored) > 40
    for n in stored:
        described = describer.describe(n, n.id, orjson.loads(n.state))
        sdk = binary_headers(cloudevent(described, n.state))
        assert headers_of(described) == sdk
        back = from_message(sdk, n.state)
        assert back.get_id() == described.id
        assert back.get_time() == datetime.fromisoformat(orjson.loads(n.state)["timestamp"])


text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20)
offsets = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))])


@given(
    site=text,
    subject=text,
    when=st.datetimes(timezones=offsets),
)
def test_any_site_subject_and_time_encode_as_the_sdk_does(
    site: str, subject: str, when: datetime
) -> None:
    described = Described(
        id="7a98ee6a-4b23-57bb-a6e2-dc7dc5cf5db9",
        type="com.mims.stock.received.v1",
        source=source_of("p", site),
        subject=subject,
        time=when.isoformat(),
        site=site,
        position=12,
        stream="e62c6fa4-9ddf-5883-8ca5-47661bb1dda2",
        version=3,
    )
    sdk = binary_headers(cloudevent(described, b"{}"))
    assert headers_of(described) == sdk
    back = from_message(sdk, b"{}")
    assert back.get_subject() == subject
    assert back.get_time() == when
    token = site_token(site)
    assert token and not any(c in token for c in ".*> \t\r\n")
    assert nats_subject("mims.events", "ledger.stock:Stock.Received", site).split(".") == [
        "mims",
        "events",
        token,
        "stock",
        "received",
    ]
