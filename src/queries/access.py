"""Who may read what: each root field of the schema needs a read permission, which the
composition root decides from the authenticated principal (queries know no principals:
they import only the read side). A field the caller may not read refuses the whole
request with a GraphQL error of code ``FORBIDDEN``, before anything runs.

Where a field may be read, its rows are those of the places the caller's grants cover
(`Scope`): every resolver of site-bound data narrows its SQL with `in_scope`, the
allowed sites and location prefixes passed as parameters. A row of another place is
simply not there: a filter naming it, an id of it or an aggregate over it answer as if
it did not exist (an empty list, null, a sum without it), the same answer an unknown
id gets. A figure computed over the whole plant (MRP, its planned orders and runs) is
answered only to a caller whose scope covers every site of the plant (`whole_plant`),
else refused with ``FORBIDDEN``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)
from strawberry.extensions import SchemaExtension

ALL_SITES = "*"


@dataclass(frozen=True)
class Scope:
    """The places a caller may read in one root field: pairs of a site (``"*"``: every
    site) and a prefix of location codes (``""``: the whole site), one per grant. No
    pairs: nowhere."""

    places: frozenset[tuple[str, str]] = frozenset()

    @property
    def whole_sites(self) -> frozenset[str]:
        """The sites read as a whole (no location prefix)."""
        return frozenset(site for site, prefix in self.places if prefix == "")


@dataclass(frozen=True)
class Access:
    """``may_read(field)``: whether the caller may ask for the root field; ``scope(field)``:
    the places whose rows it may see there (None: everywhere)."""

    may_read: Callable[[str], bool]
    scope: Callable[[str], Scope | None]


EVERYTHING = Access(may_read=lambda _field: True, scope=lambda _field: None)
NOWHERE = Scope()

# The locations a scope covers, as a subquery: the sites and prefixes are parameters.
_SCOPED_LOCATIONS = (
    "SELECT s.code FROM locations s JOIN (SELECT unnest(CAST(? AS VARCHAR[])) AS site,"
    " unnest(CAST(? AS VARCHAR[])) AS prefix) g"
    f" ON (g.site = '{ALL_SITES}' OR s.site = g.site) AND starts_with(s.code, g.prefix)"
)


def in_scope(scope: Scope | None, column: str) -> tuple[str, list[Any]]:
    """A SQL condition keeping the rows whose location ``column`` is in ``scope``, and its
    parameters (``column`` is a column name of the resolver's, never user input). A row
    with no location is kept only when the scope is everywhere."""
    if scope is None:
        return "TRUE", []
    pairs = sorted(scope.places)
    return (
        f"{column} IN ({_SCOPED_LOCATIONS})",
        [[site for site, _ in pairs], [prefix for _, prefix in pairs]],
    )


def forbidden(field: str, why: str) -> GraphQLError:
    return GraphQLError(
        f"not permitted to read {field}: {why}", extensions={"code": "FORBIDDEN", "field": field}
    )


def _root_fields(
    selections: SelectionSetNode, fragments: dict[str, Any], seen: set[str]
) -> Iterator[FieldNode]:
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                seen.add(name)
                yield from _root_fields(fragment.selection_set, fragments, seen)


def access_rule(access: Access) -> type[ValidationRule]:
    class FieldAccess(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            fragments = {
                f.name.value: f
                for f in self.context.document.definitions
                if isinstance(f, FragmentDefinitionNode)
            }
            for field in _root_fields(node.selection_set, fragments, set()):
                name = field.name.value
                if name.startswith("__") or access.may_read(name):
                    continue
                self.report_error(
                    GraphQLError(
                        f"not permitted to read {name}",
                        field,
                        extensions={"code": "FORBIDDEN", "field": name},
                    )
                )

    return FieldAccess


class AccessGuard(SchemaExtension):
    """Adds the access rule of the request's caller (``context.access``) before
    validation runs."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        access = getattr(context.context, "access", None)
        if access is not None:
            context.validation_rules = (*context.validation_rules, access_rule(access))
        yield
