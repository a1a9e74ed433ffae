"""EPCIS 2.0 exports: read the event store, build the document, validate it.

Read from the event store itself, not from the read models: the store is the record of
truth, it is there with or without a server (`mims export epcis` opens it directly while
`mims serve` owns the DuckDB file), and every fact an EPCIS event needs is in the events
(the read models would have to gain columns for GTINs, work-order consumption and order
numbers). Two passes: the first reads only the order events that tell a stock movement
(their command ids), the second decodes the events the builder tells and feeds them in
log order. Identity's events are never read (`ledger.private`).

The route ``GET /v1/epcis/events`` answers the same document, narrowed to the places the
caller holds the ``export`` permission for (`mims.permissions.EPCIS_PERMISSION`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Self

import orjson
from eventsourcing.utils import get_topic
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from jsonschema import Draft7Validator
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator
from referencing import Registry, Resource

from commands.problems import problem_responses
from ledger.commands import Code
from ledger.private import is_private
from ledger.writer import Ledger
from projections.epcis import (
    EpcisBuilder,
    Filters,
    covering_topics,
    document,
    telling_only_topics,
    told_classes,
)

SCHEMA_DIR = Path(__file__).parent / "standards" / "epcis-2.0"
ROOT_SCHEMA = "EPCIS-JSON-Schema-root.json"
MEDIA_TYPE = "application/ld+json"
PAGE = 5_000
DEFAULT_URN_PREFIX = "urn:mims:plant"
ISO_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _topics() -> list[str]:
    return sorted(t for t in (get_topic(cls) for cls in told_classes()) if not is_private(t))


def _pages(ledger: Ledger, topics: list[str], stop: int) -> Iterator[Sequence[Any]]:
    recorder = ledger.app.recorder
    start = 1
    while start <= stop:
        page = recorder.select_notifications(start=start, limit=PAGE, stop=stop, topics=topics)
        if not page:
            return
        yield page
        start = page[-1].id + 1


def covered_commands(ledger: Ledger, stop: int | None = None) -> frozenset[str]:
    """Command ids whose order events tell their stock movements (first pass: only those
    topics, only their ``meta.command_id`` parsed), up to position ``stop``."""
    found: set[str] = set()
    last = ledger.max_position() if stop is None else stop
    for page in _pages(ledger, sorted(covering_topics()), last):
        found.update(orjson.loads(n.state)["meta"]["command_id"] for n in page)
    return frozenset(found)


def epcis_events(
    ledger: Ledger, filters: Filters, *, stop: int, urn_prefix: str = DEFAULT_URN_PREFIX
) -> Iterator[dict[str, Any]]:
    """The EPCIS events of the log up to position ``stop``, in log order, that ``filters``
    keep. Both passes stop there: a command saved meanwhile is in neither."""
    builder = EpcisBuilder(urn_prefix, covered_commands(ledger, stop))
    decode = ledger.app.mapper.to_domain_event
    # A lot's export skips, undecoded, the events that only tell and do not name it (a
    # lot code is ASCII and stored as is in the event's JSON; a longer code containing it
    # is decoded, then filtered).
    needle = filters.lot.encode() if filters.lot else None
    skippable = telling_only_topics() if needle else frozenset()
    for page in _pages(ledger, _topics(), stop):
        for notification in page:
            if notification.topic in skippable and needle not in notification.state:
                continue
            told = builder.feed(decode(notification))
            if told is not None and filters.keep(told):
                yield told.event


def export(
    ledger: Ledger,
    filters: Filters,
    *,
    urn_prefix: str = DEFAULT_URN_PREFIX,
    now: datetime | None = None,
    stop: int | None = None,
) -> dict[str, Any]:
    """The document of the log as it is now (or up to position ``stop``)."""
    last = ledger.max_position() if stop is None else stop
    events = epcis_events(ledger, filters, stop=last, urn_prefix=urn_prefix)
    return document(events, created=now or datetime.now(UTC))


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):  # exact, as the ledger holds it: never via float
        return orjson.Fragment(format(value.normalize(), "f").encode())
    msg = f"cannot encode {type(value).__name__} as JSON"
    raise TypeError(msg)


def to_json(doc: dict[str, Any], *, indent: bool = False) -> bytes:
    return orjson.dumps(doc, default=_number, option=orjson.OPT_INDENT_2 if indent else 0)


# --- validation against GS1's schema (tests, `--validate`) ------------------------------


@cache
def validator() -> Draft7Validator:
    """GS1's EPCIS 2.0 JSON Schema, resolved offline from the copy shipped with MIMS."""
    registry: Registry[Any] = Registry()
    root: dict[str, Any] | None = None
    for path in sorted(SCHEMA_DIR.rglob("*.json")):
        schema = json.loads(path.read_text())
        registry = registry.with_resource(schema["$id"], Resource.from_contents(schema))
        if path.name == ROOT_SCHEMA:
            root = schema
    if root is None:
        msg = f"no {ROOT_SCHEMA} under {SCHEMA_DIR}"
        raise FileNotFoundError(msg)
    return Draft7Validator(root, registry=registry)


def schema_errors(doc: Any) -> list[str]:
    """Every way ``doc`` (parsed JSON) breaks the schema, each with where it is."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(document)'}: {error.message}"
        for error in validator().iter_errors(doc)
    ]


@cache
def _fast_validator(*, formats: bool = False) -> Any | None:
    """The same schema in jsonschema_rs (Rust, ~1,000 times faster here: ./scripts/bench
    epcis), when it is installed; None otherwise. Like jsonschema (and GS1's tool) it does
    not check ``format`` unless asked: GS1's own examples name a document ``_:document1``,
    which is not a URI."""
    try:
        import jsonschema_rs
    except ImportError:
        return None
    resources = []
    root = None
    for path in sorted(SCHEMA_DIR.rglob("*.json")):
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], schema))
        if path.name == ROOT_SCHEMA:
            root = schema
    if root is None:
        return None
    return jsonschema_rs.Draft7Validator(
        root, registry=jsonschema_rs.Registry(resources), validate_formats=formats
    )


def quick_schema_errors(doc: Any) -> list[str]:
    """:func:`schema_errors` with jsonschema_rs when it is installed (a big export checks
    in seconds instead of hours), else with jsonschema."""
    fast = _fast_validator()
    if fast is None:
        return schema_errors(doc)
    return [
        f"{'/'.join(str(p) for p in error.instance_path) or '(document)'}: {error.message}"
        for error in fast.iter_errors(doc)
    ]


# --- the route --------------------------------------------------------------------------


class EpcisQuery(BaseModel):
    """``GET /v1/epcis/events``: effective time from (inclusive) and to (exclusive), a
    site, a lot (of one item with ``item``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    start: AwareDatetime | None = Field(
        default=None, alias="from", description="Effective time from (inclusive), ISO 8601"
    )
    stop: AwareDatetime | None = Field(
        default=None, alias="to", description="Effective time before (exclusive), ISO 8601"
    )
    site: Code | None = None
    lot: Code | None = None
    item: Code | None = None

    @field_validator("start", "stop", mode="before")
    @classmethod
    def _iso(cls, value: object) -> object:
        # pydantic reads a bare number as a Unix time: an ISO 8601 date-time is wanted.
        if isinstance(value, str) and not ISO_DATE_TIME.match(value):
            msg = "an ISO 8601 date-time with its offset, e.g. 2026-01-31T00:00:00Z"
            raise ValueError(msg)
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.start is not None and self.stop is not None and self.stop <= self.start:
            msg = "'to' must be after 'from'"
            raise ValueError(msg)
        return self

    def filters(self, places: frozenset[tuple[str, str]] | None) -> Filters:
        return Filters(
            start=self.start, stop=self.stop, site=self.site, lot=self.lot, item=self.item,
            places=places,
        )  # fmt: skip


def epcis_router(
    scope_of: Callable[[Request], frozenset[tuple[str, str]] | None],
    check: Callable[[Request], None],
    urn_prefix: Callable[[], str],
) -> APIRouter:
    """The route, given who may export where (the composition root's permissions)."""
    router = APIRouter(prefix="/v1/epcis", tags=["traceability"])

    @router.get(
        "/events",
        responses={
            200: {
                "description": "An EPCIS 2.0 JSON-LD document (GS1), valid against its schema",
                "content": {MEDIA_TYPE: {"schema": {"type": "object"}}},
            },
            **problem_responses(401, 403, 422, 503),
        },
        response_class=Response,
        dependencies=[Depends(check)],
        summary="EPCIS 2.0 events of the ledger (receipts, shipments, moves, quality, production)",
    )
    def epcis(request: Request, query: Annotated[EpcisQuery, Query()]) -> Response:
        ledger: Ledger = request.app.state.ledger
        stop = ledger.max_position()
        doc = export(ledger, query.filters(scope_of(request)), urn_prefix=urn_prefix(), stop=stop)
        # the log position the document tells up to, as commands answer theirs
        return Response(to_json(doc), media_type=MEDIA_TYPE, headers={"X-Mims-Position": str(stop)})

    return router
