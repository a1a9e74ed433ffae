"""`mims events tail`: the CloudEvents the relay published, read back from JetStream, one
line each (position, type, subject, time) or each whole event as JSON.

A consumer example as much as a tool: an ordered ephemeral consumer (or a durable one,
``--durable NAME``, that remembers what it acknowledged), filtered on the server by NATS
subject (``<prefix>.<site>.<aggregate>.<event>``, from ``--site`` and the literal part of
``--type``) and here by the ``ce-type`` glob. ``--since POSITION`` starts at the first
event at or after that ledger position: a binary search over the stream for its sequence
number, then every message before the position is skipped (a republish after a crash
repeats earlier positions; a consumer that keeps state de-duplicates by ``ce-id``).
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import sys
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from cloudevents.core.v1.event import CloudEvent

    from mims.relay import RelaySettings

app = typer.Typer(help="The events the relay published to NATS JetStream.", no_args_is_help=True)

TYPE_PREFIX = "com.mims."
_GLOB = frozenset("*?[")


@dataclass(frozen=True)
class Selection:
    """Which events to read: ``type`` a glob over ``ce-type``, ``site`` one site, ``since``
    a ledger position."""

    type: str | None = None
    site: str | None = None
    since: int = 0

    def nats_filter(self, prefix: str) -> str:
        """The NATS subject filter: the site's token, and the aggregate and event when
        ``type`` names them literally (``com.mims.stock.received.*`` ->
        ``<prefix>.*.stock.received``)."""
        from mims.cloudevents import site_token

        site = site_token(self.site) if self.site is not None else "*"
        aggregate = event = "*"
        if self.type and self.type.startswith(TYPE_PREFIX):
            parts = self.type.removeprefix(TYPE_PREFIX).split(".")
            literal = [not (_GLOB & set(p)) for p in parts]
            # '*' in a glob may span dots: only a literal part before any glob is sure.
            if len(parts) > 1 and literal[0]:
                aggregate = parts[0]
                if len(parts) > 2 and literal[1]:  # noqa: PLR2004 - aggregate.event.version
                    event = parts[1]
        return f"{prefix}.{site}.{aggregate}.{event}"

    def wants(self, event: CloudEvent) -> bool:
        if self.type is not None and not fnmatch.fnmatchcase(event.get_type(), self.type):
            return False
        return _position(event) >= self.since


def _position(event: CloudEvent) -> int:
    return int(event.get_extension("mimsposition") or 0)


async def start_sequence(js: Any, stream: str, prefix: str, since: int) -> int:
    """The stream sequence of the first event at ledger position ``since`` or later
    (binary search: positions grow with sequence numbers, but for a republished page,
    which repeats the positions after it, so starting there misses nothing)."""
    import nats

    info = await js.stream_info(stream)
    lo, hi = info.state.first_seq, info.state.last_seq + 1
    events = f"{prefix}.*.*.*"  # no anchors, nothing of an older layout
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            found = await js.get_msg(stream, seq=mid, subject=events, next=True)
        except nats.js.errors.NotFoundError:
            hi = mid
            continue
        position = int((found.headers or {}).get("ce-mimsposition", 0))
        if position >= since:
            hi = mid
        else:
            lo = found.seq + 1
    return int(lo)


async def _config(
    js: Any, settings: RelaySettings, selection: Selection, durable: str | None
) -> Any:
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    config = ConsumerConfig(
        ack_policy=AckPolicy.EXPLICIT if durable else AckPolicy.NONE,
        inactive_threshold=None if durable else 60.0,
        deliver_policy=DeliverPolicy.ALL,
    )
    if selection.since > 0:
        config.deliver_policy = DeliverPolicy.BY_START_SEQUENCE
        config.opt_start_seq = await start_sequence(
            js, settings.stream, settings.subject_prefix, selection.since
        )
    return config


async def _selected(
    messages: list[Any], selection: Selection, durable: bool
) -> AsyncGenerator[CloudEvent, None]:
    """A fetched batch's selected events; a durable consumer acknowledges each message
    once its reader has taken it."""
    from mims.cloudevents import from_message, is_cloudevent

    for i, message in enumerate(messages):
        try:
            if is_cloudevent(message.headers):
                event = from_message(message.headers or {}, message.data)
                if selection.wants(event):
                    yield event
        except GeneratorExit:
            # The reader stopped after this one: the rest of the batch goes back to the
            # durable consumer now, not after its ack wait.
            if durable:
                await message.ack()
                for unread in messages[i + 1 :]:
                    await unread.nak()
            raise
        if durable:
            await message.ack()


async def tail(
    settings: RelaySettings,
    selection: Selection,
    *,
    follow: bool = True,
    durable: str | None = None,
    idle_seconds: float = 1.0,
) -> AsyncGenerator[CloudEvent, None]:
    """The selected events in stream order; without ``follow``, until the stream's end."""
    import nats

    nc = await nats.connect(settings.url, connect_timeout=5)
    try:
        js = nc.jetstream()
        pull = await js.pull_subscribe(
            selection.nats_filter(settings.subject_prefix),
            durable=durable,
            stream=settings.stream,
            config=await _config(js, settings, selection, durable),
        )
        consumer = (await pull.consumer_info()).name
        try:
            while True:
                try:
                    messages = await pull.fetch(256, timeout=idle_seconds)
                except TimeoutError:
                    if not follow and (await pull.consumer_info()).num_pending == 0:
                        return
                    continue
                batch = _selected(messages, selection, durable is not None)
                try:
                    async for event in batch:
                        yield event
                finally:
                    await batch.aclose()
                if not follow and messages[-1].metadata.num_pending == 0:
                    return
        finally:
            await pull.unsubscribe()
            if not durable:
                # Gone already is fine: the server drops it after a minute anyway.
                with contextlib.suppress(nats.errors.Error):
                    await js.delete_consumer(settings.stream, consumer)
    finally:
        await nc.close()


def line(event: CloudEvent) -> str:
    """``position  type  subject  time``, tab-separated (for `cut`, `awk`, `grep`)."""
    time = event.get_time()
    when = time.isoformat().replace("+00:00", "Z") if time is not None else ""
    return "\t".join([str(_position(event)), event.get_type(), event.get_subject() or "", when])


def as_json(event: CloudEvent) -> str:
    """The whole event in CloudEvents' JSON format (structured mode), on one line."""
    from cloudevents.core.formats.json import JSONFormat

    return JSONFormat().write(event).decode()


TypeOption = Annotated[
    str | None,
    typer.Option(
        "--type", help="ce-type glob, e.g. 'com.mims.stock.*' or 'com.mims.*.received.v1'"
    ),
]
SiteOption = Annotated[str | None, typer.Option(help="Only events of this site (meta.site)")]
SinceOption = Annotated[
    int, typer.Option(min=0, help="Start at this ledger position (ce-mimsposition)")
]


@app.command("tail")
def tail_command(  # noqa: PLR0917 - a typer command: each option is a parameter
    type_: TypeOption = None,
    site: SiteOption = None,
    since: SinceOption = 0,
    json: Annotated[bool, typer.Option("--json", help="Each event whole, as JSON")] = False,
    durable: Annotated[
        str | None,
        typer.Option(help="A durable consumer of this name: it resumes where it stopped"),
    ] = None,
    follow: Annotated[
        bool, typer.Option(help="Keep waiting for new events (--no-follow: stop at the end)")
    ] = True,
    limit: Annotated[
        int, typer.Option(min=0, help="Stop after this many events (0: no limit)")
    ] = 0,
) -> None:
    """Print the events the relay published to JetStream (MIMS_NATS_URL), one a line."""
    from mims.settings import Settings

    settings = Settings().relay_settings()
    selection = Selection(type=type_, site=site, since=since)

    async def main() -> None:
        printed = 0
        events = tail(settings, selection, follow=follow, durable=durable)
        async for event in events:
            sys.stdout.write((as_json(event) if json else line(event)) + "\n")
            sys.stdout.flush()
            printed += 1
            if limit and printed >= limit:
                await events.aclose()
                return

    asyncio.run(main())
