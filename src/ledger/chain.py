"""The hash chain over the event log: proof that no stored event was changed, removed,
inserted or reordered after it was committed.

Every commit batch (one recorder insert: the writer's group commit of many commands) adds
one link in the same transaction as its events::

    digest(event) = sha256(position | originator_id | originator_version | topic | state)
    link.hash     = sha256(link.prev | digest(first event) | ... | digest(last event))

``link.prev`` is the previous link's hash (32 zero bytes for the first link), so the
links form one line from the first event to the head. A link keeps the positions and the
digest of each of its events: the chain is what the recorder committed, and the verifier
can name the exact position that no longer matches it, not only the batch.

A superuser who rewrites the events AND every link after them leaves a chain that agrees
with itself; only a copy of the head kept outside the database (an anchor) shows it, and
so does deleting the tail. Anchors name a position and the hash of the link ending there.
"""

from __future__ import annotations

import hashlib
import itertools
import struct
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from uuid import UUID

from eventsourcing.persistence import Notification

GENESIS = bytes(32)
DIGEST_SIZE = 32
_EVENT_HEAD = struct.Struct(">Q16sQII")
_POSITION = struct.Struct(">Q")


def event_digest(
    position: int, originator_id: UUID | str, version: int, topic: str, state: bytes | str
) -> bytes:
    """The digest of one event's canonical bytes: fixed-width numbers, the stream id's 16
    bytes, and the topic and state each after its length (no two events share bytes).
    ValueError (or TypeError) for an event whose fields cannot be what the store wrote."""
    stream = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
    topic_bytes = topic.encode()
    if isinstance(state, str):  # SQLite hands back TEXT when a BLOB was rewritten as text
        state = state.encode()
    return hashlib.sha256(
        _EVENT_HEAD.pack(position, stream.bytes, version, len(topic_bytes), len(state))
        + topic_bytes
        + state
    ).digest()


def link_hash(prev: bytes, digests: bytes) -> bytes:
    return hashlib.sha256(prev + digests).digest()


@dataclass(frozen=True)
class Link:
    """One commit batch: its first and last position, the hash before it and its own, and
    the position and digest of each of its events (packed: 8 and 32 bytes each)."""

    first: int
    last: int
    prev: bytes
    hash: bytes
    positions: bytes
    digests: bytes

    @classmethod
    def after(cls, prev: bytes, events: Iterable[tuple[int, UUID | str, int, str, bytes]]) -> Link:
        """The link of a batch of ``(position, stream, version, topic, state)``."""
        ordered = list(events)
        if any(a[0] >= b[0] for a, b in itertools.pairwise(ordered)):
            ordered.sort(key=lambda e: e[0])
        digests = b"".join([event_digest(*e) for e in ordered])
        positions = struct.pack(f">{len(ordered)}Q", *(e[0] for e in ordered))
        return cls(
            first=ordered[0][0],
            last=ordered[-1][0],
            prev=prev,
            hash=link_hash(prev, digests),
            positions=positions,
            digests=digests,
        )

    def entries(self) -> list[tuple[int, bytes]]:
        """(position, digest) of each event the link covers, as recorded; empty when the
        two packed columns do not agree in length (a damaged link)."""
        count = len(self.positions) // _POSITION.size
        if len(self.positions) % _POSITION.size or len(self.digests) != count * DIGEST_SIZE:
            return []
        return [
            (
                _POSITION.unpack_from(self.positions, i * _POSITION.size)[0],
                self.digests[i * DIGEST_SIZE : (i + 1) * DIGEST_SIZE],
            )
            for i in range(count)
        ]


class ChainSource(Protocol):
    """A store whose recorder keeps the chain (``ledger.store``'s chained recorders)."""

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]: ...

    def chain_links(self, start: int, limit: int, stop: int | None = None) -> Sequence[Link]:
        """Links whose last position is ``>= start`` (and first ``<= stop``), by position."""
        ...

    def chain_link_before(self, first: int) -> Link | None:
        """The link just before the one that starts at ``first``."""
        ...

    def chain_head(self) -> Link | None: ...


@dataclass(frozen=True)
class Anchor:
    """A chain head seen at some time, kept outside the database."""

    position: int
    hash: bytes
    at: datetime | None = None
    source: str = ""  # where it was read (file:line), for messages

    @classmethod
    def of(cls, link: Link, at: datetime) -> Anchor:
        return cls(position=link.last, hash=link.hash, at=at)


@dataclass(frozen=True)
class Problem:
    """The first position the chain no longer vouches for, and what is wrong there."""

    position: int
    what: str

    def __str__(self) -> str:
        return f"position {self.position}: {self.what}"


@dataclass
class ChainReport:
    events: int = 0
    links: int = 0
    anchors_checked: int = 0
    seconds: float = 0.0
    head: Link | None = None
    problem: Problem | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


class _Found(Exception):  # control flow inside the verifier, never escapes
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class _Walk:
    """Links and events merged in position order over ``[start, stop]``."""

    def __init__(
        self,
        source: ChainSource,
        start: int,
        stop: int | None,
        anchors: Sequence[Anchor],
        page: int,
    ) -> None:
        self.source = source
        self.start = start
        self.stop = stop
        self.page = page
        self.report = ChainReport()
        self.anchors = sorted(
            (a for a in anchors if a.position >= start and (stop is None or a.position <= stop)),
            key=lambda a: a.position,
        )
        self.next_anchor = 0
        self.vouched = start - 1  # the last position an agreeing anchor vouches for
        self.events = self._events()
        self.pending: Notification | None = None

    def _events(self) -> Iterator[Notification]:
        position = self.start
        while True:
            try:
                found = self.source.select_notifications(position, self.page, self.stop)
            except (ValueError, TypeError) as e:  # a row the store's own reader refuses
                raise _Found(
                    Problem(position, f"the events from here cannot be read ({e})")
                ) from None
            if not found:
                return
            yield from found
            position = found[-1].id + 1

    def _next_event(self) -> Notification | None:
        if self.pending is not None:
            event, self.pending = self.pending, None
            return event
        return next(self.events, None)

    def _links(self) -> Iterator[Link]:
        position = self.start
        seen = 0  # the first position of the last link yielded
        while True:
            found = [
                link
                for link in self.source.chain_links(position, self.page // 10 or 1, self.stop)
                if link.first > seen
            ]
            if not found:
                return
            yield from found
            seen = found[-1].first
            # Always forward, even past a damaged link whose last is before its first.
            position = max(position + 1, found[-1].first + 1, found[-1].last + 1)

    def run(self) -> None:
        prev: Link | None = None
        for link in self._links():
            if prev is None:
                prev = self._first_link(link)
            self._check_link(link, prev)
            prev = link
            self.report.links += 1
            self.report.head = link
        # Events after the last link were never chained.
        stray = self._next_event()
        if stray is not None:
            raise _Found(Problem(stray.id, "an event no link of the chain covers (inserted)"))
        self._check_anchors_beyond(prev)

    def _first_link(self, link: Link) -> Link | None:
        """The link before the range's first one, whose hash the first must follow."""
        if link.first < self.start:
            # The range starts inside a batch: the whole batch is checked.
            self.start = link.first
            self.vouched = link.first - 1
            self.events = self._events()
        before = self.source.chain_link_before(link.first)
        if before is None and link.prev != GENESIS:
            raise _Found(
                Problem(
                    min(self.start, link.first),
                    f"the chain starts at the link {link.first}-{link.last}, which follows"
                    " another: the links and events before it were deleted",
                )
            )
        return before

    def _check_link(self, link: Link, prev: Link | None) -> None:
        expected_prev = GENESIS if prev is None else prev.hash
        if prev is not None and link.first <= prev.last:
            raise _Found(
                Problem(link.first, f"the link {link.first}-{link.last} overlaps the one before")
            )
        # Events between the previous link and this one were never chained.
        event = self._next_event()
        if event is not None and event.id < link.first:
            raise _Found(Problem(event.id, "an event no link of the chain covers (inserted)"))
        recorded = link.entries()
        if not recorded or link.last < link.first:
            raise _Found(Problem(link.first, f"the link {link.first}-{link.last} is damaged"))
        actual: dict[int, bytes] = {}
        while event is not None and event.id <= link.last:
            try:
                actual[event.id] = event_digest(
                    event.id,
                    event.originator_id,
                    event.originator_version,
                    event.topic,
                    event.state,
                )
            except (ValueError, TypeError, struct.error) as e:
                raise _Found(Problem(event.id, f"the event cannot be read ({e})")) from None
            event = self._next_event()
        self.pending = event
        self.report.events += len(actual)
        if recorded != list(actual.items()):  # read in position order, as recorded
            by_position = dict(recorded)
            for position in sorted(by_position.keys() | actual.keys()):
                self._check_event(position, by_position, actual)
        if link_hash(link.prev, link.digests) != link.hash:
            raise _Found(
                Problem(link.first, f"the link {link.first}-{link.last} was altered (its hash)")
            )
        if link.prev != expected_prev:
            raise _Found(
                Problem(link.first, "the link does not follow the one before (broken chain)")
            )
        self._check_anchors_at(link)

    @staticmethod
    def _check_event(position: int, recorded: dict[int, bytes], actual: dict[int, bytes]) -> None:
        if position not in actual:
            raise _Found(Problem(position, "the chained event is missing (deleted or moved)"))
        if position not in recorded:
            raise _Found(Problem(position, "an event no link of the chain covers (inserted)"))
        if recorded[position] != actual[position]:
            raise _Found(Problem(position, "the event differs from the one chained (changed)"))

    def _check_anchors_at(self, link: Link) -> None:
        while self.next_anchor < len(self.anchors):
            anchor = self.anchors[self.next_anchor]
            if anchor.position > link.last:
                return
            self.next_anchor += 1
            self.report.anchors_checked += 1
            if anchor.position == link.last and anchor.hash == link.hash:
                self.vouched = link.last
                continue
            why = (
                "no link ends there"
                if anchor.position != link.last
                else f"the chain's hash there is {link.hash.hex()[:16]}…,"
                f" the anchor's {anchor.hash.hex()[:16]}…"
            )
            raise _Found(
                Problem(
                    self.vouched + 1,
                    f"the chain disagrees with the anchor at position {anchor.position}"
                    f" ({anchor.source or 'given'}): {why}; rewritten between"
                    f" {self.vouched + 1} and {anchor.position}",
                )
            )

    def _check_anchors_beyond(self, last: Link | None) -> None:
        if self.next_anchor >= len(self.anchors):
            return
        anchor = self.anchors[-1]
        end = last.last if last is not None else self.start - 1
        raise _Found(
            Problem(
                end + 1,
                f"the log ends at position {end} but the anchor {anchor.source or 'given'}"
                f" saw it at {anchor.position}: events after {end} were deleted",
            )
        )


def verify_chain(
    source: ChainSource,
    *,
    start: int | None = None,
    stop: int | None = None,
    anchors: Sequence[Anchor] = (),
    page: int = 5_000,
) -> ChainReport:
    """Recompute the chain over the log (or ``[start, stop]``, widened to whole batches):
    every event covered exactly once, each link's hash and its link to the one before, and
    the links at anchored positions against the anchors; anchors past the log's end mean
    its tail was deleted (checked when no ``stop`` is given). Stops at the first problem."""
    began = time.perf_counter()
    if stop is not None:
        # The range ends inside a batch: the whole batch is checked.
        covering = source.chain_links(stop, 1)
        if covering and covering[0].first <= stop:
            stop = covering[0].last
    walk = _Walk(source, max(1, start or 1), stop, anchors, page)
    try:
        walk.run()
    except _Found as found:
        walk.report.problem = found.problem
    report = walk.report
    report.seconds = time.perf_counter() - began
    if not anchors:
        report.notes.append(
            "no anchors: a deleted tail or a chain rewritten from some position would go unseen"
        )
    return report
