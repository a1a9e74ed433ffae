"""Which events a subscription wants: published types by glob pattern, and sites."""

from __future__ import annotations

from eventsourcing.utils import get_topic
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.catalog import event_classes
from ledger.event_names import event_type
from ledger.webhooks.filters import site_matches, type_matches, valid_pattern

TYPES = sorted(event_type(get_topic(cls)) for cls in event_classes())


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(TYPES), st.sampled_from(TYPES), st.integers(min_value=0, max_value=60))
def test_a_prefix_glob_is_a_prefix(wanted: str, other: str, cut: int) -> None:
    """``com.mims.stock.*`` is every type starting ``com.mims.stock.``, nothing else."""
    prefix = wanted[: min(cut, len(wanted))]
    pattern = prefix + "*"
    assert valid_pattern(pattern)
    assert type_matches(wanted, [pattern])
    assert type_matches(other, [pattern]) == other.startswith(prefix)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(TYPES), st.lists(st.sampled_from(TYPES), max_size=4))
def test_exact_types_match_only_themselves(event: str, patterns: list[str]) -> None:
    assert type_matches(event, patterns) == (not patterns or event in patterns)


def test_sites() -> None:
    assert site_matches("PLANT1", [])
    assert site_matches("", [])  # plant-wide master data goes to a subscription of every site
    assert site_matches("PLANT1", ["PLANT1", "PLANT2"])
    assert not site_matches("PLANT3", ["PLANT1"])
    assert not site_matches("", ["PLANT1"])


def test_patterns_are_published_names() -> None:
    assert valid_pattern("com.mims.stock.received.v1")
    assert valid_pattern("com.mims.*.v1")
    assert not valid_pattern("com.mims.Stock.*")  # names are lower case
    assert not valid_pattern("")
    assert not valid_pattern("a" * 129)
