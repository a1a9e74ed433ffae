"""Schemathesis hooks for fuzzing the GraphQL schema (tests/test_graphql_fuzz.py loads
this file through ``SCHEMATHESIS_HOOKS``): values of the schema's own scalar ``Decimal``,
which Schemathesis cannot make up. Strings as the dashboards send them, and JSON numbers,
ordinary and extreme (more digits than the scalar takes, exponents), so a refusal of a bad
figure is fuzzed too."""

from __future__ import annotations

from decimal import Decimal

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes


def _text(value: Decimal) -> str:
    return format(value, "f")


DECIMALS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=6).map(_text).map(nodes.String),
    st.decimals(allow_nan=False, allow_infinity=False).map(str).map(nodes.String),
    st.integers(min_value=-(10**45), max_value=10**45).map(nodes.Int),
    st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
    st.sampled_from(["", " 1", "NaN", "Infinity", "1e999", "abc"]).map(nodes.String),
)

schemathesis.graphql.scalar("Decimal", DECIMALS)
