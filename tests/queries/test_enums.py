"""Every enumeration has one definition, the ledger's: the GraphQL enums (served and checked
in), the JSON Schemas' enums and the dashboards' option lists follow it, never copy it."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from graphql import GraphQLEnumType, GraphQLSchema
from graphql import build_schema as parse_sdl

import ledger
from mims.dashboards import STATIC
from queries.schema import build_schema

ROOT = Path(__file__).parent.parent.parent
SCHEMAS = ROOT / "schemas"


def ledger_enums() -> dict[str, type[Enum]]:
    """Every enumeration declared in a module of the ledger package, by name."""
    found: dict[str, type[Enum]] = {}
    for module in pkgutil.walk_packages(ledger.__path__, "ledger."):
        for value in vars(importlib.import_module(module.name)).values():
            if (
                isinstance(value, type)
                and issubclass(value, Enum)
                and value.__module__ == module.name
            ):
                other = found.setdefault(value.__name__, value)
                assert other is value, f"two ledger enums named {value.__name__}"
    return found


VOCABULARY = ledger_enums()


def members(enum: type[Enum]) -> list[tuple[str, Any]]:
    return [(m.name, m.value) for m in enum]


def graphql_enums(schema: GraphQLSchema) -> dict[str, GraphQLEnumType]:
    return {
        name: t
        for name, t in schema.type_map.items()
        if isinstance(t, GraphQLEnumType) and not name.startswith("__")
    }


def test_the_vocabulary_is_found() -> None:
    assert {"ItemKind", "StockStatus", "CostingMethod", "LotSizeRule", "PlannedOrderStatus"} <= set(
        VOCABULARY
    )


def test_every_graphql_enum_is_the_ledger_enum_of_its_name() -> None:
    served = graphql_enums(build_schema()._schema)
    assert {"ItemKind", "StockStatus", "CostingMethod", "PlannedOrderStatus"} <= set(served)
    for name, enum in served.items():
        assert name in VOCABULARY, f"GraphQL enum {name} has no ledger enum of that name"
        assert [(n, v.value) for n, v in enum.values.items()] == members(VOCABULARY[name])


def test_the_checked_in_sdl_has_the_ledger_members() -> None:
    checked_in = parse_sdl((SCHEMAS / "graphql" / "schema.graphql").read_text())
    for name, enum in graphql_enums(checked_in).items():
        assert name in VOCABULARY, f"schema.graphql: enum {name} has no ledger enum"
        assert list(enum.values) == [n for n, _ in members(VOCABULARY[name])], name


def enums_in(document: Any, where: str) -> Iterator[tuple[str, str, list[Any]]]:
    """(file, title, values) of every JSON Schema enum with a title, at any depth."""
    if isinstance(document, dict):
        if "enum" in document and "title" in document:
            yield where, document["title"], document["enum"]
        for value in document.values():
            yield from enums_in(value, where)
    elif isinstance(document, list):
        for value in document:
            yield from enums_in(value, where)


def test_every_json_schema_enum_of_the_vocabulary_has_the_ledger_values() -> None:
    found = [
        e
        for path in sorted(SCHEMAS.rglob("*.json"))
        for e in enums_in(json.loads(path.read_text()), str(path.relative_to(SCHEMAS)))
    ]
    named = [(where, title, values) for where, title, values in found if title in VOCABULARY]
    assert {"ItemKind", "CostingMethod", "LotSizeRule", "StockStatus"} <= {t for _, t, _ in named}
    for where, title, values in named:
        assert values == [v for _, v in members(VOCABULARY[title])], f"{where}: {title}"


DASHBOARD_FILES = sorted([*STATIC.glob("*.html"), *STATIC.glob("*.js")])


@pytest.mark.parametrize("path", DASHBOARD_FILES, ids=lambda p: p.name)
def test_no_dashboard_keeps_a_list_of_an_enum(path: Path) -> None:
    """Two or more members of one enum named in a page are a copy of its list (an option
    list, an array, a label map); a page asks GraphQL for the members instead."""
    text = path.read_text()
    for name, enum in VOCABULARY.items():
        named = sorted(
            {m.name for m in enum if re.search(rf"(?<![\w-]){re.escape(m.name)}(?![\w-])", text)}
        )
        assert len(named) < 2, f"{path.name} lists {name} members {named}: ask GraphQL"
