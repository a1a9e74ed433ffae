"""Input-frame contracts: the columns a planning function expects, checked and normalised once.

Each public planning function declares its input frames as a tuple of ``Column``s and
calls ``conform``. A missing required column, a value that cannot be cast, or a null in
a required column raises ``PlanningError`` naming ``frame.column``; optional columns that
are absent are added with their default, and nulls in them take the default too. Extra
columns are dropped, so adapters may pass read-model frames as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from planning.errors import PlanningError

FrameLike = pl.DataFrame | pl.LazyFrame


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    default: object = None
    required: bool = True
    doc: str = ""


def optional(name: str, dtype: pl.DataType, default: object, doc: str = "") -> Column:
    return Column(name, dtype, default=default, required=False, doc=doc)


def conform(frame: FrameLike, name: str, columns: Sequence[Column]) -> pl.DataFrame:
    """Check ``frame`` against ``columns`` and return it with exactly those columns and dtypes."""
    data = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    present = set(data.columns)
    exprs: list[pl.Expr] = []
    for column in columns:
        if column.name not in present:
            if column.required:
                raise PlanningError("required column is missing", field=f"{name}.{column.name}")
            exprs.append(pl.lit(column.default, dtype=column.dtype).alias(column.name))
            continue
        expr = pl.col(column.name)
        try:
            data.select(expr.cast(column.dtype, strict=True))
        except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError) as error:
            raise PlanningError(
                f"cannot be read as {column.dtype}: {error}", field=f"{name}.{column.name}"
            ) from None
        expr = expr.cast(column.dtype, strict=True)
        if column.required:
            if data.get_column(column.name).null_count():
                raise PlanningError("must not be null", field=f"{name}.{column.name}")
        else:
            expr = expr.fill_null(pl.lit(column.default, dtype=column.dtype))
        exprs.append(expr.alias(column.name))
    return data.select(exprs)


def require(condition: pl.Expr, frame: pl.DataFrame, field: str, reason: str) -> None:
    """Raise ``PlanningError`` when any row of ``frame`` breaks ``condition`` (nulls pass)."""
    bad = frame.filter(~condition.fill_null(value=True))
    if bad.height:
        raise PlanningError(
            f"{reason} (first offending row: {bad.row(0, named=True)})", field=field
        )
