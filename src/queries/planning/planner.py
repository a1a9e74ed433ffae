"""What ``mrpRun`` needs of a planner, declared here because ``queries`` may not import
``planning``: the composition root hands ``planning.preview.preview_mrp`` in (as
``MrpPlanning``), and mypy checks there that it fits.

A preview is read as plain values: strings, numbers and dates, its records as rows per item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

import duckdb


class PegLine(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def reference(self) -> str: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def needed_on(self) -> date | None: ...


class ProposedOrder(Protocol):
    @property
    def number(self) -> str: ...
    @property
    def item(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def low_level_code(self) -> int: ...
    @property
    def release_period(self) -> int: ...
    @property
    def receipt_period(self) -> int: ...
    @property
    def release_date(self) -> date: ...
    @property
    def due_date(self) -> date: ...
    @property
    def past_due(self) -> bool: ...
    @property
    def pegging(self) -> Sequence[PegLine]: ...
    @property
    def messages(self) -> Sequence[str]: ...


class ExceptionLine(Protocol):
    @property
    def item(self) -> str: ...
    @property
    def exception(self) -> str: ...
    @property
    def reference(self) -> str: ...
    @property
    def period(self) -> int: ...
    @property
    def suggested_period(self) -> int | None: ...
    @property
    def scheduled_date(self) -> date: ...
    @property
    def suggested_date(self) -> date | None: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def message(self) -> str: ...


class MrpPreview(Protocol):
    @property
    def start_date(self) -> date: ...
    @property
    def bucket_days(self) -> int: ...
    @property
    def horizon(self) -> int: ...
    @property
    def orders(self) -> Sequence[ProposedOrder]: ...
    @property
    def exceptions(self) -> Sequence[ExceptionLine]: ...
    @property
    def warnings(self) -> Sequence[str]: ...

    def records(self, item: str) -> Sequence[Mapping[str, Any]]:
        """The item's MRP record, a row per period: item, period, start_date and the
        quantities of ``queries.planning.types.MrpRecord``."""
        ...


class PreviewMrp(Protocol):
    """Plan afresh from the read models on ``con`` and save nothing."""

    def __call__(
        self,
        con: duckdb.DuckDBPyConnection,
        *,
        start: date,
        bucket_days: int,
        horizon: int,
        ordering_cost: float,
        holding_rate: float,
    ) -> MrpPreview: ...


@dataclass(frozen=True)
class MrpPlanning:
    """The planner ``mrpRun`` calls, and the error it raises for read models it cannot plan
    with (its message names the input: answered as ``PLANNING_INPUT``, not logged)."""

    preview: PreviewMrp
    input_error: type[Exception]
