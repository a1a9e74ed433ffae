"""Costing arithmetic of the stock card, as pure values and functions: no aggregate, no event.

* FIFO keeps cost layers per bucket; a draw takes the bucket's oldest layers (lowest
  receipt sequence) first and carries them, so the value of every bucket is exact.
* Moving average keeps the item's total value; an issue takes ``value * q / on_hand``,
  rounded to ``VALUE_QUANTUM``, and the last unit out takes whatever value is left, so the
  valuation never drifts.
* Standard cost values everything at standard; a receipt records its purchase price
  variance, a standard-cost change a revaluation of every bucket.

The stock card passes its figures in (the item's method, standard, total value and on-hand
quantity, a bucket's layers) and records what comes back in its events.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ledger.values import ZERO, CostingMethod, StockStatus, round_value

Bucket = tuple[str, str, StockStatus]


@dataclass(frozen=True, kw_only=True)
class Layer:
    """A FIFO cost layer: ``quantity`` units at ``unit_cost`` from receipt number ``seq``."""

    seq: int
    quantity: Decimal
    unit_cost: Decimal

    @property
    def value(self) -> Decimal:
        return self.quantity * self.unit_cost


@dataclass(frozen=True, kw_only=True)
class Draw:
    """What consuming a quantity from a bucket costs, decided before the event."""

    quantity: Decimal
    value: Decimal
    layers: tuple[Layer, ...]


@dataclass(frozen=True, kw_only=True)
class Revaluation:
    """One bucket's share of a standard-cost revaluation."""

    location: str
    lot: str
    status: StockStatus
    quantity: Decimal
    value_delta: Decimal


def merge_layers(existing: tuple[Layer, ...], incoming: tuple[Layer, ...]) -> tuple[Layer, ...]:
    """Layers kept in receipt order; a layer of the same receipt adds to the one there."""
    if not incoming:
        return existing
    merged = list(existing)
    seqs = [layer.seq for layer in existing]
    for layer in incoming:
        at = bisect_left(seqs, layer.seq)
        if at < len(seqs) and seqs[at] == layer.seq:
            old = merged[at]
            merged[at] = Layer(
                seq=old.seq, quantity=old.quantity + layer.quantity, unit_cost=old.unit_cost
            )
        else:
            merged.insert(at, layer)
            seqs.insert(at, layer.seq)
    return tuple(merged)


def remove_layers(existing: tuple[Layer, ...], drawn: tuple[Layer, ...]) -> tuple[Layer, ...]:
    """Take the drawn quantities out. FIFO draws are a prefix of the layers, so only that
    prefix is rebuilt and the rest is kept as it is (a bucket can hold many layers)."""
    taken = {layer.seq: layer.quantity for layer in drawn}
    kept: list[Layer] = []
    for at, layer in enumerate(existing):
        if not taken:
            return (*kept, *existing[at:])
        quantity = taken.pop(layer.seq, None)
        if quantity is None:
            kept.append(layer)
            continue
        left = layer.quantity - quantity
        if left > 0:
            kept.append(Layer(seq=layer.seq, quantity=left, unit_cost=layer.unit_cost))
    return tuple(kept)


def draw_layers(layers: tuple[Layer, ...], quantity: Decimal) -> Draw:
    """FIFO: ``quantity`` taken from the oldest layers first."""
    drawn = []
    needed = quantity
    for layer in layers:
        if needed <= 0:
            break
        take = min(needed, layer.quantity)
        drawn.append(Layer(seq=layer.seq, quantity=take, unit_cost=layer.unit_cost))
        needed -= take
    taken = tuple(drawn)
    return Draw(quantity=quantity, value=sum((x.value for x in taken), ZERO), layers=taken)


def draw(
    method: CostingMethod,
    quantity: Decimal,
    *,
    layers: tuple[Layer, ...],
    standard_cost: Decimal | None,
    value: Decimal,
    on_hand: Decimal,
) -> Draw:
    """The cost of taking ``quantity`` out of a bucket holding ``layers`` (FIFO), of an item
    worth ``value`` for ``on_hand`` units (moving average), or at ``standard_cost``."""
    if method is CostingMethod.FIFO:
        return draw_layers(layers, quantity)
    if method is CostingMethod.STANDARD:
        return Draw(quantity=quantity, value=quantity * (standard_cost or ZERO), layers=())
    if quantity == on_hand:
        return Draw(quantity=quantity, value=value, layers=())
    return Draw(quantity=quantity, value=round_value(value * quantity / on_hand), layers=())


def unit_cost(
    method: CostingMethod,
    *,
    standard_cost: Decimal | None,
    value: Decimal,
    on_hand: Decimal,
    last_unit_cost: Decimal,
) -> Decimal:
    """The item's cost per unit now: its standard, else the average of what is on hand
    (for FIFO, across its layers), else the last receipt's cost."""
    if method is CostingMethod.STANDARD and standard_cost is not None:
        return standard_cost
    if on_hand > 0:
        return round_value(value / on_hand)
    return last_unit_cost


def receipt_value(
    method: CostingMethod, quantity: Decimal, unit_cost: Decimal, standard_cost: Decimal | None
) -> tuple[Decimal, Decimal]:
    """(value, purchase price variance) of a receipt at ``unit_cost``: at standard the
    difference is a variance, otherwise the receipt is worth what it cost."""
    if method is CostingMethod.STANDARD:
        standard = standard_cost or ZERO
        return quantity * standard, quantity * (unit_cost - standard)
    return quantity * unit_cost, ZERO


def entry_cost(
    method: CostingMethod,
    quantity: Decimal,
    unit_cost: Decimal | None,
    *,
    standard_cost: Decimal | None,
    current_unit_cost: Decimal,
) -> tuple[Decimal, Decimal]:
    """(unit cost, value) of stock coming in without a purchase price of its own (a found
    quantity, a count's gain): at standard, else the cost given, else the item's cost now."""
    if method is CostingMethod.STANDARD:
        cost = standard_cost or ZERO
    elif unit_cost is not None:
        cost = unit_cost
    else:
        cost = current_unit_cost
    return cost, quantity * cost


def revaluation(
    balances: Mapping[Bucket, Decimal], old_unit_cost: Decimal, new_unit_cost: Decimal
) -> tuple[Revaluation, ...]:
    """Every bucket's change of value when the standard cost moves, in bucket order."""
    return tuple(
        Revaluation(
            location=location,
            lot=lot,
            status=status,
            quantity=quantity,
            value_delta=quantity * (new_unit_cost - old_unit_cost),
        )
        for (location, lot, status), quantity in sorted(balances.items())
    )
