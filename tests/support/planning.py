"""Planning test fixtures: small frame builders and the hypothesis profile."""

from __future__ import annotations

import os
from typing import Any

import polars as pl
from hypothesis import HealthCheck, settings

# Applied per test (not as a global profile, which would change every other suite's
# settings too): no deadline (the first call of a model compiles and warms caches), more
# examples than the default; PLANNING_EXAMPLES scales them for a longer soak.
EXAMPLES = int(os.environ.get("PLANNING_EXAMPLES", "150"))
PLANNING = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

BOM_SCHEMA = {"parent": pl.String(), "component": pl.String(), "quantity_per": pl.Float64()}
DATED_SCHEMA = {"item": pl.String(), "period": pl.Int64(), "quantity": pl.Float64()}


def frame(rows: list[dict[str, Any]], schema: dict[str, pl.DataType] | None = None) -> pl.DataFrame:
    if rows:
        return pl.DataFrame(rows, schema_overrides=schema) if schema else pl.DataFrame(rows)
    return pl.DataFrame(schema=schema or {})


def bom(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"parent": p, "component": c, "quantity_per": float(q)} for p, c, q in rows],
        schema=BOM_SCHEMA,
    )


def dated(rows: list[tuple[str, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"item": i, "period": t, "quantity": float(q)} for i, t, q in rows], schema=DATED_SCHEMA
    )


def series(frame_: pl.DataFrame, item: str, column: str) -> list[float]:
    return frame_.filter(pl.col("item") == item).sort("period").get_column(column).to_list()
