"""What keeps one GraphQL request from taking the read side for itself: a cost budget
checked before anything runs, a time limit on the whole request, and, in production, no
introspection and no "did you mean" hints (a map of the schema for whoever probes it).

The depth, alias and token limits are strawberry's (`queries.schema`); the cost rule is
ours because strawberry has none. A request's cost is counted on its document, with its
variables, before any resolver runs:

* every field costs 1, or what `FIELD_COSTS` gives it (``mrpRun`` plans afresh, a trace
  walks the genealogy);
* a field taking a page size (``first`` or ``last``: given, a variable, or its default;
  at most `MAX_PAGE`, the resolver refusing more) multiplies what it selects by it; when
  the field returns a page object rather than a list, the lists inside it take that size
  instead;
* another list multiplies what it selects by `ASSUMED_LIST_SIZE`;
* introspection (``__schema``, ``__type``, where it is on) costs `INTROSPECTION_COST`,
  whatever it selects: it reads the schema in memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_nullable_type,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from strawberry.extensions import SchemaExtension

from queries.pagination import MAX_PAGE

DEFAULT_MAX_COST = 25_000
DEFAULT_TIMEOUT_SECONDS = 30.0
ASSUMED_LIST_SIZE = 10
PAGE_ARGUMENTS = ("first", "last")
INTROSPECTION_COST = 100

# Fields whose resolver costs far more than reading rows: measured on the demo plant,
# one mrpRun ~110 ms (planning every item), a trace or a recall a walk of the genealogy.
FIELD_COSTS: Mapping[str, int] = {
    "Query.mrpRun": 10_000,
    "Query.traceForward": 500,
    "Query.traceBackward": 500,
    "Query.recallSimulation": 500,
    "Query.bomExplosion": 100,
    "Query.whereUsed": 100,
    "Query.qualityKpis": 100,
    "Query.projectionStatus": 10,
}


@dataclass(frozen=True)
class GraphQLLimits:
    """How the composition root configures the GraphQL guards (MIMS_GRAPHQL_*)."""

    introspection: bool = True
    suggestions: bool = True
    max_cost: int = DEFAULT_MAX_COST
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


class _Counter:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selections(
        self,
        parent: GraphQLNamedType | None,
        selection_set: SelectionSetNode | None,
        list_size: int,
        fragments_seen: frozenset[str] = frozenset(),
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                total += self.field(parent, node, list_size)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                on = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(on, node.selection_set, list_size, fragments_seen)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in fragments_seen:  # validation refuses both
                    continue
                on = self.schema.get_type(fragment.type_condition.name.value)
                total += self.selections(
                    on, fragment.selection_set, list_size, fragments_seen | {name}
                )
        return total

    def _definition(self, parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            found: GraphQLField | None = parent.fields.get(name)
            return found
        return None

    def _page_size(self, node: FieldNode, definition: GraphQLField) -> int | None:
        for name in PAGE_ARGUMENTS:
            if name not in definition.args:
                continue
            given = next((a.value for a in node.arguments or () if a.name.value == name), None)
            value: Any = definition.args[name].default_value
            if isinstance(given, IntValueNode):
                value = int(given.value)
            elif isinstance(given, VariableNode):
                value = self.variables.get(given.name.value, value)
            if not isinstance(value, int):
                return ASSUMED_LIST_SIZE
            # A larger page is refused by its resolver (PAGE_SIZE), which says why better.
            return min(max(value, 0), MAX_PAGE)
        return None

    def field(self, parent: GraphQLNamedType | None, node: FieldNode, list_size: int) -> int:
        name = node.name.value
        if name == "__typename":
            return 0
        if name in ("__schema", "__type"):
            # Answered from the schema in memory, bounded by its size, not by data: what
            # GraphiQL asks at start would otherwise count as a large multiple of lists.
            return INTROSPECTION_COST
        own = FIELD_COSTS.get(f"{parent.name if parent else ''}.{name}", 1)
        definition = self._definition(parent, name)
        if definition is None:  # an unknown field: validation refuses it
            return own
        returns = get_named_type(definition.type)
        is_list = isinstance(get_nullable_type(definition.type), GraphQLList)
        page = self._page_size(node, definition)
        if page is not None and not is_list:  # a page object: its lists hold the page
            return own + self.selections(returns, node.selection_set, page)
        if is_list:
            size = page if page is not None else list_size
            return own + size * self.selections(returns, node.selection_set, ASSUMED_LIST_SIZE)
        return own + self.selections(returns, node.selection_set, ASSUMED_LIST_SIZE)


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None = None,
) -> int:
    """The cost of one operation of ``document``, as the module's docstring counts it."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = schema.get_root_type(operation.operation)
    counter = _Counter(schema, fragments, variables or {})
    return counter.selections(root, operation.selection_set, ASSUMED_LIST_SIZE)


def cost_rule(
    max_cost: int, variables: Mapping[str, Any], operation_name: str | None
) -> type[ValidationRule]:
    """A validation rule (one per request: it knows the request's variables) refusing an
    operation that costs more than ``max_cost``."""

    class QueryCost(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            name = node.name.value if node.name else None
            if operation_name is not None and name != operation_name:
                return  # not the operation that runs
            context = self.context
            cost = query_cost(context.schema, context.document, node, variables)
            if cost > max_cost:
                msg = (
                    f"this query costs {cost:,}, over the budget of {max_cost:,}"
                    " (MIMS_GRAPHQL_MAX_COST): ask for smaller pages, fewer fields or"
                    " fewer aliases of an expensive field such as mrpRun"
                )
                self.report_error(
                    GraphQLError(
                        msg,
                        node,
                        extensions={"code": "QUERY_COST", "cost": cost, "budget": max_cost},
                    )
                )

    return QueryCost


class CostLimiter(SchemaExtension):
    """Adds the cost rule, bound to the request's variables, before validation runs."""

    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        rule = cost_rule(self.max_cost, context.variables or {}, context.operation_name)
        context.validation_rules = (*context.validation_rules, rule)
        yield


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def hide_suggestions(errors: list[GraphQLError]) -> None:
    """Drop graphql-core's "Did you mean ...?" from every message (field, argument, type
    and enum-value hints alike): in production they map the schema for a prober."""
    for error in errors:
        error.message = _SUGGESTION.sub("", error.message)


def timed_out(seconds: float) -> GraphQLError:
    return GraphQLError(
        f"the query took longer than {seconds:g} s and was stopped (MIMS_GRAPHQL_TIMEOUT_SECONDS)",
        extensions={"code": "TIMEOUT"},
    )
