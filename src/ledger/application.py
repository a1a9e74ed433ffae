"""The eventsourcing Application that owns the MIMS event store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import Mapper, Recording
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

    def record(self, aggregates: Iterable[LedgerAggregate]) -> list[Recording[UUID]]:
        """``save(*aggregates)`` for the writer: their pending events in ONE transaction,
        with optimistic concurrency on every stream. (``save()`` also checks each object
        against runtime protocols and looks for snapshots to take: ~10% of the writer's
        time, for nothing MIMS uses.)"""
        events = [event for aggregate in aggregates for event in aggregate.collect_events()]
        return self.events.put(events)

    def find(self, aggregate_id: UUID) -> LedgerAggregate | None:
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        if not isinstance(aggregate, LedgerAggregate):
            msg = f"{aggregate_id} is not a ledger aggregate"
            raise TypeError(msg)
        return aggregate
