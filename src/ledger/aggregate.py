"""Base aggregate of the ledger: events carry metadata, and aggregates clone cheaply.

The group-commit writer decides each command on clones of committed aggregates, so a
refused command leaves nothing behind and the cache only ever holds committed state.
Aggregate state is therefore kept in flat containers of immutable values (tuples, frozen
dataclasses, Decimals): a clone copies the containers, never the values.
"""

from __future__ import annotations

from typing import Self

from eventsourcing.domain import Aggregate

from ledger.values import Meta

_CONTAINERS = (dict, list, set)


class LedgerAggregate(Aggregate):
    class Event(Aggregate.Event):
        meta: Meta

    class Created(Event, Aggregate.Created):
        pass

    def clone(self) -> Self:
        state = self.__dict__.copy()
        for name, value in state.items():
            if type(value) in _CONTAINERS:
                state[name] = value.copy()
        twin = object.__new__(type(self))
        twin.__dict__ = state
        return twin
