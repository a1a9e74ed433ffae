"""The stock card's costing arithmetic on its own: layers, draws, entry costs, revaluation."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ledger.stock import costing
from ledger.stock.costing import Layer
from ledger.values import ZERO, CostingMethod, StockStatus

quantities = st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10_000), places=3)
costs = st.decimals(min_value=Decimal(0), max_value=Decimal(1_000), places=4)


@st.composite
def layer_stacks(draw: st.DrawFn) -> tuple[Layer, ...]:
    """Layers in receipt order, as a FIFO bucket holds them."""
    pairs = draw(st.lists(st.tuples(quantities, costs), min_size=1, max_size=8))
    return tuple(Layer(seq=n, quantity=q, unit_cost=c) for n, (q, c) in enumerate(pairs, 1))


def total(layers: tuple[Layer, ...]) -> Decimal:
    return sum((x.value for x in layers), ZERO)


def on_hand(layers: tuple[Layer, ...]) -> Decimal:
    return sum((x.quantity for x in layers), ZERO)


@given(layer_stacks(), st.data())
def test_fifo_draws_the_oldest_layers_first(layers: tuple[Layer, ...], data: st.DataObject) -> None:
    quantity = data.draw(st.decimals(min_value=Decimal("0.001"), max_value=on_hand(layers)))
    drawn = costing.draw_layers(layers, quantity)
    assert on_hand(drawn.layers) == quantity
    # Every layer drawn but the last is drawn whole, and they are the oldest ones.
    assert [x.seq for x in drawn.layers] == [x.seq for x in layers[: len(drawn.layers)]]
    for taken, there in zip(drawn.layers[:-1], layers, strict=False):
        assert taken == there
    assert drawn.value == total(drawn.layers)


@given(layer_stacks(), st.data())
def test_value_is_the_sum_of_the_layers_before_and_after_a_draw(
    layers: tuple[Layer, ...], data: st.DataObject
) -> None:
    quantity = data.draw(st.decimals(min_value=Decimal("0.001"), max_value=on_hand(layers)))
    drawn = costing.draw_layers(layers, quantity)
    left = costing.remove_layers(layers, drawn.layers)
    assert total(left) + drawn.value == total(layers)
    assert on_hand(left) + quantity == on_hand(layers)
    assert all(x.quantity > 0 for x in left)


@given(layer_stacks(), quantities, costs)
def test_a_receipt_then_an_issue_of_it_leaves_the_value_unchanged_fifo(
    layers: tuple[Layer, ...], quantity: Decimal, unit_cost: Decimal
) -> None:
    """Drawing back what was received at the newest layer, from the newest end, returns
    exactly the layers there were: merging and removing are inverse."""
    received = Layer(seq=len(layers) + 1, quantity=quantity, unit_cost=unit_cost)
    merged = costing.merge_layers(layers, (received,))
    assert total(merged) == total(layers) + received.value
    assert costing.remove_layers(merged, (received,)) == layers


@given(quantities, costs, st.lists(quantities, max_size=5))
def test_a_receipt_then_an_issue_of_it_leaves_the_value_unchanged_average(
    quantity: Decimal, unit_cost: Decimal, issues: list[Decimal]
) -> None:
    """At moving average, a card that receives and then issues the same quantity (in any
    number of issues) is back at no value: the last unit out takes whatever value is left,
    so rounding never leaves value behind."""
    value, _ = costing.receipt_value(CostingMethod.MOVING_AVERAGE, quantity, unit_cost, None)
    held = quantity
    for part in [*issues, quantity]:
        taken = min(part, held)
        if not taken:
            continue
        drawn = costing.draw(
            CostingMethod.MOVING_AVERAGE,
            taken,
            layers=(),
            standard_cost=None,
            value=value,
            on_hand=held,
        )
        value -= drawn.value
        held -= taken
    assert held == 0
    assert value == 0


@given(st.lists(st.tuples(st.booleans(), quantities, costs), max_size=30))
def test_average_cost_never_goes_negative(moves: list[tuple[bool, Decimal, Decimal]]) -> None:
    """Receipts at non-negative costs and issues of what is there keep the average (and
    the value) at zero or above."""
    value = ZERO
    held = ZERO
    for receiving, quantity, unit_cost in moves:
        if receiving:
            received, _ = costing.receipt_value(
                CostingMethod.MOVING_AVERAGE, quantity, unit_cost, None
            )
            value += received
            held += quantity
        elif held > 0:
            taken = min(quantity, held)
            drawn = costing.draw(
                CostingMethod.MOVING_AVERAGE,
                taken,
                layers=(),
                standard_cost=None,
                value=value,
                on_hand=held,
            )
            value -= drawn.value
            held -= taken
        assert value >= 0
        average = costing.unit_cost(
            CostingMethod.MOVING_AVERAGE,
            standard_cost=None,
            value=value,
            on_hand=held,
            last_unit_cost=ZERO,
        )
        assert average >= 0


@given(quantities, costs, costs)
def test_standard_cost_values_at_standard_and_records_the_variance(
    quantity: Decimal, paid: Decimal, standard: Decimal
) -> None:
    value, variance = costing.receipt_value(CostingMethod.STANDARD, quantity, paid, standard)
    assert value == quantity * standard
    assert value + variance == quantity * paid
    drawn = costing.draw(
        CostingMethod.STANDARD, quantity, layers=(), standard_cost=standard, value=value,
        on_hand=quantity,
    )  # fmt: skip
    assert drawn.value == value


def test_merging_a_layer_of_the_same_receipt_adds_to_it() -> None:
    layers = (
        Layer(seq=1, quantity=Decimal(2), unit_cost=Decimal(3)),
        Layer(seq=4, quantity=Decimal(1), unit_cost=Decimal(5)),
    )
    incoming = (
        Layer(seq=4, quantity=Decimal(2), unit_cost=Decimal(5)),
        Layer(seq=2, quantity=Decimal(1), unit_cost=Decimal(7)),
    )
    assert costing.merge_layers(layers, incoming) == (
        Layer(seq=1, quantity=Decimal(2), unit_cost=Decimal(3)),
        Layer(seq=2, quantity=Decimal(1), unit_cost=Decimal(7)),
        Layer(seq=4, quantity=Decimal(3), unit_cost=Decimal(5)),
    )


def test_entry_cost_takes_the_standard_else_the_given_else_the_current_cost() -> None:
    def entry(method: CostingMethod, given: Decimal | None) -> tuple[Decimal, Decimal]:
        return costing.entry_cost(
            method, Decimal(2), given, standard_cost=Decimal(4), current_unit_cost=Decimal(3)
        )

    assert entry(CostingMethod.STANDARD, Decimal(9)) == (Decimal(4), Decimal(8))
    assert entry(CostingMethod.FIFO, Decimal(9)) == (Decimal(9), Decimal(18))
    assert entry(CostingMethod.MOVING_AVERAGE, None) == (Decimal(3), Decimal(6))


def test_unit_cost_is_the_standard_else_the_average_else_the_last_cost() -> None:
    def cost(method: CostingMethod, held: Decimal) -> Decimal:
        return costing.unit_cost(
            method, standard_cost=Decimal(4), value=Decimal(10), on_hand=held,
            last_unit_cost=Decimal(7),
        )  # fmt: skip

    assert cost(CostingMethod.STANDARD, Decimal(3)) == Decimal(4)
    assert cost(CostingMethod.FIFO, Decimal(4)) == Decimal("2.5")
    assert cost(CostingMethod.MOVING_AVERAGE, ZERO) == Decimal(7)


def test_a_revaluation_moves_every_bucket_by_the_change_of_standard() -> None:
    balances = {
        ("B", "", StockStatus.HELD): Decimal(2),
        ("A", "", StockStatus.AVAILABLE): Decimal(3),
    }
    lines = costing.revaluation(balances, Decimal(5), Decimal(7))
    assert [(x.location, x.quantity, x.value_delta) for x in lines] == [
        ("A", Decimal(3), Decimal(6)),
        ("B", Decimal(2), Decimal(4)),
    ]
