"""Stores events as plain JSON (orjson) and decodes them by their declared field types.

The library's JSON transcoder tags every Decimal and UUID as ``{"_type_": ..., "_data_":
...}``. Plain JSON keeps the stored state readable by an auditor, by DuckDB and by the
event JSON Schemas in ``schemas/``; each event class's annotations say how to turn the
JSON back into Decimals, datetimes, enums and value objects. Old event versions pass
through ``upcast_vN_vN+1`` static methods before decoding (class attribute
``class_version``).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic

Convert = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


def _optional(inner: Convert) -> Convert:
    def convert(value: Any) -> Any:
        return None if value is None else inner(value)

    return convert


def _tuple_of(inner: Convert) -> Convert:
    def convert(value: Any) -> Any:
        return tuple(inner(v) for v in value)

    return convert


def _dict_of(key: Convert, inner: Convert) -> Convert:
    def convert(value: Any) -> Any:
        return {key(k): inner(v) for k, v in value.items()}

    return convert


def _dataclass_of(cls: Any) -> Convert:
    fields = field_converters(cls)

    def convert(value: Any) -> Any:
        return cls(**{name: fields[name](v) for name, v in value.items() if name in fields})

    return convert


_SCALARS: dict[Any, Convert] = {
    str: _identity,
    int: _identity,
    bool: _identity,
    float: float,
    Decimal: Decimal,
    UUID: UUID,
    datetime: datetime.fromisoformat,
    date: date.fromisoformat,
    Any: _identity,
}


def converter_for(annotation: Any) -> Convert:
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    if isinstance(annotation, typing.TypeVar):  # originator_id: set from the record itself
        return _identity
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1:
            return _optional(converter_for(inner[0]))
        return _identity
    if origin is tuple:
        return _tuple_of(converter_for(args[0]))
    if origin is dict:
        return _dict_of(converter_for(args[0]), converter_for(args[1]))
    if origin is typing.Literal:
        return _identity
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return annotation
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return _dataclass_of(annotation)
    msg = f"no JSON decoding for annotation {annotation!r}"
    raise TypeError(msg)


@cache
def field_converters(cls: Any) -> dict[str, Convert]:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    return {name: converter_for(hints[name]) for name in names}


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    msg = f"cannot encode {type(value).__name__} as JSON"
    raise TypeError(msg)


def encode_state(state: dict[str, Any]) -> bytes:
    return orjson.dumps(state, default=_default)


class LedgerMapper(Mapper[UUID]):
    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(type(domain_event)),
            state=encode_state(state),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        cls = resolve_topic(stored_event.topic)
        try:
            state: dict[str, Any] = orjson.loads(stored_event.state)
            from_version = state.pop("class_version", 1)
            class_version = getattr(cls, "class_version", 1)
            while from_version < class_version:
                getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(state)
                from_version += 1
            converters = field_converters(cls)
            decoded = {name: converters[name](value) for name, value in state.items()}
        except Exception as e:
            msg = (
                f"cannot decode stored event {stored_event.topic} "
                f"{stored_event.originator_id} v{stored_event.originator_version}: {e}"
            )
            raise MapperDeserialisationError(msg) from e
        originator_id = stored_event.originator_id
        decoded["originator_id"] = (
            originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
        )
        decoded["originator_version"] = stored_event.originator_version
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", decoded)
        return event
