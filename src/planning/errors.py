"""The one error the planning models raise: an input they cannot plan with, naming its field."""

from __future__ import annotations


class PlanningError(ValueError):
    """A planning input is malformed or inconsistent; ``field`` names where (``frame.column``)."""

    def __init__(self, reason: str, *, field: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
