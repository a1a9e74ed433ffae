"""Every published event as a CloudEvent 1.0 (the ``cloudevents`` SDK builds the envelope),
in binary mode: the attributes in ``ce-*`` headers, the stored event's JSON as the data.

| attribute | value |
| --- | --- |
| ``id`` | the event's stable id (``ledger.ids.event_id``), also ``Nats-Msg-Id`` |
| ``source`` | ``/mims/<plant>/<site>`` (``/mims/<plant>`` for plant-wide events) |
| ``type`` | ``com.mims.stock.received.v1`` (``ledger.event_names.event_type``) |
| ``subject`` | ``item/STEEL/lot/L1``, else the aggregate's key (``work-order/WO-1``) |
| ``time`` | when the event was recorded |
| ``datacontenttype`` | ``application/json`` (the ``content-type`` header) |
| ``mimsposition`` | the event's position in the ledger (notification id) |
| ``mimsstream``, ``mimsversion`` | the aggregate's stream id and the event's version in it |

NATS subject ``<prefix>.<site>.<aggregate>.<event>`` (``mims.events.S1.stock.received``),
so a consumer filters by site or kind with NATS wildcards. Used by the relay and by whatever
else names events for other systems (webhooks, exports): :class:`Describer` gives the
attributes of a stored event, :func:`cloudevent` the SDK's event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote
from uuid import UUID

import orjson
from cloudevents.core.bindings.http import HTTPMessage, from_binary, to_binary
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from eventsourcing.persistence import AggregateRecorder, StoredEvent

from ledger.event_names import (
    aggregate_of,
    event_subject,
    event_type,
    has_stream_key,
    key_in,
    qualname,
    site_of,
    snake,
    stored_version,
    stream_key,
)
from ledger.ids import event_id

PLANT_WIDE = "_plant"  # the site token of events that belong to no site
CONTENT_TYPE = "application/json"
POSITION = "mimsposition"
STREAM = "mimsstream"
VERSION = "mimsversion"
_FORMAT = JSONFormat()
_NOT_IN_A_TOKEN = re.compile(r"[\s.*>]")


def site_token(site: str) -> str:
    """A site as one NATS subject token: '.', '*', '>' and whitespace cannot be in one
    (they become '_'); no site: ``_plant``. The exact site is in ``ce-source``."""
    return _NOT_IN_A_TOKEN.sub("_", site) or PLANT_WIDE


def nats_subject(prefix: str, topic: str, site: str) -> str:
    """``mims.events`` + ``ledger.stock:Stock.Received`` at site S1 ->
    ``mims.events.S1.stock.received``."""
    aggregate, _, event = qualname(topic).partition(".")
    return f"{prefix}.{site_token(site)}.{snake(aggregate)}.{snake(event)}"


def source_of(plant: str, site: str) -> str:
    """``/mims/<plant>/<site>``: a URI reference, so each name is percent-encoded."""
    root = f"/mims/{quote(plant, safe='')}"
    return f"{root}/{quote(site, safe='')}" if site else root


@dataclass(frozen=True, slots=True)
class Described:
    """The CloudEvents attributes of one stored event, and where it goes on NATS."""

    id: str
    type: str
    source: str
    subject: str
    time: str  # RFC 3339, as stored
    site: str
    position: int
    stream: str
    version: int

    def attributes(self) -> dict[str, Any]:
        return {
            "specversion": "1.0",
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "subject": self.subject,
            "time": datetime.fromisoformat(self.time),
            "datacontenttype": CONTENT_TYPE,
            POSITION: str(self.position),
            STREAM: self.stream,
            VERSION: str(self.version),
        }


class StreamKeys:
    """The natural key of each aggregate (``item/STEEL``), read once from its first stored
    event and kept (up to ``size`` streams; the oldest half is forgotten beyond)."""

    def __init__(self, recorder: AggregateRecorder, size: int = 200_000) -> None:
        self.recorder = recorder
        self.size = size
        self.keys: dict[UUID, str] = {}
        self.looked_up = 0

    def learn(self, stream: UUID, key: str) -> None:
        if len(self.keys) >= self.size:
            for old in list(self.keys)[: self.size // 2]:
                del self.keys[old]
        self.keys[stream] = key

    def key(self, aggregate: str, stream: UUID) -> str | None:
        known = self.keys.get(stream)
        if known is not None:
            return known
        first = self.recorder.select_events(stream, lte=1, limit=1)
        self.looked_up += 1
        if not first:
            return None
        key = stream_key(aggregate, orjson.loads(first[0].state))
        self.learn(stream, key)
        return key


class Describer:
    """Names stored events for other systems; one per reader (it keeps stream keys)."""

    def __init__(self, recorder: AggregateRecorder, plant: str) -> None:
        self.plant = plant
        self.keys = StreamKeys(recorder)
        # A few dozen kinds of event and a few sites: named once each.
        self._types: dict[tuple[str, int], str] = {}
        self._sources: dict[str, str] = {}
        self._topics: dict[str, tuple[str, bool]] = {}

    def describe(self, event: StoredEvent, position: int, state: Mapping[str, Any]) -> Described:
        """``state``: the event's stored JSON, decoded (the caller has it already)."""
        topic = event.topic
        named = self._topics.get(topic)
        if named is None:
            aggregate = aggregate_of(topic)
            named = self._topics[topic] = (aggregate, has_stream_key(aggregate))
        aggregate, keyed = named
        stream = event.originator_id
        stream_id = stream if isinstance(stream, UUID) else UUID(str(stream))
        key = None
        if keyed:
            key = self.keys.keys.get(stream_id)
            if key is None:
                key = key_in(aggregate, state)  # the aggregate's first event holds it
                if key is not None:
                    self.keys.learn(stream_id, key)
                elif not state.get("sku"):
                    key = self.keys.key(aggregate, stream_id)
        site = site_of(state)
        kind = (topic, stored_version(state))
        type_ = self._types.get(kind) or self._types.setdefault(kind, event_type(*kind))
        source = self._sources.get(site) or self._sources.setdefault(
            site, source_of(self.plant, site)
        )
        return Described(
            id=str(event_id(stream_id, event.originator_version)),
            type=type_,
            source=source,
            subject=event_subject(aggregate, key, state),
            time=state["timestamp"],
            site=site,
            position=position,
            stream=str(stream_id),
            version=event.originator_version,
        )


def cloudevent(described: Described, data: bytes) -> CloudEvent:
    """The SDK's CloudEvent (it checks the attributes: a bad one raises)."""
    return CloudEvent(described.attributes(), data)


def binary_headers(event: CloudEvent) -> dict[str, str]:
    """The event's binary-mode headers (``ce-*``, ``content-type``), as the SDK's HTTP
    binding writes them: NATS headers are HTTP-like, so the same percent-encoding holds."""
    return to_binary(event, _FORMAT).headers


# What the SDK's HTTP binding leaves as it is in a header value (printable ASCII but
# space, '"' and '%'); anything else is percent-encoded, as the SDK does.
_HEADER_SAFE = re.compile(r"[!#$&-~]*")
_SDK_SAFE = "".join(c for c in map(chr, range(0x21, 0x7F)) if c not in ' "%')


def _header_value(text: str) -> str:
    return text if _HEADER_SAFE.fullmatch(text) else quote(text, safe=_SDK_SAFE)


def headers_of(described: Described) -> dict[str, str]:
    """:func:`binary_headers` of :func:`cloudevent` without building the SDK's event: the
    relay's hot path (the SDK takes ~15 us an event, a quarter of the relay's budget).
    ``tests/mims/test_cloudevents.py`` checks both give the same headers."""
    stored = described.time
    # "Z" is the SDK's form of UTC; any other offset is written as Python writes it.
    time = (
        stored[:-6] + "Z"
        if stored.endswith("+00:00")
        else datetime.fromisoformat(stored).isoformat()
    )
    return {
        "ce-specversion": "1.0",
        "ce-id": described.id,
        "ce-source": _header_value(described.source),
        "ce-type": _header_value(described.type),
        "ce-subject": _header_value(described.subject),
        "ce-time": _header_value(time),
        "content-type": CONTENT_TYPE,
        f"ce-{POSITION}": str(described.position),
        f"ce-{STREAM}": described.stream,
        f"ce-{VERSION}": str(described.version),
    }


def from_message(headers: Mapping[str, str], data: bytes) -> CloudEvent:
    """A consumer's side: a NATS message back into a CloudEvent (data decoded from JSON)."""
    event = from_binary(HTTPMessage(dict(headers), data), _FORMAT, CloudEvent)
    assert isinstance(event, CloudEvent)  # noqa: S101 - from_binary's factory is CloudEvent
    return event


def is_cloudevent(headers: Mapping[str, str] | None) -> bool:
    """Anchors and other messages of the stream carry no CloudEvent."""
    return bool(headers) and "ce-specversion" in headers  # type: ignore[operator]
