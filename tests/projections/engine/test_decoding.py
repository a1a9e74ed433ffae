"""The read side parses every field of every event: the struct ``json_transform`` reads a
page into is derived from the event classes, and a field it cannot type stops the import
instead of reading as NULL."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

import duckdb
import orjson
import pytest
from eventsourcing.persistence import JSONTranscoder

from ledger.catalog import event_classes
from ledger.mapper import LedgerMapper
from ledger.values import Meta
from projections.engine.decoding import Undecodable, event_fields, event_struct
from projections.engine.projection import topic

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


def leaves(value: Any, path: str) -> typing.Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from leaves(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for inner in value:
            yield from leaves(inner, f"{path}[]")
    else:
        yield path, value


def event_sample(cls: type) -> Any:
    hints = typing.get_type_hints(cls)
    state = {
        f.name: sample(hints[f.name], f"{cls.__qualname__}.{f.name}")
        for f in dataclasses.fields(cls)
    }
    event = object.__new__(cls)
    object.__setattr__(event, "__dict__", state)
    return event


@pytest.mark.parametrize("cls", event_classes(), ids=lambda cls: cls.__qualname__)
def test_every_field_of_every_event_is_parsed(cls: type) -> None:
    """Each field of the event's JSON, nested ones included, comes back from
    ``json_transform`` with the page's struct, with its value (a field missing from the
    struct, or typed so that its value does not parse, fails here)."""
    stored = LedgerMapper(transcoder=JSONTranscoder()).to_stored_event(event_sample(cls))
    state = orjson.loads(stored.state)
    state.pop("class_version", None)  # the mapper's tag for the upcasters, not a field
    struct = event_struct({topic(cls)})
    (parsed,) = duckdb.execute(
        "SELECT CAST(to_json(json_transform(?, ?)) AS VARCHAR)", [stored.state.decode(), struct]
    ).fetchone() or (None,)
    assert parsed is not None
    got = dict(leaves(_plain(orjson.loads(parsed)), "e"))
    for path, value in leaves(state, "e"):
        assert path in got, f"{cls.__qualname__}: {path} is not parsed"
        assert got[path] == value, f"{cls.__qualname__}: {path} parsed as {got[path]!r}"


def _plain(value: Any) -> Any:
    """A JSON column comes back as its text; a MAP as a list of key/value pairs."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        if value and all(isinstance(v, dict) and set(v) == {"key", "value"} for v in value):
            return {v["key"]: _plain(v["value"]) for v in value}
        return [_plain(v) for v in value]
    if isinstance(value, str) and value[:1] in "{[":
        return _plain(orjson.loads(value))
    return value


def test_the_columns_the_projections_rely_on_keep_their_types() -> None:
    """Decimals and dates stay text (the handlers cast them to the ledger-sized columns),
    integers BIGINT, flags BOOLEAN, nested values structs and lists."""
    fields: dict[str, Any] = {}
    for cls in event_classes():
        fields |= event_fields(cls)
    assert fields["meta"] == {
        "actor": "VARCHAR",
        "command_id": "VARCHAR",
        "correlation_id": "VARCHAR",
        "site": "VARCHAR",
        "effective_at": "VARCHAR",
    }
    assert fields["quantity"] == fields["expiry"] == fields["timestamp"] == "VARCHAR"
    assert fields["layer_seq"] == fields["shelf_life_days"] == "BIGINT"
    assert fields["inspection_required"] == "BOOLEAN"
    assert fields["layers"] == [{"seq": "BIGINT", "quantity": "VARCHAR", "unit_cost": "VARCHAR"}]
    assert fields["working_days"] == ["BIGINT"]


@dataclass(frozen=True, kw_only=True)
class Counted:
    meta: Meta
    tolerance: complex


def test_a_field_of_no_known_type_is_refused_by_name() -> None:
    with pytest.raises(Undecodable, match=r"Counted\.tolerance: no DuckDB type"):
        event_fields(Counted)


def test_a_page_struct_holds_the_common_fields_even_of_unread_events() -> None:
    """A page of events no projection reads still has its time and metadata parsed."""
    struct = orjson.loads(event_struct(set()))
    assert set(struct) == {"timestamp", "meta"}
