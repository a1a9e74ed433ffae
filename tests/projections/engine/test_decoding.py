"""The read side can parse every field of every event: the struct ``json_transform`` reads
a page into is derived from the event classes, and a field it cannot type stops the import
instead of reading as NULL. A page parses only the fields some projection reads, and a
field read but left out is an error, not a NULL."""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

import duckdb
import orjson
import pytest
from eventsourcing.persistence import JSONTranscoder

from ledger.catalog import event_classes
from ledger.mapper import LedgerMapper
from ledger.stock.card import Stock
from ledger.values import Meta
from projections.engine.decoding import EVENT_FIELDS, Undecodable, event_fields, event_struct
from projections.engine.projection import fields_in, topic
from projections.registry import BY_NAME
from tests.support.samples import event_sample


def leaves(value: Any, path: str) -> typing.Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from leaves(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for inner in value:
            yield from leaves(inner, f"{path}[]")
    else:
        yield path, value


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
        "session": "VARCHAR",
        "device": "VARCHAR",
        "on_behalf_of": "VARCHAR",
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


def test_the_page_parses_only_the_fields_some_sql_reads() -> None:
    """``e.<field>`` in a handler's SQL is what puts a field in the page's struct: nested
    parts read the top-level field whole, other tables' aliases do not count."""
    assert fields_in("CAST(e.quantity AS DECIMAL), e.meta.site, le.lot, page.e.sku") == {
        "quantity",
        "meta",
    }
    received = topic(Stock.Received)
    narrow = orjson.loads(event_struct({received}, read={"timestamp", "meta", "quantity"}))
    assert set(narrow) == {"timestamp", "meta", "quantity"}


def test_a_field_read_but_not_parsed_is_an_error_not_a_null() -> None:
    """Were a handler's field left out of the struct, its SQL fails naming the field."""
    stored = LedgerMapper(transcoder=JSONTranscoder()).to_stored_event(event_sample(Stock.Received))
    struct = event_struct({topic(Stock.Received)}, read={"timestamp", "meta"})
    with pytest.raises(duckdb.BinderException, match="quantity"):
        duckdb.execute(
            "SELECT e.quantity FROM (SELECT json_transform(?, ?) AS e)",
            [stored.state.decode(), struct],
        )


def test_every_field_the_projections_read_is_an_event_field() -> None:
    """A misspelt ``e.<field>`` in a projection would be a field no event has."""
    read = frozenset().union(*(p.fields_read for p in BY_NAME.values()))
    assert read <= set(EVENT_FIELDS), sorted(read - set(EVENT_FIELDS))
    assert {"quantity", "sku", "lot"} <= read
