"""The eventsourcing Application that owns the MIMS event store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import Mapper
from eventsourcing.utils import Environment

from ledger.aggregate import LedgerAggregate
from ledger.mapper import LedgerMapper


class LedgerApplication(Application[UUID]):
    # Pinned: the name prefixes the tables (mims_events), so renaming this class never
    # orphans a ledger.
    name = "mims"

    def __init__(self, env: Mapping[str, str]) -> None:
        super().__init__(env=dict(env))

    def construct_env(self, name: str, env: Mapping[str, str] | None = None) -> Environment:
        # Only what the composition root passes in: never the process environment.
        return Environment(name, dict(env or {}))

    def construct_mapper(self) -> Mapper[UUID]:
        return LedgerMapper(transcoder=self.factory.transcoder())

    def record(self, aggregates: Iterable[LedgerAggregate]) -> dict[tuple[UUID, int], int]:
        """``save(*aggregates)`` for the writer: their pending events in ONE transaction,
        with optimistic concurrency on every stream; returns each event's notification id
        by (stream, version). (``save()`` also checks each object against runtime
        protocols, looks for snapshots to take and wraps every event in two more objects:
        ~15% of the writer's time, for nothing MIMS uses.)"""
        events = [event for aggregate in aggregates for event in aggregate.collect_events()]
        stored = [self.mapper.to_stored_event(event) for event in events]
        ids = self.recorder.insert_events(stored) or []
        return {
            (event.originator_id, event.originator_version): notification_id
            for event, notification_id in zip(events, ids, strict=True)
        }

    def find(self, aggregate_id: UUID) -> LedgerAggregate | None:
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(aggregate, LedgerAggregate):
            msg = f"{aggregate_id} is not a ledger aggregate"
            raise TypeError(msg)
        return aggregate
