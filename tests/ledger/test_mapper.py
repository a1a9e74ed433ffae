"""Events are stored as plain JSON and decoded by their declared types."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import orjson

from ledger.aggregate import LedgerAggregate
from ledger.mapper import LedgerMapper
from ledger.stock.card import Stock
from ledger.stock.costing import Layer
from ledger.values import IssueTarget, Meta, StockStatus

META = Meta(
    actor="alice",
    command_id="c1",
    correlation_id="wo-1",
    site="S",
    effective_at=datetime(2026, 5, 1, 8, 30, tzinfo=UTC),
)


def mapper() -> LedgerMapper:
    from eventsourcing.persistence import JSONTranscoder

    return LedgerMapper(transcoder=JSONTranscoder())


def test_an_event_round_trips_with_its_types() -> None:
    event = Stock.Issued(
        originator_id=uuid4(),
        originator_version=7,
        timestamp=datetime.now(UTC),
        meta=META,
        location="A",
        lot="L1",
        quantity=Decimal("1.500"),
        value=Decimal("0.0000123"),
        layers=(Layer(seq=3, quantity=Decimal("1.5"), unit_cost=Decimal("0.0000082")),),
        target_kind=IssueTarget.WORK_ORDER,
        target="WO-1",
        reservation_id=None,
        reference="",
    )
    stored = mapper().to_stored_event(event)
    state = orjson.loads(stored.state)
    assert state["quantity"] == "1.500"  # plain JSON, readable by an auditor and by DuckDB
    assert state["meta"]["effective_at"] == "2026-05-01T08:30:00+00:00"
    back = mapper().to_domain_event(stored)
    assert back == event
    assert isinstance(back.quantity, Decimal)  # type: ignore[attr-defined]
    assert isinstance(back.layers[0], Layer)  # type: ignore[attr-defined]
    assert back.target_kind is IssueTarget.WORK_ORDER  # type: ignore[attr-defined]


class Sample(LedgerAggregate):
    class Noted(LedgerAggregate.Event):
        """Version 2 split the old free-text ``where`` into ``location`` and ``status``."""

        class_version = 2
        location: str
        status: StockStatus
        expiry: date | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            where = str(state.pop("where"))
            location, _, status = where.partition("/")
            state["location"] = location
            state["status"] = status or "available"


def test_old_event_versions_pass_through_their_upcasters() -> None:
    from eventsourcing.persistence import StoredEvent

    version_1 = StoredEvent(
        originator_id=uuid4(),
        originator_version=2,
        topic="tests.ledger.test_mapper:Sample.Noted",
        state=orjson.dumps(
            {
                "timestamp": "2026-01-01T00:00:00+00:00",
                "meta": orjson.loads(orjson.dumps(META)),
                "where": "QA/held",
                "expiry": "2026-02-01",
            }
        ),
    )
    event = mapper().to_domain_event(version_1)
    assert event.location == "QA"  # type: ignore[attr-defined]
    assert event.status is StockStatus.HELD  # type: ignore[attr-defined]
    assert event.expiry == date(2026, 2, 1)  # type: ignore[attr-defined]
    stored_again = mapper().to_stored_event(event)
    assert orjson.loads(stored_again.state)["class_version"] == 2


def test_events_stored_before_the_session_and_device_still_load() -> None:
    """Meta's session, device and on_behalf_of came later: a stored event without them
    decodes with None, and one with them keeps them."""
    from eventsourcing.persistence import StoredEvent

    old_meta = {
        "actor": "alice",
        "command_id": "c1",
        "correlation_id": "wo-1",
        "site": "S",
        "effective_at": "2026-05-01T08:30:00+00:00",
    }
    stored = StoredEvent(
        originator_id=uuid4(),
        originator_version=2,
        topic="tests.ledger.test_mapper:Sample.Noted",
        state=orjson.dumps(
            {
                "timestamp": "2026-01-01T00:00:00+00:00",
                "meta": old_meta,
                "class_version": 2,
                "location": "QA",
                "status": "held",
                "expiry": None,
            }
        ),
    )
    event = mapper().to_domain_event(stored)
    assert event.meta == META  # type: ignore[attr-defined]
    assert event.meta.session is None  # type: ignore[attr-defined]
    assert event.meta.device is None  # type: ignore[attr-defined]
    with_device = Meta(**{**old_meta, "device": "3f9a0c1d2b4e5f60", "on_behalf_of": "anna"})  # type: ignore[arg-type]
    new = mapper().to_domain_event(
        StoredEvent(
            originator_id=stored.originator_id,
            originator_version=3,
            topic=stored.topic,
            state=orjson.dumps({**orjson.loads(stored.state), "meta": with_device}),
        )
    )
    assert new.meta.device == "3f9a0c1d2b4e5f60"  # type: ignore[attr-defined]
    assert new.meta.on_behalf_of == "anna"  # type: ignore[attr-defined]
    assert new.meta.session is None  # type: ignore[attr-defined]
