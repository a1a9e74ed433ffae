"""Base aggregate of the ledger: events carry metadata, and aggregates clone cheaply.

The group-commit writer decides each command on clones of committed aggregates, so a
refused command leaves nothing behind and the cache only ever holds committed state.
Aggregate state is therefore kept in flat containers of immutable values (tuples, frozen
dataclasses, Decimals): a clone copies the containers, never the values.
"""

from __future__ import annotations

from typing import Any, Self

from eventsourcing.domain import Aggregate
from eventsourcing.utils import register_topic

from ledger.values import Meta

_CONTAINERS = (dict, list, set)


class LedgerAggregate(Aggregate):
    class Event(Aggregate.Event):
        meta: Meta

    class Created(Event, Aggregate.Created):
        pass

    def __init_subclass__(cls, *, stored_as: str = "", **kwargs: Any) -> None:
        """``stored_as``: the module the aggregate was defined in when its events were first
        stored. The aggregate and each of its event classes keep the topic
        ``stored_as:Qualname`` (the library's explicit ``TOPIC``, registered for decoding)
        wherever the class lives now, so a moved class neither orphans a stored event nor
        stores a new one under another name (``tests/ledger/test_topics.py``)."""
        super().__init_subclass__(**kwargs)
        if not stored_as:
            return
        events = [
            v
            for v in vars(cls).values()
            if isinstance(v, type) and issubclass(v, LedgerAggregate.Event)
        ]
        for named in (cls, *events):
            topic = f"{stored_as}:{named.__qualname__}"
            setattr(named, "TOPIC", topic)  # noqa: B010 - the library reads it with getattr
            register_topic(topic, named)

    def clone(self) -> Self:
        state = self.__dict__.copy()
        for name, value in state.items():
            if type(value) in _CONTAINERS:
                state[name] = value.copy()
        twin = object.__new__(type(self))
        twin.__dict__ = state
        return twin
