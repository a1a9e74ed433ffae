"""Which events a subscription wants: published event types (glob patterns such as
``com.mims.stock.*``) and sites."""

from __future__ import annotations

import re
from collections.abc import Sequence
from fnmatch import fnmatchcase

# A published type or a glob of one: lower-case words, dots, ``*``, ``?`` and ``[...]``.
TYPE_PATTERN = r"^[a-z0-9_.*?\[\]\-]{1,128}$"


def type_matches(event_type: str, patterns: Sequence[str]) -> bool:
    """No pattern: every type. ``*`` crosses dots (``com.mims.*`` is every event)."""
    return not patterns or any(fnmatchcase(event_type, p) for p in patterns)


def site_matches(site: str, sites: Sequence[str]) -> bool:
    """No site: every site. An event recorded for no site (master data of the plant)
    matches only a subscription without a site filter."""
    return not sites or site in sites


def valid_pattern(pattern: str) -> bool:
    return re.fullmatch(TYPE_PATTERN, pattern) is not None
