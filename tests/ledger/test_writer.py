"""Group commit: batches, conflicts between writers, idempotency across processes."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from ledger import errors
from ledger.stock.commands import IssueStock, ReceiveStock
from ledger.store import store_env
from ledger.writer import Ledger, WriterSettings
from tests.support.plant import Plant

D = Decimal


@pytest.fixture(
    params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
)
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store two writers (two 'processes') can share."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/shared.db"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def two_writers(shared_url: str) -> Iterator[tuple[Ledger, Ledger]]:
    env = store_env(shared_url)
    first = Ledger(env, WriterSettings(batch_wait=0.3, batch_max=50))
    second = Ledger(env, WriterSettings(batch_wait=0))
    yield first, second
    first.close()
    second.close()


def test_a_batch_answers_valid_refused_and_conflicting_commands_each_correctly(
    two_writers: tuple[Ledger, Ledger],
) -> None:
    first, second = two_writers
    plant = Plant(second)
    for sku in ("HOT", "COLD", "EMPTY"):
        plant.item(sku)
    plant.receive("HOT", "10")
    plant.receive("COLD", "10")
    # The first writer caches HOT's stock card...
    first.execute(
        IssueStock(sku="HOT", location="A", quantity=D(1), target_kind="work_order", target="W")
    )
    # ...then another process changes it behind its back.
    second.execute(
        IssueStock(sku="HOT", location="A", quantity=D(2), target_kind="work_order", target="W")
    )
    before = first.stats["conflicts"]
    valid = first.submit(
        IssueStock(sku="COLD", location="A", quantity=D(3), target_kind="work_order", target="W")
    )
    refused = first.submit(
        IssueStock(sku="EMPTY", location="A", quantity=D(1), target_kind="work_order", target="W")
    )
    stale = first.submit(
        IssueStock(sku="HOT", location="A", quantity=D(4), target_kind="work_order", target="W")
    )
    assert valid.result(10).events
    with pytest.raises(errors.InsufficientStock):
        refused.result(10)
    assert stale.result(10).events
    assert first.stats["conflicts"] == before + 1
    assert second.stock("COLD").on_hand == 7  # type: ignore[union-attr]
    # No lost update: 10 - 1 - 2 - 4.
    assert second.stock("HOT").on_hand == 3  # type: ignore[union-attr]


def test_a_conflict_never_oversells(two_writers: tuple[Ledger, Ledger]) -> None:
    first, second = two_writers
    plant = Plant(second)
    plant.item("SCARCE")
    plant.receive("SCARCE", "5")
    first.execute(
        IssueStock(sku="SCARCE", location="A", quantity=D(1), target_kind="work_order", target="W")
    )
    second.execute(
        IssueStock(sku="SCARCE", location="A", quantity=D(3), target_kind="work_order", target="W")
    )
    # The first writer's cache still believes 4 are there; the store says 1.
    with pytest.raises(errors.InsufficientStock):
        first.execute(
            IssueStock(
                sku="SCARCE", location="A", quantity=D(2), target_kind="work_order", target="W"
            )
        )
    assert second.stock("SCARCE").on_hand == 1  # type: ignore[union-attr]


def test_the_same_command_id_posts_once_across_writers(two_writers: tuple[Ledger, Ledger]) -> None:
    first, second = two_writers
    plant = Plant(second)
    plant.item("STEEL")
    command = ReceiveStock(
        sku="STEEL", location="A", quantity=D(5), unit_cost=D(1), command_id="k-1"
    )
    original = second.execute(command)
    replayed = first.execute(command)
    assert replayed.duplicate
    assert replayed.events == original.events
    assert replayed.position == original.position
    assert second.stock("STEEL").on_hand == 5  # type: ignore[union-attr]


def test_a_command_id_belongs_to_its_first_sender(two_writers: tuple[Ledger, Ledger]) -> None:
    """A resend by another sender is refused (409 command-id-taken) and learns nothing of
    the first answer; the first sender's resend is answered from the receipt as before."""
    first, second = two_writers
    Plant(second).item("STEEL")
    command = ReceiveStock(
        sku="STEEL", location="A", quantity=D(5), unit_cost=D(1), command_id="k-2"
    )
    original = second.execute(command, actor="anna")
    for ledger in (first, second):  # from any process, cached receipt or stored one
        with pytest.raises(errors.CommandIdTaken) as taken:
            ledger.execute(command, actor="bert")
        assert taken.value.facts == {"command_id": "k-2"}
        assert "ReceiveStock" not in taken.value.detail
        # Another body changes nothing: the id is simply not bert's.
        with pytest.raises(errors.CommandIdTaken):
            ledger.execute(command.model_copy(update={"quantity": D(6)}), actor="bert")
        assert ledger.execute(command, actor="anna").events == original.events
    # A refusal is not told either (it would say what anna tried).
    refused = IssueStock(
        sku="STEEL",
        location="A",
        quantity=D(99),
        target_kind="work_order",
        target="W",
        command_id="k-3",
    )
    with pytest.raises(errors.InsufficientStock):
        second.execute(refused, actor="anna")
    with pytest.raises(errors.CommandIdTaken):
        first.execute(refused, actor="bert")
    with pytest.raises(errors.InsufficientStock):
        first.execute(refused, actor="anna")
    # Two sends of one new id in one batch: the second sender is refused too.
    same_batch = ReceiveStock(
        sku="STEEL", location="A", quantity=D(1), unit_cost=D(1), command_id="k-4"
    )
    mine = first.submit(same_batch, actor="anna")
    theirs = first.submit(same_batch, actor="bert")
    assert not mine.result(10).duplicate
    with pytest.raises(errors.CommandIdTaken):
        theirs.result(10)
    assert second.stock("STEEL").on_hand == 6  # type: ignore[union-attr]


def test_retries_are_bounded(shared_url: str) -> None:
    env = store_env(shared_url)
    patient = Ledger(env, WriterSettings(batch_wait=0, max_retries=0))
    other = Ledger(env, WriterSettings(batch_wait=0))
    try:
        plant = Plant(other)
        plant.item("HOT")
        plant.receive("HOT", "10")
        patient.execute(
            IssueStock(sku="HOT", location="A", quantity=D(1), target_kind="work_order", target="W")
        )
        other.execute(
            IssueStock(sku="HOT", location="A", quantity=D(1), target_kind="work_order", target="W")
        )
        with pytest.raises(errors.ConcurrencyConflict):
            patient.execute(
                IssueStock(
                    sku="HOT", location="A", quantity=D(1), target_kind="work_order", target="W"
                )
            )
        # Nothing of it was saved, and the writer recovers: its cache was refreshed.
        assert other.stock("HOT").on_hand == 8  # type: ignore[union-attr]
        patient.execute(
            IssueStock(sku="HOT", location="A", quantity=D(1), target_kind="work_order", target="W")
        )
        assert other.stock("HOT").on_hand == 7  # type: ignore[union-attr]
    finally:
        patient.close()
        other.close()


def test_commands_in_one_batch_see_each_other(tmp_path: Path) -> None:
    ledger = Ledger(store_env("memory://"), WriterSettings(batch_wait=0.3, batch_max=100))
    try:
        Plant(ledger).item("STEEL")
        batches = ledger.stats["batches"]
        futures = [
            ledger.submit(ReceiveStock(sku="STEEL", location="A", quantity=D(1), unit_cost=D(1))),
            ledger.submit(
                IssueStock(
                    sku="STEEL", location="A", quantity=D(1), target_kind="work_order", target="W"
                )
            ),
            ledger.submit(
                IssueStock(
                    sku="STEEL", location="A", quantity=D(1), target_kind="work_order", target="W"
                )
            ),
            ledger.submit(
                ReceiveStock(
                    sku="STEEL", location="A", quantity=D(2), unit_cost=D(1), command_id="twice"
                )
            ),
            ledger.submit(
                ReceiveStock(
                    sku="STEEL", location="A", quantity=D(2), unit_cost=D(1), command_id="twice"
                )
            ),
        ]
        assert futures[0].result(5).position
        assert futures[1].result(5).position
        with pytest.raises(errors.InsufficientStock):
            futures[2].result(5)
        assert not futures[3].result(5).duplicate
        assert futures[4].result(5).duplicate
        assert ledger.stats["batches"] == batches + 1  # the five were one transaction
        assert ledger.stock("STEEL").on_hand == 2  # type: ignore[union-attr]
    finally:
        ledger.close()
