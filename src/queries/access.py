"""Who may read what: each root field of the schema needs a read permission, which the
composition root decides from the authenticated principal (queries know no principals:
they import only the read side). A field the caller may not read refuses the whole
request with a GraphQL error of code ``FORBIDDEN``, before anything runs.
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


@dataclass(frozen=True)
class Access:
    """``may_read(field)``: whether the caller may ask for the root field; ``sites(field)``:
    the sites whose rows it may see there (None: every site)."""

    may_read: Callable[[str], bool]
    sites: Callable[[str], frozenset[str] | None]


EVERYTHING = Access(may_read=lambda _field: True, sites=lambda _field: None)


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
