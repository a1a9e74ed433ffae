"""Sample values of every annotation the events use, for tests that go over every event
class (decoding on the read side, stored topics)."""

from __future__ import annotations

import dataclasses
import typing
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

import pytest

SCALAR_SAMPLES: dict[Any, Any] = {
    str: "A-01",
    Decimal: Decimal("12.345678"),
    date: date(2026, 3, 4),
    datetime: datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
    int: 7,
    bool: True,
    float: 0.5,
    UUID: UUID("0c3c1f3e-9a51-4a55-8a3b-5f1e2d3c4b5a"),
}


def sample(annotation: Any, where: str) -> Any:
    """A value of ``annotation`` for every field, nested ones included (no None: a NULL
    read back then means the field was not parsed)."""
    if annotation in SCALAR_SAMPLES:
        return SCALAR_SAMPLES[annotation]
    if annotation is Any:
        return {"detail": "x", "facts": [1]}
    if isinstance(annotation, typing.TypeVar):
        return uuid4()
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is not None:
        inner = [a for a in args if a is not type(None) and a is not Ellipsis]
        if origin is dict:
            return {"k1": sample(inner[1], where)}
        if origin in (tuple, list):
            return (sample(inner[0], where),)
        if origin is typing.Literal:
            return args[0]
        return sample(inner[0], where)  # an optional value
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return next(iter(annotation))
    if dataclasses.is_dataclass(annotation):
        hints = typing.get_type_hints(annotation)
        return annotation(  # type: ignore[operator]
            **{
                f.name: sample(hints[f.name], f"{where}.{f.name}")
                for f in dataclasses.fields(annotation)
            }
        )
    pytest.fail(f"{where}: the test has no sample of {annotation!r}")


def event_sample(cls: type) -> Any:
    hints = typing.get_type_hints(cls)
    state = {
        f.name: sample(hints[f.name], f"{cls.__qualname__}.{f.name}")
        for f in dataclasses.fields(cls)
    }
    event = object.__new__(cls)
    object.__setattr__(event, "__dict__", state)
    return event
