"""Every aggregate and event class of the ledger, in one place (schemas, projections)."""

from __future__ import annotations

from ledger.aggregate import LedgerAggregate
from ledger.item import Item
from ledger.location import Location
from ledger.receipt import CommandReceipt
from ledger.stock import Stock

AGGREGATES: tuple[type[LedgerAggregate], ...] = (Item, Location, Stock, CommandReceipt)


def event_classes() -> list[type[LedgerAggregate.Event]]:
    """The concrete event classes, named ``Aggregate.Event`` like their topics."""
    return [
        value
        for aggregate in AGGREGATES
        for value in vars(aggregate).values()
        if isinstance(value, type)
        and issubclass(value, LedgerAggregate.Event)
        and value.__name__ not in ("Event", "Created")
    ]
