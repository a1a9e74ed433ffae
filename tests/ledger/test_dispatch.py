"""The dispatch table: every command class has exactly one row, and its handler takes it."""

from __future__ import annotations

import inspect
from collections import Counter
from typing import get_type_hints

import pytest

from ledger import dispatch, writer
from ledger.commands import Command
from ledger.stock.commands import MoveStock
from ledger.unit_of_work import UnitOfWork


def command_classes() -> set[type[Command]]:
    """Every subclass of ``Command``, at any depth, that the ledger defines (a test's own
    subclass is not a plant command)."""
    found: set[type[Command]] = set()
    stack = list(Command.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.split(".")[0] == "ledger" and not inspect.isabstract(cls):
            found.add(cls)
    return found


def test_every_command_class_has_exactly_one_row() -> None:
    classes = command_classes()
    rows = Counter(command for rows in dispatch.FEATURES.values() for command, _ in rows)
    assert len(classes) == 67
    missing_or_twice = {cls.__name__: rows[cls] for cls in classes if rows[cls] != 1}
    assert missing_or_twice == {}
    assert [cls.__name__ for cls in rows if cls not in classes] == []
    assert set(dispatch.HANDLERS) == classes
    assert set(dispatch.ALL_COMMANDS) == classes
    assert len(dispatch.ALL_COMMANDS) == len(classes)


@pytest.mark.parametrize("command", dispatch.ALL_COMMANDS, ids=lambda cls: cls.__name__)
def test_the_handler_takes_its_command(command: type[Command]) -> None:
    handler = dispatch.HANDLERS[command]
    uow, cmd = inspect.signature(handler).parameters
    hints = get_type_hints(handler)
    assert hints[uow] is UnitOfWork
    assert hints[cmd] is command, f"{handler.__name__} takes {hints[cmd]}"
    assert hints["return"] == dict[str, str]


def test_the_table_is_grouped_by_the_feature_map() -> None:
    assert list(dispatch.FEATURES) == [
        "master_data",
        "stock",
        "engineering",
        "production",
        "orders",
        "quality",
        "planning",
        "identity",
        "webhooks",
    ]
    assert all(dispatch.FEATURES.values())


def test_command_names_are_distinct() -> None:
    names = Counter(command.command_name for command in dispatch.ALL_COMMANDS)
    assert [name for name, n in names.items() if n > 1] == []


def test_a_command_listed_twice_is_refused() -> None:
    row = (MoveStock, dispatch.HANDLERS[MoveStock])
    with pytest.raises(ValueError, match="MoveStock is listed twice"):
        dispatch._table({"stock": (row,), "orders": (row,)})


def test_the_writer_decides_by_the_table() -> None:
    assert writer.HANDLERS is dispatch.HANDLERS
